// The artifact workspace: the conversation, Preview / Code / Checks / History
// tabs, streaming generations (Stop), errors from the tool and "Fix it". When a
// job ends or a verdict lands, the page is brought up to date in place
// (page_update.js): regions are replaced, the frame gets its new address, and
// nothing reloads. Handlers are on the root, so replaced regions keep working.
import { followJob, patch, post } from "./api.js";
import { initChecks } from "./checks.js";
import { wireComposer } from "./composer.js";
import { wireDataPanel } from "./data_panel.js";
import { DraftPreview, applyStreamingEdits, documentFromAnswer, renderable } from "./drafts.js";
import { highlightInto } from "./highlight.js";
import { notesOf, renderNotes } from "./notes.js";
import { notice } from "./notices.js";
import { freshPage, swapRegions } from "./page_update.js";
import { Recorder } from "./recorder.js";
import { TriesStrip } from "./tries_strip.js";
import { artifactUrls, kilnUrl } from "./urls.js";

const STEPS = ["generating", "testing", "repairing", "done"];
const HIGHLIGHT_EVERY_MS = 300;
const VERDICT_POLL_MS = 1000;
const VERDICT_POLLS = 180;
const NEAR_BOTTOM_PX = 80;
// What the person is in the middle of is not replaced: an open editor.
const OPEN_EDITORS =
  "[data-edit-form]:not([hidden]), [data-rename-form]:not([hidden]), [data-check-editor]:not([hidden])";
