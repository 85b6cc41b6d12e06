// The smoke tester's eyes inside an artifact. It runs in an isolated world: it
// shares the DOM with the page, but the page cannot see, replace or fake any of
// it. Reports go out through a CDP binding, so they arrive even if the page
// hangs or crashes a moment later. The tester's hands are real input events
// (CDP), sent from outside: this script only says where to click and what to type.
(() => {
  const BINDING = "__kilnSmokeReport";
  const send = (message) => {
    try {
      globalThis[BINDING](JSON.stringify(message));
    } catch (e) {
      /* binding gone: tab closing */
    }
  };

  // A form sent without preventDefault is refused by form-action, but the browser
  // says so a while after the click (the check is made outside the page), longer
  // on a busy machine: settle() waits for as many refusals as such sends.
  const submits = [];
  let formRefusals = 0;
  document.addEventListener("submit", (e) => submits.push(e), true);
  // Read through the prototype: a field named "method" or "target" shadows the form's own.
  const formField = (name) => Object.getOwnPropertyDescriptor(HTMLFormElement.prototype, name).get;
  const [formMethod, formTarget] = [formField("method"), formField("target")];
  const sentForms = () =>
    submits.filter((e) => {
      const method = e.submitter?.formMethod || formMethod.call(e.target);
      const target = e.submitter?.formTarget || formTarget.call(e.target);
      return !e.defaultPrevented && method !== "dialog" && ["", "_self"].includes(target);
    }).length;
  const FORM_REFUSAL_WAIT_MS = 2000;
  const formsRefused = () =>
    new Promise((resolve) => {
      const started = performance.now();
      const look = () => {
        if (formRefusals >= sentForms() || performance.now() - started > FORM_REFUSAL_WAIT_MS)
          resolve();
        else setTimeout(look, 10);
      };
      look();
    });

  // CSP refusals are the only structured record of what the page tried to load;
  // the console text about them changes between Chromium versions.
  document.addEventListener(
    "securitypolicyviolation",
    (e) => {
      if ((e.effectiveDirective || e.violatedDirective) === "form-action") formRefusals += 1;
      send({
        type: "csp",
        directive: e.effectiveDirective || e.violatedDirective,
        blocked: e.blockedURI,
        source: e.sourceFile,
        line: e.lineNumber,
        column: e.columnNumber,
        disposition: e.disposition,
        // A frame the tool wrote itself (srcdoc, blob:, data:) runs this probe too.
        inner: window !== window.top,
      });
    },
    true,
  );

  const shown = (el) => {
    const box = el.getBoundingClientRect();
    if (box.width < 2 || box.height < 2) return false;
    const style = getComputedStyle(el);
    return (
      style.visibility !== "hidden" && style.display !== "none" && Number(style.opacity) > 0.05
    );
  };

  const describe = (el) => {
    let text = (
      el.innerText ||
      el.value ||
      el.getAttribute("aria-label") ||
      el.placeholder ||
      ""
    ).trim();
    text = text.replace(/\s+/g, " ").slice(0, 40);
    const id = el.id ? `#${el.id}` : "";
    const type = el.type && el.tagName === "INPUT" ? `[type=${el.type}]` : "";
    return `<${el.tagName.toLowerCase()}${id}${type}>${text ? ` "${text}"` : ""}`;
  };

  // Values a person might type: plausible for the field, so a tool that checks
  // its input is exercised on its happy path rather than only its error path.
  const SAMPLE = {
    email: "ada@example.com",
    url: "https://example.com/page?q=1",
    tel: "555 0100",
    date: "2024-03-15",
    time: "12:30",
    "datetime-local": "2024-03-15T12:30",
    month: "2024-03",
    week: "2024-W11",
    color: "#3366cc",
    password: "correct horse",
    search: "hello",
    text: "hello world 42",
  };
  const CLICKED_INPUTS = new Set(["checkbox", "radio", "button", "submit", "reset", "image"]);
  const SKIPPED_INPUTS = new Set(["hidden", "file"]);
  // Fields a person sets through a picker rather than by typing: set as Playwright does.
  const PICKED_INPUTS = new Set([
    "date",
    "time",
    "datetime-local",
    "month",
    "week",
    "color",
    "range",
  ]);

  const isField = (el) =>
    el.tagName === "TEXTAREA" ||
    el.tagName === "SELECT" ||
    el.isContentEditable ||
    (el.tagName === "INPUT" && !CLICKED_INPUTS.has(el.type));

  const fire = (el, type) => el.dispatchEvent(new Event(type, { bubbles: true, cancelable: true }));

  const numberIn = (el) => {
    const min = el.min !== "" ? Number(el.min) : -Infinity;
    const max = el.max !== "" ? Number(el.max) : Infinity;
    if (Number.isFinite(min) && Number.isFinite(max)) return String(Math.round((min + max) / 2));
    return String(Math.min(max, Math.max(min, 42)));
  };

  const sample = (el) => {
    if (el.tagName === "TEXTAREA") return "hello world 42\nsecond line: a, b, c";
    if (el.type === "number" || el.type === "range") return numberIn(el);
    let value = SAMPLE[el.type] || SAMPLE.text;
    if (el.maxLength > 0) value = value.slice(0, el.maxLength);
    return value;
  };

  // Links to other documents are left alone: following a link is what a link
  // is for, not a fault of the tool.
  const CONTROLS = [
    "button",
    "input",
    "select",
    "textarea",
    "summary",
    "canvas",
    "[onclick]",
    "[role=button]",
    "[role=tab]",
    "[role=checkbox]",
    "[role=switch]",
    "[role=menuitem]",
    "[role=slider]",
    "a[href^='#']",
    "a:not([href])[onclick]",
    "[contenteditable='']",
    "[contenteditable=true]",
  ].join(",");
  const SCAN_LIMIT = 500; // controls looked at per step, on pages with very many

  const nextTask = () => new Promise((resolve) => setTimeout(resolve, 0));
  const frame = () => new Promise((resolve) => requestAnimationFrame(() => resolve()));

  // The poke pass: one control at a time, chosen afresh after every action, so
  // a control that appears later (a Copy button shown with the result) is used too.
  const used = new WeakSet();
  let current = null;

  const centre = (el) => {
    el.scrollIntoView({ block: "center", inline: "center", behavior: "instant" });
    const box = el.getBoundingClientRect();
    return {
      x: box.left + box.width / 2,
      y: box.top + box.height / 2,
      w: box.width,
      h: box.height,
    };
  };

  globalThis.__kilnProbe = {
    // Let first-frame work (requestAnimationFrame, setTimeout 0) happen; the
    // screenshot that follows forces a paint of whatever that did. Without
    // `withFrame`, only what was queued to run next (a check's fresh load: its
    // steps wait for what they need themselves).
    async settle(withFrame = true) {
      if (withFrame) await frame();
      await nextTask();
      await formsRefused();
      return true;
    },

    // Answers at once: whether the main thread takes work at all.
    alive() {
      return true;
    },

    content() {
      const body = document.body;
      if (!body) return { text: 0, elements: 0, canvases: 0 };
      const text = (body.innerText || "").replace(/\s+/g, "").length;
      let elements = 0;
      let canvases = 0;
      for (const el of document.querySelectorAll(
        "img,canvas,svg,video,input,button,select,textarea,iframe,object,embed,progress,meter",
      )) {
        if (!shown(el)) continue;
        elements += 1;
        if (el.tagName === "CANVAS") canvases += 1;
      }
      return { text, elements, canvases };
    },

    // The next control to use, fields first: what to do with it and where.
    next() {
      let field = null;
      let click = null;
      let seen = 0;
      for (const el of document.querySelectorAll(CONTROLS)) {
        if (seen++ >= SCAN_LIMIT) break;
        if (
          used.has(el) ||
          el.disabled ||
          (el.tagName === "INPUT" && SKIPPED_INPUTS.has(el.type)) ||
          !shown(el)
        )
          continue;
        if (isField(el)) {
          field = el;
          break;
        }
        if (!click) click = el;
      }
      const el = field || click;
      if (!el) return null;
      used.add(el);
      current = el;
      const target = describe(el);
      if (el.tagName === "SELECT" || (el.tagName === "INPUT" && PICKED_INPUTS.has(el.type))) {
        el.focus();
        if (el.tagName === "SELECT") {
          const options = [...el.options].filter((o) => !o.disabled);
          if (options.length) el.value = options[options.length - 1].value;
        } else {
          el.value = el.type === "range" ? numberIn(el) : SAMPLE[el.type];
        }
        fire(el, "input");
        fire(el, "change");
        return { action: "set", target };
      }
      const at = centre(el);
      if (isField(el)) {
        const value =
          el.isContentEditable && el.tagName !== "INPUT" ? "hello world 42" : sample(el);
        return { action: "type", target, ...at, value, enter: el.tagName === "INPUT" };
      }
      return { action: el.tagName === "CANVAS" ? "drag" : "click", target, ...at };
    },

    // After the real click on a field: select what it holds, so typing replaces it.
    selectField() {
      const el = current;
      if (!el || !el.isConnected) return false;
      if (document.activeElement !== el) el.focus();
      if (typeof el.select === "function") {
        el.select();
      } else if (el.isContentEditable) {
        const range = document.createRange();
        range.selectNodeContents(el);
        const selection = getSelection();
        selection.removeAllRanges();
        selection.addRange(range);
      }
      return true;
    },
  };
})();
