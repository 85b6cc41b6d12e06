// Streaming previews. While the model writes, its answer is cut down to the
// HTML document so far and rendered in the sandbox origin's draft viewer (see
// sandbox/static/draft.js). Every render gets a fresh viewer document, so timers
// and state of an older draft never pile up; two frames take turns so the
// preview never flashes blank.

import { config } from "./config.js";

/** The HTML document inside a (possibly partial) answer, or null if none began yet. */
export function documentFromAnswer(answer) {
  const fence = /```[ \t]*html?[ \t]*\n/i.exec(answer);
  if (fence) {
    const body = answer.slice(fence.index + fence[0].length);
    const end = body.search(/\n```/);
    return { html: end >= 0 ? body.slice(0, end) : body, complete: end >= 0 };
  }
  const start = answer.search(/<!doctype html|<html[\s>]/i);
  if (start < 0) return null;
  const body = answer.slice(start);
  const end = body.search(/<\/html>/i);
  return { html: end >= 0 ? body.slice(0, end + 7) : body, complete: end >= 0 };
}

const EDIT_BLOCK = new RegExp(config.edit_block, "gm");

/** The current document with every edit block finished so far applied, for the
 *  preview while a follow-up streams (the server applies them for real, with its
 *  stricter rules). A block whose SEARCH does not match exactly once is skipped.
 *  Null until a block applies. */
export function applyStreamingEdits(current, answer) {
  if (!current) return null;
  const crlf = current.includes("\r\n");
  let html = current;
  let applied = 0;
  for (const [, rawSearch, rawReplace] of answer.matchAll(EDIT_BLOCK)) {
    const fix = (t) => (crlf && !t.includes("\r\n") ? t.replace(/\n/g, "\r\n") : t);
    const search = fix(rawSearch);
    if (!search.trim()) continue;
    const at = html.indexOf(search);
    if (at < 0 || html.indexOf(search, at + 1) >= 0) continue;
    html = html.slice(0, at) + fix(rawReplace) + html.slice(at + search.length);
    applied += 1;
  }
  return applied ? html : null;
}

/** A partial document made safe to render: a script block still being written
 *  is left out (half a script only throws), and so is a half-written tag. */
export function renderable(html) {
  let cut = html;
  const opens = [...cut.matchAll(/<script\b/gi)];
  const closes = [...cut.matchAll(/<\/script\s*>/gi)];
  if (opens.length > closes.length) cut = cut.slice(0, opens[opens.length - 1].index);
  const lastOpen = cut.lastIndexOf("<");
  if (lastOpen > cut.lastIndexOf(">")) cut = cut.slice(0, lastOpen);
  return cut;
}

export class DraftPreview {
  /** `frames`: two <iframe>s (sandboxed like the artifact frame) to take turns. */
  constructor(frames, draftUrl, { interval = 400 } = {}) {
    this.frames = frames;
    this.draftUrl = draftUrl;
    this.interval = interval;
    this.front = 0;
    this.seq = 0;
    this.pending = null;
    this.busy = false;
    this.lastRender = 0;
    this.timer = null;
    this.rendered = 0;
    window.addEventListener("message", (e) => this.onMessage(e));
  }

  /** Show `html` soon: at most one render per interval, always the newest. */
  show(html) {
    this.pending = html;
    if (this.busy || this.timer) return;
    const wait = Math.max(0, this.lastRender + this.interval - performance.now());
    this.timer = setTimeout(() => {
      this.timer = null;
      this.renderPending();
    }, wait);
  }

  renderPending() {
    if (this.pending === null || this.busy) return;
    this.busy = true;
    this.lastRender = performance.now();
    const back = this.frames[1 - this.front];
    this.html = this.pending;
    this.pending = null;
    this.seq += 1;
    back.src = `${this.draftUrl}?n=${this.seq}`;
  }

  onMessage(event) {
    // The draft viewer is sandboxed (origin "null"): know it by its window.
    const index = this.frames.findIndex((f) => f.contentWindow === event.source);
    if (index < 0 || !event.data) return;
    const back = this.frames[1 - this.front];
    if (this.frames[index] !== back) return;
    if (event.data.kiln === "draft-ready") {
      back.contentWindow.postMessage({ kiln: "draft", html: this.html, seq: this.seq }, "*");
    } else if (event.data.kiln === "drafted" && event.data.seq === this.seq) {
      back.hidden = false;
      this.frames[this.front].hidden = true;
      this.front = 1 - this.front;
      this.busy = false;
      this.rendered += 1;
      this.frames[0].closest("[data-drafts]")?.setAttribute("data-rendered", String(this.rendered));
      if (this.pending !== null) this.show(this.pending);
    }
  }

  stop() {
    clearTimeout(this.timer);
    this.timer = null;
    this.pending = null;
  }
}
