// Runs in the page's own world before any of its scripts, and changes nothing the
// page does: it only tells the smoke tester when the page has work scheduled for
// later (a timer, an animation loop), so that errors thrown from there within the
// time cap are seen too. Reports are few: a timer only when it is due later than
// any reported before, the animation loop once.
(() => {
  const BINDING = "__kilnSmokeLater";
  const report = globalThis[BINDING];
  delete globalThis[BINDING];
  if (typeof report !== "function") return;
  let reports = 0;
  let latest = 0;
  let looping = false;
  let inFrame = false;
  const send = (message) => {
    if (reports++ >= 40) return;
    try {
      report(JSON.stringify(message));
    } catch (e) {
      /* tab closing */
    }
  };
  const due = (ms) => {
    const at = performance.now() + Math.max(0, Number(ms) || 0);
    if (at > latest + 50) {
      latest = at;
      send({ due: Math.round(at) });
    }
  };
  const wrapTimer = (original) =>
    function (handler, ms) {
      due(ms);
      return Reflect.apply(original, window, arguments);
    };
  const {
    setTimeout: timeout,
    setInterval: interval,
    requestAnimationFrame: animationFrame,
  } = window;
  if (typeof timeout === "function") window.setTimeout = wrapTimer(timeout);
  if (typeof interval === "function") window.setInterval = wrapTimer(interval);
  if (typeof animationFrame === "function") {
    window.requestAnimationFrame = function (callback) {
      if (inFrame && !looping) {
        looping = true;
        send({ loop: true });
      }
      if (typeof callback !== "function") return Reflect.apply(animationFrame, window, arguments);
      return Reflect.apply(animationFrame, window, [
        function (time) {
          inFrame = true;
          try {
            return callback.call(this, time);
          } finally {
            inFrame = false;
          }
        },
      ]);
    };
  }
})();
