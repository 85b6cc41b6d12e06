/* Errors, rejections, console.error and CSP violations go to the parent page. */
window.addEventListener(
  "error",
  function (e) {
    if (e.target && e.target !== window && e.target.tagName) {
      post({
        type: "error",
        kind: "resource",
        message:
          "Failed to load " +
          e.target.tagName.toLowerCase() +
          " " +
          clip(e.target.src || e.target.href || "", 300)
      });
      return;
    }
    post({
      type: "error",
      kind: "exception",
      message: clip(e.message || text(e.error), 2000),
      source: clip(e.filename || "", 300),
      line: e.lineno || 0,
      column: e.colno || 0,
      stack: clip((e.error && e.error.stack) || "", 4000)
    });
  },
  true
);
window.addEventListener("unhandledrejection", function (e) {
  post({
    type: "error",
    kind: "rejection",
    message: clip("Unhandled promise rejection: " + text(e.reason), 2000),
    stack: clip((e.reason && e.reason.stack) || "", 4000)
  });
});
document.addEventListener("securitypolicyviolation", function (e) {
  post({
    type: "error",
    kind: "csp",
    message: clip(
      "Blocked by the sandbox policy (" +
        e.effectiveDirective +
        "): " +
        (e.blockedURI || "inline"),
      2000
    ),
    line: e.lineNumber || 0,
    column: e.columnNumber || 0
  });
});
var consoleError = console.error;
console.error = function () {
  post({
    type: "error",
    kind: "console",
    message: clip(Array.prototype.map.call(arguments, text).join(" "), 2000)
  });
  return consoleError.apply(console, arguments);
};
