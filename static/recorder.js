// "Record a check": the person uses the tool in the preview and the frame reports
// each click, typing and choice as a step (sandbox bootstrap part 80-recorder.js,
// active only while this asks); "Expect" picks an element whose text (or value)
// becomes the expectation. The steps then open in the check editor. The frame is
// not trusted: every step is validated here, again by the server on save, and
// only the person saves it.
import { stepText } from "./checks.js";
import { config } from "./config.js";

const LIMITS = config.checks;
// What a recorded step may hold: its kind and the fields each kind may carry.
const RECORDED = {
  click: [], fill: ["text"], press: ["on"], select: ["option"], check: [], uncheck: [],
  expect: ["text", "value", "visible"],
};
const SELECTOR_FIELDS = new Set(["click", "fill", "on", "select", "check", "uncheck", "expect"]);

/** Whether a message's step is one the recorder may report (the bridge's schema). */
export function recordedStep(step) {
  if (!step || typeof step !== "object" || Array.isArray(step)) return false;
  const keys = Object.keys(step);
  const kind = keys.find((k) => Object.hasOwn(RECORDED, k));
  if (!kind || keys.some((k) => k !== kind && !RECORDED[kind].includes(k))) return false;
  return keys.every((k) => {
    if (k === "visible") return typeof step[k] === "boolean";
    if (kind === "press" && k === "press") return typeof step[k] === "string" && step[k].length <= 40;
    const max = SELECTOR_FIELDS.has(k) ? LIMITS.max_selector : LIMITS.max_text;
    return typeof step[k] === "string" && step[k].length <= max && (!SELECTOR_FIELDS.has(k) || step[k].trim() !== "");
  });
}

export class Recorder {
  // While recording, its panel sits above the preview (where the person uses the
  // tool); it goes back to the Checks tab when done.
  constructor(section, bridge, { onStart, onDone }) {
    this.section = section;
    this.bridge = bridge;
    this.onStart = onStart;
    this.onDone = onDone;
    this.panel = section.querySelector("[data-recorder]");
    this.home = document.createComment("recorder");
    this.panel.before(this.home);
    this.list = section.querySelector("[data-recorded]");
    this.steps = [];
    this.recording = false;
    this.status = section.querySelector("[data-recorder-status]");
    bridge.addEventListener("recorded", (event) => this.add(event.detail));
    // The frame confirms what it is doing: recording, or waiting for the element to expect.
    bridge.addEventListener("recording", (event) => this.show(event.detail));
    // Recording starts on a fresh load of the tool, as every check does.
    bridge.addEventListener("connected", () => { if (this.recording) bridge.notify("record", { on: true }); });
    section.querySelector("[data-record]").addEventListener("click", () => this.start());
    section.querySelector("[data-record-pick]").addEventListener("click", () => this.bridge.notify("record-pick"));
    section.querySelector("[data-record-stop]").addEventListener("click", () => this.stop(true));
    section.querySelector("[data-record-cancel]").addEventListener("click", () => this.stop(false));
  }

  start() {
    this.steps = [];
    this.list.replaceChildren();
    this.recording = true;
    this.panel.hidden = false;
    this.panel.dataset.state = "starting";
    this.status.textContent = "Loading the tool afresh…";
    this.onStart();
    this.bridge.frame.closest("[data-viewport]").before(this.panel);
    this.bridge.reload();
  }

  show({ on, picking }) {
    if (!this.recording) return;
    this.panel.dataset.state = picking ? "picking" : on ? "recording" : "off";
    this.status.textContent = picking ? "Click what the check should expect to see."
      : on ? "Recording: use the tool." : "";
  }

  add(step) {
    if (!this.recording || this.steps.length >= 60) return;
    this.steps.push(step);
    const item = document.createElement("li");
    const code = document.createElement("code");
    code.textContent = stepText(step);
    item.append(code);
    this.list.append(item);
  }

  stop(keep) {
    this.recording = false;
    this.panel.dataset.state = "off";
    this.bridge.notify("record", { on: false });
    this.panel.hidden = true;
    this.home.after(this.panel);
    if (keep) this.onDone(this.steps);
  }
}
