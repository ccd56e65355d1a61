// @ts-check
/**
 * @file HTTP signalling with an rtcstream server.
 *
 * The wire format is fastrtc's, plus a session token and real HTTP errors:
 *
 *   POST {base}/offer  {"sdp", "type": "offer", "webrtc_id"}
 *     200 -> {"sdp", "type": "answer", "token"}
 *   POST {base}/offer  {"type": "ice-candidate", "candidate", "webrtc_id", "token"}
 *   POST {base}/stop   {"webrtc_id", "token"}
 *
 * Any non-2xx reply carries {"error": code, "message": text}; a 503 may carry
 * a Retry-After header.
 */

/** How long to wait for the answer to an offer. */
const OFFER_TIMEOUT_MS = 15000;

/** An error reply from the signalling server, or a failure to reach it. */
export class SignallingError extends Error {
  /**
   * @param {string} message text for a person
   * @param {object} [details]
   * @param {number} [details.status] HTTP status, 0 when the server was not reached
   * @param {string} [details.code] the server's machine-readable "error" code
   * @param {number} [details.retryAfter] seconds the server asked us to wait (503)
   */
  constructor(message, { status = 0, code = "", retryAfter } = {}) {
    super(message);
    this.name = "SignallingError";
    this.status = status;
    this.code = code;
    this.retryAfter = retryAfter;
  }
}

/**
 * Makes a random session id from crypto.getRandomValues.
 * @returns {string} 32 hex digits
 */
export function newWebRTCID() {
  const bytes = new Uint8Array(16);
  crypto.getRandomValues(bytes);
  return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}

/**
 * Resolves the signalling base URL against the page, without a trailing slash.
 * @param {string} src the element's src attribute, e.g. "webrtc"
 * @returns {string}
 */
export function resolveBase(src) {
  const url = new URL(src || "webrtc", document.baseURI);
  url.pathname = url.pathname.replace(/\/+$/, "");
  url.search = "";
  url.hash = "";
  return url.href;
}

/**
 * Parses a Retry-After header value into whole seconds.
 * @param {string | null} value delay-seconds or an HTTP date
 * @returns {number | undefined}
 */
export function parseRetryAfter(value) {
  if (!value) return undefined;
  const trimmed = value.trim();
  if (/^\d+$/.test(trimmed)) return Number(trimmed);
  const at = Date.parse(trimmed);
  if (Number.isNaN(at)) return undefined;
  return Math.max(0, Math.ceil((at - Date.now()) / 1000));
}

/**
 * Turns a non-2xx response into a SignallingError with the server's message.
 * @param {Response} res
 * @returns {Promise<SignallingError>}
 */
async function errorFromResponse(res) {
  let code = "";
  let message = "";
  const text = await res.text().catch(() => "");
  try {
    const body = JSON.parse(text);
    if (body && typeof body === "object") {
      code = typeof body.error === "string" ? body.error : "";
      message = typeof body.message === "string" ? body.message : "";
    }
  } catch {
    message = text.trim().slice(0, 300);
  }
  if (!message) message = `The server answered ${res.status} ${res.statusText}`.trim();
  const retryAfter = res.status === 503 ? parseRetryAfter(res.headers.get("Retry-After")) : undefined;
  if (retryAfter !== undefined) {
    // One sentence after another, whatever the server's ended with.
    message = `${message.replace(/[\s.]*$/, "")}. Try again in ${retryAfter} s.`;
  }
  return new SignallingError(message, { status: res.status, code, retryAfter });
}

/**
 * POSTs a JSON body and returns the parsed JSON reply.
 * @param {string} url
 * @param {object} body
 * @param {RequestInit} [init]
 * @returns {Promise<any>}
 */
async function postJSON(url, body, init = {}) {
  let res;
  try {
    res = await fetch(url, {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify(body),
      ...init,
    });
  } catch (err) {
    if (init.signal?.aborted) throw init.signal.reason ?? err;
    throw new SignallingError("Could not reach the server.", { status: 0, code: "network" });
  }
  if (!res.ok) throw await errorFromResponse(res);
  const text = await res.text();
  if (!text) return {};
  try {
    return JSON.parse(text);
  } catch {
    throw new SignallingError("The server sent a reply that is not JSON.", { status: res.status, code: "bad_reply" });
  }
}

/**
 * Sends the SDP offer and returns the answer and the session token.
 * @param {string} base signalling base URL from resolveBase
 * @param {{sdp: string, webrtcID: string, ticket?: string, token?: string}} offer
 *   ticket: a place in the server's line that has come up (see waitTurn);
 *   token: the session's, for an ICE restart of it
 * @param {AbortSignal} [signal] aborts the request (Stop while connecting)
 * @returns {Promise<{sdp: string, type: "answer", token: string | undefined, candidatesPending: boolean}>}
 *   candidatesPending: the server is still gathering; fetch its later
 *   candidates with fetchServerCandidates
 */
