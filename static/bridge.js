// The parent side of the artifact bridge. The artifact runs in an opaque origin
// and talks to this page only through a MessageChannel port handed to the frame
// we created; every message is validated, and anything that reaches outside the
// sandbox (a file, the clipboard, a link) waits for the viewer's consent.

import { config } from "./config.js";
import { isMirrorPath, onMirror } from "./mirror_fetch.js";
import { UrlState, validUrlState, withToken } from "./url_state.js";
import { KILN_SCHEMA, KilnApi, reportRefusedSave } from "./kiln_api.js";
import { Network, validFetch } from "./network.js";
import { Streams, validStream } from "./streams.js";
import { Media, validMedia } from "./media.js";
import { Files, validFiles } from "./files.js";
import { FrameFit } from "./frame_fit.js";
import { recordedStep } from "./recorder.js";
import { Consent, measure } from "./consent.js";
import { humanSize } from "./format.js";
import { kilnUrl } from "./urls.js";

// The errors a tool reports: their kinds, how many are kept, how long each may be
// (artifacts/tool_errors.py; the bootstrap cuts them to these lengths).
const ERRORS = config.errors;
const ERROR_KINDS = new Set(ERRORS.kinds);
const MAX_FILE_BYTES = 50 * 1024 * 1024;
const MAX_CLIPBOARD_CHARS = 1024 * 1024;
const STORAGE_QUOTA = config.storage_quota;

const isInt = (v) => Number.isInteger(v) && v >= 0 && v < 2 ** 31;
const isStr = (v, max) => typeof v === "string" && v.length <= max;

// Each message type has a validator; anything else is dropped unread.
const SCHEMA = {
  error: (m) =>
    ERROR_KINDS.has(m.kind) &&
    isStr(m.message, ERRORS.max_message) &&
    (m.line === undefined || isInt(m.line)) &&
    (m.column === undefined || isInt(m.column)) &&
    (m.source === undefined || isStr(m.source, ERRORS.max_source)) &&
    (m.input === undefined || m.input === true),
  storage: (m) =>
    m.data !== null &&
    typeof m.data === "object" &&
    !Array.isArray(m.data) &&
    Object.values(m.data).every((v) => typeof v === "string") &&
    storageSize(m.data) <= STORAGE_QUOTA,
  download: (m) =>
    isInt(m.id) &&
    isStr(m.name, 500) &&
    ((m.data instanceof Blob && m.data.size <= MAX_FILE_BYTES && isStr(m.mime, 200)) ||
      (isStr(m.url, MAX_FILE_BYTES * 1.4) && /^data:/i.test(m.url))),
  clipboard: (m) => isInt(m.id) && isStr(m.text, MAX_CLIPBOARD_CHARS),
  paste: (m) => isInt(m.id),
  open: (m) => isInt(m.id) && isStr(m.url, 8000),
  // Asking for full screen waits for an answer; leaving it does not.
  fullscreen: (m) => (m.on === true && isInt(m.id)) || (m.on === false && m.id === undefined),
  mirror: (m) => isInt(m.id) && isMirrorPath(m.path),
  url: (m) => validUrlState(m),
  complete: KILN_SCHEMA.complete,
  data: KILN_SCHEMA.data,
  indexeddb: KILN_SCHEMA.indexeddb,
  fetch: (m) => validFetch(m),
  stream: (m) => validStream(m),
  media: (m) => validMedia(m),
  files: (m) => validFiles(m),
  height: (m) => isInt(m.height),
  recorded: (m) => recordedStep(m.step),
  recording: (m) => typeof m.on === "boolean" && typeof m.picking === "boolean",
};

function storageSize(data) {
  let n = 0;
  for (const [k, v] of Object.entries(data)) n += k.length + v.length;
  return n * 2;
}

export function validate(message) {
  if (!message || typeof message !== "object" || !Object.hasOwn(SCHEMA, message.type)) return false;
  try {
    return SCHEMA[message.type](message) === true;
  } catch {
    return false;
  }
}

