// The home page: the prompt box, example prompts, live search of the gallery, and
// the import form (sent by script, so a refusal shows next to it and the chosen
// file and pasted text stay).
import { post } from "./api.js";
import { wireComposer } from "./composer.js";
import { kilnUrl } from "./urls.js";

export function initHome() {
  const form = document.getElementById("generate-form");
  if (form) {
    const composer = wireComposer(form, {
      // The tool's own address, from the first second of its generation.
      onStarted: (job) => {
        window.location.assign(job.url);
      },
    });
    for (const example of document.querySelectorAll("[data-example]")) {
      example.addEventListener("click", () => composer.fill(example.textContent.trim()));
    }
  }
  const importForm = document.querySelector("[data-import-form]");
  if (importForm) wireImport(importForm);

  const search = document.querySelector("[data-live-search]");
  const gallery = document.getElementById("gallery");
  if (search && gallery) {
    let timer = null;
    let latest = 0;
    search.addEventListener("input", () => {
      clearTimeout(timer);
      timer = setTimeout(async () => {
        const q = new FormData(search).get("q") || "";
        const url = q ? `${kilnUrl("home")}?q=${encodeURIComponent(q)}` : kilnUrl("home");
        const mine = ++latest;
        const response = await fetch(url, { credentials: "same-origin" });
        if (mine !== latest || !response.ok) return;
        const page = new DOMParser().parseFromString(await response.text(), "text/html");
        const fresh = page.getElementById("gallery");
        if (fresh) gallery.replaceChildren(...fresh.childNodes);
        history.replaceState(null, "", url);
      }, 200);
    });
  }
}

function wireImport(form) {
  const error = form.querySelector("[data-import-error]");
  const submit = form.querySelector("button[type=submit]");
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    submit.disabled = true;
    error.hidden = true;
    try {
      const answer = await post(form.action, new FormData(form));
      window.location.assign(answer.url);
    } catch (failure) {
      error.textContent = failure.message;
      error.hidden = false;
      error.scrollIntoView({ block: "nearest" });
      submit.disabled = false;
    }
  });
}
