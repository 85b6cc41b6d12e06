// The smoke test's stand-in for what tools ask of Kiln's server (window.kiln):
// kiln.complete() gets a fixed text and no model is called; kiln.storage gets a
// store of its own that starts empty in every test; kiln.files reads the files
// the version was given to the tester with (smoke_run.py answers through a
// binding, in chunks, as Kiln's page does). Runs before the prelude, which takes
// it away and answers through it; `uses` names what the tool used.
(() => {
  const STAND_IN = "(Kiln's smoke test: a stand-in answer; no model was asked.)";
  const kept = { shared: new Map(), personal: new Map() }; // key → [JSON text, revision]
  let revision = 0;
  const conflict = () =>
    Object.assign(new Error("changed by someone else since it was read"), { code: "conflict" });
  const data = (m) => {
    const store = kept[m.scope];
    if (!store)
      return Promise.reject(Object.assign(new Error("no such scope"), { code: "bad_scope" }));
    const [value, rev] = store.get(m.key) || [null, 0];
    if (
      (m.op === "set" || m.op === "delete") &&
      m.if_revision !== undefined &&
      m.if_revision !== rev
    ) {
      return Promise.reject(conflict());
    }
    if (m.op === "get") return { value, revision: rev };
    if (m.op === "set") {
      store.set(m.key, [m.value, ++revision]);
      return { revision };
    }
    if (m.op === "delete") return { deleted: store.delete(m.key) };
    return { keys: [...store.keys()].filter((k) => k.startsWith(m.prefix || "")).sort() };
  };
  // kiln.files: each read's chunks go to the bootstrap's feed as "kiln-file-chunk"
  // events, then the answer; a refusal (no such file) carries its code.
  const askFiles = globalThis.__kilnSmokeFiles;
  delete globalThis.__kilnSmokeFiles;
  const reading = new Map();
  let nextRead = 0;
  const bytes = (b64) =>
    Uint8Array.fromBase64
      ? Uint8Array.fromBase64(b64)
      : Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
  Object.defineProperty(window, "__kilnFilesAnswer", {
    value: (id, what, value) => {
      const read = reading.get(id);
      if (!read) return;
      if (what === "chunk") {
        if (typeof read.feed === "function")
          read.feed({ event: "kiln-file-chunk", chunk: bytes(value).buffer });
        return;
      }
      reading.delete(id);
      if (what === "ok") read.resolve(value);
      else read.reject(Object.assign(new Error(String(value.error)), { code: String(value.code) }));
    },
  });
  const files = (m) =>
    new Promise((resolve, reject) => {
      const id = ++nextRead;
      reading.set(id, { feed: m.feed, resolve, reject });
      try {
        askFiles(JSON.stringify({ id, op: String(m.op), name: m.name }));
      } catch (e) {
        reading.delete(id);
        reject(e);
      }
    });
  Object.defineProperty(window, "__kilnSmokeApi", {
    configurable: true,
    value: (type, msg) => {
      if (type === "files") return { uses: "files (kiln.files)", answer: files(msg) };
      if (type === "complete") return { uses: "AI (kiln.complete)", answer: { text: STAND_IN } };
      if (type === "data") {
        return {
          uses:
            msg.scope === "shared"
              ? "shared data (kiln.storage.shared)"
              : "saved data (kiln.storage.personal)",
          answer: data(msg),
        };
      }
      return null;
    },
  });
})();