// What a file's name loses: control characters, and what some file systems refuse.
// eslint-disable-next-line no-control-regex -- the control characters are what it finds
const NOT_IN_NAMES = /[\u0000-\u001f\u007f<>:"|?*]/g;

export function safeFileName(name) {
  const cleaned = String(name).split(/[\\/]/).pop().replace(NOT_IN_NAMES, "").trim();
  return cleaned.replace(/^\.+/, "").slice(0, 120) || "download";
}

export function safeLink(url) {
  try {
    const parsed = new URL(url);
    return parsed.protocol === "http:" || parsed.protocol === "https:" ? parsed.href : null;
  } catch {
    return null;
  }
}

function dataUrlToBlob(url) {
  const comma = url.indexOf(",");
  const meta = url.slice(5, comma);
  const body = url.slice(comma + 1);
  const mime = meta.split(";")[0] || "text/plain";
  if (/;base64/i.test(meta)) {
    const bytes = Uint8Array.from(atob(body), (c) => c.charCodeAt(0));
    return new Blob([bytes], { type: mime });
  }
  return new Blob([decodeURIComponent(body)], { type: mime });
}

export class Bridge extends EventTarget {
  constructor(
    frame,
    { artifactId, csrfToken, consentDialog, networkHosts = [], mediaGrants = [] },
  ) {
    super();
    this.frame = frame;
    this.artifactId = artifactId;
    this.csrfToken = csrfToken;
    this.consent = new Consent(consentDialog);
    this.urlState = new UrlState(frame, () => this.freshToken());
    this.network = new Network({ artifactId, consent: this.consent, hosts: networkHosts });
    this.streams = new Streams(this.network); // WebSocket and EventSource, through the same relays
    this.media = new Media({
      artifactId,
      consent: this.consent,
      granted: mediaGrants,
      send: (message, transfer) => this.port?.postMessage(message, transfer),
    });
    this.port = null;
    this.errors = [];
    this.saving = null;
    this.nextStorage = null;
    this.kiln = new KilnApi(this); // window.kiln: model calls and saved data
    this.files = new Files(this); // kiln.files: the tool's attached files
    this.fit = new FrameFit(frame);
    this.scheme = "normal"; // Kiln's theme, for the tool's color-scheme
    window.addEventListener("message", (event) => this.onWindowMessage(event));
    document.addEventListener("fullscreenchange", () => {
      if (!document.fullscreenElement) this.notify("fullscreen-exited");
    });
    // The frame may have said hello before this module ran: ask it again.
    const ping = () => this.frame.contentWindow?.postMessage({ kiln: "ping" }, "*");
    this.frame.addEventListener("load", ping);
    ping();
  }

  onWindowMessage(event) {
    // Sandboxed frames post with origin "null": identify the sender by its window.
    if (event.source !== this.frame.contentWindow) return;
    if (!event.data || event.data.kiln !== "hello") return;
    // One channel per document: a second hello from the same one (it answers our
    // ping too) must not orphan the port already on its way.
    if (this.port && event.data.doc === this.doc) return;
    this.doc = event.data.doc;
    if (this.port) this.port.close();
    const channel = new MessageChannel();
    this.port = channel.port1;
    this.port.onmessage = (e) => this.onMessage(e.data);
    this.frame.contentWindow.postMessage({ kiln: "port" }, "*", [channel.port2]);
    this.errors = [];
    // Refusals are not forgotten here: a tool could say hello again, or reload
    // itself, to be asked anew. They last for the visit of this page.
    this.network.reset();
    this.streams.reset();
    this.media.reset();
    this.fit.reset();
    if (this.scheme !== "normal") this.notify("theme", { scheme: this.scheme });
    this.dispatchEvent(new CustomEvent("connected"));
  }

  /** Kiln's theme ("light", "dark", or "normal": the system's) for the tool. */
  setTheme(scheme) {
    this.scheme = scheme;
    this.notify("theme", { scheme });
  }

  reply(id, ok, error, text) {
    if (this.port) this.port.postMessage({ id, ok, error, text });
  }

  onMessage(message) {
    if (!validate(message)) return;
    const handler = {
      error: () => this.onError(message),
      storage: () => this.onStorage(message.data),
      download: () => this.onDownload(message),
      clipboard: () => this.onClipboard(message),
      paste: () => this.onPaste(message),
      open: () => this.onOpen(message),
      fullscreen: () => this.onFullscreen(message),
      mirror: () => onMirror(this, message),
      url: () => this.urlState.onReport(message),
      complete: () => this.kiln.complete(message),
      data: () => this.kiln.data(message),
      indexeddb: () => this.kiln.indexeddb(message),
      fetch: () => this.network.onFetch(message, this.port),
      stream: () => this.streams.onStream(message, this.port),
      media: () => this.media.onMedia(message, this.port),
      files: () => this.files.onFiles(message),
      height: () => this.fit.onHeight(message.height),
      recorded: () => this.dispatchEvent(new CustomEvent("recorded", { detail: message.step })),
      recording: () => this.dispatchEvent(new CustomEvent("recording", { detail: message })),
    }[message.type];
    handler();
  }

  /** Tell the frame something unasked ({event: NAME, ...}; see parentEvents in the bootstrap). */
  notify(event, data = {}) {
    this.port?.postMessage({ ...data, event });
  }

  /** A fresh run of the tool (none while its first version is being written), with
   *  a fresh storage token: the one in the page's address has been used. */
  async reload() {
    const src = this.frame.dataset.frameSrc;
    if (!src) return;
    const token = await this.freshToken();
    this.frame.src = token ? withToken(src, token) : src;
  }

  /** A new storage token for this viewer's next load of the frame (null if the
   *  server gave none: the tool then runs without its saved storage). */
  async freshToken() {
    try {
      const response = await fetch(kilnUrl("frame_token", { artifact_id: this.artifactId }), {
        method: "POST",
        credentials: "same-origin",
        headers: { "X-CSRFToken": this.csrfToken },
      });
      if (!response.ok) return null;
      const { token } = await response.json();
      return typeof token === "string" ? token : null;
    } catch {
      return null;
    }
  }

  onError(message) {
    if (this.errors.length >= ERRORS.max_reported) return;
    const error = {
      kind: message.kind,
      message: message.message,
      line: message.line || 0,
      column: message.column || 0,
      input: message.input === true,
    };
    this.errors.push(error);
    this.dispatchEvent(new CustomEvent("artifact-error", { detail: error }));
  }

  async onStorage(data) {
    // Keep the newest snapshot; at most one request in flight.
    this.nextStorage = data;
    if (this.saving) return;
    while (this.nextStorage) {
      const body = JSON.stringify({ data: this.nextStorage });
      this.nextStorage = null;
      this.saving = fetch(kilnUrl("storage", { artifact_id: this.artifactId }), {
        method: "PUT",
        body,
        credentials: "same-origin",
        headers: { "Content-Type": "application/json", "X-CSRFToken": this.csrfToken },
      })
        .then(async (r) => {
          await reportRefusedSave(this, r);
          this.dispatchEvent(new CustomEvent("storage-saved", { detail: r.status }));
        })
        .catch(() => this.dispatchEvent(new CustomEvent("storage-saved", { detail: 0 })));
      await this.saving;
      this.saving = null;
    }
  }

  async onDownload(message) {
    const blob = message.data instanceof Blob ? message.data : dataUrlToBlob(message.url);
    if (blob.size > MAX_FILE_BYTES) return this.reply(message.id, false, "File too large");
    const name = safeFileName(message.name);
    const ok = await this.consent.ask(
      "Save a file from this tool?",
      `${name} (${humanSize(blob.size, "bytes")})`,
      "Save file",
    );
    if (!ok) return this.reply(message.id, false, "The viewer declined");
    const url = URL.createObjectURL(blob);
    const a = document.createElement("a");
    a.href = url;
    a.download = name;
    document.body.append(a);
    a.click();
    a.remove();
    setTimeout(() => URL.revokeObjectURL(url), 30_000);
    this.reply(message.id, true);
  }

  async onClipboard(message) {
    // The whole text, as it will be pasted: a tail hidden after a run of spaces shows too.
    const { chars, lines } = measure(message.text);
    const ok = await this.consent.ask(
      `Copy ${chars.toLocaleString("en")} character${chars === 1 ? "" : "s"} to your clipboard?`,
      message.text,
      "Copy",
      {
        note:
          `The whole text, ${lines.toLocaleString("en")} line${lines === 1 ? "" : "s"}: ` +
          "· marks a space, → a tab, ↵ a line break, and boxed names the characters that show as nothing.",
      },
    );
    if (!ok) return this.reply(message.id, false, "The viewer declined");
    try {
      await navigator.clipboard.writeText(message.text);
      this.reply(message.id, true);
    } catch {
      this.reply(message.id, false, "The browser refused the clipboard");
    }
  }

  // No consent dialog: like any web page, the tool goes full screen on the
  // viewer's click (the browser insists on it, and shows how to leave).
  async onFullscreen(message) {
    if (!message.on) {
      if (document.fullscreenElement) document.exitFullscreen().catch(() => {});
      return;
    }
    const target = this.frame.closest("[data-viewport]") || this.frame;
    try {
      await target.requestFullscreen();
      this.reply(message.id, true);
    } catch {
      this.reply(message.id, false, "The browser refused full screen");
    }
  }

  async onPaste(message) {
    const ok = await this.consent.ask(
      "Let this tool read your clipboard?",
      "It will get the text you copied last.",
      "Paste",
    );
    if (!ok) return this.reply(message.id, false, "The viewer declined");
    try {
      const text = await navigator.clipboard.readText();
      if (text.length > MAX_CLIPBOARD_CHARS)
        return this.reply(message.id, false, "The clipboard holds too much text");
      this.reply(message.id, true, undefined, text);
    } catch {
      this.reply(message.id, false, "The browser refused the clipboard");
    }
  }

  async onOpen(message) {
    const url = safeLink(message.url);
    if (!url) return this.reply(message.id, false, "Only http and https links can be opened");
    const ok = await this.consent.ask("Open this link in a new tab?", url, "Open link");
    if (!ok) return this.reply(message.id, false, "The viewer declined");
    window.open(url, "_blank", "noopener,noreferrer");
    this.reply(message.id, true);
  }
}
