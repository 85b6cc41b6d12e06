// The parent side of the media channel: a tool's camera, microphone and screen capture.
// Chromium refuses capture in an opaque origin outright, and the tool's frame is
// one (its Permissions Policy denies the devices besides). So a tool's
// getUserMedia() arrives here over the bridge: this page asks the viewer once
// per device (the one consent dialog; Allow is kept on the server for this tool
// and viewer, Deny lasts for the visit), captures the device itself (the
// browser's own prompt, for Kiln's origin, comes on top), and streams to the
// frame what the camera or a shared screen shows (ImageBitmaps) and the
// microphone hears (samples).
// The bootstrap (68-media.js) turns those into a real MediaStream. The frame
// never holds a device: revoking, Stop, or a new document ends the capture here.

import { del, post } from "./api.js";
import { kilnUrl } from "./urls.js";

export const KINDS = ["camera", "microphone", "screen"];
const MAX_REFUSALS = 3; // as the network's: the viewer's no's in a visit
const MAX_FPS = 30;
const MAX_SIDE = 1920; // frames larger than this are scaled down before they are copied
const AUDIO_FRAMES = 2048; // samples per chunk (about 43 ms at 48 kHz)

const isNumber = (v) => typeof v === "number" && Number.isFinite(v) && v > 0 && v <= 10_000;
const VIDEO_WISHES = {
  width: isNumber,
  height: isNumber,
  frameRate: isNumber,
  facingMode: (v) => ["user", "environment", "left", "right"].includes(v),
};

/** The bridge's schema for `media` messages: a request for devices, a device the
 *  tool stopped, or a click in the frame (a suspended capture may start). */
export function validMedia(m) {
  if (m.stop !== undefined) return KINDS.includes(m.stop) && m.id === undefined;
  if (m.wake !== undefined) return m.wake === true && m.id === undefined;
  return (
    Number.isInteger(m.id) &&
    m.id >= 0 &&
    Array.isArray(m.kinds) &&
    m.kinds.length >= 1 &&
    m.kinds.length <= KINDS.length &&
    m.kinds.every((k) => KINDS.includes(k)) &&
    new Set(m.kinds).size === m.kinds.length &&
    // A screen is asked for alone (getDisplayMedia), the devices together (getUserMedia).
    (!m.kinds.includes("screen") || m.kinds.length === 1) &&
    (m.video === undefined ||
      (m.video !== null &&
        typeof m.video === "object" &&
        Object.entries(m.video).every(
          ([k, v]) => Object.hasOwn(VIDEO_WISHES, k) && VIDEO_WISHES[k](v),
        )))
  );
}

// What the tool's getUserMedia() rejects with when the viewer or the browser says no.
const SAYS = {
  denied: (kinds) => `The viewer did not allow this tool to use the ${spoken(kinds)}`,
  browser: (kinds) => `The browser did not let Kiln use the ${spoken(kinds)}`,
  gone: () => "The viewer stopped the capture before it started",
};

const NAMES = { camera: "camera", microphone: "microphone", screen: "screen" };

function spoken(kinds) {
  return kinds.map((k) => NAMES[k]).join(" and ");
}

function cameraConstraints(wish = {}) {
  const video = {};
  for (const key of ["width", "height", "frameRate"]) {
    if (wish[key])
      video[key] = { ideal: Math.min(wish[key], key === "frameRate" ? MAX_FPS : MAX_SIDE) };
  }
  if (wish.facingMode) video.facingMode = { ideal: wish.facingMode };
  return Object.keys(video).length ? video : true;
}

export class Media extends EventTarget {
  /** `granted`: the devices this viewer already allowed this tool (from the
   *  server); `send(message, transfer)`: to the frame's current document. */
  constructor({ artifactId, consent, granted = [], send }) {
    super();
    this.artifactId = artifactId;
    this.consent = consent;
    this.send = send;
    this.allowed = new Set(granted.filter((k) => KINDS.includes(k)));
    this.denied = new Set(); // for this visit
    this.paused = new Set(); // stopped by the viewer this visit: asked again before it restarts
    this.refusals = 0;
    this.deciding = null; // the open question, if any: questions come one at a time
    this.captures = new Map(); // kind -> Promise<{info, stop, wake}>
    this.generation = 0; // one per document in the frame
  }

