// The owner's panel for what a tool does on Kiln's server: AI for the people who
// open it, its daily budgets and what it spent, and its shared data (view,
// export as JSON, clear). The server checks that the one asking owns the tool.
import { send } from "./api.js";
import { artifactUrls } from "./urls.js";

const count = (n) => Number(n).toLocaleString("en");

function usageText(u) {
  if (!u.calls) return "No AI calls yet.";
  return (
    `Today: ${count(u.tokens_today)} tokens. In all: ${count(u.tokens)} tokens, ` +
    `$${u.cost_usd.toFixed(4)}, ${count(u.calls)} call${u.calls === 1 ? "" : "s"} by ` +
    `${count(u.viewers)} ${u.viewers === 1 ? "person" : "people"}.`
  );
}

function capsText(caps) {
  const most = [
    caps.tool_daily_tokens && `${count(caps.tool_daily_tokens)} for the tool`,
    caps.viewer_daily_tokens && `${count(caps.viewer_daily_tokens)} for each person`,
  ].filter(Boolean);
  return most.length ? `This Kiln allows at most ${most.join(" and ")}.` : "";
}

function sizeText(s) {
  if (!s.keys) return "Nothing shared yet.";
  return (
    `${count(s.keys)} key${s.keys === 1 ? "" : "s"}, ${count(s.bytes)} of ` +
    `${count(s.limit)} bytes.`
  );
}

export function initToolPanel(root) {
  const api = artifactUrls(root.dataset.artifactId);
  const form = root.querySelector("[data-ai-form]");
  const error = root.querySelector("[data-tool-panel-error]");
  const json = root.querySelector("[data-shared-json]");
  const viewButton = root.querySelector("[data-shared-view]");
  const confirm = root.querySelector("[data-shared-confirm]");
  const clearButton = root.querySelector("[data-shared-clear]");

  const attempt =
    (work) =>
    async (...args) => {
      error.textContent = "";
      try {
        await work(...args);
      } catch (failure) {
        error.textContent = failure.message;
      }
    };
  const show = (report) => {
    form.for_viewers.checked = report.ai.for_viewers;
    for (const name of ["tool_daily_tokens", "viewer_daily_tokens"]) {
      form[name].value = report.ai[name];
      const cap = report.caps[name]; // this Kiln's most (0: none)
      if (cap) {
        form[name].min = 1;
        form[name].max = cap;
      } else {
        form[name].min = 0;
        form[name].removeAttribute("max");
      }
    }
    root.querySelector("[data-ai-caps]").textContent = capsText(report.caps);
    root.querySelector("[data-ai-off]").hidden = report.ai_in_tools;
    root.querySelector("[data-ai-not-member]").hidden = report.member_tool;
    form.for_viewers.disabled = !report.member_tool;
    root.querySelector("[data-ai-usage]").textContent = usageText(report.usage);
    root.querySelector("[data-shared-size]").textContent = sizeText(report.shared);
  };
  const refresh = async () => show(await send("GET", api("ai")));
  const sharedData = () => send("GET", api("shared_data"));

  form.addEventListener(
    "submit",
    attempt(async (e) => {
      e.preventDefault();
      show(
        await send("PUT", api("ai"), {
          for_viewers: form.for_viewers.checked,
          tool_daily_tokens: Number(form.tool_daily_tokens.value),
          viewer_daily_tokens: Number(form.viewer_daily_tokens.value),
        }),
      );
      root.querySelector("[data-ai-saved]").textContent = "Saved.";
    }),
  );
  viewButton.addEventListener(
    "click",
    attempt(async () => {
      const open = json.hidden;
      if (open) json.textContent = JSON.stringify(await sharedData(), null, 2);
      json.hidden = !open;
      viewButton.setAttribute("aria-expanded", String(open));
      viewButton.textContent = open ? "Hide" : "View";
    }),
  );
  root.querySelector("[data-shared-export]").addEventListener(
    "click",
    attempt(async () => {
      const blob = new Blob([JSON.stringify(await sharedData(), null, 2)], {
        type: "application/json",
      });
      const a = Object.assign(document.createElement("a"), {
        href: URL.createObjectURL(blob),
        download: `shared-data-${root.dataset.artifactId}.json`,
      });
      document.body.append(a);
      a.click();
      a.remove();
      setTimeout(() => URL.revokeObjectURL(a.href), 30_000);
    }),
  );
  const asking = (on) => {
    confirm.hidden = !on;
    clearButton.hidden = on;
  };
  clearButton.addEventListener("click", () => asking(true));
  root.querySelector("[data-shared-clear-no]").addEventListener("click", () => asking(false));
  root.querySelector("[data-shared-clear-yes]").addEventListener(
    "click",
    attempt(async () => {
      await send("DELETE", api("shared_data"));
      asking(false);
      if (!json.hidden) json.textContent = "{}";
      await refresh();
    }),
  );
  // Current figures whenever the panel is shown (it lives in a tab).
  const tab = root.closest("[role=tabpanel]");
  if (tab) {
    new MutationObserver(() => {
      if (!tab.hidden) attempt(refresh)();
    }).observe(tab, { attributes: true, attributeFilter: ["hidden"] });
  }
  attempt(refresh)();
}
