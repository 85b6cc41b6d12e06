// The prompt box: Enter sends, Shift+Enter starts a new line; files attached by
// the button, a drop onto the box or a paste (an image is one kind of file), each
// a chip that removes it, one over a limit refused here with the reason before
// anything is sent; a counter once the prompt nears its limit (the server refuses
// a longer one with its reason, shown here: nothing is cut in silence); Stop while
// the model writes; how many tries to ask for (config.tries: what the server
// allows), with what they cost said where the keys are. A refusal keeps the
// prompt, the files and the tries chosen.
import { post } from "./api.js";
import { config } from "./config.js";
import { carriesFiles, fileKind, filesOf, kindWords, refusal } from "./attachments.js";
import { humanSize } from "./format.js";

const LIMIT = config.max_prompt_chars;
const COUNT_FROM = Math.floor(LIMIT * 0.8); // the counter shows from here on

/** "18,200 / 20,000", and whether it is over. */
export function promptCount(length, limit = LIMIT) {
  return {
    text: `${length.toLocaleString("en")} / ${limit.toLocaleString("en")}`,
    over: length > limit,
  };
}

/** What asking for `n` tries costs, in words ("3 tries: about 3× the tokens"):
 *  each try is a whole answer, asked at once. Null for one. */
export function triesCost(n) {
  return n > 1 ? `${n} tries: about ${n}× the tokens` : null;
}

/** `name`, or "name-2.png" and so on when `taken` (lower case) holds it: two
 *  pasted screenshots both called "image.png" stay two files. */
function freeName(name, taken) {
  if (!taken.has(name.toLowerCase())) return name;
  const dot = name.lastIndexOf(".");
  const [stem, suffix] = dot > 0 ? [name.slice(0, dot), name.slice(dot)] : [name, ""];
  for (let n = 2; ; n += 1) {
    const candidate = `${stem}-${n}${suffix}`;
    if (!taken.has(candidate.toLowerCase())) return candidate;
  }
}

/** `existing()`: the files the tool has already ({count, bytes, names}), which
 *  the limits count too. */
