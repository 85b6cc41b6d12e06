/* WebSocket and EventSource, with the browser's API, carried like fetch: Kiln's
   page refuses what no tool may reach, asks the viewer once per host (the same
   answer as for fetch), and opens the connection from that host's relay; this
   frame's policy stays connect-src 'none'. What arrives comes back as parent
   events ({event: "stream", sid, on: ...}); Kiln's page counts every message
   and closes a connection that goes past its limits, saying why. */
var liveStreams = new Map(),
  nextStream = 1,
  WS_STATES = ["CONNECTING", "OPEN", "CLOSING", "CLOSED"],
  SSE_STATES = ["CONNECTING", "OPEN", "CLOSED"];
parentEvents.stream = function (d) {
  var s = liveStreams.get(d.sid);
  if (s && typeof d.on === "string") {
    s.arrive(d);
  }
};
/* The handler property first, then the listeners, as the browser's own objects do. */
function emit(target, event) {
  var handler = target["on" + event.type];
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
function utf8Bytes(s) {
  return new TextEncoder().encode(s).byteLength;
}
function setStates(Kind, states, name) {
  states.forEach(function (state, i) {
    Object.defineProperty(Kind, state, { value: i, enumerable: true });
    Object.defineProperty(Kind.prototype, state, { value: i, enumerable: true });
  });
  try {
    Object.defineProperty(Kind, "name", { value: name });
    Object.defineProperty(window, name, { value: Kind, writable: true, configurable: true });
  } catch (e) {}
}
/* Open a connection through Kiln's page; false when there is no page to carry
   it (then the stand-in fails as an unreachable server fails). The smoke test's
   stand-in viewer notes the URL and answers as a failed network does. */
function openStream(target, state, msg) {
  if (!cfg.net || window.parent === window) {
    if (standIn) {
      standIn("stream", msg);
    }
    return false;
  }
  state.sid = nextStream++;
  liveStreams.set(state.sid, target);
  msg.type = "stream";
  msg.op = "open";
  msg.sid = state.sid;
  post(msg);
  return true;
}
var wsState = new WeakMap();
class KilnWebSocket extends EventTarget {
  constructor(url, protocols) {
    super();
    if (arguments.length < 1) {
      throw new TypeError(
        "Failed to construct 'WebSocket': 1 argument required, but only 0 present.",
      );
    }
    var target;
    try {
      target = new URL(String(url), document.baseURI);
    } catch (e) {
      throw new DOMException(
        "Failed to construct 'WebSocket': The URL '" + String(url) + "' is invalid.",
        "SyntaxError",
      );
    }
    if (target.protocol === "http:" || target.protocol === "https:") {
      target.protocol = target.protocol === "http:" ? "ws:" : "wss:";
    }
    if (target.protocol !== "ws:" && target.protocol !== "wss:") {
      throw new DOMException(
        "Failed to construct 'WebSocket': The URL's scheme must be either 'http', 'https', " +
          "'ws', or 'wss'. '" +
          target.protocol.slice(0, -1) +
          "' is not allowed.",
        "SyntaxError",
      );
    }
    if (target.protocol === "ws:" && location.protocol === "https:") {
      throw new DOMException(
        "Failed to construct 'WebSocket': An insecure WebSocket connection may not be " +
          "initiated from a page loaded over HTTPS.",
        "SecurityError",
      );
    }
    target.hash = "";
    var list =
      protocols === undefined ? [] : typeof protocols === "string" ? [protocols] : protocols;
    list = Array.prototype.map.call(list, String);
    list.forEach(function (p, i) {
      if (!/^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/.test(p) || list.indexOf(p) !== i) {
        throw new DOMException(
          "Failed to construct 'WebSocket': The subprotocol '" + p + "' is invalid.",
          "SyntaxError",
        );
      }
    });
    var self = this;
    ["onopen", "onmessage", "onerror", "onclose"].forEach(function (h) {
      self[h] = null;
    });
    wsState.set(this, {
      url: target.href,
      ready: 0,
      protocol: "",
      extensions: "",
      buffered: 0,
      binaryType: "blob",
      origin: target.origin,
      sid: 0,
    });
    if (
      !openStream(this, wsState.get(this), { channel: "ws", url: target.href, protocols: list })
    ) {
      setTimeout(function () {
        self.arrive({ on: "error" });
        self.arrive({ on: "close", code: 1006, reason: "", wasClean: false });
      });
    }
  }
  get url() {
    return wsState.get(this).url;
  }
  get readyState() {
    return wsState.get(this).ready;
  }
  get protocol() {
    return wsState.get(this).protocol;
  }
  get extensions() {
    return wsState.get(this).extensions;
  }
  get bufferedAmount() {
    return wsState.get(this).buffered;
  }
  get binaryType() {
    return wsState.get(this).binaryType;
  }
  set binaryType(value) {
    if (value === "blob" || value === "arraybuffer") {
      wsState.get(this).binaryType = value;
    }
  }
  arrive(d) {
    var s = wsState.get(this);
    if (s.closed) {
      return;
    }
    if (d.on === "open" && s.ready === 0) {
      s.ready = 1;
      s.protocol = String(d.protocol || "");
      s.extensions = String(d.extensions || "");
      emit(this, new Event("open"));
    } else if (d.on === "message" && s.ready === 1) {
      var data = d.data;
      if (typeof data !== "string" && s.binaryType === "blob") {
        data = new Blob([data]);
      }
      emit(this, new MessageEvent("message", { data: data, origin: s.origin }));
    } else if (d.on === "sent") {
      s.buffered = Math.max(0, s.buffered - (d.bytes || 0));
    } else if (d.on === "error") {
      /* An error always comes just before the close, the state already CLOSED. */
      s.ready = 3;
      emit(this, new Event("error"));
    } else if (d.on === "close") {
      s.ready = 3;
      s.closed = true;
      liveStreams.delete(s.sid);
      emit(
        this,
        new CloseEvent("close", {
          code: d.code || 1006,
          reason: String(d.reason || ""),
          wasClean: !!d.wasClean,
        }),
      );
    }
  }
  send(data) {
    var s = wsState.get(this);
    if (arguments.length < 1) {
      throw new TypeError(
        "Failed to execute 'send' on 'WebSocket': 1 argument required, but only 0 present.",
      );
    }
    if (s.ready === 0) {
      throw new DOMException(
        "Failed to execute 'send' on 'WebSocket': Still in CONNECTING state.",
        "InvalidStateError",
      );
    }
    var bytes;
    if (data instanceof ArrayBuffer) {
      data = data.slice(0);
      bytes = data.byteLength;
    } else if (ArrayBuffer.isView(data)) {
      data = data.buffer.slice(data.byteOffset, data.byteOffset + data.byteLength);
      bytes = data.byteLength;
    } else if (data instanceof Blob) {
      bytes = data.size;
    } else {
      data = String(data);
      bytes = utf8Bytes(data);
    }
    /* As the browser does: once closing, what is sent only adds to bufferedAmount. */
    s.buffered += bytes;
    if (s.ready === 1) {
      post({ type: "stream", op: "send", sid: s.sid, data: data });
    }
  }
  close(code, reason) {
    var s = wsState.get(this);
    if (code !== undefined) {
      code = Number(code);
      if (!(code === 1000 || (code >= 3000 && code <= 4999)) || code !== Math.floor(code)) {
        throw new DOMException(
          "Failed to execute 'close' on 'WebSocket': The close code must be either 1000, " +
            "or between 3000 and 4999. " +
            code +
            " is neither.",
          "InvalidAccessError",
        );
      }
    }
    reason = reason === undefined ? "" : String(reason);
    if (utf8Bytes(reason) > 123) {
      throw new DOMException(
        "Failed to execute 'close' on 'WebSocket': The close reason must not be greater " +
          "than 123 UTF-8 bytes.",
        "SyntaxError",
      );
    }
    if (s.ready >= 2) {
      return;
    }
    s.ready = 2;
    if (s.sid) {
      post({ type: "stream", op: "close", sid: s.sid, code: code, reason: reason });
    }
  }
}
setStates(KilnWebSocket, WS_STATES, "WebSocket");

var sseState = new WeakMap();
class KilnEventSource extends EventTarget {
  constructor(url, init) {
    super();
    if (arguments.length < 1) {
      throw new TypeError(
        "Failed to construct 'EventSource': 1 argument required, but only 0 present.",
      );
    }
    var target;
    try {
      target = new URL(String(url), document.baseURI);
    } catch (e) {
      throw new DOMException(
        "Failed to construct 'EventSource': Cannot open an EventSource to '" +
          String(url) +
          "'. The URL is invalid.",
        "SyntaxError",
      );
    }
    var self = this;
    ["onopen", "onmessage", "onerror"].forEach(function (h) {
      self[h] = null;
    });
    /* Kept as given and never used: requests through Kiln carry no credentials. */
    sseState.set(this, {
      url: target.href,
      ready: 0,
      credentials: !!(init && init.withCredentials),
      origin: target.origin,
      sid: 0,
    });
    if (!openStream(this, sseState.get(this), { channel: "sse", url: target.href })) {
      setTimeout(function () {
        self.arrive({ on: "failed" });
      });
    }
  }
  get url() {
    return sseState.get(this).url;
  }
  get readyState() {
    return sseState.get(this).ready;
  }
  get withCredentials() {
    return sseState.get(this).credentials;
  }
  arrive(d) {
    var s = sseState.get(this);
    if (s.ready === 2) {
      return;
    }
    if (d.on === "open") {
      s.ready = 1;
      emit(this, new Event("open"));
    } else if (d.on === "event") {
      emit(
        this,
        new MessageEvent(String(d.type), {
          data: String(d.data),
          lastEventId: String(d.id || ""),
          origin: s.origin,
        }),
      );
    } else if (d.on === "reconnecting") {
      s.ready = 0;
      emit(this, new Event("error"));
    } else if (d.on === "failed") {
      s.ready = 2;
      liveStreams.delete(s.sid);
      emit(this, new Event("error"));
    }
  }
  close() {
    var s = sseState.get(this);
    if (s.ready === 2) {
      return;
    }
    s.ready = 2;
    liveStreams.delete(s.sid);
    if (s.sid) {
      post({ type: "stream", op: "close", sid: s.sid });
    }
  }
}
setStates(KilnEventSource, SSE_STATES, "EventSource");
