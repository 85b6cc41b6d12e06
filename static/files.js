// The parent side of kiln.files (the bootstrap's 77-files.js): the files attached
// to the tool this page frames, read from Kiln's files API on the app origin and
// handed to the frame over the port. The frame may connect nowhere; this page
// asks the API as the viewer (who may open the tool, the API decides), and only
// ever for this page's tool (bridge.artifactId) at the version its frame runs
// (the frame's own address, never the message). A read streams the response body
// and posts it on as transferred ArrayBuffer chunks ("kiln-file-chunk" events),
// then the reply with the file's details. No consent: the files are the tool's
// own, shown to everyone who can open it.

import { kilnUrl } from "./urls.js";

export const CHUNK_BYTES = 1024 * 1024; // at least 256 KB: few messages, no copy of the whole
const MAX_NAME = 1000; // Kiln keeps names of at most 120 characters; longer ones are no file
const READS_AT_ONCE = 4; // more wait their turn
const READS_WAITING = 64; // more than that are refused at once
const RAW_PATH = /^\/raw\/([^/]+)\/(\d+)$/;

const isInt = (v) => Number.isInteger(v) && v >= 0 && v < 2 ** 31;

export function validFiles(m) {
  return (
    isInt(m.id) &&
    ((m.op === "list" && m.name === undefined) ||
      (m.op === "read" && typeof m.name === "string" && m.name.length <= MAX_NAME))
  );
}

class Refusal extends Error {
  constructor(message, code) {
    super(message);
    this.code = code;
  }
}

const UNREACHABLE =
  "Kiln could not be reached for the tool's files. Check that it is still running, then try again.";

/** The tool and version a frame address runs: /raw/<artifact>/<number> on the sandbox origin. */
export function frameVersion(src, artifactId) {
  let path;
  try {
    path = new URL(src).pathname;
  } catch {
    return null;
  }
  const match = RAW_PATH.exec(path);
  if (!match) return null;
  let id;
  try {
    id = decodeURIComponent(match[1]);
  } catch {
    return null;
  }
  if (id !== artifactId) return null;
  const number = Number(match[2]);
  return isInt(number) && number > 0 ? number : null;
}

async function refusalOf(response) {
  let data = {};
  try {
    data = await response.json();
  } catch {
    /* a proxy's page, say */
  }
  const codes = { 403: "not_allowed", 404: "not_found", 410: "gone", 429: "rate_limited" };
  return new Refusal(
    data.error || `Kiln answered ${response.status} for the tool's files.`,
    codes[response.status] || data.code || "unavailable",
  );
}

export class Files {
  constructor(bridge) {
    this.bridge = bridge;
    this.listing = null; // {number, files: Promise} for the document now in the frame
    this.running = 0;
    this.waiting = [];
    this.inFlight = new Set(); // AbortControllers
    // A new document: what the old one asked for is no longer wanted, and the
    // version may be another.
    bridge.addEventListener("connected", () => this.reset());
  }

  reset() {
    for (const controller of this.inFlight) controller.abort();
    this.inFlight.clear();
    for (const start of this.waiting.splice(0)) start(false);
    this.listing = null;
  }

  /** The version the frame runs, or a refusal (a draft, a frame that shows no version). */
  version() {
    const number = frameVersion(this.bridge.frame.src, this.bridge.artifactId);
    if (number === null) {
      throw new Refusal(
        "kiln.files works once the tool is finished, in the frame of one of its versions.",
        "unavailable",
      );
    }
    return number;
  }

  address(name, parts) {
    return kilnUrl(name, { ...parts, artifact_id: this.bridge.artifactId });
  }

  /** The version's files, asked once per document. */
  list(number) {
    if (!this.listing || this.listing.number !== number) {
      const files = this.fetchList(number);
      this.listing = { number, files };
      files.catch(() => {
        if (this.listing?.files === files) this.listing = null; // asked again next time
      });
    }
    return this.listing.files;
  }

