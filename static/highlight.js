// A small syntax highlighter for single-file HTML tools: HTML with its <script>
// and <style> blocks. It only ever creates text nodes inside <span>s, so code
// is never parsed as HTML, and it tolerates the half-written code of a stream.

const JS_KEYWORDS = new Set(("async await break case catch class const continue default delete do " +
  "else export extends false finally for function if import in instanceof let new null of return " +
  "static super switch this throw true try typeof undefined var void while yield").split(" "));

const JS = /(\/\/[^\n]*|\/\*[\s\S]*?(?:\*\/|$))|("(?:[^"\\\n]|\\.)*"?|'(?:[^'\\\n]|\\.)*'?|`(?:[^`\\]|\\[\s\S])*`?)|(\b\d[\d_]*(?:\.\d+)?(?:e[+-]?\d+)?\b|\b0x[\da-f]+\b)|([A-Za-z_$][\w$]*)/gi;
const CSS = /(\/\*[\s\S]*?(?:\*\/|$))|("[^"\n]*"?|'[^'\n]*'?)|(#[\da-f]{3,8}\b|-?\d*\.?\d+(?:px|rem|em|%|vh|vw|s|ms|deg|fr)?\b)|([\w-]+)(?=\s*:[^{;]*[;}\n])|(@[\w-]+)/gi;
const TAG = /(<!--[\s\S]*?(?:-->|$))|(<!doctype[^>]*>?)|(<\/?)([\w-]+)([^>]*)(>?)/gi;
const ATTR = /([^\s=\/"']+)(\s*=\s*)?("[^"]*"?|'[^']*'?|[^\s>"']+)?/g;

function span(out, cls, text) {
  if (!text) return;
  if (!cls) { out.push(document.createTextNode(text)); return; }
  const el = document.createElement("span");
  el.className = cls;
  el.textContent = text;
  out.push(el);
}

function tokens(out, code, pattern, classify) {
  let last = 0;
  pattern.lastIndex = 0;
  for (let m = pattern.exec(code); m; m = pattern.exec(code)) {
    if (m[0] === "") { pattern.lastIndex += 1; continue; }
    span(out, null, code.slice(last, m.index));
    classify(out, m);
    last = pattern.lastIndex;
  }
  span(out, null, code.slice(last));
}

function js(out, code) {
  tokens(out, code, JS, (o, m) => {
    if (m[1]) span(o, "tok-com", m[1]);
    else if (m[2]) span(o, "tok-str", m[2]);
    else if (m[3]) span(o, "tok-num", m[3]);
    else span(o, JS_KEYWORDS.has(m[4]) ? "tok-kw" : null, m[4]);
  });
}

function css(out, code) {
  tokens(out, code, CSS, (o, m) => {
    if (m[1]) span(o, "tok-com", m[1]);
    else if (m[2]) span(o, "tok-str", m[2]);
    else if (m[3]) span(o, "tok-num", m[3]);
    else if (m[4]) span(o, "tok-prop", m[4]);
    else span(o, "tok-kw", m[5]);
  });
}

function attributes(out, text) {
  tokens(out, text, ATTR, (o, m) => {
    span(o, "tok-attr", m[1]);
    span(o, null, m[2]);
    span(o, "tok-str", m[3]);
  });
}

/** Syntax-coloured nodes for `code` (an HTML document, possibly incomplete). */
export function highlightNodes(code) {
  const out = [];
  let rest = code;
  while (rest) {
    // The next <script> or <style> block switches language until its end tag.
    const open = /<(script|style)\b[^>]*>/i.exec(rest);
    const markup = open ? rest.slice(0, open.index + open[0].length) : rest;
    tokens(out, markup, TAG, (o, m) => {
      if (m[1]) span(o, "tok-com", m[1]);
      else if (m[2]) span(o, "tok-kw", m[2]);
      else {
        span(o, "tok-punct", m[3]);
        span(o, "tok-tag", m[4]);
        attributes(o, m[5]);
        span(o, "tok-punct", m[6]);
      }
    });
    if (!open) break;
    rest = rest.slice(markup.length);
    const close = new RegExp(`</${open[1]}\\s*>`, "i").exec(rest);
    const body = close ? rest.slice(0, close.index) : rest;
    (open[1].toLowerCase() === "script" ? js : css)(out, body);
    rest = close ? rest.slice(close.index) : "";
  }
  return out;
}

/** Replace the contents of `element` with highlighted `code`. */
export function highlightInto(element, code) {
  element.replaceChildren(...highlightNodes(code));
}