export async function sendOffer(base, { sdp, webrtcID, ticket, token }, signal) {
  const timeout = AbortSignal.timeout(OFFER_TIMEOUT_MS);
  const both = signal ? AbortSignal.any([signal, timeout]) : timeout;
  /** @type {Record<string, string>} */
  const body = { sdp, type: "offer", webrtc_id: webrtcID };
  if (ticket) body.ticket = ticket;
  if (token) body.token = token; // an ICE restart of the session
  let reply;
  try {
    reply = await postJSON(`${base}/offer`, body, { signal: both });
  } catch (err) {
    if (timeout.aborted && !signal?.aborted) {
      throw new SignallingError("The server did not answer the offer in time.", { code: "timeout" });
    }
    throw err;
  }
  if (!reply || reply.type !== "answer" || typeof reply.sdp !== "string") {
    throw new SignallingError("The server's reply to the offer is not an SDP answer.", { status: 200, code: "bad_reply" });
  }
  return {
    sdp: reply.sdp,
    type: "answer",
    token: typeof reply.token === "string" ? reply.token : undefined,
    candidatesPending: reply.candidates_pending === true,
  };
}

/**
 * Long-polls the server's ICE candidates gathered after its answer (a STUN
 * or TURN server's, which come later than its own addresses).
 * @param {string} base
 * @param {{webrtcID: string, token: string | undefined, from: number}} msg
 * @param {AbortSignal} [signal]
 * @returns {Promise<{candidates: RTCIceCandidateInit[], next: number, done: boolean}>}
 */
export async function fetchServerCandidates(base, { webrtcID, token, from }, signal) {
  const reply = await postJSON(`${base}/offer`, { type: "server-candidates", webrtc_id: webrtcID, token, from }, { signal });
  const candidates = Array.isArray(reply?.candidates) ? reply.candidates.filter((c) => c && typeof c.candidate === "string") : [];
  return { candidates, next: Number(reply?.next) || from + candidates.length, done: reply?.done === true };
}

/**
 * Trickles one local ICE candidate to the server.
 * @param {string} base
 * @param {{candidate: RTCIceCandidateInit, webrtcID: string, token: string | undefined}} msg
 * @returns {Promise<void>}
 */
export async function sendCandidate(base, { candidate, webrtcID, token }) {
  await postJSON(`${base}/offer`, { type: "ice-candidate", candidate, webrtc_id: webrtcID, token });
}

/**
 * Tells the server to end the session. It uses a keepalive request, so it
 * still goes out while the page unloads. It never rejects; the promise
 * settles when the server has answered (or the request failed).
 * @param {string} base
 * @param {{webrtcID: string, token: string | undefined}} msg
 * @returns {Promise<void>}
 */
export function sendStop(base, { webrtcID, token }) {
  return fetch(`${base}/stop`, {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify({ webrtc_id: webrtcID, token }),
    keepalive: true,
  }).then(
    () => {},
    (err) => console.warn("rtc-stream: stop request failed:", err),
  );
}

/** How often a page in the server's waiting line asks whether its turn has come. */
const QUEUE_POLL_MS = 1000;

/**
 * Fetches what the page needs before it connects: the RTC configuration for
 * this connection (fresh TURN credentials when the server makes them) and
 * the time limit.
 * @param {string} base
 * @param {AbortSignal} [signal]
 * @returns {Promise<{rtcConfiguration: RTCConfiguration, timeLimit: number}>}
 */
export async function fetchConfig(base, signal) {
  let res;
  try {
    res = await fetch(`${base}/config`, { signal, cache: "no-store" });
  } catch (err) {
    if (signal?.aborted) throw signal.reason ?? err;
    throw new SignallingError("Could not reach the server.", { status: 0, code: "network" });
  }
  if (!res.ok) throw await errorFromResponse(res);
  const reply = await res.json();
  return { rtcConfiguration: reply.rtc_configuration ?? {}, timeLimit: Number(reply.time_limit) || 0 };
}

/**
 * Joins the server's waiting line and resolves with a ticket once a slot is
 * reserved. onWait is told the place in line (1 is next) at every poll.
 * @param {string} base
 * @param {string} webrtcID
 * @param {(position: number) => void} onWait
 * @param {AbortSignal} signal aborts the wait (Stop, page closed)
 * @returns {Promise<string>} the ticket to send with the offer
 */
export async function waitTurn(base, webrtcID, onWait, signal) {
  /** @type {Record<string, string>} */
  let body = { webrtc_id: webrtcID };
  for (;;) {
    const reply = await postJSON(`${base}/queue`, body, { signal });
    if (reply.status === "ready") return reply.ticket;
    onWait(Number(reply.position) || 1);
    body = { ticket: reply.ticket };
    await new Promise((resolve, reject) => {
      const t = setTimeout(resolve, QUEUE_POLL_MS);
      signal.addEventListener("abort", () => {
        clearTimeout(t);
        reject(signal.reason);
      }, { once: true });
    });
  }
}
