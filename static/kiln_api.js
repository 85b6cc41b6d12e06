// The parent side of window.kiln: a tool's model calls and saved data, asked of
// Kiln's API on the tool's behalf, for the tool this page frames (never for one
// a message names). Nothing here is a permission: the server checks every one
// again. This page only asks the viewer (the server remembers a yes, per tool)
// and forwards the answer's tokens to the frame as they arrive.

import { config } from "./config.js";
import { kilnUrl } from "./urls.js";

const MAX_KEY = config.data_max_key_chars;
const MAX_VALUE = config.data_max_value_bytes;
const MAX_PROMPT = config.ai_max_prompt_chars;
const MAX_SNAPSHOT = config.indexeddb_max_bytes;
const MAX_AT_ONCE = 16; // requests of one tool in flight; more are refused at once
const OPS = new Set(config.data_ops);
const SCOPES = new Set(config.data_scopes);
const MAX_TURNS = config.ai_max_turns;

const isInt = (v) => Number.isInteger(v) && v >= 0 && v < 2 ** 31;
const optional = (v, test) => v === undefined || test(v);
const isText = (v) => typeof v === "string";

// Shapes only: sizes are answered with a readable refusal, not dropped unread.
export const KILN_SCHEMA = {
  complete: (m) =>
    isInt(m.id) &&
    typeof m.stream === "boolean" &&
    optional(m.prompt, isText) &&
    optional(m.system, isText) &&
    optional(m.max_tokens, isInt) &&
    optional(
      m.messages,
      (list) =>
        Array.isArray(list) &&
        list.length <= MAX_TURNS &&
        list.every((t) => t && isText(t.role) && isText(t.content)),
    ),
  data: (m) =>
    isInt(m.id) &&
    SCOPES.has(m.scope) &&
    OPS.has(m.op) &&
    optional(m.key, isText) &&
    optional(m.value, isText) &&
    optional(m.prefix, isText) &&
    optional(m.if_revision, isInt),
  indexeddb: (m) => isText(m.snapshot) && m.snapshot.length <= MAX_SNAPSHOT,
};

const CONSENT = {
  ai: [
    "This tool wants to use Kiln's model",
    "It sends the model text of its own, which may include what you type into it. " +
      "If you allow it, Kiln remembers that for this tool.",
  ],
  shared: [
    "This tool shares what you save with everyone who opens it",
    "Anyone with its link can read and change what you save in it. " +
      "If you allow it, Kiln remembers that for this tool.",
  ],
};
const DENIED = {
  ai: "You did not allow this tool to use Kiln's model.",
  shared: "You did not allow this tool to share what you save.",
};
// What a refusal means, when the server's answer does not say.
const CODES = {
  400: "bad_request",
  403: "not_allowed",
  404: "not_found",
  409: "conflict",
  413: "too_large",
  429: "rate_limited",
  503: "unavailable",
};

class Refusal extends Error {
  constructor(message, code, setting) {
    super(message);
    this.code = code;
    this.setting = setting;
  }
}

async function refusalOf(response) {
  let data = {};
  try {
    data = await response.json();
  } catch {
    /* a proxy's page, say */
  }
  return new Refusal(
    data.error || `Kiln answered ${response.status}.`,
    data.code || CODES[response.status] || "unavailable",
    data.setting,
  );
}

/** Kiln kept none of what a tool saved (a cap or a quota, or the save was too
 * big): the page says so, once for each reason until a save is kept again
 * (see Bridge's "storage-refused"). The tool is told too where it asked. */
export async function reportRefusedSave(bridge, response) {
  if (response.ok) {
    bridge.dispatchEvent(new CustomEvent("storage-kept"));
    return;
  }
  let data = {};
  try {
    data = await response.clone().json();
  } catch {
    /* a proxy's page, say */
  }
  if (response.status !== 413 && response.status !== 429) return;
  bridge.dispatchEvent(
    new CustomEvent("storage-refused", {
      detail: {
        message: data.error || `Kiln answered ${response.status}.`,
        reason: data.setting || String(response.status),
      },
    }),
  );
}

function utf8Length(text) {
  return new TextEncoder().encode(text).length;
}

export class KilnApi {
  constructor(bridge) {
    this.bridge = bridge;
    this.running = 0;
    this.asking = new Map(); // grant → the answer of the dialog that is open for it
    this.denied = new Set(); // grants refused in this document: not asked again
    this.inFlight = new Set(); // AbortControllers
    this.snapshot = null; // the newest IndexedDB snapshot not yet sent
    this.savingSnapshot = null;
    // A new document: what the old one asked for is no longer wanted.
    bridge.addEventListener("connected", () => {
      for (const controller of this.inFlight) controller.abort();
      this.denied.clear();
    });
  }

  /** Kiln's address `name` (static/urls.js) for the tool this page frames. */
  address(name, parts = {}) {
    return kilnUrl(name, { ...parts, artifact_id: this.bridge.artifactId });
  }

  send(method, address, body, signal) {
    return fetch(address, {
      method,
      signal,
      credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-CSRFToken": this.bridge.csrfToken },
      body: typeof body === "string" ? body : JSON.stringify(body),
    });
  }

  /** POST, asking the viewer for `grant` when the server wants their consent first. */
  async request(address, body, grant, signal) {
    let response = await this.send("POST", address, body, signal);
    if (response.status === 403 && grant) {
      const why = await refusalOf(response.clone());
      if (why.code === "consent") {
        if (!(await this.agree(grant))) throw new Refusal(DENIED[grant], "denied");
        response = await this.send("POST", address, body, signal);
      }
    }
    if (!response.ok) throw await refusalOf(response);
    return response;
  }

