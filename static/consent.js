// Kiln's one consent dialog (templates/_consent.html). Every capability that
// reaches outside the sandbox asks through `Consent.ask`: saving a file, the
// clipboard, a link, a network host (network.js), the model and shared data
// (kiln_api.js). So two rules hold for all of them, here and nowhere else:
//
// - Allow answers only a deliberate press. A tool chooses when it asks: one
//   that asks on pointerdown in a fast-tapping game would otherwise have the
//   next tap land on Allow. Allow is inactive (aria-disabled) until the dialog
//   has been open with no press for config.consent_delay_ms (browsers wait
//   about a second in their own permission prompts; each press meanwhile starts
//   the wait again), and then it answers only a press that began on Allow
//   itself: a pointer pressed there, or a fresh Enter or Space on it. Deny and
//   Escape answer at once: saying no is always safe.
// - What the tool hands over (text to copy, a file name, a URL) is shown whole,
//   never cut, in a box that scrolls, with whitespace and invisible characters
//   drawn as marks (`visiblePieces`): a tail hidden after a run of spaces, text
//   reordered by bidi controls, or zero-width characters all show.

import { config } from "./config.js";

const MAX_DECLINES = 3;
const DELAY_MS = config.consent_delay_ms;

// -- the text, made visible ----------------------------------------------------------------

// Characters that show as nothing (or as something else) in text: controls,
// format characters (bidi controls, zero-width ones, tags), every kind of space
// and separator, unassigned, private-use and lone surrogate code points, the
// blank-looking letters and the variation selectors.
// Each code point is listed alone: a combining one among them is meant by itself.
/* eslint-disable no-misleading-character-class */
const INVISIBLE =
  /[\p{Cc}\p{Cf}\p{Cs}\p{Co}\p{Cn}\p{Z}\u034f\u115f\u1160\u17b4\u17b5\u3164\uffa0\u2800\ufe00-\ufe0f\u{e0100}-\u{e01ef}]/u;
// Runs of one of them (a line break written \r\n counts as one), and the text between.
const RUNS = new RegExp(`(\\r\\n)+|(${INVISIBLE.source})\\2*`, "gu");
/* eslint-enable no-misleading-character-class */
const LINE_BREAKS = new Set(["\r\n", "\n", "\r", "\u0085", "\u2028", "\u2029"]);

// [mark, what it stands for]. Others show as their code point.
const NAMES = {
  " ": ["·", "space"],
  "\t": ["→", "tab"],
  "\n": ["↵", "line break"],
  "\r\n": ["↵", "line break"],
  "\r": ["␍", "carriage return"],
  "\u0085": ["NEL", "next line"],
  "\u2028": ["LS", "line separator"],
  "\u2029": ["PS", "paragraph separator"],
  "\u0000": ["NUL", "null"],
  "\u0008": ["BS", "backspace"],
  "\u000b": ["VT", "vertical tab"],
  "\u000c": ["FF", "form feed"],
  "\u001b": ["ESC", "escape"],
  "\u007f": ["DEL", "delete"],
  "\u00a0": ["NBSP", "no-break space"],
  "\u00ad": ["SHY", "soft hyphen"],
  "\u061c": ["ALM", "Arabic letter mark"],
  "\u200b": ["ZWSP", "zero-width space"],
  "\u200c": ["ZWNJ", "zero-width non-joiner"],
  "\u200d": ["ZWJ", "zero-width joiner"],
  "\u200e": ["LRM", "left-to-right mark"],
  "\u200f": ["RLM", "right-to-left mark"],
  "\u202a": ["LRE", "left-to-right embedding"],
  "\u202b": ["RLE", "right-to-left embedding"],
  "\u202c": ["PDF", "pop directional formatting"],
  "\u202d": ["LRO", "left-to-right override"],
  "\u202e": ["RLO", "right-to-left override"],
  "\u2060": ["WJ", "word joiner"],
  "\u2066": ["LRI", "left-to-right isolate"],
  "\u2067": ["RLI", "right-to-left isolate"],
  "\u2068": ["FSI", "first strong isolate"],
  "\u2069": ["PDI", "pop directional isolate"],
  "\u3000": ["IDSP", "ideographic space"],
  "\ufeff": ["BOM", "zero-width no-break space"],
};

function codePoint(ch) {
  return `U+${ch.codePointAt(0).toString(16).toUpperCase().padStart(4, "0")}`;
}

