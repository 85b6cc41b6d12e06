// Kiln's network relay: one document per host a viewer allowed a tool to
// reach, framed (hidden) by Kiln's page, which hands it a MessageChannel port.
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
    port.onmessage = (m) => handle(m.data || {});
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
})();
