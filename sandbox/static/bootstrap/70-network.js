/* fetch() and XMLHttpRequest to other hosts are carried to Kiln's page, which
   refuses what no tool may reach, asks the viewer once per host and makes the
   request from a relay of its own: this frame's policy stays connect-src 'none'.
   The library mirror (cfg.mirror.prefix on this origin) is not the network: it goes to
   mirrorFetch (the mirror's part) when there is one, else to the browser's own
   fetch. Bodies arrive whole (no streaming); WebSocket and EventSource are
   carried too, by their own stand-ins (71-streams.js). */
var nativeFetch = window.fetch,
  NativeXHR = window.XMLHttpRequest;
function isLib(url) {
  return url.origin === location.origin && url.pathname.indexOf(cfg.mirror.prefix) === 0;
}
function libFetch(input, init) {
  return typeof mirrorFetch === "function"
    ? mirrorFetch(input, init)
    : nativeFetch.call(window, input, init);
}
function abortError(signal) {
  return signal.reason !== undefined
    ? signal.reason
    : new DOMException("The operation was aborted.", "AbortError");
}
var NULL_BODY = { 101: true, 103: true, 204: true, 205: true, 304: true };
/* A Response the tool can use as usual; url, redirected and type as fetch sets them. */
function dress(response, answer) {
  var clone = response.clone;
  Object.defineProperties(response, {
    url: { value: answer.url },
    redirected: { value: !!answer.redirected },
    type: { value: "cors" },
    clone: {
      value: function () {
        return dress(clone.call(response), answer);
      },
    },
  });
  return response;
}
function toResponse(answer) {
  return dress(
    new Response(NULL_BODY[answer.status] ? null : answer.body, {
      status: answer.status,
      statusText: answer.statusText,
      headers: answer.headers,
    }),
    answer,
  );
}
function carry(msg, signal) {
  if (!cfg.net) {
    return Promise.reject(
      new TypeError("Failed to fetch " + msg.url + ": the draft preview has no network"),
    );
  }
  return new Promise(function (resolve, reject) {
    var settled = false;
    function onAbort() {
      if (settled) {
        return;
      }
      settled = true;
      if (msg.id) {
        post({ type: "fetch", id: msg.id, abort: true });
      }
      reject(abortError(signal));
    }
    signal.addEventListener("abort", onAbort);
    call(msg).then(
      function (answer) {
        if (!settled) {
          settled = true;
          signal.removeEventListener("abort", onAbort);
          resolve(toResponse(answer));
        }
      },
      function (e) {
        if (!settled) {
          settled = true;
          signal.removeEventListener("abort", onAbort);
          reject(
            new TypeError(
              standIn
                ? "Failed to fetch " +
                    msg.url +
                    ": Kiln's smoke test has no network (a viewer is asked first)"
                : (e && e.message) || "Failed to fetch",
            ),
          );
        }
      },
    );
  });
}
function netFetch(input, init) {
  var request;
  try {
    request = new Request(input, init);
  } catch (e) {
    return Promise.reject(e);
  }
  var url = new URL(request.url);
  if (isLib(url)) {
    return libFetch(input, init);
  }
  if (request.signal.aborted) {
    return Promise.reject(abortError(request.signal));
  }
  /* A Blob travels to Kiln's page by reference, whatever its size. */
  var reading =
    request.method === "GET" || request.method === "HEAD" ? Promise.resolve(null) : request.blob();
  return reading.then(function (body) {
    var headers = [];
    request.headers.forEach(function (value, name) {
      headers.push([name, value]);
    });
    /* only-if-cached needs a same-origin request, which this never is. */
    var cache = request.cache === "only-if-cached" ? "default" : request.cache;
    return carry(
      {
        type: "fetch",
        url: url.href,
        method: request.method,
        headers: headers,
        body: body,
        cache: cache,
      },
      request.signal,
    );
  });
}
try {
  Object.defineProperty(window, "fetch", {
    value: function fetch(input, init) {
      return netFetch(input, init);
    },
    writable: true,
    configurable: true,
  });
} catch (e) {}

