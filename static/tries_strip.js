// Several tries while they run: one chip per try with its state, read from the
// job's events as jobs/events.py defines them: `try` (one try complete and
// tested: {number, of, result}), `leading` (the preview switched to the try that
// is ahead, its answer so far coming next: {number, of}) and `tries` (the best
// kept as a version: {version, kept, summary, tries}). A resample round (status
// "resampling") starts the strip again for its own tries. Before its `try` event a try is being written, or
// tested once its streamed document is complete (only the leading try streams).
import { kilnUrl } from "./urls.js";

const NO_DOCUMENT = /no usable document/i;
const MAX_SAID = 90; // characters of a provider's error on a chip (all of it in its title)

/** What one tested try came to, in a few words, and whether it is clean. */
export function tryWords(result) {
  if (!result.size) {
    const note = result.note || "";
    if (!note || NO_DOCUMENT.test(note)) return { text: "no document", state: "failed", note };
    const short = note.length > MAX_SAID ? `${note.slice(0, MAX_SAID - 1)}…` : note;
    return { text: short, state: "failed", note };
  }
  let text;
  if (result.checks_total) {
    text = `${result.checks_passed}/${result.checks_total} checks`;
    if (result.regressions)
      text += `, ${result.regressions} regression${result.regressions === 1 ? "" : "s"}`;
  } else if (result.smoke_ok === true) text = "smoke test passed";
  else if (result.smoke_ok === false) text = "smoke test failed";
  else text = "not tested";
  return { text, state: result.ok ? "ok" : "bad", note: result.note || "" };
}

export class TriesStrip {
  constructor(box, artifactId) {
    this.box = box;
    this.artifactId = artifactId;
    this.list = box.querySelector("[data-tries-list]");
    this.showing = box.querySelector("[data-tries-showing]");
    this.said = box.querySelector("[data-tries-said]");
    this.reset(0);
  }

  /** A new job asking for `count` tries (1: no strip). */
  reset(count) {
    this.count = 0;
    this.tries = new Map(); // number -> {state, text, note}
    this.leading = 1;
    this.ahead = false; // a `leading` event named the try the preview shows
    this.kept = null;
    this.over = null; // how a job that kept none ended
    this.list.replaceChildren();
    this.showing.textContent = "";
    this.said.hidden = true;
    this.said.replaceChildren();
    this.box.hidden = true;
    if (count > 1) this.grow(count);
  }

  grow(count) {
    if (count <= this.count) return;
    for (let n = this.count + 1; n <= count; n += 1) {
      this.tries.set(n, { state: "writing", text: "writing…", note: "" });
    }
    this.count = count;
    this.box.hidden = false;
    this.render();
  }

  get active() {
    return this.count > 1;
  }

  /** The streamed answer of the leading try is complete: it is being tested. */
  streamed(complete) {
    const one = this.tries.get(this.leading);
    if (!one || this.kept !== null) return;
    const state = complete ? "testing" : "writing";
    if (one.state === "writing" || one.state === "testing") {
      if (one.state === state) return;
      Object.assign(one, { state, text: complete ? "testing…" : "writing…" });
      this.render();
    }
  }

  tested(d) {
    this.grow(d.of);
    this.tries.set(d.number, tryWords(d.result));
    this.render();
  }

  lead(d) {
    this.grow(d.of);
    this.leading = d.number;
    this.ahead = true;
    this.render();
  }

  keptAs(d) {
    this.grow(d.tries.length);
    for (const result of d.tries) this.tries.set(result.try, tryWords(result));
    this.kept = d.kept;
    this.render();
    const link = document.createElement("a");
    link.href = kilnUrl("compare_tries", { artifact_id: this.artifactId, number: d.version });
    link.textContent = "Compare tries";
    link.dataset.compareTries = "";
    this.said.replaceChildren(`${d.summary} · `, link);
    this.said.hidden = false;
  }

  /** The job ended without keeping one (Stop, a failure): a try still being
   *  written or tested never will be. */
  ended(status) {
    if (!this.active || this.kept !== null) return;
    const text = status === "cancelled" ? "stopped" : "not finished";
    for (const one of this.tries.values()) {
      if (one.state === "writing" || one.state === "testing") {
        Object.assign(one, { state: "failed", text });
      }
    }
    this.over = status === "cancelled" ? "Stopped: every try ended" : "The tries did not finish";
    this.render();
  }

  render() {
    this.list.replaceChildren(
      ...[...this.tries].map(([n, one]) => {
        const li = document.createElement("li");
        li.className = `try-chip ${one.state}`;
        li.dataset.try = String(n);
        li.dataset.state = one.state;
        if (n === this.kept) li.classList.add("kept");
        if (n === this.leading && this.kept === null && !this.over)
          li.setAttribute("aria-current", "true");
        const what = n === this.kept ? `${one.text}, kept` : one.text;
        li.textContent = `Try ${n}: ${what}`;
        if (one.note) li.title = one.note;
        return li;
      }),
    );
    this.showing.textContent = this.over
      ? this.over
      : this.kept !== null
        ? `Kept try ${this.kept}`
        : !this.ahead
          ? `Showing try ${this.leading} as it is written`
          : `Showing try ${this.leading}, ahead`;
  }
}
