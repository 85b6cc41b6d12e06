// The tries of one version side by side (templates/tries.html): "Use this one
// instead" asks the server for a new version from that try (the owner's), then
// opens it in the workspace. A refusal is said beside the button.
import { post } from "./api.js";
import { kilnUrl } from "./urls.js";

export function initCompareTries(root) {
  const artifactId = root.dataset.artifactId;
  const number = root.dataset.version;
  root.addEventListener("click", async (event) => {
    const button = event.target.closest("[data-use-try]");
    if (!button) return;
    const error = button.parentElement.querySelector("[data-use-error]");
    error.hidden = true;
    button.disabled = true;
    button.textContent = "Making a new version…";
    try {
      const made = await post(
        kilnUrl("use_alternative", {
          artifact_id: artifactId,
          number,
          try_number: button.dataset.useTry,
        }),
        {},
      );
      location.assign(kilnUrl("version_page", { artifact_id: artifactId, number: made.version }));
    } catch (failure) {
      error.textContent = failure.message;
      error.hidden = false;
      button.disabled = false;
      button.textContent = "Use this one instead";
    }
  });
}
