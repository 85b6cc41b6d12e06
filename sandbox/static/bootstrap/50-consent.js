/* Capabilities that need the viewer's consent go through the parent. */
var blobs = new Map();
var createURL = URL.createObjectURL,
  revokeURL = URL.revokeObjectURL;
URL.createObjectURL = function (obj) {
  var url = createURL.call(URL, obj);
  if (obj instanceof Blob) {
    blobs.set(url, obj);
  }
  return url;
};
URL.revokeObjectURL = function (url) {
  setTimeout(function () {
    blobs.delete(url);
  }, 60000);
  return revokeURL.call(URL, url);
};
/* Like a browser's popup blocker: only in answer to the viewer's own click or key. */
function ask(msg) {
  if (navigator.userActivation && !navigator.userActivation.isActive) {
    return Promise.reject(new DOMException("Needs a click or key press first", "NotAllowedError"));
  }
  return call(msg);
}
function save(href, name) {
  var blob = blobs.get(href);
  if (blob) {
    return ask({
      type: "download",
      name: name,
      mime: blob.type || "application/octet-stream",
      data: blob,
    });
  }
  if (/^data:/i.test(href)) {
    return ask({ type: "download", name: name, url: href });
  }
  return Promise.reject(new Error("Only files made on the page can be saved"));
}
document.addEventListener(
  "click",
  function (e) {
    var a = e.target && e.target.closest ? e.target.closest("a[href]") : null;
    if (!a || e.defaultPrevented) {
      return;
    }
    var href = a.href;
    if (a.hasAttribute("download")) {
      e.preventDefault();
      save(href, a.getAttribute("download") || "download").catch(function () {});
      return;
    }
    if (
      /^https?:/i.test(href) &&
      (a.target === "_blank" ||
        a.target === "_top" ||
        a.target === "_parent" ||
        a.origin !== location.origin)
    ) {
      e.preventDefault();
      ask({ type: "open", url: href }).catch(function () {});
    }
  },
  false,
);
var anchorClick = HTMLAnchorElement.prototype.click;
HTMLAnchorElement.prototype.click = function () {
  if (this.hasAttribute("download") && !this.isConnected) {
    save(this.href, this.getAttribute("download") || "download").catch(function () {});
    return;
  }
  return anchorClick.call(this);
};
