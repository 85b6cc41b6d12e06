// What the network channel shows on a tool's page: the hosts this viewer lets
// the tool reach (each can be taken back), and every request as it happens, and
// every WebSocket and EventSource with its state and its messages each way.
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
  const addRow = (entry) => {
    const row = document.createElement("tr");
    for (let i = 0; i < 5; i += 1) row.append(document.createElement("td"));
    rows.set(entry, row);
    body.append(row);
    while (body.children.length > MAX_ROWS) {
      rows.delete([...rows].find(([, r]) => r === body.firstElementChild)?.[0]);
      body.firstElementChild.remove();
    }
    table.hidden = false;
    empty.hidden = true;
    for (const count of counts) {
      count.hidden = false;
      count.textContent = String(network.count);
    }
    return row;
  };
  network.addEventListener("request", ({ detail: entry }) => {
    if (body) paint(entry, addRow(entry));
  });
  // A connection changes with each message: painted at most once a frame.
  const due = new Set();
  const repaint = () => {
    for (const entry of due) {
      const row = rows.get(entry);
      if (row) paintConnection(entry, row);
      if (row && entry.ms !== null) rows.delete(entry);
    }
    due.clear();
  };
  network.addEventListener("connection", ({ detail: entry }) => {
    if (body) paintConnection(entry, addRow(entry));
  });
  network.addEventListener("connection-changed", ({ detail: entry }) => {
    if (!rows.has(entry)) return;
    if (!due.size) requestAnimationFrame(repaint);
    due.add(entry);
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

const STATES = {
  waiting: "waiting…",
  connecting: "connecting…",
  open: "open",
  reconnecting: "reconnecting…",
  closing: "closing…",
};

function paintConnection(entry, row) {
  const [kind, url, state, traffic, time] = row.children;
  row.dataset.kind = entry.kind;
  row.dataset.outcome = entry.state;
  kind.textContent = entry.kind;
  url.textContent = entry.url;
  url.title = entry.url;
  state.textContent = STATES[entry.state] ?? entry.state;
  if (entry.note) {
    const note = document.createElement("span");
    note.className = "net-note";
    note.textContent = entry.note;
    state.append(note);
  }
  const way = (arrow, tally, name) => {
    const line = document.createElement("span");
    line.className = "net-way";
    line.dataset.way = name;
    line.textContent = `${arrow} ${tally.count} msg${tally.count === 1 ? "" : "s"}, ${humanSize(tally.bytes)}`;
    line.title = `${name}: ${tally.count} messages, ${tally.bytes} bytes`;
    return line;
  };
  traffic.replaceChildren(
    way("↑", entry.sent, "sent"),
    document.createElement("br"),
    way("↓", entry.received, "received"),
  );
  time.textContent = entry.ms === null ? "…" : `${entry.ms} ms`;
}
