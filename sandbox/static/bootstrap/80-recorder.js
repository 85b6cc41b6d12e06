/* "Record a check": while the parent page asks (and only then), the person's
   clicks, typing, choices and keys are reported as acceptance-check steps, each
   naming its element by a selector; in pick mode the next click is not passed
   on but names what the check should expect to see. */
var recording = false,
  picking = false,
  typed = null;
/* What a step's text may hold (cfg.checks, from artifacts/checks.py). */
var REC_TEXT = cfg.checks.text;
/* Each change of state is confirmed, so the parent shows what the frame does. */
function recState() {
  post({ type: "recording", on: recording, picking: picking });
}
parentEvents["record"] = function (d) {
  recording = d.on === true;
  picking = false;
  typed = null;
  recState();
};
parentEvents["record-pick"] = function () {
  picking = recording;
  recState();
};
var RECORD_KEYS = /^(Enter|Escape|Tab|ArrowUp|ArrowDown|ArrowLeft|ArrowRight| )$/;
var CLICKABLE =
  "button, a[href], summary, label, canvas, [role=button], [role=tab], [role=menuitem], " +
  "[role=switch], [role=checkbox], [role=option], [onclick], input[type=button], " +
  "input[type=submit], input[type=reset], input[type=image]";
function recText(s, n) {
  return String(s || "")
    .replace(/\s+/g, " ")
    .trim()
    .slice(0, n);
}
function recUnique(selector) {
  try {
    return document.querySelectorAll(selector).length === 1;
  } catch (e) {
    return false;
  }
}
function recSelector(el) {
  var tag = el.tagName.toLowerCase();
  if (el.id && /^[A-Za-z][\w-]*$/.test(el.id) && recUnique("#" + el.id)) {
    return "#" + el.id;
  }
  var button = tag === "button" || (tag === "input" && /^(button|submit|reset)$/.test(el.type));
  var role = el.getAttribute("role") || (button ? "button" : tag === "a" ? "link" : "");
  var name = recText(
    el.getAttribute("aria-label") || (tag === "input" ? el.value : el.textContent),
    80,
  );
  if (role && name && name.length <= 60) {
    return "role=" + role + "[name=" + JSON.stringify(name) + "]";
  }
  if (el.name && /^(input|select|textarea)$/.test(tag)) {
    var byName = tag + "[name=" + JSON.stringify(el.name) + "]";
    if (recUnique(byName)) {
      return byName;
    }
  }
  var path = [];
  for (
    var node = el;
    node && node.nodeType === 1 && node !== document.body;
    node = node.parentElement
  ) {
    if (node.id && /^[A-Za-z][\w-]*$/.test(node.id) && recUnique("#" + node.id)) {
      path.unshift("#" + node.id);
      break;
    }
    var index = 1,
      sibling = node;
    while ((sibling = sibling.previousElementSibling)) {
      if (sibling.tagName === node.tagName) {
        index += 1;
      }
    }
    path.unshift(node.tagName.toLowerCase() + ":nth-of-type(" + index + ")");
  }
  return path.join(" > ") || tag;
}
function recTextField(el) {
  return (
    el.tagName === "TEXTAREA" ||
    (el.tagName === "INPUT" &&
      !/^(checkbox|radio|button|submit|reset|image|file|hidden|range|color)$/.test(el.type))
  );
}
function recSend(step) {
  post({ type: "recorded", step: step });
}
/* What was typed into a field, once: on leaving it, on Enter, or before the next click. */
function recFlush() {
  if (typed && typed.el.value !== typed.value) {
    typed.value = typed.el.value;
    recSend({ fill: recSelector(typed.el), text: String(typed.el.value).slice(0, REC_TEXT) });
  }
}
document.addEventListener(
  "click",
  function (e) {
    var el = e.target && e.target.nodeType === 1 ? e.target : null;
    if (!recording || !el) {
      return;
    }
    if (picking) {
      picking = false;
      recState();
      e.preventDefault();
      e.stopImmediatePropagation();
      var field = /^(INPUT|SELECT|TEXTAREA)$/.test(el.tagName);
      var shown = recText(el.innerText || el.textContent, 200);
      recSend(
        field
          ? { expect: recSelector(el), value: String(el.value).slice(0, REC_TEXT) }
          : shown
            ? { expect: recSelector(el), text: shown }
            : { expect: recSelector(el), visible: true },
      );
      return;
    }
    recFlush();
    var target = el.closest(CLICKABLE);
    /* A label passes its click on to its control, which is recorded itself. */
    if (!target || (target.tagName === "LABEL" && target.control)) {
      return;
    }
    recSend({ click: recSelector(target) });
  },
  true,
);
document.addEventListener(
  "focusin",
  function (e) {
    if (recording && e.target && recTextField(e.target)) {
      recFlush();
      typed = { el: e.target, value: e.target.value };
    }
  },
  true,
);
document.addEventListener(
  "change",
  function (e) {
    var el = e.target;
    if (!recording || !el || !el.tagName) {
      return;
    }
    if (el.tagName === "INPUT" && /^(checkbox|radio)$/.test(el.type)) {
      recSend(el.checked ? { check: recSelector(el) } : { uncheck: recSelector(el) });
    } else if (el.tagName === "SELECT") {
      recSend({ select: recSelector(el), option: String(el.value).slice(0, REC_TEXT) });
    } else if (typed && typed.el === el) {
      recFlush();
    } else if (/^(INPUT|TEXTAREA)$/.test(el.tagName)) {
      recSend({ fill: recSelector(el), text: String(el.value).slice(0, REC_TEXT) });
    }
  },
  true,
);
document.addEventListener(
  "keydown",
  function (e) {
    if (!recording || !RECORD_KEYS.test(e.key)) {
      return;
    }
    var el = e.target && e.target.tagName ? e.target : null;
    var inField = el && recTextField(el);
    if (inField && e.key !== "Enter" && e.key !== "Escape") {
      return;
    }
    if (inField) {
      recFlush();
      recSend({ press: e.key, on: recSelector(el) });
      return;
    }
    recSend({ press: e.key === " " ? "Space" : e.key });
  },
  true,
);
