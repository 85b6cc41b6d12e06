// The arena's pages: start a battle, watch both tools being written side by
// side (each in the sandbox's draft viewer, as the workspace shows a stream),
// then vote. The server renders the finished tools and, after the vote (a plain
// form, so a vote cast before this script runs still counts), the models.

import { followJob, post } from "./api.js";
import { DraftPreview, documentFromAnswer, renderable } from "./drafts.js";
import { kilnUrl } from "./urls.js";

export function initArena() {
  const form = document.querySelector("[data-arena-form]");
  if (form) wireForm(form);
  const battle = document.querySelector("[data-battle]");
  if (battle) wireBattle(battle);
}

function wireForm(form) {
  const error = form.querySelector("[data-form-error]");
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    error.hidden = true;
    const button = form.querySelector("button[type=submit]");
    button.disabled = true;
    try {
      const answer = await post(kilnUrl("arena"), {
        prompt: form.elements.prompt.value,
        models: [form.elements.model_a.value, form.elements.model_b.value],
      });
      location.assign(answer.url);
    } catch (err) {
      error.textContent = err.message;
      error.hidden = false;
      button.disabled = false;
    }
  });
}

function wireBattle(root) {
  const sides = [...root.querySelectorAll("[data-side]")];
  let running = sides.filter((side) => side.dataset.done !== "1" && side.dataset.job).length;
  for (const side of sides) {
    if (side.dataset.done === "1" || !side.dataset.job) continue;
    const status = side.querySelector("[data-side-status]");
    const drafts = side.querySelector("[data-drafts]");
    const preview = new DraftPreview([...drafts.querySelectorAll("iframe")], root.dataset.draftUrl);
    let answer = "";
    followJob(kilnUrl("job_events", { job_id: side.dataset.job }), {
      stage: () => {
        answer = "";
      },
      status: (d) => {
        status.textContent =
          { generating: "Writing…", testing: "Testing…", repairing: "Repairing…" }[d.stage] ||
          status.textContent;
      },
      delta: (d) => {
        answer += d.text;
        const doc = documentFromAnswer(answer);
        if (doc) {
          drafts.hidden = false;
          preview.show(renderable(doc.html));
        }
      },
      end: () => {
        preview.stop();
        status.textContent = "Finished";
        running -= 1;
        if (running === 0) location.reload(); // the finished tools and the vote
      },
    });
  }
}
