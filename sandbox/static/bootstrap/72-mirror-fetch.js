/* The library mirror, read with fetch() and XMLHttpRequest. The frame's CSP
   (connect-src 'none') refuses every fetch, and Pyodide loads its WebAssembly
   and standard library that way (pdf.js its fonts and maps). Same-origin
   URLs under cfg.mirror.prefix are read by Kiln's page (or the smoke tester's stand-in) instead and
   handed back as a real Response: only files the mirror serves, at most
   cfg.mirror.max bytes, no consent (the files are Kiln's own, and nothing
   leaves the machine the page came from), never counted as network use.
   The fetch and XMLHttpRequest of 70-network.js hand such URLs to mirrorFetch. */
var MIRROR = cfg.mirror;
var mirrorOrigin = new URL(location.href).origin;
function mirrorPath(url) {
  var u;
  try {
    u = new URL(url instanceof Request ? url.url : String(url), document.baseURI);
  } catch (e) {
    return null;
  }
  if (u.origin !== mirrorOrigin || u.pathname.indexOf(MIRROR.prefix) !== 0) {
    return null;
  }
  return u.pathname;
}
function mirrorFetch(url, init) {
  var path = mirrorPath(url),
    method = String((init && init.method) || (url instanceof Request && url.method) || "GET");
  method = method.toUpperCase();
  if (!path) {
    return Promise.reject(new TypeError("Not a file of Kiln's library mirror: " + clip(url, 300)));
  }
  if (method !== "GET" && method !== "HEAD") {
    return Promise.reject(new TypeError("The library mirror only answers GET: " + path));
  }
  return call({ type: "mirror", path: path }).then(
    function (file) {
      if (!file || !(file.body instanceof ArrayBuffer) || file.body.byteLength > MIRROR.max) {
        throw new TypeError("Failed to fetch " + path);
      }
      var response = new Response(method === "HEAD" ? null : file.body, {
        headers: { "Content-Type": String(file.mime || "application/octet-stream") },
      });
      try {
        Object.defineProperty(response, "url", { value: mirrorOrigin + path });
      } catch (e) {}
      return response;
    },
    function (e) {
      throw new TypeError("Failed to fetch " + path + ": " + ((e && e.message) || e));
    },
  );
}
/* Workers: the CSP allows blob: workers only (they inherit it, so they reach
   nothing either), and a module worker does not start at all in an opaque
   origin. So a worker script from the mirror (pdf.js's) becomes a classic
   blob: worker that loads it from /lib/, which script-src allows:
   importScripts() for a classic script, import() for a module, holding
   messages that arrive before the module has run. */
var PageWorker = window.Worker;
var WORKER_IMPORT =
  "var early = [], hold = function (e) { early.push(e); };" +
  "self.addEventListener('message', hold);" +
  "import(URL_).then(function () { self.removeEventListener('message', hold);" +
  " early.forEach(function (e) { self.dispatchEvent(new MessageEvent('message'," +
  " { data: e.data, ports: e.ports })); }); }," +
  " function (e) { setTimeout(function () { throw e; }); });";
if (PageWorker) {
  var MirrorWorker = function (url, options) {
    if (!(this instanceof MirrorWorker)) {
      throw new TypeError("Failed to construct 'Worker': Please use the 'new' operator.");
    }
    if (!mirrorPath(url)) {
      return new PageWorker(url, options);
    }
    var full = JSON.stringify(new URL(String(url), document.baseURI).href);
    var code =
      options && options.type === "module"
        ? WORKER_IMPORT.replace("URL_", full)
        : "importScripts(" + full + ");";
    var classic = Object.assign({}, options, { type: "classic" });
    return new PageWorker(
      createURL.call(URL, new Blob([code], { type: "text/javascript" })),
      classic,
    );
  };
  MirrorWorker.prototype = PageWorker.prototype;
  try {
    Object.defineProperty(window, "Worker", {
      value: MirrorWorker,
      writable: true,
      configurable: true,
    });
  } catch (e) {}
}