  get kinds() {
    return KINDS.filter((k) => this.allowed.has(k));
  }

  /** The devices capturing now (for the page's "on" line). */
  get live() {
    return KINDS.filter((k) => this.captures.has(k));
  }

  /** A new document in the frame: what the old one was given stops. */
  reset() {
    this.generation += 1;
    for (const kind of [...this.captures.keys()]) this.stop(kind, false);
  }

  async onMedia(message, port) {
    if (message.stop) return this.stop(message.stop, false);
    if (message.wake) {
      for (const capture of this.captures.values())
        capture.then(
          (c) => c.wake(),
          () => {},
        );
      return;
    }
    const generation = this.generation;
    const reply = (answer) => {
      if (generation !== this.generation) return;
      try {
        port?.postMessage({ id: message.id, ...answer });
      } catch {
        /* closed */
      }
    };
    const refuse = (error, code = "NotAllowedError") => reply({ ok: false, error, code });
    const { kinds } = message;
    if (!(await this.decide(kinds))) return refuse(SAYS.denied(kinds));
    if (generation !== this.generation) return;
    const value = {};
    try {
      for (const kind of kinds) value[kind] = (await this.capture(kind, message.video)).info;
    } catch (e) {
      const name = e?.name || "NotReadableError";
      return refuse(
        name === "NotAllowedError" ? SAYS.browser(kinds) : String(e?.message || name),
        name,
      );
    }
    // Revoked or stopped while the device started: the tool gets nothing.
    if (!kinds.every((k) => this.allowed.has(k) && this.captures.has(k)))
      return refuse(SAYS.gone());
    reply({ ok: true, value });
  }

  // Allowed devices answer at once, denied ones (this visit) too; otherwise the
  // viewer is asked, one question at a time, and every request waits for it.
  async decide(kinds) {
    for (;;) {
      if (kinds.some((k) => this.denied.has(k))) return false;
      const missing = kinds.filter((k) => !this.allowed.has(k) || this.paused.has(k));
      if (!missing.length) return true;
      if (this.refusals >= MAX_REFUSALS) return false;
      if (!this.deciding) {
        this.deciding = this.ask(missing)
          .then((ok) => {
            if (ok) return this.allow(missing);
            for (const k of missing) this.denied.add(k);
            this.refusals += 1;
          })
          .finally(() => {
            this.deciding = null;
          });
      }
      await this.deciding;
    }
  }

  async ask(kinds) {
    // Another capability's question is open: this one waits its turn.
    while (this.consent.busy) {
      await new Promise((resolve) =>
        this.consent.dialog.addEventListener("close", resolve, { once: true }),
      );
    }
    if (kinds.includes("screen")) {
      return this.consent.ask(
        "Let this tool see your screen?",
        "Your browser will ask which window, tab or screen to share (never this page). The tool " +
          "will see everything shown there while you share it, and it can send that to any host " +
          "you let it reach.",
        "Allow",
        {
          deny: "Deny",
          prose: true,
          note:
            "Allow is kept for this tool until you remove it under the tool; your browser asks " +
            "each time. Deny lasts until you leave this page.",
        },
      );
    }
    const sees = [
      kinds.includes("camera") && "see what your camera sees",
      kinds.includes("microphone") && "hear what your microphone hears",
    ].filter(Boolean);
    return this.consent.ask(
      `Let this tool use your ${spoken(kinds)}?`,
      `It will ${sees.join(" and ")} while this page is open, and it can send that to any ` +
        "host you let it reach.",
      "Allow",
      {
        deny: "Deny",
        prose: true,
        note:
          "Your browser may ask you as well. Allow is kept for this tool until you remove it " +
          "under the tool; Deny lasts until you leave this page.",
      },
    );
  }