function describe(ch) {
  const [mark, name] = NAMES[ch] || [codePoint(ch), "invisible character"];
  return { mark, title: `${name} (${ch === "\r\n" ? "U+000D U+000A" : codePoint(ch)})` };
}

function markText(ch, count) {
  const { mark } = describe(ch);
  // A symbol repeats for a short run; a word, or a long run, is counted.
  return count === 1
    ? mark
    : mark.length === 1 && count <= 3
      ? mark.repeat(count)
      : `${mark}×${count}`;
}

function markElement(ch, count) {
  const span = document.createElement("span");
  span.className = "consent-mark";
  span.textContent = markText(ch, count);
  const { title } = describe(ch);
  span.title = count === 1 ? title : `${count} × ${title}`;
  return span;
}

// The text comes in pieces of this many marks: a tool may copy a million
// characters, half of them invisible, and half a million marks at once would hold
// the page for seconds (about 20 µs each to build and lay out, measured here).
const MARKS_PER_PIECE = 1000;
/* eslint-disable-next-line no-misleading-character-class -- as INVISIBLE */
const INVISIBLE_HERE = new RegExp(`\\r\\n|${INVISIBLE.source}`, "uy");

/** The text as pieces of nodes to show, in order: every character there, the
 *  invisible ones as marks. Lazy: a piece is built when it is asked for. */
export function* visiblePieces(text) {
  let out = document.createDocumentFragment();
  let plain = "",
    marks = 0,
    at = 0;
  const mark = (ch, count) => {
    if (plain) {
      out.append(plain);
      plain = "";
    }
    out.append(markElement(ch, count));
    marks += 1;
  };
  const invisibleAt = (i) => {
    INVISIBLE_HERE.lastIndex = i;
    return INVISIBLE_HERE.test(text);
  };
  for (const match of text.matchAll(RUNS)) {
    const start = match.index,
      run = match[0];
    plain += text.slice(at, start);
    const ch = match[1] ? "\r\n" : match[2];
    const count = run.length / ch.length;
    // One space between two words is just a space; any other space is marked.
    const between =
      ch === " " && count === 1 && start > at && start + 1 < text.length && !invisibleAt(start + 1);
    at = start + run.length;
    if (between) {
      plain += " ";
    } else if (LINE_BREAKS.has(ch)) {
      // Short runs of line breaks keep their lines; a long run is counted on one.
      const lines = count <= 3 ? count : 1;
      for (let n = 0; n < lines; n += 1) {
        mark(ch, count <= 3 ? 1 : count);
        plain += "\n";
      }
    } else {
      mark(ch, count);
    }
    if (marks >= MARKS_PER_PIECE) {
      if (plain) out.append(plain);
      yield out;
      out = document.createDocumentFragment();
      plain = "";
      marks = 0;
    }
  }
  plain += text.slice(at);
  if (plain) out.append(plain);
  yield out;
}

/** How many characters (code points, as a person counts them) and lines the text has. */
export function measure(text) {
  const surrogatePairs = text.match(/[\ud800-\udbff][\udc00-\udfff]/g)?.length || 0;
  const breaks = text.match(/\r\n|[\n\r\u0085\u2028\u2029]/g)?.length || 0;
  return { chars: text.length - surrogatePairs, lines: breaks + 1 };
}

/** Show the pieces in `shown`: the first at once, each next one as the end of what
 *  is shown scrolls near in `box`, so all of the text is there to read, none cut.
 *  Returns a function that stops. */
function showInPieces(shown, box, pieces, onPiece) {
  shown.replaceChildren(pieces.next().value);
  let next = pieces.next();
  if (next.done) return () => {};
  const more = document.createElement("span");
  more.className = "consent-more";
  more.textContent = " … more below";
  shown.append(more);
  const observer = new IntersectionObserver(
    (entries) => {
      if (!entries.some((e) => e.isIntersecting)) return;
      more.before(next.value);
      next = pieces.next();
      if (next.done) {
        observer.disconnect();
        more.remove();
      } else {
        observer.unobserve(more); // observed afresh: asks again if it is still near
        observer.observe(more);
      }
      onPiece();
    },
    { root: box, rootMargin: "0px 0px 300px 0px" },
  );
  observer.observe(more);
  return () => observer.disconnect();
}

// -- the press that may answer Allow ---------------------------------------------------------