export function wireComposer(
  form,
  { onStarted, extra = () => ({}), existing = () => ({ count: 0, bytes: 0, names: [] }) },
) {
  const prompt = form.querySelector("textarea[name=prompt]");
  const picker = form.querySelector("[data-attach]");
  const chips = form.querySelector("[data-attachments]");
  const error = form.querySelector("[data-form-error]");
  const submit = form.querySelector("button[type=submit]");
  const stop = form.querySelector("[data-stop]");
  const counter = form.querySelector("[data-prompt-count]");
  const triesPick = form.querySelector("[data-tries]");
  const help = form.querySelector("[data-prompt-help]");
  let busy = false;
  let cancelUrl = null;

  const showError = (message) => {
    error.textContent = message;
    error.hidden = !message;
  };

  // -- attachments: [{ file, name }], sent as repeated "file" fields ------------
  let attached = [];
  const showAttached = () => {
    chips.replaceChildren(
      ...attached.map(({ file, name }, i) => {
        const chip = document.createElement("li");
        chip.className = "chip attachment";
        const label = document.createElement("span");
        label.className = "attachment-name";
        label.textContent = name;
        const about = document.createElement("span");
        about.className = "muted";
        about.textContent = `${kindWords(fileKind(name))} · ${humanSize(file.size)}`;
        const remove = document.createElement("button");
        Object.assign(remove, { type: "button", className: "ghost small", textContent: "✕" });
        remove.dataset.detach = String(i);
        remove.setAttribute("aria-label", `Remove ${name}`);
        chip.append(label, " ", about, " ", remove);
        return chip;
      }),
    );
    chips.hidden = attached.length === 0;
  };
  /** Attach `files`, all or none: one the limits refuse is said, with why. */
  const attach = (files, { pasted = false } = {}) => {
    if (!files.length) return;
    const taken = new Set(attached.map(({ name }) => name.toLowerCase()));
    const adding = files.map((file) => {
      const name = pasted ? freeName(file.name || "pasted", taken) : file.name;
      taken.add(name.toLowerCase());
      return { file, name };
    });
    const had = existing();
    const why = refusal(
      adding.map(({ file, name }) => ({ name, size: file.size })),
      {
        count: had.count + attached.length,
        bytes: had.bytes + attached.reduce((sum, { file }) => sum + file.size, 0),
        names: [...had.names, ...attached.map(({ name }) => name)],
      },
    );
    if (why) {
      showError(`Not attached: ${why}`);
      return;
    }
    showError("");
    attached = [...attached, ...adding];
    showAttached();
  };
  const count = () => {
    const length = prompt.value.length;
    counter.hidden = length < COUNT_FROM;
    const { text, over } = promptCount(length);
    counter.textContent = over ? `${text}: too long` : text;
    counter.classList.toggle("over", over);
  };
  picker.addEventListener("change", () => {
    attach([...picker.files]);
    picker.value = ""; // the list here is what is sent; the same file may be picked again
  });
  chips.addEventListener("click", (event) => {
    const remove = event.target.closest("[data-detach]");
    if (!remove) return;
    const i = Number(remove.dataset.detach);
    attached = attached.filter((_, j) => j !== i);
    showAttached();
    showError("");
    // focus stays in the list (the next chip's button), else goes back to the button
    const next = chips.querySelectorAll("[data-detach]")[Math.min(i, attached.length - 1)];
    (next || form.querySelector("label[for=attach]") || prompt).focus();
  });
  // A drop onto the box, and a paste of files (a screenshot, say) into the prompt.
  form.addEventListener("dragover", (event) => {
    if (!carriesFiles(event.dataTransfer)) return;
    event.preventDefault();
    event.dataTransfer.dropEffect = "copy";
    form.classList.add("dropping");
  });
  form.addEventListener("dragleave", (event) => {
    if (!form.contains(event.relatedTarget)) form.classList.remove("dropping");
  });
  form.addEventListener("drop", (event) => {
    form.classList.remove("dropping");
    const files = filesOf(event.dataTransfer);
    if (!files.length) return; // dropped text goes into the prompt as usual
    event.preventDefault();
    attach(files);
  });
  prompt.addEventListener("paste", (event) => {
    const files = filesOf(event.clipboardData);
    if (!files.length) return;
    event.preventDefault();
    attach(files, { pasted: true });
  });
  prompt.addEventListener("input", count);
  count();
  const showCost = () => {
    const cost = triesPick && triesCost(Number(triesPick.value));
    help.textContent = cost || help.dataset.keys;
    help.toggleAttribute("data-cost", Boolean(cost));
  };
  triesPick?.addEventListener("change", showCost);
  showCost();

  prompt.addEventListener("keydown", (event) => {
    if (event.key === "Enter" && !event.shiftKey && !event.isComposing) {
      event.preventDefault();
      form.requestSubmit();
    }
  });

  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    if (busy) return;
    if (form.dataset.noModel) {
      showError(form.dataset.noModel);
      return;
    }
    const text = prompt.value.trim();
    if (!text) {
      showError("Describe what you want first.");
      prompt.focus();
      return;
    }
    showError("");
    const body = new FormData();
    body.append("prompt", text);
    for (const { file, name } of attached) body.append("file", file, name);
    if (triesPick) body.append("tries", triesPick.value);
    for (const [name, value] of Object.entries(extra())) {
      if (value !== null && value !== undefined && value !== "") body.append(name, String(value));
    }
    setBusy(true);
    form.setAttribute("aria-busy", "true");
    try {
      const job = await post(form.dataset.endpoint, body);
      onStarted(job, text);
    } catch (failure) {
      // The prompt stays in the box and the files stay attached: nothing is lost.
      showError(failure.message);
      setBusy(false);
      prompt.focus();
    } finally {
      form.removeAttribute("aria-busy");
    }
  });

  stop.addEventListener("click", async () => {
    if (!cancelUrl) return;
    stop.disabled = true;
    stop.textContent = "Stopping…";
    try {
      await post(cancelUrl, {});
    } catch (failure) {
      showError(failure.message);
      stop.disabled = false;
    }
  });

  // While a job runs, Send gives way to Stop (given the job's cancel URL).
  function setBusy(on, jobCancelUrl = null) {
    busy = on;
    cancelUrl = on ? jobCancelUrl : null;
    submit.disabled = on;
    submit.hidden = Boolean(on && jobCancelUrl);
    stop.hidden = !(on && jobCancelUrl);
    stop.disabled = false;
    stop.textContent = "Stop";
  }

  return {
    prompt,
    setBusy,
    reset() {
      prompt.value = "";
      attached = [];
      showAttached();
      count();
    },
    restore(text, message, label) {
      prompt.value = text;
      count();
      showError(message || "");
      setBusy(false);
      if (label) submit.textContent = label;
    },
    fill(text) {
      prompt.value = text;
      count();
      prompt.focus();
    },
    /** The tries a job asked for, offered again with its prompt (one the box
     *  does not offer leaves the choice as it is). */
    setTries(n) {
      if (!triesPick || ![...triesPick.options].some((o) => Number(o.value) === n)) return;
      triesPick.value = String(n);
      showCost();
    },
    becomeChange() {
      prompt.placeholder = "Ask for a change…";
      form.querySelector("label[for=prompt]").textContent = "Ask for a change";
      submit.textContent = "Send";
    },
  };
}
