/* Kiln bootstrap: runs first in every artifact, before anything of the page.
   The server joins these files, in name order, into one function on ONE line
   (so the artifact's own line numbers do not move): use block comments only
   and end every statement with a semicolon. Each file is one concern; they
   share this scope. This one holds the channel to the parent page. */
var cfg = window.__KILN__ || {};
try {
  delete window.__KILN__;
} catch (e) {}
var port = null,
  queue = [],
  sent = 0,
  LIMIT = 200,
  doc = Math.random().toString(36).slice(2);
/* Not capped here: saved data, and kiln.* (kiln.files too) and fetch requests and
   streams' messages (the server and the parent page limit those), and the tool's height (sent when
   it changes, at most once a frame). */
var UNCOUNTED = {
  storage: true,
  indexeddb: true,
  complete: true,
  data: true,
  files: true,
  fetch: true,
  stream: true,
  height: true,
};
function post(msg) {
  var counted = !UNCOUNTED[msg.type];
  if (sent >= LIMIT && counted) {
    return;
  }
  if (counted) {
    sent += 1;
  }
  if (port) {
    try {
      port.postMessage(msg);
    } catch (e) {}
  } else if (queue.length < LIMIT) {
    queue.push(msg);
  }
}
function text(v) {
  try {
    if (v instanceof Error) {
      return String(v.stack || v.message || v);
    }
    if (typeof v === "string") {
      return v;
    }
    return JSON.stringify(v);
  } catch (e) {
    return String(v);
  }
}
/* At most n characters, the last an ellipsis when cut. */
function clip(s, n) {
  s = String(s);
  return s.length > n ? s.slice(0, n - 1) + "\u2026" : s;
}

/* Requests that wait for an answer from the parent (or, in the smoke test, from
   the stand-in viewer it defines before any script of the page runs and that is
   taken away here). */
var pending = new Map(),
  nextId = 1;
var standIn = typeof window.__kilnViewer === "function" ? window.__kilnViewer : null;
try {
  delete window.__kilnViewer;
} catch (e) {}
/* What the parent sends unasked ({event: NAME, ...}), by name. */
var parentEvents = Object.create(null);
function call(msg) {
  return new Promise(function (resolve, reject) {
    var alone = window.parent === window;
    if (alone && !standIn) {
      reject(new DOMException("Not available outside Kiln's page", "NotAllowedError"));
      return;
    }
    if (alone) {
      var answer = standIn(msg.type, msg);
      if (answer === false) {
        reject(new DOMException("The viewer declined", "NotAllowedError"));
      } else {
        resolve(answer === true ? undefined : answer);
      }
      return;
    }
    var id = nextId++;
    msg.id = id;
    pending.set(id, { resolve: resolve, reject: reject });
    post(msg);
  });
}
