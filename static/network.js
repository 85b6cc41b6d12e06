// The parent side of the network channel. A tool's fetch() and XMLHttpRequest
// to another host arrive here over the bridge. This page refuses what no tool
// may reach (the rules of sandbox/network.py, read from #kiln-config), asks the
// viewer once per host, and hands the request to a relay: a hidden document on
// the sandbox origin whose own policy lets it reach that one host and nothing
// else (sandbox/static/relay.js). The tool's frame itself still connects nowhere.

import { config } from "./config.js";
import { del, post } from "./api.js";
import { humanSize } from "./format.js";
import { kilnUrl } from "./urls.js";

const RULES = config.network;
const SAYS = RULES.phrases;
const NAME = new RegExp(`^(?:${RULES.name_pattern})$`);
const CACHE_MODES = new Set(["default", "no-store", "reload", "no-cache", "force-cache"]);
const TOKEN = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;
const FORBIDDEN_METHODS = new Set(["CONNECT", "TRACE", "TRACK"]);
const RELAY_START_MS = 10_000;
const MAX_REFUSALS = 3; // as the consent dialog's rule, but for the whole visit

// -- the refused classes ------------------------------------------------------

function parseV4(host) {
  const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(host);
  if (!m) return null;
  const bytes = m.slice(1).map(Number);
  return bytes.some((b) => b > 255) ? null : bytes.reduce((n, b) => n * 256 + b, 0);
}

// Eight 16-bit groups, or null. Accepts "::" and a dotted IPv4 tail.
function parseV6(text) {
  let tail = [];
  const dotted = /^(.*:)(\d+\.\d+\.\d+\.\d+)$/.exec(text);
  if (dotted) {
    const v4 = parseV4(dotted[2]);
    if (v4 === null) return null;
    tail = [Math.floor(v4 / 65536), v4 % 65536];
    text = dotted[1].endsWith("::") ? dotted[1] : dotted[1].slice(0, -1);
  }
  const halves = text.split("::");
  if (halves.length > 2) return null;
  const groups = (s) => (s === "" ? [] : s.split(":"));
  const head = groups(halves[0]);
  const rest = halves.length === 2 ? groups(halves[1]) : [];
  if (![...head, ...rest].every((g) => /^[0-9a-f]{1,4}$/i.test(g))) return null;
  const missing = 8 - tail.length - head.length - rest.length;
  if (halves.length === 1 ? missing !== 0 : missing < 1) return null;
  const zeros = Array(halves.length === 2 ? missing : 0).fill("0");
  return [...head, ...zeros, ...rest].map((g) => parseInt(g, 16)).concat(tail);
}

function inV4(address, [net, bits]) {
  const size = 2 ** (32 - bits);
  return Math.floor(address / size) === Math.floor(net / size);
}

function inV6(groups, [net, bits]) {
  for (let i = 0; i < 8 && bits > 0; i += 1, bits -= 16) {
    const keep = Math.min(bits, 16);
    if (groups[i] >> (16 - keep) !== net[i] >> (16 - keep)) return false;
  }
  return true;
}

const NETWORKS = RULES.refused_networks.map(([cidr, why]) => {
  const [net, bits] = cidr.split("/");
  return net.includes(":")
    ? { v6: [parseV6(net), Number(bits)], why }
    : { v4: [parseV4(net), Number(bits)], why };
});
const EMBEDDED = RULES.embedded_ipv4.map(([cidr, at]) => {
  const [net, bits] = cidr.split("/");
  return { net: [parseV6(net), Number(bits)], at };
});

function v4Refusal(address) {
  return NETWORKS.find((n) => n.v4 && inV4(address, n.v4))?.why || null;
}

function v6Refusal(groups) {
  const listed = NETWORKS.find((n) => n.v6 && inV6(groups, n.v6));
  if (listed) return listed.why;
  const carrier = EMBEDDED.find((e) => inV6(groups, e.net));
  return carrier ? v4Refusal(groups[carrier.at / 16] * 65536 + groups[carrier.at / 16 + 1]) : null;
}

