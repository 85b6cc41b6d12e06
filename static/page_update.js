// Brings a tool's page up to date with no reload: the page is fetched as the
// server renders it now, and every region marked data-swap="NAME" is replaced by
// its fresh counterpart. The tool's frame stays the same element (the bridge
// keeps its channel and consent state) and only gets its new address.

import { withoutToken } from "./url_state.js";

/** The page at `url` as the server renders it now. */
export async function freshPage(url) {
  const response = await fetch(url, {
    credentials: "same-origin",
    headers: { Accept: "text/html" },
  });
  if (!response.ok) throw new Error(`Kiln answered ${response.status} for ${url}`);
  return new DOMParser().parseFromString(await response.text(), "text/html");
}

/** Replace the swappable regions under `root` with those of `fresh` (but those
 *  `keep` says to keep), and take the fresh page's values of `keys` of root's
 *  dataset (root is found in `fresh` by `selector`). */
export function swapRegions(root, fresh, selector, keys = [], keep = () => false) {
  for (const region of root.querySelectorAll("[data-swap]")) {
    if (keep(region)) continue;
    const next = fresh.querySelector(`[data-swap="${CSS.escape(region.dataset.swap)}"]`);
    if (next) region.replaceWith(document.importNode(next, true));
  }
  const frame = document.getElementById("artifact-frame");
  const nextFrame = fresh.getElementById("artifact-frame");
  if (frame && nextFrame) {
    const src = nextFrame.dataset.frameSrc;
    frame.title = nextFrame.title;
    // Another version: shown at once. (Each render has a storage token of its
    // own, so only the rest of the address tells versions apart.)
    const current = frame.dataset.frameSrc;
    if (src && (!current || withoutToken(src) !== withoutToken(current))) {
      frame.dataset.frameSrc = src;
      frame.src = src;
      frame.hidden = false;
      const empty = document.querySelector("[data-preview-empty]");
      if (empty) empty.hidden = true;
    }
  }
  const nextRoot = fresh.querySelector(selector);
  for (const key of keys) {
    if (nextRoot && key in nextRoot.dataset) root.dataset[key] = nextRoot.dataset[key];
    else delete root.dataset[key];
  }
  document.title = fresh.title;
}
