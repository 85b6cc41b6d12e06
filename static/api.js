// Talking to Kiln's JSON API from its own pages: CSRF header, JSON errors.

import { config } from "./config.js";

export const csrfToken = document.querySelector('meta[name="csrf-token"]')?.content || "";

export class ApiError extends Error {
  constructor(message, status, data = {}) {
    super(message);
    this.status = status;
    this.data = data;
  }
}

/** POST `body` (an object as JSON, or FormData as is); resolve to the JSON answer. */
export function post(url, body) {
  return send("POST", url, body);
}

/** PATCH `body` (an object as JSON); resolve to the JSON answer. */
export function patch(url, body) {
  return send("PATCH", url, body);
}

/** PUT `body` (an object as JSON); resolve to the JSON answer. */
export function put(url, body) {
  return send("PUT", url, body);
}

/** GET a JSON answer. */
export function get(url) {
  return send("GET", url);
}

/** DELETE `url`; resolve to the JSON answer. */
export function del(url) {
  return send("DELETE", url);
}

/** Any method; `body` as for post(). */
export async function send(method, url, body) {
  const isForm = body instanceof FormData;
  let response;
  try {
    response = await fetch(url, {
      method,
      credentials: "same-origin",
      headers: {
        Accept: "application/json",
        "X-CSRFToken": csrfToken,
        ...(isForm ? {} : { "Content-Type": "application/json" }),
      },
      body: body === undefined ? undefined : isForm ? body : JSON.stringify(body),
    });
  } catch {
    throw new ApiError(
      "Kiln could not be reached. Check that it is still running, then try again.",
      0,
    );
  }
  let data = {};
  try {
    data = await response.json();
  } catch {
    /* not JSON: a proxy's error page */
  }
  if (!response.ok) {
    throw new ApiError(data.error || `Kiln answered ${response.status}.`, response.status, data);
  }
  return data;
}

/** Follow a job's Server-Sent Events; `on[type](data)` for each. Returns a stop function.
 *  The browser resumes a dropped stream by itself (Last-Event-ID); we stop at "end". */
export function followJob(eventsUrl, on) {
  const source = new EventSource(eventsUrl);
  for (const type of config.job_events) {
    source.addEventListener(type, (event) => {
      let data;
      try {
        data = JSON.parse(event.data);
      } catch {
        return;
      }
      if (type === "end") source.close();
      on[type]?.(data);
    });
  }
  return () => source.close();
}
