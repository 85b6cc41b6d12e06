// The parent side of the frame's fetch() of the library mirror (the bootstrap's
// 72-mirror-fetch.js). The frame may connect nowhere, so Kiln's page reads the
// file from the sandbox origin's /lib/ (served to any origin, and cached as
// immutable) and hands back its bytes. Only paths under /lib/, only GET, at
// most config.max_fetch_bytes; no consent: the mirror is Kiln's own, and this
// is no network use of the tool's.

import { config } from "./config.js";

const PREFIX = config.mirror_prefix;
const MAX_BYTES = config.max_fetch_bytes;

// A plain /lib/ path: no scheme or host, no dot segments, no query, no escapes
// that could turn into either once the server decodes them.
export function isMirrorPath(path) {
  return (
    typeof path === "string" &&
    path.length <= 1000 &&
    path.startsWith(PREFIX) &&
    /^[A-Za-z0-9@/._+~-]+$/.test(path) &&
    !path.split("/").some((s) => s === "." || s === "..")
  );
}

export async function readMirror(sandboxOrigin, path) {
  const response = await fetch(sandboxOrigin + path, { credentials: "omit", redirect: "error" });
  const length = Number(response.headers.get("Content-Length") || 0);
  if (length > MAX_BYTES) throw new Error("Too large for the library mirror's fetch");
  // Only files: the mirror's 404s carry no CORS header, so they fail as above.
  if (!response.ok) throw new Error(`The library mirror answered ${response.status}`);
  const body = await response.arrayBuffer();
  if (body.byteLength > MAX_BYTES) throw new Error("Too large for the library mirror's fetch");
  return { mime: response.headers.get("Content-Type") || "", body };
}

// The bridge's handler: replies {id, ok, value: {mime, body}}; the body
// is transferred, not copied.
export async function onMirror(bridge, message) {
  const origin = new URL(bridge.frame.src).origin;
  try {
    const file = await readMirror(origin, message.path);
    bridge.port?.postMessage({ id: message.id, ok: true, value: file }, [file.body]);
  } catch (error) {
    bridge.reply(message.id, false, String(error.message || error));
  }
}
