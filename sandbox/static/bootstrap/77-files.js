/* kiln.files: the files attached to the tool (a CSV, a spreadsheet, a PDF...),
   read at run time. The frame may connect nowhere (connect-src 'none'), so
   Kiln's page reads them from Kiln's files API, which checks who may open the
   tool, and hands their bytes over the port as ArrayBuffer chunks, transferred
   (moved, not copied), never one base64 string: "kiln-file-chunk" events
   ({call: id, chunk}), then the reply {name, kind, size, mime, encoding}. In
   the smoke test the stand-in viewer feeds the same events. Only the files of
   the version the frame runs are ever read; a name is only a name. Reads of one
   name at once share one transfer. kiln.files is added to window.kiln where 75-kiln-api.js
   freezes it (filesApi() is hoisted; its state here is read only when a method runs). */
var FILES_OUTSIDE = "kiln.files works only inside Kiln's page; this tool was opened on its own.";
var FILES_DRAFT =
  "kiln.files works once the tool is finished, not in the preview while it is being written.";
var FILE_NAME_MAX = 1000;
var fileReads = new Map(),
  fileChunks = new Map();
function filesCall(msg, feed) {
  if (cfg.draft) {
    return Promise.reject(kilnError({ message: FILES_DRAFT }));
  }
  if (window.parent === window && !standIn) {
    return Promise.reject(kilnError({ message: FILES_OUTSIDE }));
  }
  if (window.parent === window) {
    msg.feed = feed;
  }
  return call(msg).catch(function (e) {
    throw kilnError(e);
  });
}
function fileList() {
  return filesCall({ type: "files", op: "list" }).then(function (files) {
    if (!Array.isArray(files)) {
      throw kilnError({ message: "Kiln's page did not list the tool's files." });
    }
    return files.map(function (f) {
      return { name: String(f.name), kind: String(f.kind), size: Number(f.size) };
    });
  });
}
/* "No file named ...; it has: a.csv, b.json." (the page or the stand-in only says not_found). */
function noSuchFile(name) {
  var said = "No file named " + JSON.stringify(clip(name, 200)) + " is attached to this tool";
  return fileList().then(
    function (files) {
      var names = files.map(function (f) {
        return f.name;
      });
      return kilnError({
        message:
          said +
          (names.length ? "; it has: " + clip(names.join(", "), 2000) + "." : "; it has none."),
        code: "not_found",
      });
    },
    function () {
      return kilnError({ message: said + ".", code: "not_found" });
    },
  );
}
function fileNameOf(name, method) {
  if (typeof name !== "string" || !name) {
    throw new TypeError("kiln.files." + method + "() takes the name of one of the tool's files");
  }
  return name;
}
/* One transfer: the chunks as they come, then the file's details. The chunks are
   kept as they came (no Blob in between: a big one would travel to the browser's
   process and back); each caller gets a copy of its own. */
function readFile(name) {
  var shared = fileReads.get(name);
  if (shared) {
    return shared;
  }
  var chunks = [],
    msg = { type: "files", op: "read", name: name };
  var asked =
    name.length > FILE_NAME_MAX
      ? Promise.reject({ code: "not_found" })
      : filesCall(msg, function (d) {
          if (d && d.event === "kiln-file-chunk" && d.chunk instanceof ArrayBuffer) {
            chunks.push(d.chunk);
          }
        });
  if (msg.id) {
    fileChunks.set(msg.id, chunks);
  }
  var read = asked
    .then(
      function (info) {
        var size = chunks.reduce(function (n, c) {
          return n + c.byteLength;
        }, 0);
        if (!info || size !== info.size) {
          throw kilnError({
            message: "The file " + JSON.stringify(name) + " arrived cut short; try again.",
            code: "unavailable",
          });
        }
        return { chunks: chunks, info: info };
      },
      function (e) {
        if (e && e.code === "not_found") {
          return noSuchFile(name).then(function (err) {
            throw err;
          });
        }
        throw e;
      },
    )
    .finally(function () {
      fileChunks.delete(msg.id);
      fileReads.delete(name);
    });
  fileReads.set(name, read);
  return read;
}
parentEvents["kiln-file-chunk"] = function (d) {
  var chunks = fileChunks.get(d.call);
  if (chunks && d.chunk instanceof ArrayBuffer) {
    chunks.push(d.chunk);
  }
};
function decoderFor(label) {
  try {
    return new TextDecoder(String(label || "utf-8"));
  } catch (e) {
    return new TextDecoder("utf-8");
  }
}
function fileMethod(method, then) {
  return function (name) {
    try {
      name = fileNameOf(name, method);
    } catch (e) {
      return Promise.reject(e);
    }
    return readFile(name).then(function (file) {
      return then(file, name);
    });
  };
}
function fileBytes(file) {
  var bytes = new Uint8Array(file.info.size),
    at = 0;
  file.chunks.forEach(function (c) {
    bytes.set(new Uint8Array(c), at);
    at += c.byteLength;
  });
  return bytes.buffer;
}
function fileText(file) {
  return decoderFor(file.info.encoding).decode(fileBytes(file));
}
function filesApi() {
  return Object.freeze({
    list: function () {
      return fileList();
    },
    text: fileMethod("text", fileText),
    json: fileMethod("json", function (file, name) {
      try {
        return JSON.parse(fileText(file));
      } catch (e) {
        throw kilnError({
          message: "The file " + JSON.stringify(name) + " is not JSON: " + e.message,
          code: "bad_json",
        });
      }
    }),
    arrayBuffer: fileMethod("arrayBuffer", fileBytes),
    blob: fileMethod("blob", function (file) {
      return new Blob(file.chunks, { type: String(file.info.mime || "") });
    }),
  });
}
