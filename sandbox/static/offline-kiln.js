/* In a tool saved to run without Kiln (the standalone download), window.kiln is
   only here to say so: in the page, once, and in every rejection, instead of a
   TypeError from a missing object. */
(function () {
  "use strict";
  if (window.kiln) {
    return;
  }
  var MESSAGE =
    "This copy of the tool runs without Kiln: its AI (kiln.complete) and saved " +
    "data (kiln.storage) work only in the Kiln page it came from.";
  var shown = false;
  function show() {
    if (shown || !document.body) {
      return;
    }
    shown = true;
    var note = document.createElement("div"),
      close = document.createElement("button");
    note.setAttribute("role", "status");
    note.style.cssText =
      "position:fixed;left:8px;right:8px;bottom:8px;z-index:2147483647;" +
      "padding:8px 12px;border-radius:6px;background:#fff8db;color:#3d3000;" +
      "border:1px solid #c9a227;font:14px/1.4 system-ui,sans-serif";
    close.type = "button";
    close.textContent = "\u00d7";
    close.setAttribute("aria-label", "Dismiss");
    close.style.cssText =
      "float:right;margin-left:8px;border:0;background:none;font:inherit;cursor:pointer";
    close.onclick = function () {
      note.remove();
    };
    note.append(close, document.createTextNode(MESSAGE));
    document.body.appendChild(note);
  }
  function unavailable() {
    show();
    var e = new Error(MESSAGE);
    e.name = "KilnError";
    e.code = "unavailable";
    return Promise.reject(e);
  }
  var scope = Object.freeze({
    get: unavailable,
    set: unavailable,
    delete: unavailable,
    list: unavailable,
    compareAndSet: unavailable,
    update: unavailable,
  });
  Object.defineProperty(window, "kiln", {
    value: Object.freeze({
      available: false,
      complete: unavailable,
      storage: Object.freeze({ personal: scope, shared: scope }),
    }),
    writable: true,
    configurable: true,
    enumerable: false,
  });
})();