const ROOT_KEYS = [
  "artifactId",
  "jobId",
  "version",
  "jobPrompt",
  "working",
  "retry",
  "filesCount",
  "filesBytes",
  "filesNames",
  "jobTries",
];

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
    tab.addEventListener("click", () => {
      select(tab);
      root.dataset.tabChosen = "1";
    });
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
  for (const button of root.querySelectorAll("button[data-width]")) {
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

function formatUsage(u) {
  const k = (n) => (n >= 1000 ? `${(n / 1000).toFixed(1)}k` : String(n));
  let text = `${k(u.input_tokens)} in · ${k(u.output_tokens)} out tokens`;
  if (u.price_known === false) text += " · price unknown";
  else text += ` · $${Number(u.cost_usd || 0).toFixed(4)}`;
  return text;
}

/** The conversation's newest turn in view: at once, or (while a reply streams)
 *  unless the person scrolled up to read. */
function keepNewestInView(turns, always = false) {
  const near = turns.scrollHeight - turns.scrollTop - turns.clientHeight < NEAR_BOTTOM_PX;
  if (always || near) turns.scrollTop = turns.scrollHeight;
}

export function initWorkspace(root, bridge) {
  const artifactId = root.dataset.artifactId;
  const api = artifactUrls(artifactId);
  const selectTab = wireTabs(root);
  wirePreviewTools(root);
  const $ = (selector) => root.querySelector(selector);
  const code = () => $("[data-code]");
  let codeText = code().textContent;
  let composer = null;
  let streaming = false;

  // -- phones: the conversation or the tool -----------------------------------
  const showView = (view) => {
    root.dataset.view = view;
    for (const b of root.querySelectorAll("[data-show-view]")) {
      b.setAttribute("aria-pressed", String(b.dataset.showView === view));
    }
  };

  // -- the page brought up to date in place -----------------------------------
  async function refresh(url = location.href) {
    const fresh = await freshPage(url);
    // A check being recorded keeps its panel too (it sits above the preview meanwhile).
    swapRegions(root, fresh, "[data-workspace]", ROOT_KEYS, (region) =>
      Boolean(
        region.querySelector(OPEN_EDITORS) ||
        (region.dataset.swap === "acceptance" && recorder?.recording),
      ),
    );
    if (url !== location.href) history.replaceState(history.state, "", url);
    afterSwap();
    return fresh;
  }
  function afterSwap() {
    wireChecks();
    showFileCount();
    codeText = code().textContent;
    highlightInto(code(), codeText);
    keepNewestInView($("[data-turns]"), true);
    if (root.dataset.working) composer?.becomeChange();
    const pending = $("[data-smoke-pending]");
    if (pending) awaitVerdict(Number(pending.dataset.smokePending));
  }

  // A verdict still being reached (a version stored outside a job: imported,
  // edited, restored): the Checks tab shows it when it lands.
  let waitingFor = null;
  async function awaitVerdict(number) {
    if (waitingFor === number) return;
    waitingFor = number;
    for (let i = 0; i < VERDICT_POLLS && waitingFor === number; i += 1) {
      await new Promise((resolve) => setTimeout(resolve, VERDICT_POLL_MS));
      if (streaming) return; // the job's end brings the page up to date
      const answer = await fetch(api("version", { number }), { credentials: "same-origin" })
        .then((r) => (r.ok ? r.json() : null))
        .catch(() => null);
      if (answer?.smoke) {
        waitingFor = null;
        await refresh();
        return;
      }
    }
  }

  // -- status line ----------------------------------------------------------
  const status = $("[data-status]");
  const statusText = $("[data-status-text]");
  // A step is ticked once passed; "repairing" only if a repair happened.
  let repaired = false;
  const setStage = (stage) => {
    status.dataset.stage = stage;
    if (stage === "repairing") repaired = true;
    if (stage === "queued") repaired = false;
    const at = STEPS.indexOf(stage);
    for (const li of status.querySelectorAll("[data-step]")) {
      const i = STEPS.indexOf(li.dataset.step);
      li.classList.toggle(
        "done",
        at >= 0 && i < at && (li.dataset.step !== "repairing" || repaired),
      );
      if (li.dataset.step === stage) li.setAttribute("aria-current", "step");
      else li.removeAttribute("aria-current");
    }
  };

  // -- errors from the tool -------------------------------------------------
  const banner = $("[data-error-banner]");
  const count = $("[data-check-count]");
  const showErrorCount = (n) => {
    count.hidden = n === 0;
    count.textContent = String(n);
    banner.hidden = n === 0;
    $("[data-error-summary]").textContent =
      `The tool reported ${n} error${n === 1 ? "" : "s"} while you used it.`;
  };
  if (bridge) {
    bridge.addEventListener("connected", () => showErrorCount(0));
    bridge.addEventListener("artifact-error", () => showErrorCount(bridge.errors.length));
  }

  // -- acceptance checks (their editor and recorder, again after a swap) --------
  let checks = null;
  let recorder = null;
  let checksSection = null;
  function wireChecks() {
    const section = $("[data-checks]");
    if (section === checksSection) return; // kept as it was
    checksSection = section;
    checks =
      section && initChecks(section, { refresh: () => refresh().catch(() => location.reload()) });
    recorder = null;
    if (checks && bridge && section.querySelector("[data-recorder]")) {
      recorder = new Recorder(section, bridge, {
        onStart: () => {
          selectTab("tab-preview");
          showView("tool");
        },
        onDone: (steps) => {
          selectTab("tab-checks");
          checks.openEditor(null, steps);
        },
      });
    }
  }
  wireChecks();
  // A link to the Checks tab.
  if (window.location.hash === "#checks") {
    selectTab("tab-checks");
    root.dataset.tabChosen = "1";
  }

  // -- the Data tab: its count follows the version on screen ------------------
  function showFileCount() {
    const tabCount = $("[data-files-tab-count]");
    const n = Number(root.dataset.filesCount) || 0;
    tabCount.textContent = String(n);
    tabCount.hidden = n === 0;
  }
  wireDataPanel(root, {
    // A new version with the changed files: the page moves to it, and its
    // verdict shows when it lands, as for an edit.
    onChanged: async (answer) => {
      notice(
        answer.note
          ? `${answer.note}: version ${answer.version}.`
          : `Saved as version ${answer.version}.`,
      );
      await refresh(api("page"));
      selectTab("tab-data");
    },
  });

  // -- clicks, wherever the region they are in came from ----------------------
  root.addEventListener("click", (event) => {
    const on = (selector) => event.target.closest(selector);
    if (on("[data-show-view]")) showView(on("[data-show-view]").dataset.showView);
    else if (on("[data-show-checks]")) selectTab("tab-checks");
    else if (on("[data-show-secrets]")) showSecrets();
    else if (on("[data-show-data]")) {
      showView("tool");
      selectTab("tab-data");
    } else if (on("[data-fix]")) fix(on("[data-fix]"));
    else if (on("[data-rename]")) rename(true);
    else if (on("[data-rename-cancel]")) rename(false);
    else if (on("[data-edit]")) editing(true);
    else if (on("[data-edit-cancel]")) editing(false);
    else if (on("[data-copy-code]")) copyCode(on("[data-copy-code]"));
    else if (on("[data-delete]")) document.getElementById("delete-dialog").showModal();
  });
  document.getElementById("delete-dialog")?.addEventListener("click", (event) => {
    if (event.target.closest("[data-delete-cancel]")) event.currentTarget.close();
  });
  root.addEventListener("keydown", (event) => {
    if (event.key === "Escape" && event.target.closest("[data-rename-form]")) rename(false);
  });
  root.addEventListener("submit", (event) => {
    if (event.target.matches("[data-rename-form]")) {
      event.preventDefault();
      saveTitle(event.target);
    }
    if (event.target.matches("[data-edit-form]")) {
      event.preventDefault();
      saveEdit(event.target);
    }
  });

  // "Where?" next to the share link: the secret scan in the Checks tab.
  function showSecrets() {
    showView("tool");
    selectTab("tab-checks");
    $("[data-secrets]")?.scrollIntoView({ block: "start" });
  }

  async function copyCode(button) {
    const label = button.textContent;
    try {
      await navigator.clipboard.writeText(codeText);
      button.textContent = "Copied";
    } catch {
      button.textContent = "Copy failed";
    }
    setTimeout(() => {
      button.textContent = label;
    }, 1500);
  }

  function rename(on) {
    const form = $("[data-rename-form]");
    const title = $("[data-title]");
    form.hidden = !on;
    title.parentElement.hidden = on;
    form.querySelector("[data-rename-error]").textContent = "";
    const input = form.querySelector("input");
    if (on) {
      input.value = title.textContent.trim();
      input.select();
      input.focus();
    } else $("[data-rename]").focus();
  }
  async function saveTitle(form) {
    try {
      const saved = await patch(api("artifact"), { title: form.querySelector("input").value });
      $("[data-title]").textContent = saved.title;
      document.title = `${saved.title} · Kiln`;
      rename(false);
    } catch (failure) {
      form.querySelector("[data-rename-error]").textContent = failure.message; // what was typed stays
    }
  }

  function editing(on) {
    const form = $("[data-edit-form]");
    const pre = code().closest("pre");
    form.hidden = !on;
    pre.hidden = on;
    $("[data-edit]").hidden = on;
    if (on) form.querySelector("textarea").focus();
    else $("[data-edit]").focus();
  }
  async function saveEdit(form) {
    const error = form.querySelector("[data-edit-error]");
    const html = form.querySelector("textarea").value;
    error.hidden = true;
    if (!html.trim()) {
      error.textContent =
        "The document is empty: there is nothing to save. Cancel keeps the version as it is.";
      error.hidden = false;
      return;
    }
    try {
      const saved = await post(api("versions"), {
        html,
        parent: Number(root.dataset.version) || null,
      });
      editing(false);
      notice(`Saved as version ${saved.version}.`);
      for (const said of saved.notices || []) notice(said);
      await refresh(api("page"));
    } catch (failure) {
      error.textContent = failure.message; // the edit stays in the box
      error.hidden = false;
    }
  }

  // -- streaming ------------------------------------------------------------
  const draftsBox = $("[data-drafts]");
  const drafts =
    draftsBox &&
    new DraftPreview([...draftsBox.querySelectorAll("iframe")], draftsBox.dataset.draftUrl);
  const strip = new TriesStrip($("[data-tries-strip]"), artifactId);

  function stream(job, promptText) {
    let answer = "";
    // The version on screen: a follow-up's edits apply to it as they complete.
    const base = root.dataset.version ? codeText : "";
    const number = root.dataset.version;
    const prompted = promptText || root.dataset.jobPrompt || "";
    const turns = $("[data-turns]");
    const live = $("[data-live]");
    const liveNotes = $("[data-live-notes]");
    const liveError = $("[data-live-error]");
    let lastHighlight = 0;
    let highlightTimer = null;
    let previewing = false;
    let usage = null;
    streaming = true;
    // A job asking for several tries (its answer says; after a reload, the page).
    const asked = Number(job.tries || root.dataset.jobTries) || 1;
    strip.reset(asked);
    composer?.setTries(asked); // asked again the same way after Stop or a failure
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
    keepNewestInView(turns, true);
    composer?.setBusy(true, job.cancel_url || kilnUrl("job_cancel", { job_id: job.job_id }));
    root.dataset.streaming = "1";
    for (const button of root.querySelectorAll("[data-edit], [data-delete], [data-fix]"))
      button.disabled = true;
    if (!root.dataset.tabChosen) selectTab("tab-code");
    $("[data-code-label]").textContent = "Being written…";

    const paint = () => {
      highlightTimer = null;
      lastHighlight = performance.now();
      const doc = documentFromAnswer(answer);
      const edited = doc || !base ? null : applyStreamingEdits(base, answer);
      codeText = doc ? doc.html : base ? edited || base : answer;
      if (base && !doc) {
        $("[data-code-label]").textContent = edited
          ? `v${number} with the edits so far`
          : `v${number}, waiting for the first edit`;
      }
      const pre = code().closest("pre");
      const follow = pre.scrollHeight - pre.scrollTop - pre.clientHeight < 120;
      highlightInto(code(), codeText);
      if (follow && !base) pre.scrollTop = pre.scrollHeight;
      const notes = notesOf(answer);
      if (notes) renderNotes(liveNotes, notes);
      else liveNotes.textContent = doc || edited ? "Writing the tool…" : "Thinking…";
      keepNewestInView(turns);
      const title = !base && doc && /<title[^>]*>([^<]+)<\/title>/i.exec(doc.html);
      if (title && title[1].trim()) {
        $("[data-title]").textContent = title[1].trim();
        document.title = `${title[1].trim()} · Kiln`;
      }
      if (strip.active) strip.streamed(Boolean(doc?.complete));
      const draft = doc ? renderable(doc.html) : edited;
      if (draft && drafts && /<body|<div|<main|<h1|<p/i.test(draft)) {
        if (!previewing) {
          previewing = true;
          draftsBox.hidden = false;
          $("#artifact-frame")?.setAttribute("hidden", "");
          $("[data-preview-empty]")?.setAttribute("hidden", "");
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
        // A resample round asks for new tries once a repair failed: a strip of its own.
        if (d.stage === "resampling") strip.reset(0);
        setStage(d.stage === "resampling" ? "repairing" : d.stage);
        const words = {
          resampling: `Asking for new tries: repairing v${d.version} did not make it pass`,
          queued: "Queued",
          generating: "Writing",
          testing: `Testing v${d.version} in headless Chromium`,
          repairing: `Repairing v${d.version}`,
          done: "Done",
        };
        statusText.textContent = (words[d.stage] || d.stage) + usageText();
      },
      stage: () => {
        answer = "";
        schedule();
      },
      delta: (d) => {
        answer += d.text;
        statusText.textContent = `Writing · ${answer.length.toLocaleString()} characters${usageText()}`;
        schedule();
      },
      try: (d) => strip.tested(d),
      // The preview follows the try that is ahead: its answer so far comes next.
      leading: (d) => {
        strip.lead(d);
        answer = "";
        schedule();
      },
      tries: (d) => strip.keptAs(d),
      retrying: (d) => {
        statusText.textContent = `The model is busy (${d.reason}); retrying in ${Math.round(d.wait_s)} s`;
      },
      continuing: () => {
        statusText.textContent = "The answer was long; asking the model to continue…";
      },
      usage: (d) => {
        usage = usage
          ? {
              ...d,
              input_tokens: usage.input_tokens + d.input_tokens,
              output_tokens: usage.output_tokens + d.output_tokens,
              cost_usd: usage.cost_usd + d.cost_usd,
            }
          : d;
        statusText.textContent = formatUsage(usage);
      },
      version: (d) => {
        const chip = document.createElement("li");
        chip.className = "turn version";
        chip.textContent = `v${d.number} stored${d.failed ? " (failed)" : ""}`;
        turns.insertBefore(chip, live);
        keepNewestInView(turns);
      },
      checks: (d) => {
        const p = document.createElement("p");
        const malformed = d.errors.length ? `, ${d.errors.length} malformed` : "";
        p.textContent = `Acceptance checks for v${d.version}: ${d.count}${malformed}${d.note ? ` (${d.note})` : ""}`;
        $("[data-live-smoke]").append(p);
      },
      smoke: (d) => {
        const p = document.createElement("p");
        const checked = d.checks.acceptance ? ` · ${d.checks.acceptance.detail}` : "";
        p.textContent = `Smoke test of v${d.version}: ${d.ok ? "passed" : `failed (${d.errors.length} error${d.errors.length === 1 ? "" : "s"})`}${checked}`;
        $("[data-live-smoke]").append(p);
      },
      end: async (d) => {
        clearTimeout(highlightTimer);
        paint();
        drafts?.stop();
        const done = d.status === "done" && d.result?.artifact_id;
        if (done) setStage("done");
        else {
          strip.ended(d.status);
          statusText.textContent = `${d.status === "cancelled" ? "Stopped" : "Failed"}${usageText()}`;
          liveError.hidden = false;
          liveError.textContent = d.error || "The generation failed.";
        }
        try {
          // The new version, its checks, the timeline, or the failure with the
          // partial answer kept: as the server now has them.
          await refresh(done ? api("page") : location.href);
          $("[data-live-smoke]").replaceChildren();
          if (done) {
            // the tool itself in place of its drafts (a failure leaves the last draft)
            if (draftsBox) draftsBox.hidden = true;
            $("#artifact-frame").hidden = !$("#artifact-frame").dataset.frameSrc;
            $("[data-preview-empty]").hidden = !$("#artifact-frame").hidden;
            if (!number) showView("tool"); // a new tool: on a phone, show it
            // The version on screen says how its tries fared; a repaired one does not,
            // so the strip stays, with its sentence and the way to compare them.
            if ($("[data-tries-summary]")) strip.reset(0);
          }
        } catch {
          notice("The page could not be brought up to date; reload it to see the result.");
        }
        streaming = false;
        delete root.dataset.streaming;
        if (!done) {
          composer?.restore(
            prompted || root.dataset.retry || "",
            "",
            root.dataset.working ? "" : d.status === "interrupted" ? "Retry" : "Try again",
          );
        } else {
          composer?.setBusy(false);
        }
      },
    });
  }

  const composerForm = $("[data-composer]");
  if (composerForm) {
    composer = wireComposer(composerForm, {
      // A change is made to the version on screen, never silently to a newer one.
      extra: () => ({ base: root.dataset.version }),
      // The tool's files count against the limits too.
      existing: () => ({
        count: Number(root.dataset.filesCount) || 0,
        bytes: Number(root.dataset.filesBytes) || 0,
        names: JSON.parse(root.dataset.filesNames || "[]"),
      }),
      onStarted: (job, text) => {
        composer.reset();
        stream(job, text);
      },
    });
    // A failed or stopped job's prompt is offered again, with its tries.
    if (root.dataset.retry && root.dataset.jobTries)
      composer.setTries(Number(root.dataset.jobTries));
  }

  // -- Fix it ---------------------------------------------------------------
  async function fix(button) {
    const errors = (bridge?.errors || []).map((e) => ({
      kind: e.kind,
      message: e.message,
      line: e.line || null,
      column: e.column || null,
      phase: e.input ? "input" : null,
    }));
    button.disabled = true;
    const first = errors[0];
    const label = first
      ? `Fix it: ${first.message}${first.line ? ` (line ${first.line})` : ""}${errors.length > 1 ? `, and ${errors.length - 1} more` : ""}`
      : button.dataset.fixLabel || `Fix what the smoke test found in v${root.dataset.version}`;
    try {
      const job = await post(api("fix"), {
        errors,
        prompt: "",
        base: Number(root.dataset.version) || null,
      });
      selectTab("tab-code");
      showView("chat");
      stream(job, label);
    } catch (failure) {
      statusText.textContent = failure.message;
      button.disabled = false;
    }
  }

  // A job that is running (a new tool being written, a change) is followed at
  // once, and again after a reload.
  highlightInto(code(), codeText);
  keepNewestInView($("[data-turns]"), true);
  if (root.dataset.jobId) {
    const events = kilnUrl("job_events", { job_id: root.dataset.jobId });
    stream({ job_id: root.dataset.jobId, events_url: events }, "");
  } else {
    const pending = $("[data-smoke-pending]");
    if (pending) awaitVerdict(Number(pending.dataset.smokePending));
  }
}
