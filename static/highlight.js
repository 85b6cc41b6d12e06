// Code highlighting by highlight.js (installed from npm into static/vendor/, loaded
// as ES modules: no build step): HTML with its <script> and <style> blocks. It
// escapes the code it is given, so a document shown here is never parsed as
// HTML, and it copes with the half-written code of a stream.
import hljs from "./vendor/node_modules/@highlightjs/cdn-assets/es/core.min.js";
import css from "./vendor/node_modules/@highlightjs/cdn-assets/es/languages/css.min.js";
import javascript from "./vendor/node_modules/@highlightjs/cdn-assets/es/languages/javascript.min.js";
import xml from "./vendor/node_modules/@highlightjs/cdn-assets/es/languages/xml.min.js";

hljs.registerLanguage("xml", xml);
hljs.registerLanguage("javascript", javascript);
hljs.registerLanguage("css", css);

// Past this size, plain text: colour is not worth a slow page.
const MOST = 400_000;

/** Replace the contents of `element` with highlighted `code`. */
export function highlightInto(element, code) {
  element.classList.add("hljs");
  if (code.length > MOST) { element.textContent = code; return; }
  element.innerHTML = hljs.highlight(code, { language: "xml", ignoreIllegals: true }).value;
}
