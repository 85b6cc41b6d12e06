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

// eslint-disable-next-line no-control-regex -- the control characters are what it finds
const CONTROL = /[\u0000-\u001f\u007f]/;

export function validUrlState(m) {
  return (
    typeof m.query === "string" &&
    typeof m.hash === "string" &&
    m.query.length + m.hash.length <= MAX &&
    !CONTROL.test(m.query + m.hash) &&
    (m.query === "" || m.query.startsWith("?")) &&
    (m.hash === "" || m.hash.startsWith("#")) &&
    typeof m.start === "boolean" &&
    typeof m.stored === "boolean"
  );
}

// "?a=1&st=x#h" -> "?a=1#h": the tool's bytes, without a storage token.
export function cleanState(query, hash) {
  const kept = query
    .slice(1)
    .split("&")
    .filter((part) => {
      if (!part) return false;
      let key = part.split("=", 1)[0];
      try {
        key = decodeURIComponent(key.replace(/\+/g, " "));
      } catch {
        /* keep as written */
      }
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

/** `src` (a frame address: raw URL, query, hash) with `token` as its one storage
 *  token, first, and the rest of its query and hash as they were. */
export function withToken(src, token) {
  const url = new URL(src, location.href);
  const state = cleanState(url.search, url.hash);
  const cut = state.includes("#") ? state.indexOf("#") : state.length;
  const [query, hash] = [state.slice(0, cut), state.slice(cut)];
  const params = new URLSearchParams({ [STORAGE_PARAM]: token }).toString();
  return `${url.origin}${url.pathname}?${params}${query ? `&${query.slice(1)}` : ""}${hash}`;
}

/** The same address without its storage token: what tells two frame addresses
 *  apart (each page render has a token of its own). */
export function withoutToken(src) {
  const url = new URL(src, location.href);
  return url.origin + url.pathname + cleanState(url.search, url.hash);
}

export class UrlState {
  /** `freshToken()`: a promise of a new storage token from the server (null if
   *  none could be had). Each token works for one load of the frame. */
  constructor(frame, freshToken) {
    this.frame = frame;
    this.freshToken = freshToken;
    this.repoints = 0;
    this.repointTo = null;
    this.repointing = null;
  }

  onReport(message) {
    const state = cleanState(message.query, message.hash);
    // Read from the frame's address now: a tool being written gets it later.
    const src = new URL(this.frame.getAttribute("src") || "about:blank", location.href);
    this.token = src.searchParams.get(STORAGE_PARAM);
    this.raw = src.origin + src.pathname;
    // A document that came without its storage (a tool that reloaded itself with a
    // new query, location.search = ..., so without the token; a load past the
    // token's time; a token already used) is loaded again with a fresh token.
    if (message.start && !message.stored && this.token && this.repoints < MAX_REPOINTS) {
      this.repoints += 1;
      this.repointTo = state; // the newest report wins
      this.repointing ??= this.repoint().finally(() => {
        this.repointing = null;
      });
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

  async repoint() {
    const token = await this.freshToken();
    if (!token) return; // the tool runs on, with what it has for this visit
    this.frame.contentWindow?.location.replace(withToken(this.raw + this.repointTo, token));
  }
}