/** Why no tool may reach `host` (as the URL parser writes it), or null. */
export function hostRefusal(host) {
  if (host.startsWith("[")) {
    const groups = parseV6(host.slice(1, -1));
    return groups ? v6Refusal(groups) || SAYS.ipv6_by_name : SAYS.not_a_host;
  }
  const v4 = parseV4(host);
  if (v4 !== null)
    return v4Refusal(v4) || (RULES.own_hosts.includes(host) ? SAYS.kiln_itself : null);
  if (!NAME.test(host)) return SAYS.not_a_host;
  if (RULES.local_names.some((n) => host === n || host.endsWith(`.${n}`)))
    return SAYS.this_computer;
  if (RULES.local_suffixes.some((s) => host.endsWith(s))) return SAYS.local_network;
  if (RULES.own_hosts.includes(host)) return SAYS.kiln_itself;
  return host.includes(".") ? null : SAYS.single_label;
}

/** `{url, host}` for a URL a tool may ask to reach, or `{why}` (and the host) when never. */
export function check(href) {
  let url;
  try {
    url = new URL(href);
  } catch {
    return { host: "", why: SAYS.not_a_host };
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") {
    return { host: href.length > 100 ? `${href.slice(0, 100)}…` : href, why: SAYS.not_http };
  }
  if (url.hostname.endsWith(".") && url.hostname.length > 1)
    url.hostname = url.hostname.slice(0, -1);
  const why = hostRefusal(url.hostname);
  return why ? { host: url.hostname, why } : { host: url.hostname, url };
}

// -- messages -------------------------------------------------------------------

const isInt = (v) => Number.isInteger(v) && v >= 0 && v < 2 ** 31;
const isStr = (v, max) => typeof v === "string" && v.length <= max;
const isHeader = (h) =>
  Array.isArray(h) &&
  h.length === 2 &&
  isStr(h[0], 256) &&
  TOKEN.test(h[0]) &&
  isStr(h[1], 8192) &&
  !/[\0\r\n]/.test(h[1]);

/** The bridge's schema for `fetch` messages: a request, or the abort of one. */
export function validFetch(m) {
  if (m.abort === true) return isInt(m.id);
  return (
    isInt(m.id) &&
    isStr(m.url, 8192) &&
    isStr(m.method, 32) &&
    TOKEN.test(m.method) &&
    Array.isArray(m.headers) &&
    m.headers.length <= 100 &&
    m.headers.every(isHeader) &&
    (m.body === undefined || m.body === null || m.body instanceof Blob) &&
    (m.cache === undefined || CACHE_MODES.has(m.cache))
  );
}

// What the tool's fetch() rejects with (a TypeError, as a real network failure).
const FAILURES = {
  cors: (host) => `${host} does not let web pages call it directly (CORS)`,
  unreachable: (host) => `${host} could not be reached (no network, or no such host)`,
  redirect: (host, to) =>
    `${host} redirected the request to ${to || "another host"}, which this tool may not reach`,
  "too-large": (host) =>
    `The response from ${host} is larger than ${humanSize(RULES.max_response_bytes)}, ` +
    "the most Kiln hands a tool (KILN_NETWORK_MAX_RESPONSE_BYTES)",
  cut: (host) => `The connection to ${host} broke before the whole response arrived`,
  aborted: () => "The request was aborted",
  refused: (host) => `Kiln's relay for ${host} refused the request`,
};

// -- relays: one hidden document per allowed host -----------------------------------

class Relay {
  constructor(port, frame) {
    this.port = port;
    this.frame = frame;
    this.waiting = new Map();
    this.next = 1;
    this.streams = new Map(); // the relay's stream id -> what hears it (streams.js)
    port.onmessage = (e) => {
      if (e.data?.sid !== undefined) return this.streams.get(e.data.sid)?.(e.data);
      const resolve = this.waiting.get(e.data?.id);
      if (resolve) {
        this.waiting.delete(e.data.id);
        resolve(e.data);
      }
    };
  }

  /** `{answer, abort}`: the relay's answer (never rejects) and a way to stop it. */
  request(message) {
    const id = this.next++;
    const answer = new Promise((resolve) => {
      this.waiting.set(id, resolve);
      this.port.postMessage({ id, ...message });
    });
    return { answer, abort: () => this.port.postMessage({ id, abort: true }) };
  }

