/* IndexedDB is refused in an opaque origin. An in-memory one (fake-indexeddb
   from the library mirror) stands in: its module replaces indexedDB and the
   IDB* classes on window. A page that names indexedDB gets that module in its
   head (it runs before DOMContentLoaded); any other loads it on first use.
   Until it has run, open() and deleteDatabase() hand out requests that become
   the real ones; IDB is asynchronous, so a page cannot tell the difference.
   Kept across visits when the page around the frame vouches for the viewer
   (cfg.persist): the moment the module has run, and before any script of the
   page can reach it, the databases of the last visit (cfg.idbData) are written
   back (the stand-in queues requests per database, so the page's own come
   after); after each write of the page, a snapshot of every database goes to
   the parent, which keeps it on the server. */
if (cfg.idb && self.origin === "null") {
  var fake = null,
    fakeLoading = null,
    idbOpen = null;
  var adopt = function () {
    var own = Object.getOwnPropertyDescriptor(window, "indexedDB");
    if (!fake && own && "value" in own) {
      fake = own.value;
      idbOpen = fake.open;
      restoreIDB(cfg.idbData);
      if (cfg.persist) {
        watchIDB();
      }
    }
    return fake;
  };
  var loadIDB = function () {
    if (!fakeLoading) {
      fakeLoading = import(cfg.idb).then(adopt);
    }
    return fakeLoading;
  };
  /* The module in the page's head: its load event comes right after it ran. */
  document.addEventListener(
    "load",
    function (e) {
      if (e.target && e.target.tagName === "SCRIPT" && e.target.getAttribute("src") === cfg.idb) {
        adopt();
      }
    },
    true,
  );
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
      },
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
        },
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
          "UnknownError",
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
      },
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
    },
  };
  try {
    Object.defineProperty(window, "indexedDB", {
      get: function () {
        loadIDB();
        return factory;
      },
      configurable: true,
    });
  } catch (e) {}
  /* What IndexedDB holds (structured-clone values and keys) as JSON: a JSON
     value stays as it is; anything else is an array whose first item names
     its type. Blobs cannot be read synchronously and are not kept. */
  var VIEWS = [
    "Int8Array",
    "Uint8Array",
    "Uint8ClampedArray",
    "Int16Array",
    "Uint16Array",
    "Int32Array",
    "Uint32Array",
    "Float32Array",
    "Float64Array",
    "BigInt64Array",
    "BigUint64Array",
    "DataView",
  ];
  var base64 = function (buffer) {
    var bytes = new Uint8Array(buffer),
      s = "";
    for (var i = 0; i < bytes.length; i += 32768) {
      s += String.fromCharCode.apply(null, bytes.subarray(i, i + 32768));
    }
    return btoa(s);
  };
  var unbase64 = function (s) {
    var bin = atob(s),
      bytes = new Uint8Array(bin.length);
    for (var i = 0; i < bin.length; i += 1) {
      bytes[i] = bin.charCodeAt(i);
    }
    return bytes.buffer;
  };
  var encodeIDB = function (v, depth) {
    if (depth > 100) {
      throw new Error("a value is nested too deeply (or refers to itself)");
    }
    if (v === null || typeof v === "boolean" || typeof v === "string") {
      return v;
    }
    if (typeof v === "number") {
      return isFinite(v) && !Object.is(v, -0) ? v : ["n", Object.is(v, -0) ? "-0" : String(v)];
    }
    if (v === undefined) {
      return ["u"];
    }
    if (typeof v === "bigint") {
      return ["i", String(v)];
    }
    var tag = Object.prototype.toString.call(v).slice(8, -1),
      out,
      d = depth + 1;
    if (Array.isArray(v)) {
      return ["a"].concat(
        Array.from(v, function (x) {
          return encodeIDB(x, d);
        }),
      );
    }
    if (tag === "Date") {
      return ["d", v.getTime()];
    }
    if (tag === "RegExp") {
      return ["r", v.source, v.flags];
    }
    if (tag === "ArrayBuffer") {
      return ["b", base64(v)];
    }
    if (ArrayBuffer.isView(v) && VIEWS.indexOf(tag) >= 0) {
      return ["t", tag, base64(v.buffer.slice(v.byteOffset, v.byteOffset + v.byteLength))];
    }
    if (v instanceof Error) {
      return ["e", String(v.name), String(v.message)];
    }
    if (tag === "Blob" || tag === "File") {
      throw new Error("it holds a " + tag);
    }
    if (tag === "Map" || tag === "Set") {
      out = [tag === "Map" ? "m" : "s"];
      v.forEach(function (value, key) {
        if (tag === "Map") {
          out.push(encodeIDB(key, d));
        }
        out.push(encodeIDB(value, d));
      });
      return out;
    }
    out = ["o"];
    Object.keys(v).forEach(function (k) {
      out.push(k, encodeIDB(v[k], d));
    });
    return out;
  };
  var decodeIDB = function (v) {
    if (!Array.isArray(v)) {
      return v;
    }
    var rest = v.slice(1),
      out,
      i;
    switch (v[0]) {
      case "a":
        return rest.map(decodeIDB);
      case "n":
        return rest[0] === "-0" ? -0 : Number(rest[0]);
      case "u":
        return undefined;
      case "i":
        return BigInt(rest[0]);
      case "d":
        return new Date(rest[0] === null ? NaN : rest[0]);
      case "r":
        return new RegExp(rest[0], rest[1]);
      case "b":
        return unbase64(rest[0]);
      case "t":
        return VIEWS.indexOf(rest[0]) >= 0 ? new window[rest[0]](unbase64(rest[1])) : null;
      case "e":
        out = new Error(rest[1]);
        out.name = rest[0];
        return out;
      case "m":
      case "s":
        out = v[0] === "m" ? new Map() : new Set();
        for (i = 0; i < rest.length; i += v[0] === "m" ? 2 : 1) {
          if (v[0] === "m") {
            out.set(decodeIDB(rest[i]), decodeIDB(rest[i + 1]));
          } else {
            out.add(decodeIDB(rest[i]));
          }
        }
        return out;
      default:
        out = {};
        for (i = 0; i < rest.length; i += 2) {
          /* defineProperty: a key named __proto__ stays a key */
          Object.defineProperty(out, String(rest[i]), {
            value: decodeIDB(rest[i + 1]),
            enumerable: true,
            writable: true,
            configurable: true,
          });
        }
        return out;
    }
  };
  var idbTold = false;
  var idbNotKept = function (why) {
    if (!idbTold) {
      idbTold = true;
      post({
        type: "error",
        kind: "console",
        message: clip(
          "IndexedDB is kept for this visit only: " + ((why && why.message) || why),
          cfg.errors.message,
        ),
      });
    }
  };
  var restoreIDB = function (data) {
    (data && Array.isArray(data.dbs) ? data.dbs : []).forEach(function (db) {
      try {
        var req = idbOpen.call(fake, db.name, db.version);
        req.onupgradeneeded = function () {
          try {
            db.stores.forEach(function (s) {
              var store = req.result.createObjectStore(s.name, {
                keyPath: s.keyPath,
                autoIncrement: !!s.autoIncrement,
              });
              s.indexes.forEach(function (ix) {
                store.createIndex(ix.name, ix.keyPath, {
                  unique: !!ix.unique,
                  multiEntry: !!ix.multiEntry,
                });
              });
              s.records.forEach(function (r) {
                if (s.keyPath === null) {
                  store.put(decodeIDB(r[1]), decodeIDB(r[0]));
                } else {
                  store.put(decodeIDB(r[1]));
                }
              });
            });
          } catch (x) {
            req.transaction.abort();
            idbNotKept("the saved data could not be restored (" + x.message + ")");
          }
        };
        req.onsuccess = function () {
          req.result.close();
        };
        req.onerror = function (e) {
          e.preventDefault();
        };
      } catch (x) {
        idbNotKept("the saved data could not be restored (" + x.message + ")");
      }
    });
  };
  var snapshotDB = function (name) {
    return new Promise(function (resolve, reject) {
      var req = idbOpen.call(fake, name);
      /* Deleted meanwhile: do not make it again. */
      req.onupgradeneeded = function () {
        req.transaction.abort();
      };
      req.onerror = function (e) {
        e.preventDefault();
        resolve(null);
      };
      req.onsuccess = function () {
        var conn = req.result,
          names = Array.prototype.slice.call(conn.objectStoreNames),
          out = { name: name, version: conn.version, stores: [] },
          failed = null;
        conn.onversionchange = function () {
          conn.close();
        };
        if (!names.length) {
          conn.close();
          resolve(out);
          return;
        }
        var tx = conn.transaction(names, "readonly");
        names.forEach(function (n) {
          var store = tx.objectStore(n),
            kp = store.keyPath,
            s = {
              name: n,
              keyPath: kp === null || typeof kp === "string" ? kp : Array.from(kp),
              autoIncrement: store.autoIncrement,
              indexes: [],
              records: [],
            };
          Array.prototype.forEach.call(store.indexNames, function (i) {
            var ix = store.index(i);
            s.indexes.push({
              name: i,
              keyPath: typeof ix.keyPath === "string" ? ix.keyPath : Array.from(ix.keyPath),
              unique: ix.unique,
              multiEntry: ix.multiEntry,
            });
          });
          var keys = store.getAllKeys(),
            values = store.getAll();
          values.onsuccess = function () {
            try {
              s.records = keys.result.map(function (k, i) {
                return [encodeIDB(k, 0), encodeIDB(values.result[i], 0)];
              });
            } catch (x) {
              failed = x;
            }
          };
          out.stores.push(s);
        });
        tx.oncomplete = function () {
          conn.close();
          if (failed) {
            reject(failed);
          } else {
            resolve(out);
          }
        };
        tx.onabort = function () {
          conn.close();
          reject(tx.error || new Error("the snapshot was aborted"));
        };
      };
    });
  };
  var idbTimer = null;
  var saveIDB = function () {
    fake
      .databases()
      .then(function (list) {
        return Promise.all(
          list
            .filter(function (info) {
              return info.version > 0;
            })
            .map(function (info) {
              return snapshotDB(info.name);
            }),
        );
      })
      .then(function (dbs) {
        var snapshot = JSON.stringify({ v: 1, dbs: dbs.filter(Boolean) }),
          size = new TextEncoder().encode(snapshot).length;
        if (size > cfg.idbQuota) {
          throw new Error(
            "it holds " + size + " bytes, more than the " + cfg.idbQuota + " Kiln keeps",
          );
        }
        post({ type: "indexeddb", snapshot: snapshot });
      })
      .catch(idbNotKept);
  };
  var idbChanged = function () {
    if (idbTimer) {
      clearTimeout(idbTimer);
    }
    idbTimer = setTimeout(function () {
      idbTimer = null;
      saveIDB();
    }, 200);
  };
  /* Every way a page writes: a readwrite transaction, an upgrade, a deleted database. */
  var watchIDB = function () {
    var remove = fake.deleteDatabase;
    fake.open = function () {
      var req = idbOpen.apply(fake, arguments);
      req.addEventListener("upgradeneeded", function () {
        req.transaction.addEventListener("complete", idbChanged);
      });
      return req;
    };
    fake.deleteDatabase = function () {
      var req = remove.apply(fake, arguments);
      req.addEventListener("success", idbChanged);
      return req;
    };
    var begin = window.IDBDatabase.prototype.transaction;
    window.IDBDatabase.prototype.transaction = function (names, mode) {
      var tx = begin.apply(this, arguments);
      if (mode === "readwrite") {
        tx.addEventListener("complete", idbChanged);
      }
      return tx;
    };
  };
}
