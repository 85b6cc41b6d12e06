// Progressive enhancements for Kiln's pages (no inline scripts: CSP is script-src 'self').
import { Bridge } from "./bridge.js";

const csrfToken = document.querySelector('meta[name="csrf-token"]')?.content || "";

for (const button of document.querySelectorAll("[data-copy]")) {
  button.addEventListener("click", async () => {
    const field = document.querySelector(button.dataset.copy);
    const label = button.textContent;
    try {
      await navigator.clipboard.writeText(field.value);
      button.textContent = "Copied";
    } catch {
      field.select();
      button.textContent = "Press Ctrl+C";
    }
    setTimeout(() => { button.textContent = label; }, 2000);
  });
}

const frame = document.getElementById("artifact-frame");
if (frame) {
  const bridge = new Bridge(frame, {
    artifactId: frame.dataset.artifact,
    csrfToken,
    consentDialog: document.getElementById("consent"),
  });
  window.kilnBridge = bridge;
  const panel = document.getElementById("artifact-errors");
  const list = panel?.querySelector("ol");
  bridge.addEventListener("connected", () => {
    if (!panel) return;
    list.replaceChildren();
    panel.hidden = true;
  });
  bridge.addEventListener("artifact-error", (event) => {
    if (!panel) return;
    const { kind, message, line, column } = event.detail;
    const item = document.createElement("li");
    const where = line ? ` (line ${line}${column ? `:${column}` : ""})` : "";
    item.textContent = `${kind}: ${message}${where}`;
    list.append(item);
    panel.hidden = false;
    panel.querySelector("[data-error-count]").textContent = String(list.children.length);
  });
}
