// Code highlighting by highlight.js (installed from npm into static/vendor/, loaded
// as ES modules: no build step): HTML with its <script> and <style> blocks. It
// escapes the code it is given, so a document shown here is never parsed as
// HTML, and it copes with the half-written code of a stream. Loaded after the
// page's own script, which does not wait for it: until then, code is plain text.
const VENDOR = "./vendor/node_modules/@highlightjs/cdn-assets/es";
// Past this size, plain text: colour is not worth a slow page.
const MOST = 400_000;

let hljs = null;
const waiting = new Map(); // element -> the code it should show once highlight.js is here
const loaded = Promise.all([
  import(`${VENDOR}/core.min.js`),
  import(`${VENDOR}/languages/xml.min.js`),
  import(`${VENDOR}/languages/javascript.min.js`),
  import(`${VENDOR}/languages/css.min.js`),
]).then(([core, xml, javascript, css]) => {
  hljs = core.default;
  hljs.registerLanguage("xml", xml.default);
  hljs.registerLanguage("javascript", javascript.default);
  hljs.registerLanguage("css", css.default);
  for (const [element, code] of waiting) paint(element, code);
  waiting.clear();
});

function paint(element, code) {
  element.classList.add("hljs");
  if (code.length > MOST) {
    element.textContent = code;
    return;
  }
  element.innerHTML = hljs.highlight(code, { language: "xml", ignoreIllegals: true }).value;
}

/** Replace the contents of `element` with highlighted `code`. */
export function highlightInto(element, code) {
  if (hljs) {
    paint(element, code);
    return;
  }
  element.textContent = code;
  waiting.set(element, code);
}

/** Resolves once highlighting is available (for tests and screenshots). */
export const highlighterReady = loaded;