  allow(kinds) {
    for (const k of kinds) {
      this.allowed.add(k);
      this.paused.delete(k);
    }
    this.dispatchEvent(new CustomEvent("grants"));
    // Kept on the server for this tool and viewer; should that fail, the answer still holds here.
    post(kilnUrl("media", { artifact_id: this.artifactId }), { kinds }).catch(() => {});
  }

  async revoke(kind) {
    this.allowed.delete(kind);
    this.denied.delete(kind);
    this.stop(kind);
    this.dispatchEvent(new CustomEvent("grants"));
    await del(kilnUrl("media_kind", { artifact_id: this.artifactId, kind }));
  }

  /** End a capture; the tool's tracks of that device end too (`tell`: unless it asked). */
  stop(kind, tell = true) {
    const capture = this.captures.get(kind);
    if (!capture) return;
    this.captures.delete(kind);
    capture.then(
      (c) => c.stop(),
      () => {},
    );
    if (tell) this.send({ event: "media-ended", kind });
    this.dispatchEvent(new CustomEvent("live"));
  }

  /** The viewer's Stop: every capture ends now, and the tool must ask again to restart one. */
  pause() {
    for (const kind of this.live) {
      this.paused.add(kind);
      this.stop(kind);
    }
  }

  capture(kind, wish) {
    if (!this.captures.has(kind)) {
      const start = {
        camera: () => this.camera(wish),
        microphone: () => this.microphone(),
        screen: () => this.screen(wish),
      };
      const starting = start[kind]().then((c) => {
        // Stopped while it started (revoked, a new document): let the device go.
        if (this.captures.get(kind) !== starting) c.stop();
        return c;
      });
      this.captures.set(kind, starting);
      starting.catch(() => {
        if (this.captures.get(kind) === starting) this.captures.delete(kind);
        this.dispatchEvent(new CustomEvent("live"));
      });
      this.dispatchEvent(new CustomEvent("live"));
    }
    return this.captures.get(kind);
  }

  async camera(wish) {
    const stream = await navigator.mediaDevices.getUserMedia({ video: cameraConstraints(wish) });
    return this.frames("camera", stream);
  }

  // Kiln's page makes the call, so the tool cannot change what the browser's
  // picker offers: never this tab (which shows Kiln's page around the tool),
  // no switching to another source mid-share, and no sound.
  async screen(wish) {
    const frameRate = wish?.frameRate ? { ideal: Math.min(wish.frameRate, MAX_FPS) } : undefined;
    const stream = await navigator.mediaDevices.getDisplayMedia({
      video: frameRate ? { frameRate } : true,
      audio: false,
      selfBrowserSurface: "exclude",
      surfaceSwitching: "exclude",
      systemAudio: "exclude",
    });
    return this.frames("screen", stream);
  }

  /** Frames of a video capture, streamed to the frame one at a time. */
  async frames(kind, stream) {
    const [track] = stream.getVideoTracks();
    const video = document.createElement("video");
    Object.assign(video, { muted: true, playsInline: true, srcObject: stream });
    let stopped = false;
    let timer = null;
    const stop = () => {
      stopped = true;
      clearTimeout(timer);
      for (const t of stream.getTracks()) t.stop();
      video.srcObject = null;
    };
    try {
      await video.play();
    } catch (e) {
      stop();
      throw e;
    }
    const fps = Math.min(MAX_FPS, track.getSettings().frameRate || MAX_FPS);
    const size = () => {
      const scale = Math.min(1, MAX_SIDE / Math.max(video.videoWidth, video.videoHeight));
      return {
        width: Math.max(1, Math.round(video.videoWidth * scale)),
        height: Math.max(1, Math.round(video.videoHeight * scale)),
      };
    };
    // One frame at a time: the next is taken once this one is on its way.
    const tick = async () => {
      const started = performance.now();
      if (video.readyState >= 2 && video.videoWidth) {
        try {
          const { width, height } = size();
          const frame = await createImageBitmap(video, {
            resizeWidth: width,
            resizeHeight: height,
          });
          if (stopped) frame.close();
          else this.send({ event: "media-frame", device: kind, frame }, [frame]);
        } catch {
          /* a frame that could not be read: the next one may */
        }
      }
      if (!stopped)
        timer = setTimeout(tick, Math.max(0, 1000 / fps - (performance.now() - started)));
    };
    // The device went, or the viewer stopped sharing in the browser's own bar.
    track.addEventListener("ended", () => this.stop(kind));
    tick();
    return { info: { ...size(), frameRate: fps }, stop, wake() {} };
  }

