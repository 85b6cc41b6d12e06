// The person's acceptance checks in the Checks tab: add, edit and delete them
// (each save is a new check set, and the version is tested against it at once),
// and finish a recorded check. The server reads every check again and refuses,
// with reasons, what it cannot read.
import { ApiError, get, put } from "./api.js";
import { artifactUrls } from "./urls.js";

const POLL_MS = 400;
const WAIT_FOR_VERDICT_MS = 90_000;

/** One step as Kiln writes it everywhere: {"fill": "#bill", "text": "100"}. */
export const stepText = (step) =>
  `{${Object.entries(step)
    .map(([key, value]) => `${JSON.stringify(key)}: ${JSON.stringify(value)}`)
    .join(", ")}}`;

/** Steps as the editor shows them: one JSON object a line. */
export const stepsText = (steps) => steps.map(stepText).join("\n");

/** The editor's lines as steps; throws with the line that is not a step. */
export function readSteps(text) {
  const steps = [];
  text.split("\n").forEach((line, i) => {
    const trimmed = line.trim().replace(/,$/, "");
    if (!trimmed) return;
    let step;
    try {
      step = JSON.parse(trimmed);
    } catch {
      throw new Error(`Line ${i + 1} is not a JSON step: ${trimmed.slice(0, 80)}`);
    }
    if (!step || typeof step !== "object" || Array.isArray(step))
      throw new Error(`Line ${i + 1} is not a step object.`);
    steps.push(step);
  });
  if (!steps.length) throw new Error("A check needs at least one step.");
  return steps;
}

/** `refresh`: brings the page up to date with the new verdict (the workspace does
 *  it in place); without it, the page is loaded again, on this tab. */
export function initChecks(section, { refresh = null } = {}) {
  const data = section.querySelector("[data-checks-json]");
  if (!data) return null; // someone else's tool: nothing to edit
  const current = JSON.parse(data.textContent);
  const checks = current ? current.checks : [];
  const api = artifactUrls(section.dataset.artifactId);
  const version = section.dataset.version;
  const form = section.querySelector("[data-check-editor]");
  const nameInput = form.querySelector("[name=name]");
  const stepsInput = form.querySelector("[name=steps]");
  const error = form.querySelector("[data-check-error]");
  const status = section.querySelector("[data-checks-status]");
  let editing = null; // the name of the check being edited; null for a new one

  const showError = (message) => {
    error.textContent = message;
    error.hidden = !message;
  };

  function openEditor(check = null, steps = null) {
    editing = check ? check.name : null;
    nameInput.value = check ? check.name : "";
    stepsInput.value = stepsText(steps || (check ? check.steps : []));
    showError("");
    form.hidden = false;
    (check ? stepsInput : nameInput).focus();
  }

  async function save(next) {
    status.textContent = "Saving…";
    let answer;
    try {
      answer = await put(api("checks"), { checks: next });
    } catch (failure) {
      status.textContent = "";
      const reasons =
        failure instanceof ApiError && failure.data.errors ? failure.data.errors.join("\n") : "";
      showError(reasons || failure.message);
      form.hidden = false;
      return;
    }
    form.hidden = true;
    if (!answer.testing) {
      reopen();
      return;
    }
    status.textContent = `Saved. Testing v${version} against the new checks…`;
    await verdictFor(answer.check_set.id);
    reopen();
  }

  async function verdictFor(checkSetId) {
    const url = api("version_checks", { number: version });
    const until = Date.now() + WAIT_FOR_VERDICT_MS;
    while (Date.now() < until) {
      try {
        const { acceptance } = await get(url);
        if (acceptance && acceptance.check_set_id === checkSetId) return;
      } catch {
        /* try again */
      }
      await new Promise((resolve) => setTimeout(resolve, POLL_MS));
    }
  }

  // The page shows the new verdict everywhere it is shown.
  function reopen() {
    if (refresh) {
      refresh();
      return;
    }
    window.location.hash = "checks";
    window.location.reload();
  }

  form.addEventListener("submit", (event) => {
    event.preventDefault();
    const name = nameInput.value.replace(/\s+/g, " ").trim();
    if (!name) {
      showError("Give the check a name.");
      nameInput.focus();
      return;
    }
    let steps;
    try {
      steps = readSteps(stepsInput.value);
    } catch (failure) {
      showError(failure.message);
      stepsInput.focus();
      return;
    }
    if (checks.some((c) => c.name === name && c.name !== editing)) {
      showError(`Another check is called “${name}”.`);
      return;
    }
    const check = { name, steps };
    const next =
      editing === null ? [...checks, check] : checks.map((c) => (c.name === editing ? check : c));
    save(next);
  });
  form.querySelector("[data-check-cancel]").addEventListener("click", () => {
    form.hidden = true;
  });
  section.querySelector("[data-check-add]").addEventListener("click", () => openEditor());
  for (const button of section.querySelectorAll("[data-check-edit]")) {
    button.addEventListener("click", () => {
      const check = checks.find((c) => c.name === button.dataset.checkEdit);
      openEditor(check || { name: button.dataset.checkEdit, steps: [] });
    });
  }
  for (const button of section.querySelectorAll("[data-check-delete]")) {
    button.addEventListener("click", () => {
      button.disabled = true;
      save(checks.filter((c) => c.name !== button.dataset.checkDelete));
    });
  }
  return { openEditor };
}
