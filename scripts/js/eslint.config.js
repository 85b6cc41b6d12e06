// ESLint over Kiln's own JavaScript (scripts/lint runs it from the repository's
// root with --config, so the paths below are relative to the root).
import fs from "node:fs";
import path from "node:path";

import js from "@eslint/js";
import globals from "globals";

// The sandbox bootstrap's parts are one program: sandbox/documents.py joins them,
// in name order, into one function whose scope they share (a name one part
// declares, another uses). Each part is linted inside that joined program, as
// the browser runs it, and keeps only what is said of its own lines; so
// no-undef and no-unused-vars judge the program, not one part of it.
const BOOTSTRAP_DIR = "sandbox/static/bootstrap";
const OPENING = '(function () {\n"use strict";\n';
const CLOSING = "\n})();\n";

function bootstrapParts() {
  return fs
    .readdirSync(BOOTSTRAP_DIR)
    .filter((name) => name.endsWith(".js"))
    .sort()
    .map((name) => path.resolve(BOOTSTRAP_DIR, name));
}

const joined = new Map(); // part's file name -> where its text starts in the program

const bootstrapProcessor = {
  meta: { name: "kiln-bootstrap" },
  supportsAutofix: true,
  preprocess(text, filename) {
    const own = path.resolve(filename);
    let program = OPENING;
    let place = null;
    for (const part of bootstrapParts()) {
      const source = part === own ? text : fs.readFileSync(part, "utf-8");
      if (part === own) {
        place = { line: program.split("\n").length - 1, offset: program.length, text };
      }
      program += `${source}\n`;
    }
    if (place === null) return [text]; // a part not yet among the files: alone
    joined.set(filename, place);
    return [{ text: program + CLOSING, filename: "joined.js" }];
  },
  postprocess([messages], filename) {
    const place = joined.get(filename);
    joined.delete(filename);
    if (!place) return messages;
    const lines = place.text.split("\n").length;
    const end = place.offset + place.text.length;
    return messages
      .filter((m) => m.line > place.line && m.line <= place.line + lines)
      .map((m) => {
        const moved = { ...m, line: m.line - place.line };
        if (m.endLine !== undefined) moved.endLine = m.endLine - place.line;
        const inside = (fix) => fix.range[0] >= place.offset && fix.range[1] <= end;
        const shift = (fix) => ({ ...fix, range: fix.range.map((at) => at - place.offset) });
        if (m.fix) {
          if (inside(m.fix)) moved.fix = shift(m.fix);
          else delete moved.fix;
        }
        if (m.suggestions) {
          moved.suggestions = m.suggestions
            .filter((s) => inside(s.fix))
            .map((s) => ({ ...s, fix: shift(s.fix) }));
        }
        return moved;
      });
  },
};

const rules = {
  ...js.configs.recommended.rules,
  "no-unused-vars": [
    "error",
    { args: "after-used", caughtErrors: "none", ignoreRestSiblings: true },
  ],
  eqeqeq: ["error", "always", { null: "ignore" }],
  "no-implicit-globals": "error",
  "array-callback-return": "error",
  "no-constructor-return": "error",
  "no-self-compare": "error",
  "no-template-curly-in-string": "error",
  "no-unmodified-loop-condition": "error",
  "no-unreachable-loop": "error",
  "no-shadow": ["error", { builtinGlobals: false }],
  "no-return-assign": "error",
  "no-sequences": "error",
  "no-unused-expressions": "error",
  "no-useless-concat": "error",
  radix: "error",
};

export default [
  {
    ignores: ["**/node_modules/**", "static/vendor/**", "mirror/**", "instance/**", ".venv/**"],
  },
  { linterOptions: { reportUnusedDisableDirectives: "error" } },
  // Kiln's own pages: ES modules, no build step.
  {
    files: ["static/**/*.js"],
    languageOptions: { ecmaVersion: "latest", sourceType: "module", globals: globals.browser },
    rules,
  },
  // The bootstrap: one script, strict, in every tool's page (see above).
  {
    files: [`${BOOTSTRAP_DIR}/*.js`],
    plugins: { kiln: { processors: { bootstrap: bootstrapProcessor } } },
    processor: "kiln/bootstrap",
  },
  {
    files: [`${BOOTSTRAP_DIR}/*.js/*_joined.js`],
    languageOptions: { ecmaVersion: 2022, sourceType: "script", globals: globals.browser },
    // An empty catch there is "the browser refused: carry on" (and its comment
    // would only be cut out when the parts are joined).
    rules: { ...rules, "no-empty": ["error", { allowEmptyCatch: true }] },
  },
  // The sandbox origin's other documents (the draft viewer, the network relay,
  // the stand-in window.kiln of a standalone download): classic scripts.
  {
    files: ["sandbox/static/*.js"],
    languageOptions: { ecmaVersion: "latest", sourceType: "script", globals: globals.browser },
    rules,
  },
  // The smoke tester's page scripts: classic scripts Chromium runs before the page's own.
  {
    files: ["tester/*.js"],
    languageOptions: { ecmaVersion: "latest", sourceType: "script", globals: globals.browser },
    rules,
  },
  // Node.js: the eval tools' Playwright configuration, and this file.
  {
    files: ["evals/js/*.js"],
    languageOptions: { ecmaVersion: "latest", sourceType: "commonjs", globals: globals.node },
    rules,
  },
  {
    files: ["scripts/js/*.js"],
    languageOptions: { ecmaVersion: "latest", sourceType: "module", globals: globals.node },
    rules,
  },
];
