/* FileSaver.js (jsPDF's doc.save(), many others) dispatches a non-bubbling
   click on a link that is not in the page: no listener above sees it. */
var anchorDispatch = EventTarget.prototype.dispatchEvent;
HTMLAnchorElement.prototype.dispatchEvent = function (event) {
  if (
    event &&
    event.type === "click" &&
    this.hasAttribute("download") &&
    (!this.isConnected || !event.bubbles)
  ) {
    save(this.href, this.getAttribute("download") || "download").catch(function () {});
    return false;
  }
  return anchorDispatch.call(this, event);
};
var nativeOpen = window.open;
window.open = function (url) {
  /* Opened on its own (no Kiln page around it) the sandbox decides, as ever. */
  if (window.parent === window) {
    return nativeOpen.apply(window, arguments);
  }
  try {
    url = new URL(String(url), location.href).href;
  } catch (e) {
    return null;
  }
  if (/^https?:/i.test(url)) {
    ask({ type: "open", url: url }).catch(function () {});
  }
  return null;
};