  close() {
    for (const resolve of this.waiting.values()) resolve({ ok: false, kind: "aborted" });
    for (const hear of this.streams.values()) hear({ on: "gone" });
    this.port.close();
    this.frame.remove();
  }
}

function openRelay(host) {
  return new Promise((resolve, reject) => {
    const frame = document.createElement("iframe");
    Object.assign(frame, {
      hidden: true,
      title: `Kiln's connection to ${host}`,
      referrerPolicy: "no-referrer",
    });
    frame.setAttribute("sandbox", "allow-scripts");
    frame.dataset.relay = host;
    frame.src = RULES.relay + encodeURIComponent(host);
    const timer = setTimeout(() => {
      frame.remove();
      reject(new Error("the relay did not start"));
    }, RELAY_START_MS);
    frame.addEventListener(
      "load",
      () => {
        const channel = new MessageChannel();
        channel.port1.onmessage = (e) => {
          if (e.data?.ready !== host) return;
          clearTimeout(timer);
          resolve(new Relay(channel.port1, frame));
        };
        frame.contentWindow.postMessage({ kiln: "relay" }, "*", [channel.port2]);
      },
      { once: true },
    );
    document.body.append(frame);
  });
}

// -- the channel ------------------------------------------------------------------

export class Network extends EventTarget {
  /** `hosts`: what this viewer already allowed this tool (from the server). */
  constructor({ artifactId, consent, hosts = [] }) {
    super();
    this.artifactId = artifactId;
    this.consent = consent;
    this.allowed = new Set(hosts);
    this.denied = new Set(); // for this visit
    this.refusals = 0; // the viewer's no's this visit, however many documents
    this.deciding = new Map(); // host -> the open question's answer
    this.asking = Promise.resolve(); // questions come one after another
    this.relays = new Map(); // host -> Promise<Relay>
    this.running = new Map(); // the bridge's request id -> abort()
    this.sent = []; // when the requests of the last minute went out
    this.count = 0;
  }

  /** A new document in the frame: what the old one started is dropped. */
  reset() {
    for (const abort of this.running.values()) abort();
    this.running.clear();
  }

  get hosts() {
    return [...this.allowed].sort();
  }

  async onFetch(message, port) {
    if (message.abort) {
      this.running.get(message.id)?.();
      return;
    }
    const reply = (answer, transfer = []) => {
      try {
        port?.postMessage(answer, transfer);
      } catch {
        /* closed */
      }
    };
    const entry = this.log(message.method, message.url);
    const fail = (error, outcome = "refused") => {
      this.settle(entry, { outcome, note: error });
      reply({ id: message.id, ok: false, error });
    };
    const found = check(message.url);
    if (found.why)
      return fail(
        `Kiln does not let tools reach ${found.host || "that address"}: it is ${found.why}`,
      );
    const { url, host } = found;
    const method = message.method.toUpperCase();
    if (FORBIDDEN_METHODS.has(method)) return fail(`Browsers do not send ${method} requests`);
    if (message.body && message.body.size > RULES.max_request_bytes) {
      return fail(
        `The request body is larger than ${humanSize(RULES.max_request_bytes)}, the most Kiln ` +
          "sends for a tool (KILN_NETWORK_MAX_REQUEST_BYTES)",
      );
    }
    let stop = null;
    let stopped = false;
    this.running.set(message.id, () => {
      stopped = true;
      stop?.();
    });
    try {
      const allowed = await this.decide(host, method, url);
      if (stopped) return fail(FAILURES.aborted(), "aborted");
      if (!allowed) return fail(`The viewer did not allow this tool to reach ${host}`, "denied");
      if (!this.withinRate()) {
        return fail(
          `This tool made more than ${RULES.per_minute} requests in a minute; Kiln refused ` +
            "this one (KILN_NETWORK_REQUESTS_PER_MINUTE)",
        );
      }
      let relay;
      try {
        relay = await this.relay(host);
      } catch {
        return fail(FAILURES.unreachable(host), "failed");
      }
      if (stopped) return fail(FAILURES.aborted(), "aborted");
      const pending = relay.request({
        url: url.href,
        method,
        headers: message.headers,
        body: message.body,
        cache: message.cache,
        max: RULES.max_response_bytes,
      });
      stop = pending.abort;
      const answer = await pending.answer;
      if (!answer.ok) {
        const why = FAILURES[answer.kind] || FAILURES.unreachable;
        return fail(why(host, answer.to), answer.kind === "aborted" ? "aborted" : "failed");
      }
      const { status, statusText, headers, body, redirected } = answer;
      this.settle(entry, { outcome: "done", status, bytes: body.byteLength });
      reply(
        {
          id: message.id,
          ok: true,
          value: { status, statusText, headers, body, redirected, url: answer.url },
        },
        [body],
      );
    } finally {
      this.running.delete(message.id);
    }
  }

