// The artifact workspace: conversation, Preview / Code / Checks / History tabs,
// streaming generations, errors from the tool and "Fix it".
import { followJob, patch, post } from "./api.js";
import { initChecks } from "./checks.js";
import { wireComposer } from "./composer.js";
import { DraftPreview, applyStreamingEdits, documentFromAnswer, renderable } from "./drafts.js";
import { highlightInto } from "./highlight.js";
import { Recorder } from "./recorder.js";

const STEPS = ["generating", "testing", "repairing", "done"];
const CHECKS_FENCE = /^ {0,3}```[ \t]*kiln-checks\b/im;
// The checks block, closed or still being written (to the end of the text).
const withoutChecks = (text) => text.replace(/^ {0,3}```[ \t]*kiln-checks\b[\s\S]*?(?:\n {0,3}```[ \t]*(?=\n|(?![\s\S]))|(?![\s\S]))/im, "");
const HIGHLIGHT_EVERY_MS = 300;

export function wireTabs(root) {
  const tabs = [...root.querySelectorAll("[role=tab]")];
  const select = (tab, focus = false) => {
    for (const t of tabs) {
      const on = t === tab;
      t.setAttribute("aria-selected", String(on));
      t.tabIndex = on ? 0 : -1;
      document.getElementById(t.getAttribute("aria-controls")).hidden = !on;
    }
    if (focus) tab.focus();
  };
  tabs.forEach((tab, i) => {
    tab.addEventListener("click", () => { select(tab); root.dataset.tabChosen = "1"; });
    tab.addEventListener("keydown", (e) => {
      const step = { ArrowRight: 1, ArrowLeft: -1 }[e.key];
      if (step) select(tabs[(i + step + tabs.length) % tabs.length], true);
      if (e.key === "Home") select(tabs[0], true);
      if (e.key === "End") select(tabs[tabs.length - 1], true);
    });
  });
  return (id) => select(document.getElementById(id));
}

export function wirePreviewTools(root) {
  const viewport = root.querySelector("[data-viewport]");
  for (const button of root.querySelectorAll("[data-width]")) {
    if (button === viewport) continue;
    button.addEventListener("click", () => {
      viewport.dataset.width = button.dataset.width;
      for (const b of root.querySelectorAll("button[data-width]")) {
        b.setAttribute("aria-pressed", String(b === button));
      }
    });
  }
  root.querySelector("[data-fullscreen]")?.addEventListener("click", () => {
    viewport.requestFullscreen?.().catch(() => {});
  });
}

function copyCode(button, code) {
  button.addEventListener("click", async () => {
    const label = button.textContent;
    try { await navigator.clipboard.writeText(code()); button.textContent = "Copied"; }
    catch { button.textContent = "Copy failed"; }
    setTimeout(() => { button.textContent = label; }, 1500);
  });
}

function formatUsage(u) {
  const k = (n) => (n >= 1000 ? `${(n / 1000).toFixed(1)}k` : String(n));
  let text = `${k(u.input_tokens)} in · ${k(u.output_tokens)} out tokens`;
  if (u.price_known === false) text += " · price unknown";
  else text += ` · $${Number(u.cost_usd || 0).toFixed(4)}`;
  return text;
}

function wireRename(root, artifactId) {
  const form = root.querySelector("[data-rename-form]");
  if (!form) return;
  const title = root.querySelector("[data-title]");
  const button = root.querySelector("[data-rename]");
  const input = form.querySelector("input");
  const error = form.querySelector("[data-rename-error]");
  const show = (editing) => {
    form.hidden = !editing;
    title.parentElement.hidden = editing;
    error.textContent = "";
    if (editing) { input.value = title.textContent.trim(); input.select(); input.focus(); } else button.focus();
  };
  button.addEventListener("click", () => show(true));
  form.querySelector("[data-rename-cancel]").addEventListener("click", () => show(false));
  form.addEventListener("keydown", (e) => { if (e.key === "Escape") show(false); });
  form.addEventListener("submit", async (e) => {
    e.preventDefault();
    try {
      const saved = await patch(`/api/artifacts/${encodeURIComponent(artifactId)}`, { title: input.value });
      title.textContent = saved.title;
      document.title = `${saved.title} · Kiln`;
      show(false);
    } catch (failure) {
      error.textContent = failure.message;  // the form stays open with what was typed
    }
  });
}

export function initWorkspace(root, bridge) {
  const artifactId = root.dataset.artifactId;
  const selectTab = wireTabs(root);
  wirePreviewTools(root);
  wireRename(root, artifactId);

  // -- code view ------------------------------------------------------------
  const code = root.querySelector("[data-code]");
  const codeLabel = root.querySelector("[data-code-label]");
  let codeText = code.textContent;
  highlightInto(code, codeText);
  copyCode(root.querySelector("[data-copy-code]"), () => codeText);

  const editForm = root.querySelector("[data-edit-form]");
  const editButton = root.querySelector("[data-edit]");
  if (editForm && editButton) {
    const pre = code.closest("pre");
    editButton.addEventListener("click", () => {
      editForm.hidden = false; pre.hidden = true; editButton.hidden = true;
      editForm.querySelector("textarea").focus();
    });
    editForm.querySelector("[data-edit-cancel]").addEventListener("click", () => {
      editForm.hidden = true; pre.hidden = false; editButton.hidden = false; editButton.focus();
    });
  }

  // -- status line ----------------------------------------------------------
  const status = root.querySelector("[data-status]");
  const statusText = root.querySelector("[data-status-text]");
  const setStage = (stage) => {
    status.dataset.stage = stage;
    const at = STEPS.indexOf(stage);
    for (const li of status.querySelectorAll("[data-step]")) {
      const i = STEPS.indexOf(li.dataset.step);
      li.classList.toggle("done", at >= 0 && i < at);
      if (li.dataset.step === stage) li.setAttribute("aria-current", "step");
      else li.removeAttribute("aria-current");
    }
  };

  // -- errors from the tool -------------------------------------------------
  const errorsPanel = root.querySelector("#artifact-errors");
  const banner = root.querySelector("[data-error-banner]");
  const count = root.querySelector("[data-check-count]");
  const showErrorCount = (n) => {
    count.hidden = n === 0;
    count.textContent = String(n);
    banner.hidden = n === 0;
    root.querySelector("[data-error-summary]").textContent =
      `The tool reported ${n} error${n === 1 ? "" : "s"} while running.`;
  };
  for (const button of root.querySelectorAll("[data-show-checks]")) {
    button.addEventListener("click", () => selectTab("tab-checks"));
  }
  if (bridge) {
    bridge.addEventListener("connected", () => showErrorCount(0));
    bridge.addEventListener("artifact-error", () => showErrorCount(bridge.errors.length));
  }

  // -- acceptance checks ----------------------------------------------------
  const checksSection = root.querySelector("[data-checks]");
  const checks = checksSection && initChecks(checksSection);
  if (checks && bridge && checksSection.querySelector("[data-recorder]")) {
    new Recorder(checksSection, bridge, {
      onStart: () => selectTab("tab-preview"),
      onDone: (steps) => { selectTab("tab-checks"); checks.openEditor(null, steps); },
    });
  }
  // Saving checks reloads the page on its verdict: back on the Checks tab.
  if (window.location.hash === "#checks") { selectTab("tab-checks"); root.dataset.tabChosen = "1"; }

  // -- streaming ------------------------------------------------------------
  const composerForm = root.querySelector("[data-composer]");
  const live = root.querySelector("[data-live]");
  const liveNotes = root.querySelector("[data-live-notes]");
  const liveError = root.querySelector("[data-live-error]");
  const draftsBox = root.querySelector("[data-drafts]");
  const drafts = draftsBox && new DraftPreview([...draftsBox.querySelectorAll("iframe")],
                                               draftsBox.dataset.draftUrl);
  let composer = null;

  function stream(job, promptText) {
    let answer = "";
    // A follow-up usually answers with edit blocks: they are applied to this
    // document for the preview as each block completes.
    const base = artifactId ? codeText : "";
    let lastHighlight = 0;
    let highlightTimer = null;
    let previewing = false;
    let usage = null;
    const turns = root.querySelector("[data-turns]");
    if (promptText) {
      const you = document.createElement("li");
      you.className = "turn user";
      you.innerHTML = '<p class="who">You</p><div class="bubble"></div>';
      you.querySelector(".bubble").textContent = promptText;
      turns.insertBefore(you, live);
    }
    live.hidden = false;
    liveError.hidden = true;
    liveNotes.textContent = "Thinking…";
    composer?.setBusy(true);
    root.dataset.streaming = "1";
    if (!root.dataset.tabChosen) selectTab("tab-code");
    codeLabel.textContent = "Being written…";

    const paint = () => {
      highlightTimer = null;
      lastHighlight = performance.now();
      const doc = documentFromAnswer(answer);
      codeText = doc ? doc.html : answer;
      highlightInto(code, codeText);
      const pre = code.closest("pre");
      if (pre.scrollHeight - pre.scrollTop - pre.clientHeight < 120) pre.scrollTop = pre.scrollHeight;
      // The checks come first, in their own block: shown in the Checks tab, not as notes.
      const checksAt = answer.search(CHECKS_FENCE);
      const prose = withoutChecks(doc ? answer.slice(0, answer.indexOf(doc.html)) : answer);
      const notes = doc ? prose.replace(/```[ \t]*html?[ \t]*\n?$/i, "").trim() : "";
      const writing = checksAt >= 0 && !doc ? "Writing the acceptance checks…" : "Writing the tool…";
      liveNotes.textContent = notes || (doc || checksAt >= 0 ? writing : answer.slice(0, 600) || "Thinking…");
      const edited = doc ? null : applyStreamingEdits(base, answer);
      const draft = doc ? renderable(doc.html) : edited;
      if (draft && drafts && /<body|<div|<main|<h1|<p/i.test(draft)) {
        if (!previewing) {
          previewing = true;
          draftsBox.hidden = false;
          root.querySelector("#artifact-frame")?.setAttribute("hidden", "");
          root.querySelector("[data-preview-empty]")?.setAttribute("hidden", "");
          if (!root.dataset.tabChosen) selectTab("tab-preview");
        }
        drafts.show(draft);
      }
    };
    const schedule = () => {
      if (highlightTimer) return;
      const wait = Math.max(0, lastHighlight + HIGHLIGHT_EVERY_MS - performance.now());
      highlightTimer = setTimeout(paint, wait);
    };
    const usageText = () => (usage ? ` · ${formatUsage(usage)}` : "");

    followJob(job.events_url, {
      status: (d) => {
        setStage(d.stage);
        const words = { queued: "Queued", generating: "Writing", testing: `Testing v${d.version} in headless Chromium`,
                        repairing: `Repairing v${d.version}`, done: "Done" };
        statusText.textContent = (words[d.stage] || d.stage) + usageText();
      },
      stage: () => { answer = ""; schedule(); },
      delta: (d) => {
        answer += d.text;
        statusText.textContent = `Writing · ${answer.length.toLocaleString()} characters${usageText()}`;
        schedule();
      },
      retrying: (d) => { statusText.textContent = `The model is busy (${d.reason}); retrying in ${Math.round(d.wait_s)} s`; },
      continuing: () => { statusText.textContent = "The answer was long; asking the model to continue…"; },
      usage: (d) => {
        usage = usage ? { ...d, input_tokens: usage.input_tokens + d.input_tokens,
                          output_tokens: usage.output_tokens + d.output_tokens,
                          cost_usd: usage.cost_usd + d.cost_usd } : d;
        statusText.textContent = formatUsage(usage);
      },
      version: (d) => {
        const chip = document.createElement("li");
        chip.className = "turn version";
        chip.textContent = `v${d.number} stored (${d.source}${d.failed ? ", failed" : ""})`;
        turns.insertBefore(chip, live);
      },
      checks: (d) => {
        const box = root.querySelector("[data-live-smoke]");
        const p = document.createElement("p");
        const malformed = d.errors.length ? `, ${d.errors.length} malformed` : "";
        p.textContent = `Acceptance checks for v${d.version}: ${d.count}${malformed}${d.note ? ` (${d.note})` : ""}`;
        box.append(p);
      },
      smoke: (d) => {
        const box = root.querySelector("[data-live-smoke]");
        const p = document.createElement("p");
        const checked = d.checks.acceptance ? ` · ${d.checks.acceptance.detail}` : "";
        p.textContent = `Smoke test of v${d.version}: ${d.ok ? "passed" : `failed (${d.errors.length} error${d.errors.length === 1 ? "" : "s"})`}${checked}`;
        box.append(p);
      },
      end: (d) => {
        clearTimeout(highlightTimer);
        paint();
        drafts?.stop();
        delete root.dataset.streaming;
        if (d.status === "done" && d.result?.artifact_id) {
          setStage("done");
          // The new version, its checks and the timeline: the page has them all.
          window.location.assign(`/a/${encodeURIComponent(d.result.artifact_id)}`);
          return;
        }
        root.dataset.failed = "1";
        liveError.hidden = false;
        liveError.textContent = d.error || "The generation failed.";
        statusText.textContent = `Failed${usageText()}`;
        codeLabel.textContent = "The partial answer (kept)";
        composer?.restore(promptText || root.dataset.jobPrompt || "", "",
                          artifactId ? "" : (d.status === "interrupted" ? "Retry" : "Try again"));
        if (!artifactId && job.job_id) {
          // The failed answer is stored as a version too: offer it.
          fetch(`/api/jobs/${encodeURIComponent(job.job_id)}`).then((r) => r.json()).then((j) => {
            if (!j.artifact_id) return;
            const link = document.createElement("a");
            link.href = `/a/${encodeURIComponent(j.artifact_id)}`;
            link.textContent = "Open what was kept";
            liveError.after(link);
          }).catch(() => {});
        }
      },
    });
  }

  if (composerForm) {
    composer = wireComposer(composerForm, {
      onStarted: (job, text) => {
        composer.reset();
        if (!artifactId && !root.dataset.jobId) {  // "Try again" on a failed job page
          window.location.assign(`/jobs/${encodeURIComponent(job.job_id)}`);
          return;
        }
        stream(job, text);
      },
    });
  }

  // -- Fix it ---------------------------------------------------------------
  for (const button of root.querySelectorAll("[data-fix]")) {
    button.addEventListener("click", async () => {
      const errors = (bridge?.errors || []).map((e) => ({
        kind: e.kind, message: e.message, line: e.line || null, column: e.column || null }));
      button.disabled = true;
      try {
        const job = await post(`/api/artifacts/${encodeURIComponent(artifactId)}/fix`, { errors, prompt: "" });
        selectTab("tab-code");
        stream(job, "Fix the errors the tool reported.");
      } catch (failure) {
        statusText.textContent = failure.message;
        button.disabled = false;
      }
    });
  }

  // A job page starts following its job at once (and resumes after a reload).
  if (root.dataset.jobId) {
    const id = encodeURIComponent(root.dataset.jobId);
    stream({ job_id: root.dataset.jobId, events_url: `/api/jobs/${id}/events` }, "");
  }
}
