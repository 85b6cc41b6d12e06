// Kiln's pages load this one module (no inline scripts: CSP is script-src 'self').
import { initArena } from "./arena.js";
import { Bridge } from "./bridge.js";
import { csrfToken } from "./api.js";
import { highlightInto } from "./highlight.js";
import { initHome } from "./home.js";
import { initToolPanel } from "./tool_panel.js";
import { wireNetworkPanel } from "./network_panel.js";
import { initWorkspace } from "./workspace.js";

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

// "Link to the latest" or "Link to this version only".
const which = document.querySelector("[data-share-which]");
if (which) {
  which.addEventListener("change", () => { document.getElementById("share-url").value = which.value; });
}

// Theme: follow the system, or the viewer's choice (kept in this browser).
const THEMES = ["auto", "light", "dark"];
const themeButton = document.querySelector("[data-theme-toggle]");
const applyTheme = (theme) => {
  if (theme === "auto") delete document.documentElement.dataset.theme;
  else document.documentElement.dataset.theme = theme;
  if (themeButton) {
    themeButton.textContent = { auto: "Theme: auto", light: "Theme: light", dark: "Theme: dark" }[theme];
  }
};
let theme = localStorage.getItem("kiln-theme") || "auto";
if (!THEMES.includes(theme)) theme = "auto";
applyTheme(theme);
themeButton?.addEventListener("click", () => {
  theme = THEMES[(THEMES.indexOf(theme) + 1) % THEMES.length];
  localStorage.setItem("kiln-theme", theme);
  applyTheme(theme);
});

const frame = document.getElementById("artifact-frame");
let bridge = null;
if (frame) {
  bridge = new Bridge(frame, {
    artifactId: frame.dataset.artifact,
    csrfToken,
    consentDialog: document.getElementById("consent"),
    networkHosts: JSON.parse(document.querySelector("[data-net-hosts]")?.dataset.hosts || "[]"),
  });
  window.kilnBridge = bridge;
  wireNetworkPanel(bridge.network);
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
  document.querySelector("[data-reload]")?.addEventListener("click", () => bridge.reload());
}

if (document.body.classList.contains("page-home")) initHome();

const workspace = document.querySelector("[data-workspace]");
if (workspace) initWorkspace(workspace, bridge);

const toolPanel = document.querySelector("[data-tool-panel]");
if (toolPanel) initToolPanel(toolPanel);

const share = document.querySelector("[data-share-page]");
if (share) {
  const source = document.getElementById("source");
  const toggle = share.querySelector("[data-view-source]");
  let painted = false;
  toggle.addEventListener("click", () => {
    source.hidden = !source.hidden;
    toggle.setAttribute("aria-expanded", String(!source.hidden));
    toggle.textContent = source.hidden ? "View source" : "Hide source";
    if (!painted) { const code = source.querySelector("[data-code]"); highlightInto(code, code.textContent); painted = true; }
    if (!source.hidden) source.scrollIntoView({ behavior: "smooth", block: "start" });
  });
  share.querySelector("[data-fullscreen]")?.addEventListener("click", () => {
    share.querySelector("[data-viewport]").requestFullscreen?.().catch(() => {});
  });
}

initArena();
