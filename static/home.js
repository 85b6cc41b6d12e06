// The home page: the prompt box, example prompts and live search of the gallery.
import { wireComposer } from "./composer.js";

export function initHome() {
  const form = document.getElementById("generate-form");
  if (form) {
    const composer = wireComposer(form, {
      onStarted: (job) => { window.location.assign(`/jobs/${encodeURIComponent(job.job_id)}`); },
    });
    for (const example of document.querySelectorAll("[data-example]")) {
      example.addEventListener("click", () => composer.fill(example.textContent.trim()));
    }
  }

  const search = document.querySelector("[data-live-search]");
  const gallery = document.getElementById("gallery");
  if (search && gallery) {
    let timer = null;
    let latest = 0;
    search.addEventListener("input", () => {
      clearTimeout(timer);
      timer = setTimeout(async () => {
        const q = new FormData(search).get("q") || "";
        const url = q ? `/?q=${encodeURIComponent(q)}` : "/";
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
