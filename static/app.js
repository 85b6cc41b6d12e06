// Kiln's pages load this one module (no inline scripts: CSP is script-src 'self').
import { initArena } from "./arena.js";
import { initCompareTries } from "./compare_tries.js";
import { Bridge } from "./bridge.js";
import { csrfToken } from "./api.js";
import { wireErrorsPanel } from "./errors_panel.js";
import { initHome } from "./home.js";
import { notice, wireNotices } from "./notices.js";
import { initShare } from "./share.js";
import { initToolPanel } from "./tool_panel.js";
import { wireNetworkPanel } from "./network_panel.js";
import { wireMediaPanel } from "./media.js";
import { initWorkspace } from "./workspace.js";

wireNotices();

// Copy buttons, the share link's choice and the actions menu, wherever they are
// (parts of the page are replaced in place: see page_update.js).
document.addEventListener("click", async (event) => {
  const copy = event.target.closest("[data-copy]");
  if (copy) {
    const field = document.querySelector(copy.dataset.copy);
    const label = copy.textContent;
    try {
      await navigator.clipboard.writeText(field.value);
      copy.textContent = "Copied";
    } catch {
      field.select();
      copy.textContent = "Press Ctrl+C";
    }
    setTimeout(() => {
      copy.textContent = label;
    }, 2000);
  }
  const toggle = event.target.closest("[data-menu-toggle]");
  if (toggle) {
    const menu = document.getElementById(toggle.getAttribute("aria-controls"));
    const open = toggle.getAttribute("aria-expanded") !== "true";
    toggle.setAttribute("aria-expanded", String(open));
    menu.toggleAttribute("data-open", open);
  }
});
document.addEventListener("change", (event) => {
  if (event.target.matches("[data-share-which]")) {
    document.getElementById("share-url").value = event.target.value;
  }
});

// Theme: follow the system, or the viewer's choice (kept in this browser). The
// tool's frame follows it too (its color-scheme).
const THEMES = ["auto", "light", "dark"];
const themeButton = document.querySelector("[data-theme-toggle]");
let bridge = null;
const applyTheme = (theme) => {
  if (theme === "auto") delete document.documentElement.dataset.theme;
  else document.documentElement.dataset.theme = theme;
  if (themeButton) {
    themeButton.textContent = { auto: "Theme: auto", light: "Theme: light", dark: "Theme: dark" }[
      theme
    ];
  }
  bridge?.setTheme(theme === "auto" ? "normal" : theme);
};
let theme = localStorage.getItem("kiln-theme") || "auto";
if (!THEMES.includes(theme)) theme = "auto";
themeButton?.addEventListener("click", () => {
  theme = THEMES[(THEMES.indexOf(theme) + 1) % THEMES.length];
  localStorage.setItem("kiln-theme", theme);
  applyTheme(theme);
});

const frame = document.getElementById("artifact-frame");
if (frame) {
  bridge = new Bridge(frame, {
    artifactId: frame.dataset.artifact,
    csrfToken,
    consentDialog: document.getElementById("consent"),
    networkHosts: JSON.parse(document.querySelector("[data-net-hosts]")?.dataset.hosts || "[]"),
    mediaGrants: JSON.parse(document.querySelector("[data-media-grants]")?.dataset.kinds || "[]"),
  });
  window.kilnBridge = bridge;
  wireNetworkPanel(bridge.network);
  wireMediaPanel(bridge.media);
  wireErrorsPanel(bridge, document.getElementById("artifact-errors"));
  // What the tool saved and Kiln did not keep: said once for each reason, and
  // again once a save was kept in between.
  const said = new Set();
  bridge.addEventListener("storage-kept", () => said.clear());
  bridge.addEventListener("storage-refused", ({ detail }) => {
    if (said.has(detail.reason)) return;
    said.add(detail.reason);
    notice(`This tool's data was not saved. ${detail.message}`);
  });
  document.querySelector("[data-reload]")?.addEventListener("click", () => bridge.reload());
}
applyTheme(theme);

if (document.body.classList.contains("page-home")) initHome();

const workspace = document.querySelector("[data-workspace]");
if (workspace) initWorkspace(workspace, bridge);

const toolPanel = document.querySelector("[data-tool-panel]");
if (toolPanel) initToolPanel(toolPanel);

const share = document.querySelector("[data-share-page]");
if (share) initShare(share);

const compareTries = document.querySelector("[data-compare-tries-page]");
if (compareTries) initCompareTries(compareTries);

initArena();
