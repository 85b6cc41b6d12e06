// "Record a check": the person uses the tool in the preview and the frame reports
// each click, typing and choice as a step (sandbox bootstrap part 80-recorder.js,
// active only while this asks); "Expect" picks an element whose text (or value)
// becomes the expectation. The steps then open in the check editor. The frame is
// not trusted: every step is validated here, again by the server on save, and
// only the person saves it.
import { stepText } from "./checks.js";
import { config } from "./config.js";

// Every step kind, its fields and what each may hold (artifacts/checks.py).
const STEPS = config.checks.steps;
const MAX_STEPS = config.checks.max_steps;

/** Whether `value` keeps to a field's rule (its JSON Schema, as web/client.py sends it). */
function fits(value, rule) {
  if (rule.const !== undefined && value !== rule.const) return false;
  if (rule.type === "boolean") return typeof value === "boolean";
  if (rule.type === "integer") {
    return (
      Number.isInteger(value) &&
      value >= (rule.minimum ?? -Infinity) &&
      value <= (rule.maximum ?? Infinity)
    );
  }
  if (rule.type === "array") {
    return (
      Array.isArray(value) &&
      value.length === rule.prefixItems.length &&
      value.every((item, i) => fits(item, rule.prefixItems[i]))
    );
  }
  return (
    rule.type === "string" &&
    typeof value === "string" &&
    value.length >= (rule.minLength ?? 0) &&
    value.length <= (rule.maxLength ?? Infinity) &&
    (!rule.pattern || new RegExp(rule.pattern).test(value)) &&
    (!rule.selector || value.trim() !== "")
  );
}

/** Whether a message's step is a step at all, one kind with its own fields (the
 *  bridge's schema); the server reads it again when the check is saved. */
export function recordedStep(step) {
  if (!step || typeof step !== "object" || Array.isArray(step)) return false;
  const kinds = Object.keys(step).filter((k) => Object.hasOwn(STEPS, k));
  if (kinds.length !== 1) return false;
  const { required, fields } = STEPS[kinds[0]];
  return (
    required.every((k) => Object.hasOwn(step, k)) &&
    Object.entries(step).every(([k, v]) => Object.hasOwn(fields, k) && fits(v, fields[k]))
  );
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
    bridge.addEventListener("connected", () => {
      if (this.recording) bridge.notify("record", { on: true });
    });
    section.querySelector("[data-record]").addEventListener("click", () => this.start());
    section
      .querySelector("[data-record-pick]")
      .addEventListener("click", () => this.bridge.notify("record-pick"));
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
    this.status.textContent = picking
      ? "Click what the check should expect to see."
      : on
        ? "Recording: use the tool."
        : "";
  }

  add(step) {
    if (!this.recording || this.steps.length >= MAX_STEPS) return;
    this.steps.push(step);
    const item = document.createElement("li");
    const code = document.createElement("code");
    code.textContent = stepText(step);
    item.append(code);
    this.list.append(item);
    this.list.scrollTop = this.list.scrollHeight; // the newest step in view
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
