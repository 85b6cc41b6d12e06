// A tool's own URL state (the query and hash it sets in its frame, reported by
// the bootstrap's 76-url-state.js) in Kiln's page address and share link, as
// one parameter (config.url_state_param), so that copying either shares it and
// opening it gives the tool the same URL (web/pages.py builds the frame URL).
// The report is the tool's word only: it is length-checked, stripped of any
// storage token, and only ever lands in this page's own query parameter.

import { config } from "./config.js";

const PARAM = config.url_state_param;
const STORAGE_PARAM = config.storage_param;
const MAX = config.max_url_state;
const MAX_REPOINTS = config.max_token_reloads;

const CONTROL = /[\u0000-\u001f\u007f]/;

export function validUrlState(m) {
  return typeof m.query === "string" && typeof m.hash === "string" &&
    m.query.length + m.hash.length <= MAX && !CONTROL.test(m.query + m.hash) &&
    (m.query === "" || m.query.startsWith("?")) && (m.hash === "" || m.hash.startsWith("#")) &&
    typeof m.start === "boolean" && typeof m.stored === "boolean";
}

// "?a=1&st=x#h" -> "?a=1#h": the tool's bytes, without a storage token.
export function cleanState(query, hash) {
  const kept = query.slice(1).split("&").filter((part) => {
    if (!part) return false;
    let key = part.split("=", 1)[0];
    try { key = decodeURIComponent(key.replace(/\+/g, " ")); } catch { /* keep as written */ }
    return key.trim() !== STORAGE_PARAM;
  });
  return (kept.length ? `?${kept.join("&")}` : "") + (hash.length > 1 ? hash : "");
}

export function withState(address, state) {
  const url = new URL(address, location.href);
  if (state) url.searchParams.set(PARAM, state);
  else url.searchParams.delete(PARAM);
  return url.href;
}

export class UrlState {
  constructor(frame) {
    this.frame = frame;
    this.repoints = 0;
  }

  onReport(message) {
    const state = cleanState(message.query, message.hash);
    // Read from the frame's address now: a tool being written gets it later.
    const src = new URL(this.frame.getAttribute("src") || "about:blank", location.href);
    this.token = src.searchParams.get(STORAGE_PARAM);
    this.raw = src.origin + src.pathname;
    // A tool that reloads itself with a new query (location.search = ...) loses
    // the frame's storage token: load that URL again, with it.
    if (message.start && !message.stored && this.token && this.repoints < MAX_REPOINTS) {
      this.repoints += 1;
      const cut = state.includes("#") ? state.indexOf("#") : state.length;
      const [query, hash] = [state.slice(0, cut), state.slice(cut)];
      const params = new URLSearchParams({ [STORAGE_PARAM]: this.token }).toString();
      this.frame.contentWindow?.location.replace(
        `${this.raw}?${params}${query ? `&${query.slice(1)}` : ""}${hash}`);
      return;
    }
    const address = withState(location.href, state);
    if (address !== location.href) history.replaceState(history.state, "", address);
    const share = document.getElementById("share-url");
    if (share) share.value = withState(share.value, state);
    for (const option of document.querySelectorAll("[data-share-which] option")) {
      option.value = withState(option.value, state);
    }
  }
}
