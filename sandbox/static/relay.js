// Kiln's network relay: one document per host a viewer allowed a tool to
// reach, framed (hidden) by Kiln's page, which hands it a MessageChannel port.
// It makes the tool's requests, and opens its WebSockets and event streams
// (messages with a `sid`); Kiln's page keeps the count, the limits and the
// tool's side of each connection.
// Its own Content-Security-Policy lets it connect to that one host and nowhere
// else (sandbox/policy.py), so neither a redirect nor a mistake in Kiln's page
// can take a request anywhere the viewer did not allow. It runs in an opaque
// origin: requests carry `Origin: null`, no cookies, no referrer.
(() => {
  "use strict";
  const host = decodeURIComponent(location.pathname.split("/").pop());
  const running = new Map();
  const blocked = []; // what this document's policy refused (redirects elsewhere)
  let port = null;

  document.addEventListener("securitypolicyviolation", (e) => blocked.push(e.blockedURI || "?"));

  // Only the page that framed this document may hand it a port, and only once.
  window.addEventListener("message", (e) => {
    if (port || window.parent === window || e.source !== window.parent) return;
    if (!e.data || e.data.kiln !== "relay" || !e.ports || !e.ports[0]) return;
    port = e.ports[0];
    port.onmessage = (m) => {
      const message = m.data || {};
      if (message.sid !== undefined) stream(message);
      else handle(message);
    };
    port.postMessage({ ready: host });
  });

  function handle(m) {
    if (m.abort) {
      running.get(m.id)?.abort();
      return;
    }
    const controller = new AbortController();
    running.set(m.id, controller);
    request(m, controller.signal)
      .then(
        (answer) => port.postMessage({ id: m.id, ok: true, ...answer }, [answer.body]),
        (failure) =>
          port.postMessage({
            id: m.id,
            ok: false,
            kind: failure.kind || "unreachable",
            to: failure.to || "",
          }),
      )
      .finally(() => running.delete(m.id));
  }

  async function request(m, signal) {
    const url = new URL(m.url);
    if (url.hostname !== host) throw { kind: "refused" };
    const seen = blocked.length;
    let response;
    try {
      response = await fetch(url.href, {
        method: m.method,
        headers: m.headers,
        body: m.body || undefined,
        cache: m.cache || "default",
        mode: "cors",
        credentials: "omit",
        referrerPolicy: "no-referrer",
        redirect: "follow",
        signal,
      });
    } catch {
      if (signal.aborted) throw { kind: "aborted" };
      throw await diagnose(url, seen);
    }
    // The policy already refuses a redirect to another host; this is the second lock.
    if (new URL(response.url).hostname !== host)
      throw { kind: "redirect", to: new URL(response.url).hostname };
    let body;
    try {
      body = await read(response, m.max);
    } catch (failure) {
      if (signal.aborted) throw { kind: "aborted" };
      throw failure.kind ? failure : { kind: "cut" };
    }
    return {
      status: response.status,
      statusText: response.statusText,
      headers: [...response.headers],
      url: response.url,
      redirected: response.redirected,
      body,
    };
  }

  // fetch() says only "Failed to fetch". A host that answers a no-cors request
  // is up but does not allow CORS; a refusal of this document's policy means a
  // redirect tried to leave the host.
  async function diagnose(url, seen) {
    let answers = false;
    try {
      await fetch(url.href, {
        method: "HEAD",
        mode: "no-cors",
        credentials: "omit",
        cache: "no-store",
        referrerPolicy: "no-referrer",
      });
      answers = true;
    } catch {
      /* not reachable at all */
    }
    if (blocked.length > seen) {
      let to = "";
      try {
        to = new URL(blocked[seen]).hostname;
      } catch {
        /* the browser named no URL */
      }
      return { kind: "redirect", to: to === host ? "" : to };
    }
    return { kind: answers ? "cors" : "unreachable" };
  }

  async function read(response, max) {
    if (Number(response.headers.get("content-length")) > max) {
      response.body?.cancel().catch(() => {});
      throw { kind: "too-large" };
    }
    if (!response.body) return new ArrayBuffer(0);
    const reader = response.body.getReader();
    const declared = Number(response.headers.get("content-length")) || 0;
    let body = new Uint8Array(declared || 65536);
    let size = 0;
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      // Counted as it arrives: a compressed or chunked body states no honest length.
      if (size + value.byteLength > max) {
        reader.cancel().catch(() => {});
        throw { kind: "too-large" };
      }
      if (size + value.byteLength > body.length) {
        const grown = new Uint8Array(
          Math.min(max, Math.max(body.length * 2, size + value.byteLength)),
        );
        grown.set(body.subarray(0, size));
        body = grown;
      }
      body.set(value, size);
      size += value.byteLength;
    }
    return size === body.length ? body.buffer : body.buffer.slice(0, size);
  }

  // -- WebSocket and EventSource ----------------------------------------------------------

  const streams = new Map(); // sid -> {socket} or {controller}

  function say(sid, what, transfer = []) {
    port.postMessage({ sid, ...what }, transfer);
  }

  function stream(m) {
    const open = streams.get(m.sid);
    if (m.stream === "ws") return openSocket(m);
    if (m.stream === "sse") return openSource(m);
    if (!open) return;
    if (m.send !== undefined) {
      if (open.socket?.readyState === WebSocket.OPEN) open.socket.send(m.send);
    } else if (m.close) {
      // A close the tool asked for ends when the server's answer comes back
      // (onclose); one Kiln made ends here, and the socket says nothing more.
      if (!m.wait) streams.delete(m.sid);
      if (!open.socket) return open.controller.abort();
      if (!m.wait) open.socket.onclose = open.socket.onerror = open.socket.onmessage = null;
      try {
        if (m.code === undefined) open.socket.close();
        else open.socket.close(m.code, m.reason || "");
      } catch {
        open.socket.close();
      }
    }
  }

  function byteLength(data) {
    return typeof data === "string" ? new TextEncoder().encode(data).byteLength : data.byteLength;
  }

  function openSocket(m) {
    let socket;
    try {
      if (new URL(m.url).hostname !== host) throw new Error("another host");
      socket = new WebSocket(m.url, m.protocols || []);
    } catch {
      say(m.sid, { on: "close", code: 1006, reason: "", wasClean: false, refused: true });
      return;
    }
    socket.binaryType = "arraybuffer";
    streams.set(m.sid, { socket });
    socket.onopen = () =>
      say(m.sid, { on: "open", protocol: socket.protocol, extensions: socket.extensions });
    socket.onmessage = (e) => {
      const bytes = byteLength(e.data);
      if (bytes > m.max) {
        streams.delete(m.sid);
        socket.onclose = socket.onerror = socket.onmessage = null;
        socket.close();
        say(m.sid, { on: "too-large", bytes });
        return;
      }
      say(
        m.sid,
        { on: "message", data: e.data, bytes },
        typeof e.data === "string" ? [] : [e.data],
      );
    };
    socket.onerror = () => say(m.sid, { on: "error" });
    socket.onclose = (e) => {
      streams.delete(m.sid);
      say(m.sid, { on: "close", code: e.code, reason: e.reason, wasClean: e.wasClean });
    };
  }

  // An event stream is read with fetch, so that every event arrives whatever
  // its name; Kiln's page reconnects it (with the last event's id) when it ends.
  async function openSource(m) {
    const controller = new AbortController();
    streams.set(m.sid, { controller });
    const url = new URL(m.url);
    const end = (what) => {
      if (streams.get(m.sid)?.controller !== controller) return;
      streams.delete(m.sid);
      say(m.sid, what);
    };
    if (url.hostname !== host) return end({ on: "failed", kind: "refused" });
    const headers = { Accept: "text/event-stream" };
    if (m.lastEventId) headers["Last-Event-ID"] = m.lastEventId;
    const seen = blocked.length;
    let response;
    try {
      response = await fetch(url.href, {
        headers,
        cache: "no-store",
        mode: "cors",
        credentials: "omit",
        referrerPolicy: "no-referrer",
        redirect: "follow",
        signal: controller.signal,
      });
    } catch {
      if (controller.signal.aborted) return;
      const failure = await diagnose(url, seen);
      // Unreachable is worth another try, as a browser's EventSource makes one.
      return end(failure.kind === "unreachable" ? { on: "ended" } : { on: "failed", ...failure });
    }
    if (new URL(response.url).hostname !== host)
      return end({ on: "failed", kind: "redirect", to: new URL(response.url).hostname });
    const type = (response.headers.get("content-type") || "").split(";")[0].trim().toLowerCase();
    if (response.status !== 200 || type !== "text/event-stream") {
      response.body?.cancel().catch(() => {});
      return end({ on: "failed", kind: "answer", status: response.status, type });
    }
    say(m.sid, { on: "open" });
    const parser = eventParser(m, () => {
      controller.abort();
      end({ on: "too-large" });
    });
    try {
      const reader = response.body.getReader();
      const decoder = new TextDecoder();
      for (;;) {
        const { done, value } = await reader.read();
        if (done) break;
        if (!parser.feed(decoder.decode(value, { stream: true }))) return;
      }
    } catch {
      if (controller.signal.aborted) return;
    }
    end({ on: "ended" });
  }

  // The event stream format (HTML, "server-sent events"): lines end in CR, LF or
  // CRLF; a blank line dispatches the event gathered so far.
  function eventParser(m, tooLarge) {
    let buffer = "",
      data = "",
      type = "",
      id = m.lastEventId || "",
      size = 0;
    const field = (line) => {
      if (line === "") {
        if (data === "") {
          type = "";
          return;
        }
        say(m.sid, {
          on: "event",
          type: type || "message",
          data: data.slice(0, -1),
          id,
          bytes: size,
        });
        data = "";
        type = "";
        size = 0;
        return;
      }
      if (line[0] === ":") return;
      const colon = line.indexOf(":");
      const name = colon < 0 ? line : line.slice(0, colon);
      let value = colon < 0 ? "" : line.slice(colon + 1);
      if (value[0] === " ") value = value.slice(1);
      if (name === "event") type = value;
      else if (name === "data") {
        data += value + "\n";
        size += byteLength(value) + 1;
      } else if (name === "id" && !value.includes("\0")) id = value;
      else if (name === "retry" && /^[0-9]+$/.test(value))
        say(m.sid, { on: "retry", ms: Number(value) });
    };
    return {
      feed(text) {
        buffer += text;
        let start = 0;
        for (let i = 0; i < buffer.length; i += 1) {
          const c = buffer[i];
          if (c !== "\n" && c !== "\r") continue;
          // A CR at the end of what came may be the first half of a CRLF.
          if (c === "\r" && i + 1 === buffer.length) break;
          field(buffer.slice(start, i));
          if (c === "\r" && buffer[i + 1] === "\n") i += 1;
          start = i + 1;
        }
        buffer = buffer.slice(start);
        // Counted as it gathers: an event (or a line) may never end.
        if (size + buffer.length > m.max) {
          tooLarge();
          return false;
        }
        return true;
      },
    };
  }
})();
