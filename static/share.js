// The share page: the source on demand, full screen, the tool's files, and, while the tool is
// still being written, a wait that ends with the tool shown in place (no reload).
import { wireDataPanel } from "./data_panel.js";
import { highlightInto } from "./highlight.js";
import { freshPage, swapRegions } from "./page_update.js";
import { kilnUrl } from "./urls.js";

const WAIT_MS = 1500;

export function initShare(root) {
  root.addEventListener("click", (event) => {
    const toggle = event.target.closest("[data-view-source]");
    if (toggle) {
      const source = document.getElementById("source");
      source.hidden = !source.hidden;
      toggle.setAttribute("aria-expanded", String(!source.hidden));
      toggle.textContent = source.hidden ? "View source" : "Hide source";
      const code = source.querySelector("[data-code]");
      if (!code.classList.contains("hljs")) highlightInto(code, code.textContent);
      if (!source.hidden) source.scrollIntoView({ behavior: "smooth", block: "start" });
    }
    if (event.target.closest("[data-fullscreen]")) {
      root
        .querySelector("[data-viewport]")
        .requestFullscreen?.()
        .catch(() => {});
    }
  });
  wireDataPanel(root); // the tool's files, read-only: a preview of each, Download
  if ("waiting" in root.dataset) waitForTool(root);
}

async function waitForTool(root) {
  const api = kilnUrl("artifact", { artifact_id: root.dataset.artifactId });
  for (;;) {
    await new Promise((resolve) => setTimeout(resolve, WAIT_MS));
    let state;
    try {
      state = await (await fetch(api, { credentials: "same-origin" })).json();
    } catch {
      continue;
    } // Kiln restarting, say: ask again
    if (state.versions?.length || !state.writing) break;
  }
  try {
    swapRegions(root, await freshPage(location.href), "[data-share-page]", ["waiting"]);
  } catch {
    root.querySelector("[data-preview-empty] p").textContent =
      "This tool could not be written after all. Ask whoever sent you the link.";
  }
}
