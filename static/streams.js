// The parent side of a tool's WebSockets and EventSources. They follow the
// network channel's rules (network.js): the same refused classes, refused here
// before any dialog; the same question, once per host, whose answer fetch shares;
// the same relay on the sandbox origin, whose policy names that one host. On
// top, each connection's messages are counted both ways against the limits of
// sandbox/network.py (`config.network.streams`), and one that goes past them is
// closed with a reason the tool sees and the network panel shows.

import { config } from "./config.js";
import { hostRefusal } from "./network.js";
import { humanSize } from "./format.js";

const RULES = config.network;
const SAYS = RULES.phrases;
const LIMITS = RULES.streams;
// A page served over https may open wss: and https: only, as browsers allow.
const secure = () => RULES.relay.startsWith("https:");
const TOKEN = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;
const KINDS = { ws: "WebSocket", sse: "EventSource" };
const SCHEMES = { ws: ["ws:", "wss:"], sse: ["http:", "https:"] };
const RETRY_MS = 3000; // before an event stream is opened again, unless its server says otherwise
const POLICY_CLOSE = 1008; // "policy violation": what the tool's close event says when Kiln closed it
const MINUTE_MS = 60_000;

const isInt = (v) => Number.isInteger(v) && v > 0 && v < 2 ** 31;
const isStr = (v, max) => typeof v === "string" && v.length <= max;

/** The bridge's schema for `stream` messages: open, send or close one connection. */
export function validStream(m) {
  if (!isInt(m.sid)) return false;
  if (m.op === "open")
    return (
      Object.hasOwn(KINDS, m.channel) &&
      isStr(m.url, 8192) &&
      (m.protocols === undefined ||
        (Array.isArray(m.protocols) &&
          m.protocols.length <= 64 &&
          m.protocols.every((p) => isStr(p, 256) && TOKEN.test(p))))
    );
  if (m.op === "send")
    return typeof m.data === "string" || m.data instanceof ArrayBuffer || m.data instanceof Blob;
  if (m.op === "close")
    return (
      (m.code === undefined ||
        m.code === 1000 ||
        (isInt(m.code) && m.code >= 3000 && m.code <= 4999)) &&
      (m.reason === undefined || isStr(m.reason, 123))
    );
  return false;
}

/** `{url, host}` for a connection a tool may ask to open, or `{host, why}` when never. */
export function checkStream(kind, href) {
  let url;
  try {
    url = new URL(href);
  } catch {
    return { host: "", why: SAYS.not_a_host };
  }
  if (!SCHEMES[kind].includes(url.protocol)) {
    return {
      host: href.length > 100 ? `${href.slice(0, 100)}…` : href,
      why: kind === "ws" ? SAYS.not_ws : SAYS.not_http,
    };
  }
  if (url.hostname.endsWith(".") && url.hostname.length > 1)
    url.hostname = url.hostname.slice(0, -1);
  const why = hostRefusal(url.hostname);
  if (why) return { host: url.hostname, why };
  if (secure() && (url.protocol === "ws:" || url.protocol === "http:"))
    return { host: url.hostname, why: SAYS.insecure };
  return { host: url.hostname, url };
}

const byteSize = (data) =>
  typeof data === "string"
    ? new TextEncoder().encode(data).byteLength
    : data instanceof Blob
      ? data.size
      : data.byteLength;

// Why an event stream could not be (re)opened, from the relay's word for it.
const FAILURES = {
  cors: (host) => `${host} does not let web pages call it directly (CORS)`,
  redirect: (host, d) =>
    `${host} redirected the stream to ${d.to || "another host"}, which this tool may not reach`,
  answer: (host, d) =>
    d.status === 200
      ? `${host} answered with ${d.type || "no content type"}, not text/event-stream`
      : `${host} answered HTTP ${d.status}`,
  refused: (host) => `Kiln's relay for ${host} refused the connection`,
};

class Connection {
  constructor(streams, message, port) {
    this.streams = streams;
    this.network = streams.network;
    this.sid = message.sid;
    this.kind = message.channel;
    this.protocols = message.protocols || [];
    this.port = port;
    this.relay = null;
    this.key = 0; // this connection's id at the relay, new for each (re)connection
    this.ended = false;
    this.recent = []; // [when, bytes] of each message of the last minute
    this.recentBytes = 0;
    this.lastEventId = "";
    this.retry = RETRY_MS;
    this.timer = null;
    this.entry = {
      n: ++this.network.count,
      kind: KINDS[message.channel],
      url: message.url,
      host: "",
      state: "waiting",
      note: "",
      sent: { count: 0, bytes: 0 },
      received: { count: 0, bytes: 0 },
      started: performance.now(),
      ms: null,
    };
    this.network.dispatchEvent(new CustomEvent("connection", { detail: this.entry }));
  }