  // Allowed (kept on the server) or denied (for this visit) hosts answer at
  // once; otherwise the viewer is asked, one host at a time, and every request
  // to that host waits for the one answer.
  decide(host, method, url) {
    if (this.allowed.has(host)) return Promise.resolve(true);
    if (this.denied.has(host)) return Promise.resolve(false);
    if (!this.deciding.has(host)) {
      const answer = this.asking.then(
        () => this.refusals < MAX_REFUSALS && this.ask(host, method, url),
      );
      this.asking = answer.catch(() => false);
      this.deciding.set(host, answer);
      answer.then((ok) => {
        this.deciding.delete(host);
        if (ok) {
          this.allow(host);
          return;
        }
        this.denied.add(host);
        this.refusals += 1;
      });
    }
    return this.deciding.get(host);
  }

  async ask(host, method, url) {
    // Another capability's question is open: this one waits its turn.
    while (this.consent.busy) {
      await new Promise((resolve) =>
        this.consent.dialog.addEventListener("close", resolve, { once: true }),
      );
    }
    const path = `${url.pathname}${url.search}`;
    return this.consent.ask(
      `Let this tool connect to ${host}?`,
      `${method} ${path.length > 300 ? `${path.slice(0, 300)}…` : path}`,
      "Allow",
      {
        deny: "Deny",
        note:
          `Your browser will send ${host} the requests this tool makes, with whatever the tool puts ` +
          "in them. Allow is kept for this tool until you remove it; Deny lasts until you leave this page.",
      },
    );
  }

  allow(host) {
    this.allowed.add(host);
    this.dispatchEvent(new CustomEvent("hosts"));
    // Kept on the server for this tool and viewer; should that fail, the answer still holds here.
    post(kilnUrl("network_hosts", { artifact_id: this.artifactId }), { host }).catch(() => {});
  }

  async revoke(host) {
    this.allowed.delete(host);
    this.denied.delete(host);
    const relay = this.relays.get(host);
    this.relays.delete(host);
    relay?.then(
      (r) => r.close(),
      () => {},
    );
    this.dispatchEvent(new CustomEvent("hosts"));
    await del(kilnUrl("network_host", { artifact_id: this.artifactId, host }));
  }

  relay(host) {
    if (!this.relays.has(host)) {
      const opening = openRelay(host);
      this.relays.set(host, opening);
      opening.catch(() => {
        if (this.relays.get(host) === opening) this.relays.delete(host);
      });
    }
    return this.relays.get(host);
  }

  withinRate() {
    const now = performance.now();
    while (this.sent.length && now - this.sent[0] > 60_000) this.sent.shift();
    if (this.sent.length >= RULES.per_minute) return false;
    this.sent.push(now);
    return true;
  }

  // -- the network panel's record -------------------------------------------------
  log(method, url) {
    const entry = {
      n: ++this.count,
      method: String(method).toUpperCase(),
      url,
      started: performance.now(),
      outcome: "waiting",
      status: null,
      bytes: null,
      ms: null,
      note: "",
    };
    this.dispatchEvent(new CustomEvent("request", { detail: entry }));
    return entry;
  }

  settle(entry, change) {
    Object.assign(entry, change, { ms: Math.round(performance.now() - entry.started) });
    this.dispatchEvent(new CustomEvent("settled", { detail: entry }));
  }
}
