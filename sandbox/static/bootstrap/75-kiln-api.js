/* window.kiln: what a tool may ask of Kiln's server, through the page around it.
   kiln.complete(input, options) asks the installation's model; kiln.storage keeps
   JSON values per tool, "personal" (this viewer's) or "shared" (everyone's who
   opens the tool). The page around the frame asks the viewer where needed, and
   the server checks every permission, limit and budget again: nothing here is
   trusted. Rejections are Errors a person can read, with a code the page may
   look at ("denied", "budget", "rate_limited", "conflict", "unavailable", ...). */
var OUTSIDE =
  "kiln.complete() and kiln.storage work only inside Kiln's page; this tool was opened on its own.";
var DRAFT =
  "kiln.complete() and kiln.storage work once the tool is finished, not in the preview " +
  "while it is being written.";
var streams = new Map();
function kilnError(e) {
  var err = new Error((e && e.message) || String(e));
  err.name = "KilnError";
  err.code = (e && typeof e.code === "string" && e.code) || "unavailable";
  return err;
}
function kilnCall(msg) {
  if (cfg.draft) {
    return Promise.reject(kilnError({ message: DRAFT }));
  }
  if (window.parent === window && !standIn) {
    return Promise.reject(kilnError({ message: OUTSIDE }));
  }
  return call(msg).catch(function (e) {
    throw kilnError(e);
  });
}
/* The page's own callbacks run apart: an error in one is the page's, reported as such. */
function callPage(fn, value) {
  try {
    fn(value);
  } catch (x) {
    setTimeout(function () {
      throw x;
    });
  }
}
function textOf(content) {
  if (typeof content === "string") {
    return content;
  }
  if (Array.isArray(content)) {
    return content
      .map(function (part) {
        return part && typeof part.text === "string" ? part.text : "";
      })
      .join("");
  }
  return String(content);
}
function complete(input, options) {
  options = options || {};
  var msg = { type: "complete" };
  if (typeof input === "string") {
    msg.prompt = input;
  } else if (input && typeof input === "object" && Array.isArray(input.messages)) {
    if (input.system !== undefined && input.system !== null) {
      msg.system = textOf(input.system);
    }
    msg.messages = input.messages.map(function (m) {
      return { role: String(m && m.role), content: textOf(m && m.content) };
    });
  } else {
    return Promise.reject(
      new TypeError(
        "kiln.complete() takes a prompt string or {system, messages: [{role, content}]}",
      ),
    );
  }
  if (options.max_tokens !== undefined) {
    if (!(Number.isInteger(options.max_tokens) && options.max_tokens > 0)) {
      return Promise.reject(new TypeError("max_tokens must be a positive whole number"));
    }
    msg.max_tokens = options.max_tokens;
  }
  var onToken = typeof options.onToken === "function" ? options.onToken : null,
    streamed = false;
  msg.stream = !!onToken;
  var answer = kilnCall(msg);
  if (onToken && msg.id) {
    streams.set(msg.id, function (t) {
      streamed = true;
      callPage(onToken, t);
    });
  }
  return answer.then(
    function (r) {
      streams.delete(msg.id);
      var answered = r && typeof r.text === "string" ? r.text : "";
      /* Nothing streamed (the smoke test's stand-in, say): the whole text is one token. */
      if (onToken && !streamed && answered) {
        callPage(onToken, answered);
      }
      return answered;
    },
    function (e) {
      streams.delete(msg.id);
      throw e;
    },
  );
}
parentEvents["kiln-token"] = function (d) {
  var fn = streams.get(d.call);
  if (fn && typeof d.text === "string") {
    fn(d.text);
  }
};
function jsonText(value) {
  var s;
  try {
    s = JSON.stringify(value);
  } catch (e) {
    throw new TypeError("kiln.storage keeps JSON values: " + e.message, { cause: e });
  }
  if (s === undefined) {
    throw new TypeError("kiln.storage keeps JSON values, not undefined, functions or symbols");
  }
  return s;
}
function storageScope(scope) {
  function op(fields) {
    fields.type = "data";
    fields.scope = scope;
    return kilnCall(fields);
  }
  function read(key) {
    return op({ op: "get", key: String(key) });
  }
  function parsed(r) {
    return r.value === null ? null : JSON.parse(r.value);
  }
  function write(key, value, revision) {
    var fields = { op: "set", key: String(key) };
    try {
      fields.value = jsonText(value);
    } catch (e) {
      return Promise.reject(e);
    }
    if (revision !== undefined) {
      fields.if_revision = revision;
    }
    return op(fields);
  }
  var conflict = function (e) {
    return e && e.code === "conflict";
  };
  return Object.freeze({
    get: function (key) {
      return read(key).then(parsed);
    },
    set: function (key, value) {
      return write(key, value).then(function () {});
    },
    delete: function (key) {
      return op({ op: "delete", key: String(key) }).then(function (r) {
        return !!r.deleted;
      });
    },
    list: function (prefix) {
      return op({ op: "list", prefix: prefix === undefined ? "" : String(prefix) }).then(
        function (r) {
          return r.keys.slice();
        },
      );
    },
    /* Write only if the value is still `expected` (null: no value); false if not. */
    compareAndSet: function (key, expected, value) {
      return read(key).then(function (r) {
        var now = r.value === null ? "null" : r.value;
        if (jsonText(expected === undefined ? null : expected) !== now) {
          return false;
        }
        return write(key, value, r.revision).then(
          function () {
            return true;
          },
          function (e) {
            if (conflict(e)) {
              return false;
            }
            throw e;
          },
        );
      });
    },
    /* fn(current) gives the new value; run again if someone else wrote in between. */
    update: function (key, fn) {
      var tries = 0;
      function round() {
        return read(key).then(function (r) {
          return Promise.resolve(fn(parsed(r))).then(function (value) {
            return write(key, value, r.revision).then(
              function () {
                return value;
              },
              function (e) {
                tries += 1;
                if (conflict(e) && tries < 10) {
                  return round();
                }
                throw conflict(e)
                  ? kilnError({
                      message:
                        "Could not update " +
                        JSON.stringify(String(key)) +
                        ": it kept changing while being updated; try again.",
                      code: "conflict",
                    })
                  : e;
              },
            );
          });
        });
      }
      return round();
    },
  });
}
var kilnApi = Object.freeze({
  available: !cfg.draft && (window.parent !== window || !!standIn),
  complete: complete,
  storage: Object.freeze({ personal: storageScope("personal"), shared: storageScope("shared") }),
  files: filesApi() /* 77-files.js */,
});
/* Not enumerable, and frozen; a page that names its own `kiln` keeps it for itself. */
try {
  Object.defineProperty(window, "kiln", {
    value: kilnApi,
    writable: true,
    configurable: true,
    enumerable: false,
  });
} catch (e) {}
