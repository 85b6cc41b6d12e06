// Notices (flashed by the server, or said by a page's script) float over the page
// instead of pushing it down, and stay until dismissed.
const box = () => document.querySelector("[data-notices]");

export function notice(message) {
  const item = document.createElement("p");
  item.className = "notice";
  const text = document.createElement("span");
  text.textContent = message;
  const close = document.createElement("button");
  Object.assign(close, { type: "button", className: "ghost small", textContent: "✕" });
  close.dataset.dismiss = "";
  close.setAttribute("aria-label", "Dismiss this notice");
  item.append(text, " ", close);
  box()?.append(item);
}

export function wireNotices() {
  document.addEventListener("click", (event) => {
    const close = event.target.closest("[data-dismiss]");
    if (close) close.closest(".notice")?.remove();
  });
}
