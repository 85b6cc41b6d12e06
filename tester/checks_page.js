// What acceptance checks do inside the page, on the elements a step's selector
// matches (tester/checks_run.py calls these). Plain DOM work: find, make ready,
// look. Clicks and keys come from outside, as real input events. At most the
// first 1000 matches are looked at.
//
// It lives in the smoke tester's isolated world, where a CSS selector is
// resolved by querySelectorAll at no cost; selectors in Playwright's own
// syntax (text=, role=, ...) are resolved by Playwright, which then calls the
// same functions in the page.
globalThis.__kilnChecks = {
  // A step's function on what a CSS selector matches; null when the selector is
  // not plain CSS (Playwright then takes over).
  css(fn, selector, arg) {
    let els;
    try {
      els = [...document.querySelectorAll(selector)];
    } catch (e) {
      return null;
    }
    return { value: this[fn](els, arg) };
  },

  // Something a person can see and point at: a box, and not hidden. Actions,
  // `visible` and a bare expect ask for this.
  visible(el) {
    const box = el.getBoundingClientRect();
    if (box.width <= 0 || box.height <= 0) return false;
    const style = getComputedStyle(el);
    return style.visibility !== "hidden" && style.display !== "none";
  },

  // What a person would read were it to hold something: an element that is there
  // and not hidden, whatever its size (an empty <output> has none). Text, value
  // and attribute expectations ask for this. The head's title shows in the tab.
  // A closed <select> renders no box for its options, yet its chosen one reads.
  shown(el) {
    if (el.tagName === "OPTION" && el.closest("select")) return this.shown(el.closest("select"));
    return (
      (document.head !== null && document.head.contains(el)) ||
      el.checkVisibility({ visibilityProperty: true })
    );
  },

  // Why a person cannot see the element, in the words of the page's own CSS.
  hiddenBy(el) {
    for (let at = el; at && at.nodeType === 1; at = at.parentElement) {
      const style = getComputedStyle(at);
      const on = at === el ? "" : ` on ${this.name(at)}`;
      if (style.display === "none")
        return at.hidden ? `the hidden attribute${on}` : `display: none${on}`;
      const summary = at.tagName === "DETAILS" ? at.querySelector(":scope > summary") : null;
      if (at.tagName === "DETAILS" && !at.open && at !== el && !summary?.contains(el))
        return `inside a closed ${this.name(at)}`;
    }
    if (getComputedStyle(el).visibility === "hidden") return "visibility: hidden";
    return this.shown(el) ? "it has no size (is it empty?)" : "it is not rendered";
  },

  name(el) {
    const type = el.tagName === "INPUT" ? ` type=${el.type}` : "";
    return `<${el.tagName.toLowerCase()}${el.id ? `#${el.id}` : ""}${type}>`;
  },

  // The element a step acts on (the first visible match), made ready for the
  // action, and where to click. `final` problems do not go away by waiting.
  pick(els, want) {
    const n = els.length;
    let index = -1,
      el = null,
      target = null;
    for (let i = 0; i < n && i < 1000; i++) {
      if (this.visible(els[i])) {
        index = i;
        el = target = els[i];
        break;
      }
    }
    if (!el && want.kind !== "fill" && want.kind !== "select") {
      // A styled checkbox or radio: the input hidden, its label shown.
      for (let i = 0; i < n && i < 1000 && !el; i++) {
        const label = els[i].labels ? [...els[i].labels].find((l) => this.visible(l)) : null;
        if (label) {
          index = i;
          el = els[i];
          target = label;
        }
      }
    }
    if (!el) {
      if (!n) return { problem: "nothing matches" };
      return { problem: `${n} element(s) match, none is visible (${this.hiddenBy(els[0])})` };
    }
    if (el.disabled || el.getAttribute("aria-disabled") === "true") {
      return { problem: `${this.name(el)} is disabled` };
    }
    const at = () => {
      target.scrollIntoView({ block: "center", inline: "center", behavior: "instant" });
      const box = target.getBoundingClientRect();
      return { index, x: box.left + box.width / 2, y: box.top + box.height / 2 };
    };
    const fire = (type) => el.dispatchEvent(new Event(type, { bubbles: true }));
    if (want.kind === "click") return at();
    if (want.kind === "focus") {
      el.focus();
      return { index, done: true };
    }
    if (want.kind === "check" || want.kind === "uncheck") {
      return this.state([el], 0) === (want.kind === "check") ? { index, done: true } : at();
    }
    if (want.kind === "select") {
      if (el.tagName !== "SELECT")
        return { problem: `${this.name(el)} is not a <select>`, final: true };
      const options = [...el.options];
      const label = (o) => o.label.replace(/\s+/g, " ").trim();
      const option =
        options.find((o) => o.value === want.value) ||
        options.find((o) => label(o) === want.value) ||
        options.find((o) => label(o).toLowerCase() === want.value.toLowerCase());
      if (!option) {
        const names = options
          .slice(0, 12)
          .map((o) => JSON.stringify(label(o)))
          .join(", ");
        return {
          problem: `it has no option ${JSON.stringify(want.value)} (its options: ${names})`,
          final: true,
        };
      }
      el.focus();
      option.selected = true;
      fire("input");
      fire("change");
      return { index, done: true };
    }
    // fill
    const clicked = ["checkbox", "radio", "button", "submit", "reset", "image", "file", "hidden"];
    const field =
      (el.tagName === "INPUT" && !clicked.includes(el.type)) || el.tagName === "TEXTAREA";
    if (!field && !el.isContentEditable)
      return { problem: `cannot type into ${this.name(el)}`, final: true };
    if (el.readOnly) return { problem: `${this.name(el)} is read-only` };
    el.focus();
    const picked = ["date", "time", "datetime-local", "month", "week", "color", "range"];
    if (el.tagName === "INPUT" && picked.includes(el.type)) {
      // Set through a picker by a person; set directly here, as Playwright does.
      el.value = want.value;
      if (el.value !== want.value && el.type !== "range") {
        return {
          problem: `${JSON.stringify(want.value)} is not a value ${this.name(el)} takes`,
          final: true,
        };
      }
      fire("input");
      fire("change");
      return { index, done: true };
    }
    if (field) {
      el.select();
    } else {
      const range = document.createRange();
      range.selectNodeContents(el);
      const selection = getSelection();
      selection.removeAllRanges();
      selection.addRange(range);
    }
    return { index, done: false }; // the tester types the text, as keyboard input
  },

  // After typing: the change event a person leaving the field would fire.
  changed(els, index) {
    const el = els[index];
    if (el) el.dispatchEvent(new Event("change", { bubbles: true }));
    return true;
  },

  // Whether a checkbox, radio or role=checkbox is checked.
  state(els, index) {
    const el = els[index];
    if (!el) return null;
    if (el.tagName === "INPUT" && (el.type === "checkbox" || el.type === "radio"))
      return el.checked;
    return el.getAttribute("aria-checked") === "true";
  },

  // Does the expectation hold for some matching element a person sees; if not, what is there.
  expect(els, spec) {
    const norm = (s) =>
      String(s == null ? "" : s)
        .replace(/\s+/g, " ")
        .trim();
    const quote = (s) => JSON.stringify(s.length > 200 ? `${s.slice(0, 200)}…` : s);
    const n = els.length;
    const some = els.slice(0, 1000);
    const fail = (expected, actual) => ({ ok: false, expected, actual });
    const given = (key) => spec[key] !== undefined && spec[key] !== null;
    if (given("count") && n !== spec.count)
      return fail(`${spec.count} matching element(s)`, `${n} match`);
    if (spec.visible === false) {
      const seen = some.filter((el) => this.visible(el)).length;
      const among = n > 1000 ? " among the first 1000" : "";
      return seen ? fail("not visible", `${seen} visible${among}`) : { ok: true };
    }
    // What the step asks of the element besides its count and visibility: the
    // fields of an expect step (artifacts/checks.py) that the tester sent.
    const asks = Object.keys(spec).filter(
      (key) => key !== "count" && key !== "visible" && given(key),
    );
    const boxed = spec.visible === true || (!asks.length && !given("count"));
    const shown = some.filter((el) => (boxed ? this.visible(el) : this.shown(el)));
    if (!shown.length && (boxed || asks.length)) {
      const why = n ? ` (${this.hiddenBy(some[0])})` : "";
      return fail(
        boxed ? (asks.length ? "a visible element" : "visible") : "an element that is not hidden",
        n ? `${n} match, none is ${boxed ? "visible" : "shown"}${why}` : "nothing matches",
      );
    }
    const textOf = (el) => norm(el.innerText !== undefined ? el.innerText : el.textContent);
    const valueOf = (el) => ("value" in el ? String(el.value) : null);
    const field = (el) => ["INPUT", "TEXTAREA", "SELECT"].includes(el.tagName);
    const rules = {
      text: [
        (el) => textOf(el).includes(norm(spec.text)),
        () => `text containing ${quote(norm(spec.text))}`,
      ],
      text_is: [
        (el) => textOf(el) === norm(spec.text_is),
        () => `the text ${quote(norm(spec.text_is))}`,
      ],
      value: [(el) => valueOf(el) === spec.value, () => `the value ${quote(spec.value)}`],
      attr: [
        (el) => el.getAttribute(spec.attr[0]) === spec.attr[1],
        () => `${spec.attr[0]}=${quote(spec.attr[1])}`,
      ],
    };
    const first = shown[0];
    const actual = {
      text: () =>
        field(first)
          ? `${quote(textOf(first))} (a field: its value is ${quote(valueOf(first))}; ` +
            `expect "value")`
          : quote(textOf(first)),
      value: () =>
        valueOf(first) === null
          ? `(no value: ${this.name(first)} is not a field)`
          : quote(valueOf(first)),
      attr: () =>
        first.getAttribute(spec.attr[0]) === null
          ? `(no ${spec.attr[0]} attribute)`
          : quote(first.getAttribute(spec.attr[0])),
    };
    actual.text_is = actual.text;
    for (const key of asks) {
      if (!Object.hasOwn(rules, key))
        return fail(`an expectation this tester knows, not "${key}"`, "—");
      const [holds, expected] = rules[key];
      if (shown.some(holds)) continue;
      const more = shown.length > 1 ? ` (and ${shown.length - 1} more)` : "";
      return fail(expected(), actual[key]() + more);
    }
    return { ok: true };
  },
};