  get ws() {
    return this.kind === "ws";
  }

  tell(what, transfer = []) {
    try {
      this.port?.postMessage({ ...what, event: "stream", sid: this.sid }, transfer);
    } catch {
      /* the frame's document is gone */
    }
  }

  update(change) {
    Object.assign(this.entry, change);
    if (this.ended) this.entry.ms = Math.round(performance.now() - this.entry.started);
    this.network.dispatchEvent(new CustomEvent("connection-changed", { detail: this.entry }));
  }

  async start() {
    const found = checkStream(this.kind, this.entry.url);
    this.entry.host = found.host;
    if (found.why)
      return this.refuse(
        `Kiln does not let tools reach ${found.host || "that address"}: it is ${found.why}`,
      );
    if (found.url.username || found.url.password)
      return this.refuse("Kiln does not send a user name or password written in a URL");
    if (this.streams.active(this) >= LIMITS.max_open)
      return this.refuse(
        `This tool has ${LIMITS.max_open} connections open, the most Kiln allows ` +
          "(KILN_NETWORK_STREAM_MAX_OPEN)",
      );
    this.url = found.url;
    this.host = found.host;
    const path = `${found.url.pathname}${found.url.search}`;
    const allowed = await this.network.decide(this.host, KINDS[this.kind], {
      pathname: path.length > 300 ? `${path.slice(0, 300)}…` : path,
      search: "",
    });
    if (this.ended) return;
    if (!allowed)
      return this.refuse(`The viewer did not allow this tool to reach ${this.host}`, "denied");
    this.connect();
  }

  async connect() {
    this.timer = null;
    // Every (re)connection is a request, counted with fetch's.
    if (!this.network.withinRate())
      return this.refuse(
        `This tool made more than ${RULES.per_minute} requests in a minute; Kiln refused this ` +
          "connection (KILN_NETWORK_REQUESTS_PER_MINUTE)",
      );
    let relay;
    try {
      relay = await this.network.relay(this.host);
    } catch {
      return this.refuse(`${this.host} could not be reached`, "failed");
    }
    if (this.ended) return;
    this.relay = relay;
    this.key = this.streams.nextKey++;
    relay.streams.set(this.key, (d) => this.hear(d));
    this.update({ state: this.entry.state === "waiting" ? "connecting" : this.entry.state });
    const max = LIMITS.max_message_bytes;
    relay.port.postMessage(
      this.ws
        ? { sid: this.key, stream: "ws", url: this.url.href, protocols: this.protocols, max }
        : { sid: this.key, stream: "sse", url: this.url.href, lastEventId: this.lastEventId, max },
    );
  }

  // What the relay says of this connection.
  hear(d) {
    if (this.ended) return;
    const host = this.host;
    if (d.on === "open") {
      this.update({ state: "open", note: d.protocol ? `protocol ${d.protocol}` : "" });
      this.tell({ on: "open", protocol: d.protocol || "", extensions: d.extensions || "" });
    } else if (d.on === "message" || d.on === "event") {
      if (!this.count("received", d.bytes)) return;
      if (d.on === "message")
        this.tell({ on: "message", data: d.data }, typeof d.data === "string" ? [] : [d.data]);
      else {
        this.lastEventId = d.id;
        this.tell({ on: "event", type: d.type, data: d.data, id: d.id });
      }
    } else if (d.on === "retry") {
      this.retry = d.ms;
    } else if (d.on === "error") {
      this.tell({ on: "error" });
    } else if (d.on === "close") {
      const said = d.reason ? `: ${d.reason}` : "";
      this.finish(d.refused ? "failed" : "closed", `code ${d.code}${said}`);
      this.tell({ on: "close", code: d.code, reason: d.reason, wasClean: d.wasClean });
    } else if (d.on === "too-large") {
      this.stop(
        `Kiln closed the connection: a message from ${host} is larger than ` +
          `${humanSize(LIMITS.max_message_bytes)} (KILN_NETWORK_STREAM_MAX_MESSAGE_BYTES)`,
      );
    } else if (d.on === "ended") {
      // The stream ended or broke: opened again after its retry time, as a browser does.
      this.relay.streams.delete(this.key);
      this.update({ state: "reconnecting" });
      this.tell({ on: "reconnecting" });
      this.timer = setTimeout(() => this.connect(), this.retry);
    } else if (d.on === "failed") {
      const why = (FAILURES[d.kind] || FAILURES.refused)(host, d);
      this.finish("failed", why);
      this.tell({ on: "failed" });
    } else if (d.on === "gone") {
      this.stop(`Kiln closed the connection: the viewer stopped this tool reaching ${host}`);
    }
  }

