// The Data tab (templates/_data_panel.html): the files of the version on screen.
// A file's preview is its profile, asked for when it is first opened; whoever may
// change the tool adds, replaces and removes files, each change a new version
// (the same code, the new file set) that the server tests at once; `onChanged`
// then brings the page to it. Handlers sit on `root`, so a panel replaced in
// place (page_update.js) keeps working.
import { del, get, post } from "./api.js";
import { refusal } from "./attachments.js";
import { artifactUrls } from "./urls.js";

const PREVIEW_ROWS = 5;

export function wireDataPanel(root, { onChanged = async () => {} } = {}) {
  let replacing = null; // the name a Replace is for, while its picker is open
  let busy = false;

  const panel = () => root.querySelector("[data-data-panel]");
  const urls = () => artifactUrls(panel().dataset.artifactId);
  const say = (message) => {
    const status = panel()?.querySelector("[data-data-status]");
    if (status) status.textContent = message;
  };
  const fail = (message) => {
    const error = panel()?.querySelector("[data-data-error]");
    if (!error) return;
    error.textContent = message;
    error.hidden = !message;
  };
  const held = () => {
    const p = panel();
    return {
      count: Number(p.dataset.count) || 0,
      bytes: Number(p.dataset.bytes) || 0,
      names: [...p.querySelectorAll("[data-file]")].map((row) => row.dataset.file),
    };
  };
  const sizeOf = (name) =>
    Number(panel().querySelector(`[data-file="${CSS.escape(name)}"]`)?.dataset.size) || 0;

  /** Send a change; the page moves to the version it made. */
  async function change(doing, send) {
    if (busy) return;
    busy = true;
    fail("");
    say(doing);
    for (const button of panel().querySelectorAll("button, label.button"))
      button.setAttribute("aria-disabled", "true");
    try {
      const answer = await send();
      say("");
      await onChanged(answer);
    } catch (failure) {
      say("");
      fail(failure.message);
      for (const button of panel()?.querySelectorAll("[aria-disabled]") || [])
        button.removeAttribute("aria-disabled");
    } finally {
      busy = false;
    }
  }

  function upload(files, replace = null) {
    const p = panel();
    const had = held();
    const left = replace
      ? {
          count: had.count - 1,
          bytes: had.bytes - sizeOf(replace),
          names: had.names.filter((name) => name !== replace),
        }
      : had;
    // A replacement takes the name of the file it replaces.
    const named = files.map((file) => ({ name: replace || file.name, size: file.size }));
    const why = refusal(named, left);
    if (why) {
      fail(`Nothing was changed: ${why}`);
      return;
    }
    const body = new FormData();
    for (const file of files) body.append("file", file, replace || file.name);
    if (replace) body.append("replace", replace);
    body.append("base", p.dataset.version);
    const what = replace
      ? `Replacing ${replace}…`
      : `Adding ${files.length === 1 ? files[0].name : `${files.length} files`}…`;
    change(what, () => post(urls()("tool_files"), body));
  }

  root.addEventListener("click", (event) => {
    const on = (selector) => event.target.closest(selector);
    if (!on("[data-data-panel]")) return;
    if (on("[aria-disabled=true]")) {
      event.preventDefault();
      return;
    }
    const row = on("[data-file]");
    const name = row?.dataset.file;
    if (on("[data-file-preview]")) togglePreview(row, on("[data-file-preview]"));
    else if (on("[data-file-replace]")) {
      replacing = name;
      panel().querySelector("[data-files-replace]").click();
    } else if (on("[data-file-remove]")) {
      row.querySelector("[data-file-confirm]").hidden = false;
      row.querySelector("[data-file-remove-no]").focus();
    } else if (on("[data-file-remove-no]")) {
      row.querySelector("[data-file-confirm]").hidden = true;
      row.querySelector("[data-file-remove]").focus();
    } else if (on("[data-file-remove-yes]")) {
      const base = panel().dataset.version;
      change(`Removing ${name}…`, () =>
        del(`${urls()("tool_file", { name })}?base=${encodeURIComponent(base)}`),
      );
    }
  });
  root.addEventListener("change", (event) => {
    if (!event.target.closest("[data-data-panel]")) return;
    const input = event.target;
    const files = [...(input.files || [])];
    input.value = "";
    if (!files.length) return;
    if (input.matches("[data-files-add]")) upload(files);
    if (input.matches("[data-files-replace]") && replacing) upload(files.slice(0, 1), replacing);
  });

  async function togglePreview(row, button) {
    const box = row.querySelector("[data-file-preview-box]");
    const open = box.hidden;
    box.hidden = !open;
    button.setAttribute("aria-expanded", String(open));
    if (!open || box.dataset.loaded) return;
    box.dataset.loaded = "1";
    box.textContent = "Reading…";
    const p = panel();
    try {
      const answer = await get(
        urls()("file_profile", { number: p.dataset.version, name: row.dataset.file }),
      );
      box.replaceChildren(...renderProfile(answer.profile || {}));
    } catch (failure) {
      delete box.dataset.loaded; // asked again when opened again
      box.replaceChildren(paragraph(failure.message, "error"));
    }
  }
}