  agree(grant) {
    if (this.denied.has(grant)) return Promise.resolve(false);
    if (!this.asking.has(grant)) {
      // calls made together wait for the one answer
      const [title, detail] = CONSENT[grant];
      this.asking.set(
        grant,
        this.bridge.consent
          .ask(title, detail, "Allow", { deny: "Deny", prose: true })
          .then(async (ok) => {
            if (!ok) {
              this.denied.add(grant);
              return false;
            }
            return (await this.send("POST", this.address("grants"), { grant })).ok;
          })
          .finally(() => this.asking.delete(grant)),
      );
    }
    return this.asking.get(grant);
  }

  /** Run `work(port, signal)` for one request of the frame; answer it on the port it came by. */
  async serve(message, work) {
    const port = this.bridge.port;
    if (this.running >= MAX_AT_ONCE) {
      port?.postMessage({
        id: message.id,
        ok: false,
        code: "busy",
        error: "The tool has too many requests running; wait for one to end.",
      });
      return;
    }
    const controller = new AbortController();
    this.running += 1;
    this.inFlight.add(controller);
    try {
      port?.postMessage({ id: message.id, ok: true, value: await work(port, controller.signal) });
    } catch (e) {
      const code = e instanceof Refusal ? e.code : "unavailable";
      const error =
        e instanceof Refusal
          ? e.message
          : "Kiln could not be reached. Check that it is still running, then try again.";
      port?.postMessage({ id: message.id, ok: false, error, code });
    } finally {
      this.running -= 1;
      this.inFlight.delete(controller);
    }
  }

  complete(message) {
    return this.serve(message, async (port, signal) => {
      const { prompt, system, messages, max_tokens } = message;
      const chars =
        (prompt || "").length +
        (system || "").length +
        (messages || []).reduce((n, t) => n + t.content.length, 0);
      if (chars > MAX_PROMPT) {
        throw new Refusal(
          `The prompt is ${chars.toLocaleString("en")} characters; the limit is ` +
            `${MAX_PROMPT.toLocaleString("en")}.`,
          "too_large",
        );
      }
      const response = await this.request(
        this.address("complete"),
        { prompt, system, messages, max_tokens },
        "ai",
        signal,
      );
      const end = await readAnswer(response, (text) => {
        if (message.stream) port?.postMessage({ event: "kiln-token", call: message.id, text });
      });
      if (end.error !== undefined) throw new Refusal(end.error, end.code || "model");
      return { text: end.text };
    });
  }

  data(message) {
    return this.serve(message, async (_port, signal) => {
      const { scope, op, key, value, prefix, if_revision } = message;
      if ((key || "").length > MAX_KEY || (prefix || "").length > MAX_KEY) {
        throw new Refusal(`A storage key is at most ${MAX_KEY} characters.`, "bad_key");
      }
      if (value !== undefined && value.length > MAX_VALUE && utf8Length(value) > MAX_VALUE) {
        throw new Refusal(
          `The value of ${JSON.stringify(key)} is ${utf8Length(value).toLocaleString("en")} ` +
            `bytes; the limit is ${MAX_VALUE.toLocaleString("en")}.`,
          "too_large",
        );
      }
      const shares = scope === "shared" && (op === "set" || op === "delete");
      let response;
      try {
        response = await this.request(
          this.address("data", { scope }),
          { op, key, value, prefix, if_revision },
          shares ? "shared" : null,
          signal,
        );
      } catch (e) {
        // A cap or quota of the installation's: the tool hears why, the person too.
        if (e instanceof Refusal && e.setting) {
          this.bridge.dispatchEvent(
            new CustomEvent("storage-refused", {
              detail: { message: e.message, reason: e.setting },
            }),
          );
        }
        throw e;
      }
      if (op === "set") reportRefusedSave(this.bridge, response);
      return response.json();
    });
  }

  /** The newest snapshot wins; one request at a time. */
  async indexeddb(message) {
    this.snapshot = message.snapshot;
    if (this.savingSnapshot) return;
    while (this.snapshot !== null) {
      const body = this.snapshot;
      this.snapshot = null;
      this.savingSnapshot = this.send("PUT", this.address("indexeddb"), body).then(
        async (r) => {
          await reportRefusedSave(this.bridge, r);
          return r.status;
        },
        () => 0,
      );
      const status = await this.savingSnapshot;
      this.bridge.dispatchEvent(new CustomEvent("indexeddb-saved", { detail: status }));
    }
    this.savingSnapshot = null;
  }
}

/** Read the answer's JSON lines: `onText` for the tokens of each chunk, then the last line. */
async function readAnswer(response, onText) {
  const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
  let buffer = "";
  for (;;) {
    const { value, done } = await reader.read();
    if (done) break;
    buffer += value;
    const lines = buffer.split("\n");
    buffer = lines.pop();
    let text = "",
      end = null;
    for (const line of lines.filter(Boolean)) {
      const event = JSON.parse(line);
      if (typeof event.token === "string") text += event.token;
      else end = event.done ? event : { error: String(event.error), code: event.code };
    }
    if (text) onText(text);
    if (end) return end;
  }
  return {
    error: "The answer was cut off: the connection to Kiln closed before it ended.",
    code: "model",
  };
}