/* XMLHttpRequest on top of the same channel; synchronous requests only to the mirror. */
var xhrState = new WeakMap(),
  XHR_EVENTS = [
    "readystatechange",
    "loadstart",
    "progress",
    "abort",
    "error",
    "load",
    "timeout",
    "loadend",
  ];
function fire(target, type, init) {
  var event = init ? new ProgressEvent(type, init) : new Event(type);
  var handler = target["on" + type];
  if (typeof handler === "function") {
    try {
      handler.call(target, event);
    } catch (x) {
      setTimeout(function () {
        throw x;
      });
    }
  }
  target.dispatchEvent(event);
}
/* What an XMLHttpRequest holds of a response before it has one. */
function noResponse() {
  return { status: 0, statusText: "", url: "", headers: null, response: null, text: "" };
}
class KilnXMLHttpRequest extends EventTarget {
  constructor() {
    super();
    var self = this;
    XHR_EVENTS.forEach(function (name) {
      self["on" + name] = null;
    });
    this.responseType = "";
    this.timeout = 0;
    this.withCredentials = false;
    this.upload = new EventTarget();
    xhrState.set(this, Object.assign({ ready: 0 }, noResponse()));
  }
  get readyState() {
    return xhrState.get(this).ready;
  }
  get status() {
    return xhrState.get(this).status;
  }
  get statusText() {
    return xhrState.get(this).statusText;
  }
  get responseURL() {
    return xhrState.get(this).url;
  }
  get response() {
    var s = xhrState.get(this);
    return s.ready === 4
      ? s.response
      : this.responseType === "" || this.responseType === "text"
        ? ""
        : null;
  }
  get responseText() {
    if (this.responseType !== "" && this.responseType !== "text") {
      throw new DOMException(
        "The value is only accessible if responseType is '' or 'text'.",
        "InvalidStateError",
      );
    }
    return xhrState.get(this).text;
  }
  get responseXML() {
    var s = xhrState.get(this);
    return s.response instanceof Document ? s.response : null;
  }
  open(method, url, async) {
    var s = xhrState.get(this);
    if (s.controller) {
      s.controller.abort();
    }
    Object.assign(s, noResponse(), {
      method: String(method).toUpperCase(),
      target: new URL(String(url), document.baseURI),
      async: async === undefined ? true : !!async,
      request: new Headers(),
      sent: false,
      controller: null,
      mime: null,
    });
    this.setReady(1);
  }
  setRequestHeader(name, value) {
    var s = xhrState.get(this);
    if (s.ready !== 1 || s.sent) {
      throw new DOMException("The object's state must be OPENED.", "InvalidStateError");
    }
    s.request.append(name, value);
  }
  overrideMimeType(mime) {
    xhrState.get(this).mime = String(mime);
  }
  getResponseHeader(name) {
    var s = xhrState.get(this);
    return s.headers ? s.headers.get(name) : null;
  }
  getAllResponseHeaders() {
    var s = xhrState.get(this),
      lines = [];
    if (s.headers) {
      s.headers.forEach(function (value, name) {
        lines.push(name + ": " + value + "\r\n");
      });
    }
    return lines.join("");
  }
  setReady(n) {
    xhrState.get(this).ready = n;
    fire(this, "readystatechange");
  }
  send(body) {
    var self = this,
      s = xhrState.get(this);
    if (s.ready !== 1 || s.sent) {
      throw new DOMException("The object's state must be OPENED.", "InvalidStateError");
    }
    s.sent = true;
    if (s.method === "GET" || s.method === "HEAD" || body === undefined || body === null) {
      body = undefined;
    } else if (body instanceof Document) {
      body = new XMLSerializer().serializeToString(body);
    }
    if (!s.async) {
      return this.sendSync(s, body);
    }
    var controller = (s.controller = new AbortController()),
      timer = null;
    if (this.timeout > 0) {
      timer = setTimeout(function () {
        s.timedOut = true;
        controller.abort();
      }, this.timeout);
    }
    fire(this, "loadstart", { loaded: 0, total: 0 });
    var init = { method: s.method, headers: s.request, body: body, signal: controller.signal };
    (isLib(s.target) ? libFetch : netFetch)(s.target.href, init)
      .then(function (response) {
        return response.arrayBuffer().then(function (buffer) {
          return [response, buffer];
        });
      })
      .then(
        function (got) {
          if (s.controller !== controller) {
            return;
          }
          clearTimeout(timer);
          self.finish(s, got[0], got[1]);
        },
        function () {
          if (s.controller !== controller) {
            return;
          }
          clearTimeout(timer);
          self.fail(s, s.timedOut ? "timeout" : controller.signal.aborted ? "abort" : "error");
        },
      );
  }
  sendSync(s, body) {
    if (!isLib(s.target)) {
      throw new DOMException(
        "Kiln carries only asynchronous requests to other hosts: " + s.target.href,
        "NetworkError",
      );
    }
    var x = new NativeXHR();
    x.open(s.method, s.target.href, false);
    s.request.forEach(function (value, name) {
      x.setRequestHeader(name, value);
    });
    x.send(body);
    Object.assign(s, {
      status: x.status,
      statusText: x.statusText,
      url: x.responseURL,
      text: x.responseText,
    });
    s.response = s.text;
    s.headers = new Headers();
    x.getAllResponseHeaders()
      .trim()
      .split(/[\r\n]+/)
      .forEach(function (line) {
        var at = line.indexOf(":");
        if (at > 0) {
          s.headers.append(line.slice(0, at), line.slice(at + 1).trim());
        }
      });
    this.setReady(4);
    fire(this, "load", { loaded: s.text.length, total: s.text.length });
    fire(this, "loadend", { loaded: s.text.length, total: s.text.length });
  }
  finish(s, response, buffer) {
    s.status = response.status;
    s.statusText = response.statusText;
    s.url = response.url;
    s.headers = response.headers;
    this.setReady(2);
    var type = s.mime || response.headers.get("content-type") || "",
      decoded = "";
    if (
      this.responseType === "" ||
      this.responseType === "text" ||
      this.responseType === "json" ||
      this.responseType === "document"
    ) {
      decoded = new TextDecoder().decode(buffer);
    }
    s.text = this.responseType === "" || this.responseType === "text" ? decoded : "";
    this.setReady(3);
    var size = { loaded: buffer.byteLength, total: buffer.byteLength, lengthComputable: true };
    fire(this, "progress", size);
    if (this.responseType === "arraybuffer") {
      s.response = buffer;
    } else if (this.responseType === "blob") {
      s.response = new Blob([buffer], { type: type });
    } else if (this.responseType === "json") {
      try {
        s.response = JSON.parse(decoded);
      } catch (e) {
        s.response = null;
      }
    } else if (this.responseType === "document") {
      s.response = new DOMParser().parseFromString(
        decoded,
        /xml/.test(type) ? "application/xml" : "text/html",
      );
    } else {
      s.response = decoded;
    }
    this.setReady(4);
    fire(this, "load", size);
    fire(this, "loadend", size);
  }
  fail(s, kind) {
    Object.assign(s, {
      status: 0,
      statusText: "",
      response: null,
      text: "",
      headers: null,
      controller: null,
    });
    this.setReady(4);
    fire(this, kind, { loaded: 0, total: 0 });
    fire(this, "loadend", { loaded: 0, total: 0 });
    if (kind === "abort") {
      s.ready = 0;
    }
  }
  abort() {
    var s = xhrState.get(this);
    if (s.controller && s.ready > 0 && s.ready < 4) {
      s.controller.abort();
      return;
    }
    s.ready = 0;
  }
}
["UNSENT", "OPENED", "HEADERS_RECEIVED", "LOADING", "DONE"].forEach(function (name, i) {
  KilnXMLHttpRequest[name] = i;
  KilnXMLHttpRequest.prototype[name] = i;
});
try {
  Object.defineProperty(KilnXMLHttpRequest, "name", { value: "XMLHttpRequest" });
  Object.defineProperty(window, "XMLHttpRequest", {
    value: KilnXMLHttpRequest,
    writable: true,
    configurable: true,
  });
} catch (e) {}