  // Counted against the limits; false (and the connection closed) past them.
  count(way, bytes) {
    const tally = this.entry[way];
    tally.count += 1;
    tally.bytes += bytes;
    if (bytes > LIMITS.max_message_bytes) {
      this.stop(
        `Kiln closed the connection: a message of ${humanSize(bytes)} is larger than ` +
          `${humanSize(LIMITS.max_message_bytes)} (KILN_NETWORK_STREAM_MAX_MESSAGE_BYTES)`,
      );
      return false;
    }
    const now = performance.now();
    this.recent.push([now, bytes]);
    this.recentBytes += bytes;
    while (now - this.recent[0][0] > MINUTE_MS) this.recentBytes -= this.recent.shift()[1];
    if (this.recent.length > LIMITS.messages_per_minute) {
      this.stop(
        `Kiln closed the connection: more than ${LIMITS.messages_per_minute} messages in a ` +
          "minute (KILN_NETWORK_STREAM_MESSAGES_PER_MINUTE)",
      );
      return false;
    }
    if (this.recentBytes > LIMITS.bytes_per_minute) {
      this.stop(
        `Kiln closed the connection: more than ${humanSize(LIMITS.bytes_per_minute)} in a ` +
          "minute (KILN_NETWORK_STREAM_BYTES_PER_MINUTE)",
      );
      return false;
    }
    this.update({});
    return true;
  }

  // What the tool does with its side.
  send(data) {
    if (this.ended || !this.ws || this.entry.state !== "open") return;
    const bytes = byteSize(data);
    if (!this.count("sent", bytes)) return;
    this.relay.port.postMessage({ sid: this.key, send: data });
    this.tell({ on: "sent", bytes });
  }

  close(code, reason) {
    if (this.ended) return;
    if (!this.ws || !this.relay) {
      // An event stream closes at once; a WebSocket not yet handed to its relay fails.
      this.release();
      this.finish("closed", "closed by the tool");
      if (this.ws) {
        this.tell({ on: "error" });
        this.tell({ on: "close", code: 1006, reason: "", wasClean: false });
      }
      return;
    }
    // The close handshake's answer comes back from the relay as "close".
    this.update({ state: "closing" });
    this.relay.port.postMessage({ sid: this.key, close: true, code, reason, wait: true });
  }

  // Never opened: the tool sees what a failed connection gives, the panel why.
  refuse(why, outcome = "refused") {
    this.finish(outcome, why);
    if (this.ws) {
      this.tell({ on: "error" });
      this.tell({ on: "close", code: 1006, reason: why, wasClean: false });
    } else {
      this.tell({ on: "failed" });
    }
  }

  // Past a limit, or the host taken back: Kiln closes it and says why.
  stop(why) {
    this.release();
    this.finish("closed", why);
    if (this.ws) {
      this.tell({ on: "error" });
      this.tell({ on: "close", code: POLICY_CLOSE, reason: why, wasClean: false });
    } else {
      this.tell({ on: "failed" });
    }
  }

  /** The frame's document is gone: close the connection, telling nobody. */
  drop() {
    this.release();
    this.finish("closed", "the tool's page was reloaded");
  }

  release() {
    clearTimeout(this.timer);
    if (this.relay?.streams.delete(this.key)) {
      try {
        this.relay.port.postMessage({ sid: this.key, close: true });
      } catch {
        /* the relay is gone */
      }
    }
  }

  finish(state, note) {
    this.ended = true;
    this.relay?.streams.delete(this.key);
    this.streams.open.delete(this.sid);
    this.update({ state, note });
  }
}

export class Streams {
  constructor(network) {
    this.network = network;
    this.open = new Map(); // the frame's stream id -> Connection
    this.nextKey = 1;
  }

  onStream(message, port) {
    if (message.op === "open") {
      if (this.open.has(message.sid)) return;
      const connection = new Connection(this, message, port);
      this.open.set(message.sid, connection);
      connection.start();
      return;
    }
    const connection = this.open.get(message.sid);
    if (message.op === "send") connection?.send(message.data);
    else connection?.close(message.code, message.reason);
  }

  /** The connections that count against the limit, but `except`. */
  active(except) {
    let n = 0;
    for (const connection of this.open.values()) if (connection !== except) n += 1;
    return n;
  }

  /** A new document in the frame: what the old one opened is closed. */
  reset() {
    for (const connection of [...this.open.values()]) connection.drop();
    this.open.clear();
  }
}
