// The prompt box: Enter sends, Shift+Enter starts a new line; an optional image.
import { post } from "./api.js";

export function wireComposer(form, { onStarted }) {
  const prompt = form.querySelector("textarea[name=prompt]");
  const image = form.querySelector("input[type=file]");
  const imageName = form.querySelector("[data-image-name]");
  const imageClear = form.querySelector("[data-image-clear]");
  const error = form.querySelector("[data-form-error]");
  const submit = form.querySelector("button[type=submit]");

  const showError = (message) => {
    error.textContent = message;
    error.hidden = !message;
  };
  const showImage = () => {
    const file = image.files[0];
    imageName.hidden = imageClear.hidden = !file;
    imageName.textContent = file ? `🖼 ${file.name}` : "";
  };
  image.addEventListener("change", showImage);
  imageClear.addEventListener("click", () => { image.value = ""; showImage(); image.focus(); });

  prompt.addEventListener("keydown", (event) => {
    if (event.key === "Enter" && !event.shiftKey && !event.isComposing) {
      event.preventDefault();
      form.requestSubmit();
    }
  });

  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    if (submit.disabled) return;
    const text = prompt.value.trim();
    if (!text) { showError("Describe what you want first."); prompt.focus(); return; }
    showError("");
    const body = new FormData();
    body.append("prompt", text);
    if (image.files[0]) body.append("image", image.files[0]);
    submit.disabled = true;
    form.setAttribute("aria-busy", "true");
    try {
      const job = await post(form.dataset.endpoint, body);
      onStarted(job, text);
    } catch (failure) {
      // The prompt stays in the box: nothing typed is lost.
      showError(failure.message);
      submit.disabled = false;
      prompt.focus();
    } finally {
      form.removeAttribute("aria-busy");
    }
  });

  return {
    prompt,
    reset() { prompt.value = ""; image.value = ""; showImage(); },
    restore(text, message, label) {
      prompt.value = text; showError(message || ""); submit.disabled = false;
      if (label) submit.textContent = label;
    },
    setBusy(busy) { submit.disabled = busy; },
    fill(text) { prompt.value = text; prompt.focus(); },
  };
}
