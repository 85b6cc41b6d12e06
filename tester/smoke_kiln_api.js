// The smoke test's stand-in for what tools ask of Kiln's server (window.kiln):
// kiln.complete() gets a fixed text and no model is called; kiln.storage gets a
// store of its own that starts empty in every test. Runs before the prelude,
// which takes it away and answers through it; `uses` names what the tool used.
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
  Object.defineProperty(window, "__kilnSmokeApi", {
    configurable: true,
    value: (type, msg) => {
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
