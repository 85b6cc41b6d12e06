// The errors a tool throws in the viewer's own browser, as they happen: readable
// ("TypeError: x is not defined · line 3 · after your click"), never the frame's
// signed address (the bootstrap leaves it out), in a list that wraps.
const KINDS = {
  rejection: "Unhandled promise rejection",
  console: "console.error",
  csp: "Blocked by the sandbox",
};

export function describeError({ kind, message, line, input }) {
  const parts = [KINDS[kind] ? `${KINDS[kind]}: ${message}` : message];
  if (line) parts.push(`line ${line}`);
  if (input) parts.push("after your click or key");
  return parts.join(" · ");
}

export function wireErrorsPanel(bridge, panel) {
  if (!panel) return;
  const list = panel.querySelector("ol");
  bridge.addEventListener("connected", () => {
    list.replaceChildren();
    panel.hidden = true;
  });
  bridge.addEventListener("artifact-error", (event) => {
    const item = document.createElement("li");
    item.textContent = describeError(event.detail);
    list.append(item);
    panel.hidden = false;
    panel.querySelector("[data-error-count]").textContent = String(list.children.length);
  });
}
