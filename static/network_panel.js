// What the network channel shows on a tool's page: the hosts this viewer lets
// the tool reach (each can be taken back), and every request as it happens.
import { humanSize } from "./format.js";

const MAX_ROWS = 200;
const OUTCOMES = {
  waiting: "waiting…",
  refused: "refused",
  denied: "denied",
  failed: "failed",
  aborted: "aborted",
};

export function wireNetworkPanel(network, root = document) {
  const line = root.querySelector("[data-net-hosts]");
  const list = line?.querySelector("[data-net-host-list]");
  const showHosts = () => {
    if (!line) return;
    line.hidden = network.hosts.length === 0;
    list.replaceChildren(
      ...network.hosts.map((host) => {
        const item = document.createElement("span");
        item.className = "net-host";
        const name = document.createElement("code");
        name.textContent = host;
        const stop = document.createElement("button");
        Object.assign(stop, {
          type: "button",
          className: "ghost small",
          textContent: "✕",
          title: `Remove: Kiln asks again before this tool reaches ${host}`,
        });
        stop.setAttribute("aria-label", `Stop this tool reaching ${host}`);
        stop.addEventListener("click", () => network.revoke(host).catch(() => {}));
        item.append(name, stop);
        return item;
      }),
    );
  };
  network.addEventListener("hosts", showHosts);
  showHosts();

  const table = root.querySelector("[data-net-table]");
  const body = root.querySelector("[data-net-log]");
  const empty = root.querySelector("[data-net-empty]");
  const counts = root.querySelectorAll("[data-net-count]");
  const rows = new Map();
  network.addEventListener("request", ({ detail: entry }) => {
    if (!body) return;
    const row = document.createElement("tr");
    row.dataset.outcome = entry.outcome;
    for (let i = 0; i < 5; i += 1) row.append(document.createElement("td"));
    rows.set(entry, row);
    body.append(row);
    while (body.children.length > MAX_ROWS) body.firstElementChild.remove();
    table.hidden = false;
    empty.hidden = true;
    for (const count of counts) {
      count.hidden = false;
      count.textContent = String(network.count);
    }
    paint(entry, row);
  });
  network.addEventListener("settled", ({ detail: entry }) => {
    const row = rows.get(entry);
    if (row) {
      paint(entry, row);
      rows.delete(entry);
    }
  });
}

function paint(entry, row) {
  const [method, url, status, bytes, time] = row.children;
  row.dataset.outcome = entry.outcome;
  method.textContent = entry.method;
  url.textContent = entry.url;
  url.title = entry.url;
  status.textContent = entry.status ?? OUTCOMES[entry.outcome] ?? entry.outcome;
  if (entry.note) {
    const note = document.createElement("span");
    note.className = "net-note";
    note.textContent = entry.note;
    status.append(note);
  }
  bytes.textContent = entry.bytes === null ? "—" : humanSize(entry.bytes);
  time.textContent = entry.ms === null ? "…" : `${entry.ms} ms`;
}
