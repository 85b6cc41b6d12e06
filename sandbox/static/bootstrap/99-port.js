/* The parent hands us a MessageChannel port; everything else flows through it. */
function onPort(e) {
  if (e.source !== window.parent || !e.data) {
    return;
  }
  /* The parent page may have started listening after our first hello: it pings. */
  if (e.data.kiln === "ping") {
    if (!port) {
      window.parent.postMessage({ kiln: "hello", doc: doc }, "*");
    }
    return;
  }
  if (e.data.kiln !== "port" || !e.ports || !e.ports[0]) {
    return;
  }
  /* Two hellos (ours and a ping's) give two ports; the parent keeps the newest. */
  if (port) {
    try {
      port.close();
    } catch (x) {}
  }
  port = e.ports[0];
  port.onmessage = function (m) {
    var d = m.data || {},
      p = pending.get(d.id);
    if (typeof d.event === "string") {
      if (Object.prototype.hasOwnProperty.call(parentEvents, d.event)) {
        parentEvents[d.event](d);
      }
      return;
    }
    if (!p) {
      return;
    }
    pending.delete(d.id);
    if (d.ok) {
      p.resolve(d.value !== undefined ? d.value : typeof d.text === "string" ? d.text : undefined);
    } else if (typeof d.code === "string") {
      /* A refusal the page may act on (kiln.*): an Error with a code. */
      p.reject(Object.assign(new Error(String(d.error)), { code: d.code }));
    } else {
      p.reject(new DOMException(d.error || "The viewer declined", "NotAllowedError"));
    }
  };
  queue.splice(0).forEach(function (m) {
    try {
      port.postMessage(m);
    } catch (x) {}
  });
}
if (window.parent !== window) {
  window.addEventListener("message", onPort);
  window.parent.postMessage({ kiln: "hello", doc: doc }, "*");
}
