/* Errors, rejections, console.error and CSP violations go to the parent page,
   readable: "TypeError: x is not a function", at "line 42" of the tool (never
   its signed address), and saying when the person's own click or key came just
   before ("input": the smoke test reads errors its own way). Each is cut to
   the lengths Kiln keeps (cfg.errors, from artifacts/tool_errors.py). */
var MAX_MESSAGE = cfg.errors.message,
  MAX_SOURCE = cfg.errors.source;
var here = location.href.split(/[?#]/)[0],
  lastInput = -1e9,
  INPUT_MS = 1000;
var ownPlace = new RegExp(
  here.replace(/[.*+?^${}()|[\]\\/]/g, "\\$&") + "(?:[?#][^\\s:)]*)?(?::(\\d+))?(?::\\d+)?",
  "g",
);
["pointerdown", "click", "keydown", "input", "change", "submit"].forEach(function (type) {
  window.addEventListener(
    type,
    function (e) {
      if (e.isTrusted) {
        lastInput = performance.now();
      }
    },
    true,
  );
});
function tidy(s, n) {
  return clip(
    String(s).replace(ownPlace, function (m, line) {
      return line ? "line " + line : "the tool";
    }),
    n,
  );
}
function errorText(v) {
  if (v instanceof Error) {
    return (v.name || "Error") + ": " + v.message;
  }
  return text(v);
}
function lineOf(stack) {
  ownPlace.lastIndex = 0;
  var m = ownPlace.exec(String(stack || ""));
  return m && m[1] ? Number(m[1]) : 0;
}
function report(msg) {
  if (performance.now() - lastInput < INPUT_MS) {
    msg.input = true;
  }
  post(msg);
}
window.addEventListener(
  "error",
  function (e) {
    if (e.target && e.target !== window && e.target.tagName) {
      report({
        type: "error",
        kind: "resource",
        message:
          "Failed to load " +
          e.target.tagName.toLowerCase() +
          " " +
          tidy(e.target.src || e.target.href || "", MAX_SOURCE),
      });
      return;
    }
    var own = !e.filename || e.filename.split(/[?#]/)[0] === here;
    report({
      type: "error",
      kind: "exception",
      message: tidy(
        e.error ? errorText(e.error) : String(e.message).replace(/^Uncaught /, ""),
        MAX_MESSAGE,
      ),
      source: own ? undefined : tidy(e.filename, MAX_SOURCE),
      line: own ? e.lineno || 0 : 0,
      column: own ? e.colno || 0 : 0,
    });
  },
  true,
);
window.addEventListener("unhandledrejection", function (e) {
  report({
    type: "error",
    kind: "rejection",
    message: tidy(errorText(e.reason), MAX_MESSAGE),
    line: lineOf((e.reason && e.reason.stack) || ""),
  });
});
document.addEventListener("securitypolicyviolation", function (e) {
  report({
    type: "error",
    kind: "csp",
    message: tidy(e.effectiveDirective + ": " + (e.blockedURI || "inline"), MAX_MESSAGE),
    line: e.lineNumber || 0,
    column: e.columnNumber || 0,
  });
});
var consoleError = console.error;
console.error = function () {
  report({
    type: "error",
    kind: "console",
    message: tidy(Array.prototype.map.call(arguments, text).join(" "), MAX_MESSAGE),
  });
  return consoleError.apply(console, arguments);
};
