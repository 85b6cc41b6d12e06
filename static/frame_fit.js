// The tool's frame grows (and shrinks) to the tool's own height, which the
// bootstrap reports (sandbox/static/bootstrap/78-height.js), up to
// config.frame_max_height; it never gets shorter than the space the page gives it.
// A page sized by its frame (100vh plus a margin, say) would grow it without end:
// a few pixels over are left to scroll, and a second report over by the same
// amount as the last means the tool follows the frame, so the frame stays.
import { config } from "./config.js";

const SLACK = 32;

export class FrameFit {
  constructor(frame) {
    this.frame = frame;
    this.overshoot = null;
  }

  reset() { this.overshoot = null; }

  onHeight(height) {
    const frame = this.frame;
    const want = Math.min(height, config.frame_max_height);
    const over = want - frame.clientHeight;
    if (over > 0 && (over <= SLACK || (this.overshoot !== null && Math.abs(over - this.overshoot) <= 2))) {
      return;
    }
    this.overshoot = over > 0 ? over : null;
    const border = frame.offsetHeight - frame.clientHeight;
    frame.style.setProperty("--tool-height", `${want + border}px`);
    frame.dataset.fitted = String(want);
  }
}
