/* Full screen: the frame may not take the screen itself, so the parent shows
   the preview full screen, on the viewer's click as a browser would. */
var fsElement = null;
function fsChanged(el) {
  fsElement = el;
  try {
    document.dispatchEvent(new Event("fullscreenchange", { bubbles: true }));
  } catch (e) {}
}
function fsRequest() {
  var el = this;
  return ask({ type: "fullscreen", on: true }).then(function () {
    fsChanged(el);
  });
}
function fsExit() {
  if (!fsElement) {
    return Promise.reject(new TypeError("Not in full screen"));
  }
  post({ type: "fullscreen", on: false });
  fsChanged(null);
  return Promise.resolve();
}
["requestFullscreen", "webkitRequestFullscreen", "webkitRequestFullScreen"].forEach(
  function (name) {
    try {
      Object.defineProperty(Element.prototype, name, {
        value: fsRequest,
        writable: true,
        configurable: true,
      });
    } catch (e) {}
  },
);
["exitFullscreen", "webkitExitFullscreen"].forEach(function (name) {
  try {
    Object.defineProperty(Document.prototype, name, {
      value: fsExit,
      writable: true,
      configurable: true,
    });
  } catch (e) {}
});
["fullscreenElement", "webkitFullscreenElement"].forEach(function (name) {
  try {
    Object.defineProperty(Document.prototype, name, {
      get: function () {
        return fsElement;
      },
      configurable: true,
    });
  } catch (e) {}
});
try {
  Object.defineProperty(Document.prototype, "fullscreenEnabled", {
    get: function () {
      return true;
    },
    configurable: true,
  });
} catch (e) {}

/* The viewer left full screen (Esc, or Kiln's own controls). */
parentEvents["fullscreen-exited"] = function () {
  if (fsElement) {
    fsChanged(null);
  }
};