  async fetchList(number) {
    let response;
    try {
      response = await fetch(this.address("files", { number }), {
        credentials: "same-origin",
        headers: { Accept: "application/json" },
      });
    } catch {
      throw new Refusal(UNREACHABLE, "unavailable");
    }
    if (!response.ok) throw await refusalOf(response);
    const data = await response.json();
    if (!data || !Array.isArray(data.files)) throw new Refusal(UNREACHABLE, "unavailable");
    return data.files.map((f) => ({
      name: String(f.name),
      kind: String(f.kind),
      size: Number(f.size),
      mime: String(f.mime || "application/octet-stream"),
      encoding: f.encoding ? String(f.encoding) : null,
    }));
  }

  /** The bridge's handler for {type: "files", op: "list" | "read"}. */
  async onFiles(message) {
    const port = this.bridge.port;
    if (!port) return;
    try {
      const number = this.version();
      const files = await this.list(number);
      if (message.op === "list") {
        const value = files.map(({ name, kind, size }) => ({ name, kind, size }));
        port.postMessage({ id: message.id, ok: true, value });
        return;
      }
      const file = files.find((f) => f.name === message.name);
      // Only a name the version lists is ever asked for: no other path can be made of one.
      if (!file) throw new Refusal(`No file named ${JSON.stringify(message.name)}.`, "not_found");
      await this.read(number, file, message.id, port);
      port.postMessage({ id: message.id, ok: true, value: { ...file } });
    } catch (e) {
      const refused = e instanceof Refusal;
      port.postMessage({
        id: message.id,
        ok: false,
        code: refused ? e.code : "unavailable",
        error: refused ? e.message : UNREACHABLE,
      });
    }
  }

  /** Wait for a turn among the reads at once; false if the document went meanwhile. */
  turn() {
    if (this.running < READS_AT_ONCE) {
      this.running += 1;
      return Promise.resolve(true);
    }
    if (this.waiting.length >= READS_WAITING) {
      return Promise.reject(
        new Refusal("The tool is reading too many files at once; wait for one to end.", "busy"),
      );
    }
    return new Promise((resolve) => {
      this.waiting.push((ok) => {
        if (ok) this.running += 1;
        resolve(ok);
      });
    });
  }

  done() {
    this.running -= 1;
    const next = this.waiting.shift();
    if (next) next(true);
  }

  async read(number, file, id, port) {
    if (!(await this.turn())) throw new Refusal("The tool was reloaded.", "unavailable");
    const controller = new AbortController();
    this.inFlight.add(controller);
    try {
      let response;
      try {
        response = await fetch(this.address("file", { number, name: file.name }), {
          credentials: "same-origin",
          signal: controller.signal,
        });
      } catch {
        throw new Refusal(UNREACHABLE, "unavailable");
      }
      if (!response.ok) throw await refusalOf(response);
      await sendChunks(response.body.getReader(), file, id, port);
    } catch (e) {
      if (controller.signal.aborted) throw new Refusal("The tool was reloaded.", "unavailable");
      throw e;
    } finally {
      this.inFlight.delete(controller);
      this.done();
    }
  }
}

/** The body as chunks of CHUNK_BYTES (the last one shorter), each transferred. */
async function sendChunks(reader, file, id, port) {
  let chunk = new Uint8Array(Math.min(CHUNK_BYTES, file.size));
  let filled = 0;
  let total = 0;
  const send = (bytes) =>
    port.postMessage({ event: "kiln-file-chunk", call: id, chunk: bytes.buffer }, [bytes.buffer]);
  for (;;) {
    const { value, done } = await reader.read();
    if (done) break;
    total += value.byteLength;
    if (total > file.size) {
      reader.cancel().catch(() => {});
      throw new Refusal(`The file ${JSON.stringify(file.name)} changed while read.`, "unavailable");
    }
    let at = 0;
    while (at < value.byteLength) {
      const n = Math.min(chunk.byteLength - filled, value.byteLength - at);
      chunk.set(value.subarray(at, at + n), filled);
      filled += n;
      at += n;
      if (filled === chunk.byteLength) {
        send(chunk);
        chunk = new Uint8Array(Math.min(CHUNK_BYTES, file.size - total + (value.byteLength - at)));
        filled = 0;
      }
    }
  }
  if (total !== file.size) {
    throw new Refusal(`The file ${JSON.stringify(file.name)} arrived cut short.`, "unavailable");
  }
}