class DeliberatePress {
  constructor(button) {
    this.button = button;
    this.armed = false;
    this.pressed = false;
    this.timer = 0;
    this.onPointer = (e) => {
      if (!e.isTrusted) return;
      if (!this.armed) {
        this.wait();
        return;
      }
      this.pressed = this.button.contains(e.target) && e.isPrimary && e.button === 0;
    };
    this.onKey = (e) => {
      if (!e.isTrusted || (e.key !== "Enter" && e.key !== " ")) return;
      if (!this.armed) {
        this.wait();
        return;
      }
      // A held key repeats: only a fresh press counts, and only on Allow.
      this.pressed = !e.repeat && this.button.contains(e.target);
    };
    this.onReturn = () => {
      if (document.visibilityState === "visible") this.wait();
    };
  }

  start() {
    document.addEventListener("pointerdown", this.onPointer, true);
    document.addEventListener("keydown", this.onKey, true);
    document.addEventListener("visibilitychange", this.onReturn);
    window.addEventListener("focus", this.onReturn);
    this.wait();
  }

  stop() {
    clearTimeout(this.timer);
    document.removeEventListener("pointerdown", this.onPointer, true);
    document.removeEventListener("keydown", this.onKey, true);
    document.removeEventListener("visibilitychange", this.onReturn);
    window.removeEventListener("focus", this.onReturn);
  }

  // Inactive until the dialog has been open, with no press, for the delay.
  wait() {
    this.armed = false;
    this.pressed = false;
    this.button.setAttribute("aria-disabled", "true");
    clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      this.armed = true;
      this.button.removeAttribute("aria-disabled");
    }, DELAY_MS);
  }

  /** Did this click on Allow come from a deliberate press? */
  answers(click) {
    const ok = click.isTrusted && this.armed && this.pressed;
    this.pressed = false;
    return ok;
  }
}

// -- the dialog -----------------------------------------------------------------------------

export class Consent {
  // One question at a time; further requests while one is open are declined,
  // and after a few refusals the tool is not allowed to ask again.
  constructor(dialog) {
    this.dialog = dialog;
    this.busy = false;
    this.declined = 0;
  }

  // `detail` is what the tool hands over (a URL, a file name, text), shown
  // whole with its invisible characters marked, or Kiln's own words (`prose`);
  // `note` is a line of its own under it.
  ask(title, detail, allowLabel, { deny = "Cancel", note = "", prose = false } = {}) {
    if (this.busy || !this.dialog || this.declined >= MAX_DECLINES) return Promise.resolve(false);
    this.busy = true;
    const d = this.dialog;
    const allowButton = d.querySelector("[data-consent-allow]");
    const denyButton = d.querySelector("[data-consent-deny]");
    const shown = d.querySelector("[data-consent-detail]");
    const box = shown.closest("[data-consent-box]") || shown;
    d.querySelector("[data-consent-title]").textContent = title;
    shown.classList.toggle("prose", prose);
    // A box that scrolls takes focus, so the keyboard can scroll it too.
    const focusable = () => {
      if (box.scrollHeight > box.clientHeight) box.tabIndex = 0;
      else box.removeAttribute("tabindex");
    };
    const stopShowing = showInPieces(
      shown,
      box,
      prose ? [detail].values() : visiblePieces(detail),
      focusable,
    );
    allowButton.textContent = allowLabel;
    denyButton.textContent = deny;
    const noteLine = d.querySelector("[data-consent-note]");
    if (noteLine) {
      noteLine.textContent = note;
      noteLine.hidden = !note;
    }
    const press = new DeliberatePress(allowButton);
    return new Promise((resolve) => {
      const done = (ok) => {
        this.busy = false;
        if (!ok) this.declined += 1;
        d.close();
        cleanup();
        resolve(ok);
      };
      const allow = (e) => {
        if (press.answers(e)) done(true);
      };
      const refuse = () => done(false);
      const cancel = (e) => {
        e.preventDefault();
        done(false);
      };
      const cleanup = () => {
        press.stop();
        stopShowing();
        allowButton.removeEventListener("click", allow);
        denyButton.removeEventListener("click", refuse);
        d.removeEventListener("cancel", cancel);
      };
      allowButton.addEventListener("click", allow);
      denyButton.addEventListener("click", refuse);
      d.addEventListener("cancel", cancel);
      press.start();
      d.showModal();
      box.scrollTop = 0;
      focusable();
      denyButton.focus();
    });
  }
}
