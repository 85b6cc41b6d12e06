// Files attached to a tool, as Kiln's pages speak of them: a file's kind from its
// name, the limits (from the server's settings, config.files) said before an
// upload, and a file over one refused in the page with the reason, before
// anything is sent (the server checks again).
import { config } from "./config.js";
import { humanSize } from "./format.js";

const FILES = config.files;
const ACCEPTED = (FILES.accept || "")
  .split(",")
  .map((suffix) => suffix.trim().toLowerCase())
  .filter((suffix) => suffix.startsWith("."));
// What a suffix is, as the server reads it (artifacts/file_profile.py).
const KIND_OF = FILES.extensions;
const KIND_WORDS = {
  csv: "CSV",
  tsv: "TSV",
  json: "JSON",
  ndjson: "NDJSON",
  xlsx: "XLSX",
  sqlite: "SQLite",
  text: "text",
  markdown: "Markdown",
  pdf: "PDF",
  image: "image",
};

export const fileLimits = FILES;

/** The suffix of a name, lower case (".csv"), or "". */
function suffixOf(name) {
  const dot = name.lastIndexOf(".");
  return dot > 0 ? name.slice(dot).toLowerCase() : "";
}

/** "csv", "image", ... for a file's name; "" when Kiln does not know the suffix. */
export function fileKind(name) {
  return Object.hasOwn(KIND_OF, suffixOf(name)) ? KIND_OF[suffixOf(name)] : "";
}

/** A kind as people write it: "CSV", "SQLite", "image". */
export function kindWords(kind) {
  return KIND_WORDS[kind] || kind || "file";
}

/** "up to 20 files, 50.0 MB each, 200.0 MB per tool" */
export function limitsText(limits = FILES) {
  const each = humanSize(limits.max_file_bytes);
  const tool = humanSize(limits.max_tool_bytes);
  return `up to ${limits.max_per_tool} files, ${each} each, ${tool} per tool`;
}

/** "2 files (3.1 MB)", "1 file (12 B)" */
export function filesSummary(count, bytes) {
  return `${count} file${count === 1 ? "" : "s"} (${humanSize(bytes)})`;
}

/** Why Kiln would refuse `adding` (Files, or {name, size}) next to `existing`
 *  ({count, bytes, names}), or "" when it would take them. */
export function refusal(adding, existing = { count: 0, bytes: 0, names: [] }) {
  const taken = new Set((existing.names || []).map((name) => name.toLowerCase()));
  let bytes = existing.bytes;
  for (const file of adding) {
    const suffix = suffixOf(file.name);
    if (ACCEPTED.length && !ACCEPTED.includes(suffix)) {
      const what = suffix ? `${suffix} files` : "files without a suffix such as .csv";
      return `${file.name}: Kiln does not read ${what}. It reads ${FILES.accept.split(",").join(" ")}.`;
    }
    if (file.name.length > FILES.max_name) {
      return `A file name may be at most ${FILES.max_name} characters; ${file.name.slice(0, 40)}… has ${file.name.length}.`;
    }
    if (file.size > FILES.max_file_bytes) {
      return `${file.name} is ${humanSize(file.size)}; a file may be at most ${humanSize(FILES.max_file_bytes)}.`;
    }
    if (taken.has(file.name.toLowerCase())) {
      return `Two files are named ${file.name}: remove one first.`;
    }
    taken.add(file.name.toLowerCase());
    bytes += file.size;
  }
  const count = existing.count + adding.length;
  if (count > FILES.max_per_tool) {
    return `A tool may have at most ${FILES.max_per_tool} files; that would make ${count}.`;
  }
  if (bytes > FILES.max_tool_bytes) {
    return `A tool's files may be at most ${humanSize(FILES.max_tool_bytes)} together; that would make ${humanSize(bytes)}.`;
  }
  return "";
}

/** The files a drag or a paste carries (none for text being dragged). */
export function filesOf(transfer) {
  return transfer ? [...(transfer.files || [])] : [];
}

/** Whether a drag carries files (its files are only readable on drop). */
export function carriesFiles(transfer) {
  return Boolean(transfer && [...(transfer.types || [])].includes("Files"));
}