// -- a file's profile, as elements (text only: nothing from a file is markup) -----

function paragraph(text, className = "") {
  const p = document.createElement("p");
  p.textContent = text;
  if (className) p.className = className;
  return p;
}

const count = (n, word) => `${Number(n).toLocaleString("en")} ${word}${n === 1 ? "" : "s"}`;

/** The columns (with their types and empties) over the first rows. */
function table(columns, sample, caption) {
  const wrap = document.createElement("div");
  wrap.className = "file-table-wrap";
  wrap.tabIndex = 0; // it may scroll sideways: keyboard people reach it too
  wrap.setAttribute("role", "region");
  wrap.setAttribute("aria-label", caption);
  const t = document.createElement("table");
  t.className = "file-table";
  const cap = document.createElement("caption");
  cap.className = "visually-hidden";
  cap.textContent = caption;
  const head = document.createElement("thead");
  const names = document.createElement("tr");
  const types = document.createElement("tr");
  types.className = "file-types";
  for (const column of columns) {
    const th = document.createElement("th");
    th.scope = "col";
    th.textContent = column.name;
    names.append(th);
    const td = document.createElement("td");
    const empty = column.empty ? `, ${count(column.empty, "empty")}` : "";
    td.textContent = `${column.type || "any"}${empty}`;
    types.append(td);
  }
  head.append(names, types);
  const body = document.createElement("tbody");
  for (const values of (sample || []).slice(0, PREVIEW_ROWS)) {
    const tr = document.createElement("tr");
    for (let i = 0; i < Math.max(columns.length, values.length); i += 1) {
      const td = document.createElement("td");
      td.textContent = values[i] === null || values[i] === undefined ? "" : String(values[i]);
      tr.append(td);
    }
    body.append(tr);
  }
  t.append(cap, head, body);
  wrap.append(t);
  return wrap;
}

function pre(text, label) {
  const block = document.createElement("pre");
  block.className = "code file-text";
  block.tabIndex = 0;
  block.setAttribute("aria-label", label);
  block.textContent = text;
  return block;
}

/** What the profile of one file says, for a person. */
export function renderProfile(profile) {
  const out = [];
  const facts = [];
  if (profile.rows !== undefined) facts.push(count(profile.rows, "row"));
  if (profile.columns?.length) facts.push(count(profile.columns.length, "column"));
  if (profile.records !== undefined) facts.push(count(profile.records, "record"));
  if (profile.lines !== undefined) facts.push(count(profile.lines, "line"));
  if (profile.characters !== undefined) facts.push(count(profile.characters, "character"));
  if (profile.pages !== undefined) facts.push(count(profile.pages, "page"));
  if (profile.width !== undefined) facts.push(`${profile.width} × ${profile.height} pixels`);
  if (profile.encoding) facts.push(`encoding ${profile.encoding}`);
  if (profile.ragged_rows) facts.push(`${count(profile.ragged_rows, "row")} of another length`);
  if (facts.length) out.push(paragraph(facts.join(" · "), "file-facts"));
  if (profile.note) out.push(paragraph(profile.note, "muted"));
  if (profile.columns?.length) {
    out.push(table(profile.columns, profile.sample, `The first rows of ${profile.name}`));
  }
  for (const [what, parts] of [
    ["sheet", profile.sheets],
    ["table", profile.tables],
  ]) {
    for (const part of parts || []) {
      const h = document.createElement("h4");
      h.textContent = `${what === "sheet" ? "Sheet" : "Table"} ${part.name} · ${count(part.rows, "row")}`;
      out.push(h);
      if (part.columns?.length) {
        out.push(table(part.columns, part.sample, `The first rows of ${what} ${part.name}`));
      }
    }
    if (parts && !parts.length) out.push(paragraph(`No ${what}s.`, "muted"));
  }
  if (profile.shape !== undefined && profile.shape !== null) {
    out.push(paragraph("Its shape:", "file-label"));
    out.push(pre(JSON.stringify(profile.shape, null, 2), `The shape of ${profile.name}`));
  }
  if (!profile.columns && profile.sample !== undefined && profile.shape !== undefined) {
    out.push(paragraph("The first items:", "file-label"));
    out.push(pre(JSON.stringify(profile.sample, null, 2), `The first items of ${profile.name}`));
  }
  if (profile.opening) {
    out.push(pre(profile.opening, `The opening of ${profile.name}`));
  }
  if (!out.length) out.push(paragraph("Nothing more to show of this file.", "muted"));
  return out;
}
