/* Kiln bootstrap: runs first in every artifact. It is written on ONE line when
   injected (so the artifact's own line numbers do not move): use block comments
   only and end every statement with a semicolon. */
(function () {
  "use strict";
  var cfg = window.__KILN__ || {};
  try {
    delete window.__KILN__;
  } catch (e) {}
  var port = null,
    queue = [],
    sent = 0,
    LIMIT = 200,
    doc = Math.random().toString(36).slice(2);
  function post(msg) {
    if (sent >= LIMIT && msg.type !== "storage") {
      return;
    }
    if (msg.type !== "storage") {
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
  function clip(s, n) {
    s = String(s);
    return s.length > n ? s.slice(0, n) + "\u2026" : s;
  }

  /* WebRTC can reach the network where CSP cannot close it: remove it. */
  [
    "RTCPeerConnection",
    "webkitRTCPeerConnection",
    "RTCDataChannel",
    "RTCRtpSender",
    "RTCRtpReceiver",
    "RTCIceCandidate",
    "RTCSessionDescription"
  ].forEach(function (name) {
    try {
      Object.defineProperty(window, name, {
        value: undefined,
        writable: false,
        configurable: false
      });
    } catch (e) {}
  });

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

  /* Storage: an opaque origin has none, so a shim stands in, persisted by the parent. */
  var QUOTA = cfg.quota;
  function makeStorage(initial, persist) {
    var data = Object.create(null),
      timer = null;
    Object.keys(initial || {}).forEach(function (k) {
      data[k] = String(initial[k]);
    });
    function size() {
      var n = 0;
      for (var k in data) {
        n += k.length + data[k].length;
      }
      return n * 2;
    }
    function changed() {
      if (!persist) {
        return;
      }
      if (timer) {
        clearTimeout(timer);
      }
      timer = setTimeout(function () {
        timer = null;
        post({ type: "storage", data: Object.assign({}, data) });
      }, 50);
    }
    var api = {
      getItem: function (k) {
        k = String(k);
        return k in data ? data[k] : null;
      },
      setItem: function (k, v) {
        k = String(k);
        v = String(v);
        var old = data[k];
        data[k] = v;
        if (size() > QUOTA) {
          if (old === undefined) {
            delete data[k];
          } else {
            data[k] = old;
          }
          throw new DOMException(
            "Storage quota of " + Math.round(QUOTA / 1048576) + " MB exceeded",
            "QuotaExceededError"
          );
        }
        changed();
      },
      removeItem: function (k) {
        k = String(k);
        if (k in data) {
          delete data[k];
          changed();
        }
      },
      clear: function () {
        data = Object.create(null);
        changed();
      },
      key: function (i) {
        var keys = Object.keys(data);
        return i >= 0 && i < keys.length ? keys[i] : null;
      }
    };
    Object.defineProperty(api, "length", {
      get: function () {
        return Object.keys(data).length;
      }
    });
    return new Proxy(api, {
      get: function (t, p) {
        if (p in t) {
          return t[p];
        }
        return typeof p === "string" && p in data ? data[p] : undefined;
      },
      set: function (t, p, v) {
        if (p in t) {
          return false;
        }
        t.setItem(p, v);
        return true;
      },
      deleteProperty: function (t, p) {
        t.removeItem(p);
        return true;
      },
      has: function (t, p) {
        return p in t || p in data;
      },
      ownKeys: function () {
        return Object.keys(data);
      },
      getOwnPropertyDescriptor: function (t, p) {
        return p in data
          ? { value: data[p], writable: true, enumerable: true, configurable: true }
          : undefined;
      }
    });
  }
  var local = makeStorage(cfg.storage, !!cfg.persist),
    session = makeStorage({}, false);
  try {
    Object.defineProperty(window, "localStorage", {
      get: function () {
        return local;
      },
      configurable: true
    });
  } catch (e) {}
  try {
    Object.defineProperty(window, "sessionStorage", {
      get: function () {
        return session;
      },
      configurable: true
    });
  } catch (e) {}

  /* document.cookie throws in an opaque origin; tools that keep a setting in a
     cookie get a jar that lives as long as the page (nothing is sent anywhere). */
  var jar = Object.create(null);
  try {
    Object.defineProperty(document, "cookie", {
      configurable: true,
      get: function () {
        return Object.keys(jar)
          .map(function (k) {
            return k + "=" + jar[k];
          })
          .join("; ");
      },
      set: function (v) {
        var parts = String(v).split(";"),
          pair = parts[0],
          eq = pair.indexOf("=");
        var name = (eq < 0 ? "" : pair.slice(0, eq)).trim(),
          value = (eq < 0 ? pair : pair.slice(eq + 1)).trim();
        var gone = parts.slice(1).some(function (a) {
          a = a.trim().toLowerCase();
          return (
            a === "max-age=0" ||
            /^max-age=-/.test(a) ||
            (a.indexOf("expires=") === 0 && Date.parse(a.slice(8)) < Date.now())
          );
        });
        if (gone) {
          delete jar[name];
        } else {
          jar[name] = value;
        }
      }
    });
  } catch (e) {}

  /* IndexedDB is refused in an opaque origin. An in-memory one (fake-indexeddb
     from the library mirror) stands in, for as long as the page is open: its
     module replaces indexedDB and the IDB* classes on window. A page that names
     indexedDB gets that module in its head (it runs before DOMContentLoaded);
     any other loads it on first use. Until it has run, open() and
     deleteDatabase() hand out requests that become the real ones; IDB is
     asynchronous, so a page cannot tell the difference. */
  if (cfg.idb && self.origin === "null") {
    var fake = null,
      fakeLoading = null;
    var loadIDB = function () {
      if (!fakeLoading) {
        fakeLoading = import(cfg.idb).then(function () {
          fake = Object.getOwnPropertyDescriptor(window, "indexedDB").value;
          return fake;
        });
      }
      return fakeLoading;
    };
    var later = function (make) {
      var real = null,
        early = {},
        listeners = [],
        failed = null;
      var req = {
        get result() {
          if (!real) {
            throw new DOMException("The request has not finished.", "InvalidStateError");
          }
          return real.result;
        },
        get error() {
          if (failed) {
            return failed;
          }
          if (!real) {
            throw new DOMException("The request has not finished.", "InvalidStateError");
          }
          return real.error;
        },
        get readyState() {
          return real ? real.readyState : "pending";
        },
        get source() {
          return real ? real.source : null;
        },
        get transaction() {
          return real ? real.transaction : null;
        },
        addEventListener: function (type, fn, opts) {
          if (real) {
            real.addEventListener(type, fn, opts);
          } else {
            listeners.push([type, fn, opts]);
          }
        },
        removeEventListener: function (type, fn, opts) {
          if (real) {
            real.removeEventListener(type, fn, opts);
          } else {
            listeners = listeners.filter(function (l) {
              return l[0] !== type || l[1] !== fn;
            });
          }
        }
      };
      ["onsuccess", "onerror", "onupgradeneeded", "onblocked"].forEach(function (name) {
        Object.defineProperty(req, name, {
          get: function () {
            return real ? real[name] : early[name] || null;
          },
          set: function (fn) {
            if (real) {
              real[name] = fn;
            } else {
              early[name] = fn;
            }
          }
        });
      });
      loadIDB().then(
        function (f) {
          real = make(f);
          Object.keys(early).forEach(function (name) {
            real[name] = early[name];
          });
          listeners.forEach(function (l) {
            real.addEventListener(l[0], l[1], l[2]);
          });
        },
        function (e) {
          failed = new DOMException(
            "IndexedDB could not start: " + ((e && e.message) || e),
            "UnknownError"
          );
          var event = new Event("error"),
            handlers = listeners
              .filter(function (l) {
                return l[0] === "error";
              })
              .map(function (l) {
                return l[1];
              });
          if (typeof early.onerror === "function") {
            handlers.unshift(early.onerror);
          }
          handlers.forEach(function (fn) {
            try {
              fn.call(req, event);
            } catch (x) {
              setTimeout(function () {
                throw x;
              });
            }
          });
        }
      );
      return req;
    };
    /* Its module replaces this getter with the real thing when it runs. */
    var factory = {
      open: function () {
        var args = arguments;
        if (fake) {
          return fake.open.apply(fake, args);
        }
        return later(function (f) {
          return f.open.apply(f, args);
        });
      },
      deleteDatabase: function (name) {
        if (fake) {
          return fake.deleteDatabase(name);
        }
        return later(function (f) {
          return f.deleteDatabase(name);
        });
      },
      databases: function () {
        return loadIDB().then(function (f) {
          return f.databases();
        });
      },
      cmp: function (a, b) {
        if (fake) {
          return fake.cmp(a, b);
        }
        throw new DOMException("IndexedDB is still starting", "InvalidStateError");
      }
    };
    try {
      Object.defineProperty(window, "indexedDB", {
        get: function () {
          loadIDB();
          return factory;
        },
        configurable: true
      });
    } catch (e) {}
  }

  /* Capabilities that need the viewer's consent go through the parent. */
  var blobs = new Map(),
    pending = new Map(),
    nextId = 1;
  var createURL = URL.createObjectURL,
    revokeURL = URL.revokeObjectURL;
  URL.createObjectURL = function (obj) {
    var url = createURL.call(URL, obj);
    if (obj instanceof Blob) {
      blobs.set(url, obj);
    }
    return url;
  };
  URL.revokeObjectURL = function (url) {
    setTimeout(function () {
      blobs.delete(url);
    }, 60000);
    return revokeURL.call(URL, url);
  };
  /* With no Kiln page around it, the smoke tester stands in for the viewer: it
     defines this before any script of the page runs, and it is taken away here. */
  var standIn = typeof window.__kilnViewer === "function" ? window.__kilnViewer : null;
  try {
    delete window.__kilnViewer;
  } catch (e) {}
  function ask(msg) {
    return new Promise(function (resolve, reject) {
      var alone = window.parent === window;
      if (alone && !standIn) {
        reject(new DOMException("Not available outside Kiln's page", "NotAllowedError"));
        return;
      }
      /* Like a browser's popup blocker: only in answer to the viewer's own click or key. */
      if (navigator.userActivation && !navigator.userActivation.isActive) {
        reject(new DOMException("Needs a click or key press first", "NotAllowedError"));
        return;
      }
      if (alone) {
        var answer = standIn(msg.type);
        if (answer === false) {
          reject(new DOMException("The viewer declined", "NotAllowedError"));
        } else {
          resolve(typeof answer === "string" ? answer : undefined);
        }
        return;
      }
      var id = nextId++;
      msg.id = id;
      pending.set(id, { resolve: resolve, reject: reject });
      post(msg);
    });
  }
  function save(href, name) {
    var blob = blobs.get(href);
    if (blob) {
      return ask({
        type: "download",
        name: name,
        mime: blob.type || "application/octet-stream",
        data: blob
      });
    }
    if (/^data:/i.test(href)) {
      return ask({ type: "download", name: name, url: href });
    }
    return Promise.reject(new Error("Only files made on the page can be saved"));
  }
  document.addEventListener(
    "click",
    function (e) {
      var a = e.target && e.target.closest ? e.target.closest("a[href]") : null;
      if (!a || e.defaultPrevented) {
        return;
      }
      var href = a.href;
      if (a.hasAttribute("download")) {
        e.preventDefault();
        save(href, a.getAttribute("download") || "download").catch(function () {});
        return;
      }
      if (
        /^https?:/i.test(href) &&
        (a.target === "_blank" ||
          a.target === "_top" ||
          a.target === "_parent" ||
          a.origin !== location.origin)
      ) {
        e.preventDefault();
        ask({ type: "open", url: href }).catch(function () {});
      }
    },
    false
  );
  var anchorClick = HTMLAnchorElement.prototype.click;
  HTMLAnchorElement.prototype.click = function () {
    if (this.hasAttribute("download") && !this.isConnected) {
      save(this.href, this.getAttribute("download") || "download").catch(function () {});
      return;
    }
    return anchorClick.call(this);
  };
  /* FileSaver.js (jsPDF's doc.save(), many others) dispatches a non-bubbling
     click on a link that is not in the page: no listener above sees it. */
  var anchorDispatch = EventTarget.prototype.dispatchEvent;
  HTMLAnchorElement.prototype.dispatchEvent = function (event) {
    if (
      event &&
      event.type === "click" &&
      this.hasAttribute("download") &&
      (!this.isConnected || !event.bubbles)
    ) {
      save(this.href, this.getAttribute("download") || "download").catch(function () {});
      return false;
    }
    return anchorDispatch.call(this, event);
  };
  var nativeOpen = window.open;
  window.open = function (url) {
    /* Opened on its own (no Kiln page around it) the sandbox decides, as ever. */
    if (window.parent === window) {
      return nativeOpen.apply(window, arguments);
    }
    try {
      url = new URL(String(url), location.href).href;
    } catch (e) {
      return null;
    }
    if (/^https?:/i.test(url)) {
      ask({ type: "open", url: url }).catch(function () {});
    }
    return null;
  };
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
          configurable: true
        });
      } catch (e) {}
    }
  );
  ["exitFullscreen", "webkitExitFullscreen"].forEach(function (name) {
    try {
      Object.defineProperty(Document.prototype, name, {
        value: fsExit,
        writable: true,
        configurable: true
      });
    } catch (e) {}
  });
  ["fullscreenElement", "webkitFullscreenElement"].forEach(function (name) {
    try {
      Object.defineProperty(Document.prototype, name, {
        get: function () {
          return fsElement;
        },
        configurable: true
      });
    } catch (e) {}
  });
  try {
    Object.defineProperty(Document.prototype, "fullscreenEnabled", {
      get: function () {
        return true;
      },
      configurable: true
    });
  } catch (e) {}

  if (navigator.clipboard) {
    try {
      Object.defineProperty(navigator.clipboard, "writeText", {
        value: function (t) {
          return ask({ type: "clipboard", text: String(t) });
        },
        configurable: true
      });
    } catch (e) {}
    try {
      Object.defineProperty(navigator.clipboard, "readText", {
        value: function () {
          return ask({ type: "paste" });
        },
        configurable: true
      });
    } catch (e) {}
  }

  /* The parent hands us a MessageChannel port; everything else flows through it. */
  function onPort(e) {
    if (e.source !== window.parent || !e.data) {
      return;
    }
    /* The parent page may have started listening after our first hello: it pings. */
    if (e.data.kiln === "ping") {
      if (!port) {
        window.parent.postMessage({ kiln: "hello", doc: doc }, "*");
      }
      return;
    }
    if (e.data.kiln !== "port" || !e.ports || !e.ports[0]) {
      return;
    }
    /* Two hellos (ours and a ping's) give two ports; the parent keeps the newest. */
    if (port) {
      try {
        port.close();
      } catch (x) {}
    }
    port = e.ports[0];
    port.onmessage = function (m) {
      var d = m.data || {},
        p = pending.get(d.id);
      /* The viewer left full screen (Esc, or Kiln's own controls). */
      if (d.event === "fullscreen-exited") {
        if (fsElement) {
          fsChanged(null);
        }
        return;
      }
      if (!p) {
        return;
      }
      pending.delete(d.id);
      if (d.ok) {
        p.resolve(typeof d.text === "string" ? d.text : undefined);
      } else {
        p.reject(new DOMException(d.error || "The viewer declined", "NotAllowedError"));
      }
    };
    queue.splice(0).forEach(function (m) {
      try {
        port.postMessage(m);
      } catch (x) {}
    });
  }
  if (window.parent !== window) {
    window.addEventListener("message", onPort);
    window.parent.postMessage({ kiln: "hello", doc: doc }, "*");
  }
})();
