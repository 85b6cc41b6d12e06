// The model's notes as they stream, as Markdown (marked, from npm), sanitised by
// DOMPurify to the tags the server keeps for stored notes (web/present.py, through
// #kiln-config). The document and edit blocks are left out: the Code tab has them.
// Both libraries load after the page's own script; until then notes are text.
import { config } from "./config.js";

const EDIT_BLOCK = new RegExp(config.edit_block, "gm");
const EDIT_START = new RegExp(config.edit_start, "m");
// The checks block, closed or still being written (to the end of the text).
const CHECKS_BLOCK =
  /^ {0,3}```[ \t]*kiln-checks\b[\s\S]*?(?:\n {0,3}```[ \t]*(?=\n|(?![\s\S]))|(?![\s\S]))/gim;
const DOC_FENCE = /```[ \t]*html?\b[\s\S]*?(?:\n```|$)/gi;
const BARE_DOC = /<!doctype html[\s\S]*?(?:<\/html>|$)|<html[\s>][\s\S]*?(?:<\/html>|$)/gi;
const PURIFY = {
  ALLOWED_TAGS: config.note_tags,
  ALLOWED_ATTR: [...new Set(Object.values(config.note_attributes).flat())],
  ALLOWED_URI_REGEXP: new RegExp(`^(?:${config.note_protocols.join("|")}):`, "i"),
};

let render = null;
Promise.all([
  import("./vendor/node_modules/marked/lib/marked.esm.js"),
  import("./vendor/node_modules/dompurify/dist/purify.es.mjs"),
]).then(([{ marked }, { default: DOMPurify }]) => {
  render = (markdown) => DOMPurify.sanitize(marked.parse(markdown, { async: false }), PURIFY);
});

/** The prose of a (possibly partial) answer, for the conversation. */
export function notesOf(answer) {
  let text = answer.replace(CHECKS_BLOCK, "\n*(the acceptance checks: see the Checks tab)*\n");
  text = text.replace(DOC_FENCE, "\n*(the HTML document: see the Code tab)*\n");
  text = text.replace(BARE_DOC, "\n*(the HTML document: see the Code tab)*\n");
  text = text.replace(EDIT_BLOCK, "\n*(an edit: see the Code tab)*\n");
  const open = EDIT_START.exec(text); // an edit still being written
  if (open) text = `${text.slice(0, open.index)}\n*(an edit: see the Code tab)*\n`;
  return text.trim();
}

/** Render Markdown into `element`, safely. */
export function renderNotes(element, markdown) {
  if (!render) {
    element.textContent = markdown;
    return;
  }
  element.innerHTML = render(markdown);
  for (const link of element.querySelectorAll("a")) {
    link.target = "_blank";
    link.rel = "nofollow noopener noreferrer";
  }
}
