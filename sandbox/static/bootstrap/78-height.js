/* The tool's height, for Kiln's page to fit the frame to it (up to a maximum),
   so nothing is hidden inside a frame shorter than the tool. Measured from the
   document's own boxes, so it can shrink too; content that overflows them
   (positioned, say) is counted by the scroll height. Sent when it changes,
   at most once a frame. */
var lastHeight = 0,
  heightQueued = false;
function toolHeight() {
  var root = document.documentElement,
    body = document.body,
    h = root.getBoundingClientRect().height;
  if (body) {
    h = Math.max(
      h,
      body.getBoundingClientRect().bottom +
        window.scrollY +
        (parseFloat(getComputedStyle(body).marginBottom) || 0),
    );
  }
  if (root.scrollHeight > root.clientHeight) {
    h = Math.max(h, root.scrollHeight);
  }
  return Math.ceil(h);
}
function sendHeight() {
  heightQueued = false;
  var h = toolHeight();
  if (h > 0 && h !== lastHeight) {
    lastHeight = h;
    post({ type: "height", height: h });
  }
}
function queueHeight() {
  if (!heightQueued) {
    heightQueued = true;
    requestAnimationFrame(sendHeight);
  }
}
if (window.parent !== window && typeof ResizeObserver === "function") {
  var sizes = new ResizeObserver(queueHeight);
  sizes.observe(document.documentElement);
  document.addEventListener("DOMContentLoaded", function () {
    if (document.body) {
      sizes.observe(document.body);
    }
    queueHeight();
  });
  window.addEventListener("load", queueHeight);
}
