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
