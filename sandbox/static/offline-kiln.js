/* In a tool saved to run without Kiln (the standalone download), window.kiln is
   only here to say so: in the page, once, and in every rejection, instead of a
   TypeError from a missing object. */
(function () {
  "use strict";
  if (window.kiln) {
    return;
  }
  var MESSAGE =
    "This copy of the tool runs without Kiln: its AI (kiln.complete) and saved " +
    "data (kiln.storage) work only in the Kiln page it came from.";
  /* The tool's files, written into this copy (base64 in a JSON script element
     just before this one), read by kiln.files as in Kiln's page. */
  var written = document.getElementById("kiln-files"),
    files = [];
  if (written) {
    try {
      files = JSON.parse(written.textContent) || [];
    } catch (e) {
      files = [];
    }
    written.remove();
  }
  function fileError(message) {
    var e = new Error(message);
    e.name = "KilnError";
    e.code = "not_found";
    return e;
  }
  function bytesOf(name) {
    name = String(name).normalize("NFC");
    for (var i = 0; i < files.length; i++) {
      if (files[i].name === name) {
        var raw = atob(files[i].data),
          out = new Uint8Array(raw.length);
        for (var j = 0; j < raw.length; j++) {
          out[j] = raw.charCodeAt(j);
        }
        return Promise.resolve({ file: files[i], bytes: out });
      }
    }
    var have = files
      .map(function (f) {
        return f.name;
      })
      .join(", ");
    return Promise.reject(
      fileError(
        'No file named "' +
          name +
          '" is in this copy of the tool' +
          (have ? "; it has: " + have + "." : "; it has none."),
      ),
    );
  }
  function decode(found) {
    try {
      return new TextDecoder(found.file.encoding || "utf-8").decode(found.bytes);
    } catch (e) {
      return new TextDecoder().decode(found.bytes);
    }
  }
  var fileApi = Object.freeze({
    list: function () {
      return Promise.resolve(
        files.map(function (f) {
          return { name: f.name, kind: f.kind, size: f.size };
        }),
      );
    },
    text: function (name) {
      return bytesOf(name).then(decode);
    },
    json: function (name) {
      return bytesOf(name).then(function (found) {
        try {
          return JSON.parse(decode(found));
        } catch (e) {
          throw fileError(found.file.name + " is not JSON: " + e.message);
        }
      });
    },
    arrayBuffer: function (name) {
      return bytesOf(name).then(function (found) {
        return found.bytes.buffer;
      });
    },
    blob: function (name) {
      return bytesOf(name).then(function (found) {
        return new Blob([found.bytes], { type: found.file.mime || "" });
      });
    },
  });
  var shown = false;
  function show() {
    if (shown || !document.body) {
      return;
    }
    shown = true;
    var note = document.createElement("div"),
      close = document.createElement("button");
    note.setAttribute("role", "status");
    note.style.cssText =
      "position:fixed;left:8px;right:8px;bottom:8px;z-index:2147483647;" +
      "padding:8px 12px;border-radius:6px;background:#fff8db;color:#3d3000;" +
      "border:1px solid #c9a227;font:14px/1.4 system-ui,sans-serif";
    close.type = "button";
    close.textContent = "\u00d7";
    close.setAttribute("aria-label", "Dismiss");
    close.style.cssText =
      "float:right;margin-left:8px;border:0;background:none;font:inherit;cursor:pointer";
    close.onclick = function () {
      note.remove();
    };
    note.append(close, document.createTextNode(MESSAGE));
    document.body.appendChild(note);
  }
  function unavailable() {
    show();
    var e = new Error(MESSAGE);
    e.name = "KilnError";
    e.code = "unavailable";
    return Promise.reject(e);
  }
  var scope = Object.freeze({
    get: unavailable,
    set: unavailable,
    delete: unavailable,
    list: unavailable,
    compareAndSet: unavailable,
    update: unavailable,
  });
  Object.defineProperty(window, "kiln", {
    value: Object.freeze({
      available: false,
      complete: unavailable,
      storage: Object.freeze({ personal: scope, shared: scope }),
      files: fileApi,
    }),
    writable: true,
    configurable: true,
    enumerable: false,
  });
})();
