/* Kiln draft viewer: shows a model's answer while it is still being written.
   It renders one document, handed over by the Kiln page that frames it (and only
   by that page: frame-ancestors limits who can frame it to the app origin), then
   ignores everything else. The page is served with the artifact policy, so what
   it renders is as confined as any artifact. */
(function () {
  "use strict";
  if (window.parent === window) {
    return;
  }
  /* The most it renders: an artifact's size limit, set on this script by the server. */
  var script = document.currentScript;
  var done = false,
    LIMIT = Number(script && script.dataset.maxChars) || 0;
  window.addEventListener("message", function (e) {
    var d = e.data;
    if (done || e.source !== window.parent || !d || d.kiln !== "draft") {
      return;
    }
    if (typeof d.html !== "string" || d.html.length > LIMIT) {
      return;
    }
    done = true;
    document.open();
    document.write(d.html);
    document.close();
    window.parent.postMessage({ kiln: "drafted", seq: d.seq }, "*");
  });
  window.parent.postMessage({ kiln: "draft-ready" }, "*");
})();