  async microphone() {
    const stream = await navigator.mediaDevices.getUserMedia({ audio: true });
    const [track] = stream.getAudioTracks();
    const channels = Math.min(2, Math.max(1, track.getSettings().channelCount || 1));
    const context = new AudioContext();
    const source = context.createMediaStreamSource(stream);
    // A tap that copies each chunk of samples out; it runs only when connected
    // to the output, so it goes there through a silent gain.
    const tap = context.createScriptProcessor(AUDIO_FRAMES, channels, channels);
    const silent = context.createGain();
    silent.gain.value = 0;
    tap.onaudioprocess = (e) => {
      const data = [];
      for (let c = 0; c < channels; c += 1) data.push(e.inputBuffer.getChannelData(c).slice());
      this.send(
        { event: "media-audio", rate: context.sampleRate, data },
        data.map((d) => d.buffer),
      );
    };
    source.connect(tap);
    tap.connect(silent);
    silent.connect(context.destination);
    track.addEventListener("ended", () => this.stop("microphone"));
    // A page that has not been clicked yet starts its audio suspended; a click
    // (here, or in the frame, which the bootstrap reports) lets it run.
    const wake = () => {
      if (context.state === "suspended") context.resume().catch(() => {});
    };
    wake();
    const stop = () => {
      for (const t of stream.getTracks()) t.stop();
      tap.onaudioprocess = null;
      context.close().catch(() => {});
    };
    return { info: { sampleRate: context.sampleRate, channelCount: channels }, stop, wake };
  }
}

/** The tool page's line: the devices this viewer allowed (each can be taken
 *  back) and what is capturing now (which can be stopped). */
export function wireMediaPanel(media, root = document) {
  const line = root.querySelector("[data-media-grants]");
  if (!line) return;
  const list = line.querySelector("[data-media-list]");
  const live = line.querySelector("[data-media-live]");
  const show = () => {
    const on = media.live;
    line.hidden = media.kinds.length === 0 && on.length === 0;
    list.replaceChildren(
      ...media.kinds.map((kind) => {
        const item = document.createElement("span");
        item.className = "net-host";
        item.dataset.mediaKind = kind;
        const name = document.createElement("span");
        name.textContent = kind;
        const remove = document.createElement("button");
        Object.assign(remove, {
          type: "button",
          className: "ghost small",
          textContent: "✕",
          title: `Remove: the ${kind} stops now, and Kiln asks again before this tool uses it`,
        });
        remove.setAttribute("aria-label", `Stop this tool using your ${kind}`);
        remove.addEventListener("click", () => media.revoke(kind).catch(() => {}));
        item.append(name, remove);
        return item;
      }),
    );
    live.hidden = on.length === 0;
    if (on.length) {
      const stop = document.createElement("button");
      Object.assign(stop, { type: "button", className: "secondary small", textContent: "Stop" });
      stop.dataset.mediaStop = "";
      stop.setAttribute("aria-label", `Stop the ${spoken(on)} now`);
      stop.addEventListener("click", () => media.pause());
      const status = document.createElement("span");
      status.setAttribute("role", "status");
      status.textContent = `● ${spoken(on)} on `;
      live.replaceChildren(status, stop);
    }
  };
  media.addEventListener("grants", show);
  media.addEventListener("live", show);
  show();
}
