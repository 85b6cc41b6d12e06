// The prompt box: Enter sends, Shift+Enter starts a new line; an optional image;
// a counter once the prompt nears its limit (the server refuses a longer one with
// its reason, shown here: nothing is cut in silence); Stop while the model writes.
import { post } from "./api.js";
import { config } from "./config.js";

const LIMIT = config.max_prompt_chars;
const COUNT_FROM = Math.floor(LIMIT * 0.8); // the counter shows from here on

/** "18,200 / 20,000", and whether it is over. */
export function promptCount(length, limit = LIMIT) {
  return {
    text: `${length.toLocaleString("en")} / ${limit.toLocaleString("en")}`,
    over: length > limit,
  };
}

export function wireComposer(form, { onStarted, extra = () => ({}) }) {
  const prompt = form.querySelector("textarea[name=prompt]");
  const image = form.querySelector("input[type=file]");
  const imageName = form.querySelector("[data-image-name]");
  const imageClear = form.querySelector("[data-image-clear]");
  const error = form.querySelector("[data-form-error]");
  const submit = form.querySelector("button[type=submit]");
  const stop = form.querySelector("[data-stop]");
  const counter = form.querySelector("[data-prompt-count]");
  let busy = false;
  let cancelUrl = null;

  const showError = (message) => {
    error.textContent = message;
    error.hidden = !message;
  };
  const showImage = () => {
    const file = image.files[0];
    imageName.hidden = imageClear.hidden = !file;
    imageName.textContent = file ? `🖼 ${file.name}` : "";
  };
  const count = () => {
    const length = prompt.value.length;
    counter.hidden = length < COUNT_FROM;
    const { text, over } = promptCount(length);
    counter.textContent = over ? `${text}: too long` : text;
    counter.classList.toggle("over", over);
  };
  image.addEventListener("change", showImage);
  imageClear.addEventListener("click", () => {
    image.value = "";
    showImage();
    image.focus();
  });
  prompt.addEventListener("input", count);
  count();

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
    if (image.files[0]) body.append("image", image.files[0]);
    for (const [name, value] of Object.entries(extra())) {
      if (value !== null && value !== undefined && value !== "") body.append(name, String(value));
    }
    setBusy(true);
    form.setAttribute("aria-busy", "true");
    try {
      const job = await post(form.dataset.endpoint, body);
      onStarted(job, text);
    } catch (failure) {
      // The prompt stays in the box: nothing typed is lost.
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
      image.value = "";
      showImage();
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
    becomeChange() {
      prompt.placeholder = "Ask for a change…";
      form.querySelector("label[for=prompt]").textContent = "Ask for a change";
      submit.textContent = "Send";
    },
  };
}
