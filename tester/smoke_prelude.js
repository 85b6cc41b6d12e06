// Runs in the page's own world before any of its scripts. It changes nothing a
// person could notice: Kiln's sandbox already ignores these calls (alert() is
// undefined, confirm() false, prompt() null, window.open() null), but Chromium
// writes a log line for every ignored call, and a page calling alert() in a
// loop floods the DevTools connection so that even stopping the loop queues
// behind the flood. Here they do the same nothing, silently, and are counted.
// Console output, which no user sees, is capped for the same reason.
(() => {
  const BINDING = "__kilnSmokeBlocked";
  const report = globalThis[BINDING];
  delete globalThis[BINDING];
  const seen = Object.create(null);
  const note = (name) => {
    seen[name] = (seen[name] || 0) + 1;
    // The first few say what happened; a flood only needs to be known as one.
    if (seen[name] <= 20) {
      try {
        report(name);
      } catch (e) {
        /* tab closing */
      }
    }
  };
  const blocked = { alert: undefined, confirm: false, prompt: null, print: undefined, open: null };
  for (const [name, result] of Object.entries(blocked)) {
    const label = name === "open" ? "window.open()" : name + "()";
    const stub = {
      [name]() {
        note(label);
        return result;
      },
    }[name];
    try {
      Object.defineProperty(window, name, { value: stub, writable: true, configurable: true });
    } catch (e) {
      /* keep native */
    }
  }
  // The viewer's side of what the bootstrap asks Kiln's page for (saving a
  // file, the clipboard, a link, full screen): the person is taken to say yes.
  // Nothing is saved, copied or opened. The bootstrap takes this away before
  // the page's own scripts run.
  const ASKED = {
    download: "save a file",
    clipboard: "copy to the clipboard",
    open: "open a link",
    fullscreen: "go full screen",
    paste: "read the clipboard",
    media: "use the camera, mic or screen",
  };
  // What a person might have copied, for a Paste button.
  const PASTED = "hello world 42 https://example.com/page?q=1";
  // What tools ask of Kiln's server has a stand-in of its own (smoke_kiln_api.js).
  const server = globalThis.__kilnSmokeApi;
  delete globalThis.__kilnSmokeApi;
  // A request to another host, or a WebSocket or EventSource, is answered as a
  // failed network answers it (nothing leaves the machine), and its URL is
  // written down: the verdict names the hosts the tool needs.
  Object.defineProperty(window, "__kilnViewer", {
    value: (type, msg) => {
      if (type === "fetch" || type === "stream") {
        note("network:" + String(msg && msg.url).slice(0, 300));
        return false;
      }
      const served = server && server(type, msg);
      if (served) {
        note("uses:" + served.uses);
        return served.answer;
      }
      note("asked:" + (ASKED[type] || "something else"));
      return type === "paste" ? PASTED : true;
    },
    configurable: true,
  });
  let budget = 1000;
  for (const method of [
    "log",
    "info",
    "warn",
    "error",
    "debug",
    "trace",
    "table",
    "dir",
    "assert",
  ]) {
    const original = console[method];
    if (typeof original !== "function") continue;
    console[method] = {
      [method](...args) {
        if (budget-- > 0) return original.apply(console, args);
      },
    }[method];
  }
})();
// The library mirror, read for the page as Kiln's page reads it for the frame
// (the bootstrap's mirrorFetch: Pyodide's WebAssembly, pdf.js's fonts): the
// tester answers from the mirror's files through a binding, never the network.
(() => {
  const ask = globalThis.__kilnSmokeMirror;
  delete globalThis.__kilnSmokeMirror;
  const viewer = window.__kilnViewer;
  const waiting = new Map();
  let next = 0;
  const bytes = (b64) =>
    Uint8Array.fromBase64
      ? Uint8Array.fromBase64(b64)
      : Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
  Object.defineProperty(window, "__kilnMirrorAnswer", {
    value: (id, found, mime, b64) => {
      const done = waiting.get(id);
      waiting.delete(id);
      if (done) done(found ? { mime, body: bytes(b64).buffer } : false);
    },
  });
  Object.defineProperty(window, "__kilnViewer", {
    configurable: true,
    value: (type, msg) => {
      if (type !== "mirror") return viewer(type, msg);
      const id = ++next;
      return new Promise((resolve, reject) => {
        waiting.set(id, (file) =>
          file ? resolve(file) : reject(new Error("not in the library mirror")),
        );
        try {
          ask(JSON.stringify({ id, path: String(msg.path) }));
        } catch (e) {
          reject(e);
        }
      });
    },
  });
})();
// The camera, microphone and a shared screen, as Chromium's fake devices would
// show them: a moving test pattern and a 440 Hz tone. A tool's frame never captures by itself (Kiln's
// page captures and streams to it), so they are fed through the bootstrap's own
// hook, as Kiln's page feeds it. Its timers are the browser's, taken before
// smoke_timers.js wraps them: the feed is not the page's own work.
(() => {
  const viewer = window.__kilnViewer;
  const later = setTimeout;
  const WIDTH = 320;
  const HEIGHT = 240;
  const RATE = 48000;
  const EVERY_MS = 100;
  const feeds = new Set();
  let kinds = new Set();
  let running = false;
  let n = 0;
  const tick = () => {
    n += 1;
    for (const feed of feeds) {
      try {
        for (const device of ["camera", "screen"]) {
          if (!kinds.has(device) || typeof OffscreenCanvas !== "function") continue;
          const canvas = new OffscreenCanvas(WIDTH, HEIGHT);
          const g = canvas.getContext("2d");
          g.fillStyle = device === "camera" ? "#1d6f42" : "#20406f";
          g.fillRect(0, 0, WIDTH, HEIGHT);
          g.fillStyle = "#ffffff";
          g.fillRect((n * 8) % WIDTH, HEIGHT / 3, 40, 40);
          feed({ event: "media-frame", device, frame: canvas.transferToImageBitmap() });
        }
        if (kinds.has("microphone")) {
          const samples = new Float32Array((RATE * EVERY_MS) / 1000);
          const start = (n - 1) * samples.length;
          for (let i = 0; i < samples.length; i += 1)
            samples[i] = 0.5 * Math.sin((2 * Math.PI * 440 * (start + i)) / RATE);
          feed({ event: "media-audio", rate: RATE, data: [samples] });
        }
      } catch (e) {
        /* the page is going */
      }
    }
    later(tick, EVERY_MS);
  };
  Object.defineProperty(window, "__kilnViewer", {
    configurable: true,
    value: (type, msg) => {
      if (type !== "media") return viewer(type, msg);
      viewer(type, msg); // noted as asked
      const info = {};
      for (const kind of msg.kinds) {
        kinds.add(kind);
        info[kind] =
          kind === "microphone"
            ? { sampleRate: RATE, channelCount: 1 }
            : { width: WIDTH, height: HEIGHT, frameRate: 1000 / EVERY_MS };
      }
      if (typeof msg.feed === "function") feeds.add(msg.feed);
      if (!running) {
        running = true;
        later(tick, 0);
      }
      return info;
    },
  });
})();
