// The tool's frame grows (and shrinks) to the tool's own height, which the
// bootstrap reports (sandbox/static/bootstrap/78-height.js), up to
// config.frame_max_height; it never gets shorter than the space the page gives it.
// A page sized by its frame (100vh plus a margin, say) would grow it without end:
// when the frame has just grown and the tool is over it again by the same amount,
// the tool follows its frame, and the frame stays (the tool scrolls, as it would
// in a browser window).
import { config } from "./config.js";

const FOLLOWS_MS = 1000; // "just grown"

export class FrameFit {
  constructor(frame) {
    this.frame = frame;
    this.reset();
  }

  reset() {
    this.overshoot = null;
    this.grewAt = -Infinity;
  }

  onHeight(height) {
    const frame = this.frame;
    const want = Math.min(height, config.frame_max_height);
    const over = want - frame.clientHeight;
    const now = performance.now();
    if (
      over > 0 &&
      this.overshoot !== null &&
      Math.abs(over - this.overshoot) <= 2 &&
      now - this.grewAt < FOLLOWS_MS
    ) {
      this.overshoot = null;
      return;
    }
    this.overshoot = over > 0 ? over : null;
    if (over > 0) this.grewAt = now;
    const border = frame.offsetHeight - frame.clientHeight;
    frame.style.setProperty("--tool-height", `${want + border}px`);
    frame.dataset.fitted = String(want);
  }
}
