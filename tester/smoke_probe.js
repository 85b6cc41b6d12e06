// The smoke tester's eyes and hands inside an artifact. It runs in an isolated
// world: it shares the DOM with the page, but the page cannot see, replace or
// fake any of it. Reports go out through a CDP binding, so they arrive even if
// the page hangs or crashes a moment later.
(() => {
  const BINDING = "__kilnSmokeReport";
  const send = (message) => {
    try { globalThis[BINDING](JSON.stringify(message)); } catch (e) { /* binding gone: tab closing */ }
  };

  // CSP refusals are the only structured record of what the page tried to load;
  // the console text about them changes between Chromium versions.
  document.addEventListener("securitypolicyviolation", (e) => send({
    type: "csp", directive: e.effectiveDirective || e.violatedDirective, blocked: e.blockedURI,
    source: e.sourceFile, line: e.lineNumber, column: e.columnNumber, disposition: e.disposition,
  }), true);

  const shown = (el) => {
    const box = el.getBoundingClientRect();
    if (box.width < 2 || box.height < 2) return false;
    const style = getComputedStyle(el);
    return style.visibility !== "hidden" && style.display !== "none" && Number(style.opacity) > 0.05;
  };

  const describe = (el) => {
    let text = (el.innerText || el.value || el.getAttribute("aria-label") || el.placeholder || "").trim();
    text = text.replace(/\s+/g, " ").slice(0, 40);
    const id = el.id ? `#${el.id}` : "";
    const type = el.type && el.tagName === "INPUT" ? `[type=${el.type}]` : "";
    return `<${el.tagName.toLowerCase()}${id}${type}>${text ? ` "${text}"` : ""}`;
  };

  // Values a person might type: plausible for the field, so a tool that checks
  // its input is exercised on its happy path rather than only its error path.
  const SAMPLE = {
    email: "ada@example.com", url: "https://example.com/page?q=1", tel: "555 0100",
    date: "2024-03-15", time: "12:30", "datetime-local": "2024-03-15T12:30",
    month: "2024-03", week: "2024-W11", color: "#3366cc", password: "correct horse",
    search: "hello", text: "hello world 42",
  };
  const CLICKED_INPUTS = new Set(["checkbox", "radio", "button", "submit", "reset", "image"]);
  const SKIPPED_INPUTS = new Set(["hidden", "file"]);

  const isField = (el) => el.tagName === "TEXTAREA" || el.tagName === "SELECT" || el.isContentEditable
    || (el.tagName === "INPUT" && !CLICKED_INPUTS.has(el.type));

  const fire = (el, type, init = {}) => el.dispatchEvent(
    type.startsWith("key") ? new KeyboardEvent(type, { bubbles: true, cancelable: true, composed: true, ...init })
      : new Event(type, { bubbles: true, cancelable: true, ...init }));

  const numberIn = (el) => {
    const min = el.min !== "" ? Number(el.min) : -Infinity;
    const max = el.max !== "" ? Number(el.max) : Infinity;
    if (Number.isFinite(min) && Number.isFinite(max)) return String(Math.round((min + max) / 2));
    return String(Math.min(max, Math.max(min, 42)));
  };

  const fill = (el) => {
    el.focus();
    if (el.tagName === "SELECT") {
      const options = [...el.options].filter((o) => !o.disabled);
      if (options.length) el.value = options[options.length - 1].value;
    } else if (el.isContentEditable && el.tagName !== "INPUT" && el.tagName !== "TEXTAREA") {
      el.textContent = "hello world 42";
    } else if (el.tagName === "TEXTAREA") {
      el.value = "hello world 42\nsecond line: a, b, c";
    } else if (el.type === "number" || el.type === "range") {
      el.value = numberIn(el);
    } else {
      let value = SAMPLE[el.type] || SAMPLE.text;
      if (el.maxLength > 0) value = value.slice(0, el.maxLength);
      el.value = value;
    }
    fire(el, "input");
    fire(el, "change");
    if (el.tagName === "INPUT") {
      fire(el, "keydown", { key: "Enter", code: "Enter" });
      fire(el, "keyup", { key: "Enter", code: "Enter" });
    }
  };

  const press = (el) => {
    const box = el.getBoundingClientRect();
    const at = { bubbles: true, cancelable: true, composed: true, view: window,
                 clientX: box.left + box.width / 2, clientY: box.top + box.height / 2, button: 0 };
    if (typeof el.focus === "function") el.focus();
    // As the mouse (pointer 1, always active): a synthetic pointer 0 is none, and
    // setPointerCapture() on it throws (OrbitControls and most drag handlers call it).
    const mouse = { ...at, isPrimary: true, pointerId: 1, pointerType: "mouse" };
    el.dispatchEvent(new PointerEvent("pointerdown", mouse));
    el.dispatchEvent(new MouseEvent("mousedown", at));
    el.dispatchEvent(new PointerEvent("pointerup", mouse));
    el.dispatchEvent(new MouseEvent("mouseup", at));
    // A dispatched click still runs activation behaviour: submit buttons submit,
    // checkboxes toggle, <summary> opens.
    el.dispatchEvent(new MouseEvent("click", { ...at, detail: 1 }));
  };

  // Links to other documents are left alone: following a link is what a link
  // is for, not a fault of the tool.
  const CONTROLS = [
    "button", "input", "select", "textarea", "summary", "canvas", "[onclick]",
    "[role=button]", "[role=tab]", "[role=checkbox]", "[role=switch]", "[role=menuitem]",
    "a[href^='#']", "a:not([href])[onclick]", "[contenteditable='']", "[contenteditable=true]",
  ].join(",");

  const nextTask = () => new Promise((resolve) => setTimeout(resolve, 0));
  const frame = () => new Promise((resolve) => requestAnimationFrame(() => resolve()));

  globalThis.__kilnProbe = {
    // Let first-frame work (requestAnimationFrame, setTimeout 0) happen; the
    // screenshot that follows forces a paint of whatever that did.
    async settle() {
      await frame();
      await nextTask();
      return true;
    },

    content() {
      const body = document.body;
      if (!body) return { text: 0, elements: 0 };
      const text = (body.innerText || "").replace(/\s+/g, "").length;
      let elements = 0;
      for (const el of document.querySelectorAll(
        "img,canvas,svg,video,input,button,select,textarea,iframe,object,embed,progress,meter")) {
        if (shown(el)) elements += 1;
      }
      return { text, elements };
    },

    async interact(limit) {
      const fields = [];
      const clicks = [];
      for (const el of document.querySelectorAll(CONTROLS)) {
        if (el.disabled || (el.tagName === "INPUT" && SKIPPED_INPUTS.has(el.type)) || !shown(el)) continue;
        (isField(el) ? fields : clicks).push(el);
      }
      // Fill first, then click: a "Convert" button needs its input filled.
      const chosen = [...fields, ...clicks].slice(0, limit);
      let done = 0;
      for (const el of chosen) {
        if (!el.isConnected) continue;
        send({ type: "step", target: describe(el) });
        if (isField(el)) fill(el); else press(el);
        done += 1;
        await nextTask();
      }
      send({ type: "step", target: "the arrow keys" });
      for (const key of ["ArrowUp", "ArrowDown", "ArrowLeft", "ArrowRight"]) {
        const target = document.activeElement || document.body || document.documentElement;
        fire(target, "keydown", { key, code: key });
        fire(target, "keyup", { key, code: key });
      }
      await nextTask();
      return { controls: chosen.length, done };
    },
  };
})();
