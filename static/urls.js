// Every address of Kiln's that its pages ask, built from the shape of the server's
// own route (web/client.py puts them in #kiln-config as "/api/artifacts/{artifact_id}"):
// no page writes an address of Kiln's by hand.
import { config } from "./config.js";

const SHAPES = config.urls;

/** The address `name` with each {part} of its shape filled in, escaped:
 *  kilnUrl("checks", { artifact_id: "abc" }) is "/api/artifacts/abc/checks". */
export function kilnUrl(name, parts = {}) {
  if (!Object.hasOwn(SHAPES, name)) throw new Error(`Kiln has no address named "${name}".`);
  return SHAPES[name].replace(/\{(\w+)\}/g, (_, part) => {
    if (parts[part] === undefined || parts[part] === null) {
      throw new Error(`The address "${name}" needs its ${part}.`);
    }
    return encodeURIComponent(String(parts[part]));
  });
}

/** kilnUrl() for one tool: artifactUrls(id)("version", { number: 3 }). */
export function artifactUrls(artifactId) {
  return (name, parts = {}) => kilnUrl(name, { ...parts, artifact_id: artifactId });
}
