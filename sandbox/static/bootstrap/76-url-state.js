/* State in the URL. Tools keep state in their query and hash (pushState,
   replaceState, location.hash, ?q= read on load); that works in the frame as
   it is. The frame's own URL also carries Kiln's storage token (?st=): it is
   taken out of sight before the page runs, so the tool's location shows only
   its own state and a "copy link" built from location.href never hands the
   token on. Each change of the query or hash is reported to Kiln's page, which
   puts it in its own address and share link; opening that link gives the tool
   the same URL again. */
/* The tool's bytes stay as they were (URLSearchParams would re-encode them). */
var urlStateKept = location.search
  .slice(1)
  .split("&")
  .filter(function (part) {
    var key = part.split("=")[0];
    try {
      key = decodeURIComponent(key.replace(/\+/g, " "));
    } catch (e) {}
    return key.trim() !== cfg.storageParam;
  });
if (urlStateKept.join("&") !== location.search.slice(1)) {
  try {
    history.replaceState(
      history.state,
      "",
      location.pathname + (urlStateKept.length ? "?" + urlStateKept.join("&") : "") + location.hash,
    );
  } catch (e) {}
}
var urlStateSent = null;
function reportUrlState(start) {
  var query = location.search,
    hash = location.hash;
  if (query + hash === urlStateSent || query.length + hash.length > cfg.urlStateMax) {
    return;
  }
  urlStateSent = query + hash;
  post({ type: "url", query: query, hash: hash, start: start, stored: !!cfg.persist });
}
["pushState", "replaceState"].forEach(function (name) {
  var native = History.prototype[name];
  History.prototype[name] = function () {
    var result = native.apply(this, arguments);
    reportUrlState(false);
    return result;
  };
});
window.addEventListener("hashchange", function () {
  reportUrlState(false);
});
window.addEventListener("popstate", function () {
  reportUrlState(false);
});
if (window.parent !== window) {
  reportUrlState(true);
}
