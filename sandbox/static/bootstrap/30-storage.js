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
          "QuotaExceededError",
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
    },
  };
  Object.defineProperty(api, "length", {
    get: function () {
      return Object.keys(data).length;
    },
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
    },
  });
}
var local = makeStorage(cfg.storage, !!cfg.persist),
  session = makeStorage({}, false);
try {
  Object.defineProperty(window, "localStorage", {
    get: function () {
      return local;
    },
    configurable: true,
  });
} catch (e) {}
try {
  Object.defineProperty(window, "sessionStorage", {
    get: function () {
      return session;
    },
    configurable: true,
  });
} catch (e) {}
