// @ts-check
/**
 * @file A session through a LiveKit room instead of the server's
 * /webrtc/offer: the <rtc-stream> element with a "livekit-token" attribute
 * uses it, with the same interface as Session (start, stop, send,
 * replaceTrack, stats). The page asks its own server for a token (POST to
 * the attribute's URL: {url, token, identity}), joins the room it names
 * with livekit-client (vendored: vendor/livekit-client.umd.js, loaded on
 * first use), publishes the camera and microphone, and shows the track an
 * rtcstream worker publishes back for it ("rtcstream:" + its identity).
 * Control messages travel as data messages on the topic "rtcstream".
 */

import { parseServerMessage } from "./messages.js";

/** The data topic of control messages (package livekit's Topic). */
const TOPIC = "rtcstream";
/** How long the room may take to connect. */
const CONNECT_TIMEOUT_MS = 20000;

/** @type {Promise<any> | null} */
let clientLoaded = null;

/**
 * Loads livekit-client once, from the assets beside this module.
 * @returns {Promise<any>} the LivekitClient namespace
 */
function loadClient() {
  const w = /** @type {any} */ (globalThis);
  if (w.LivekitClient) return Promise.resolve(w.LivekitClient);
  clientLoaded ??= new Promise((resolve, reject) => {
    const s = document.createElement("script");
    s.src = new URL("./vendor/livekit-client.umd.js", import.meta.url).href;
    s.onload = () => (w.LivekitClient ? resolve(w.LivekitClient) : reject(new Error("livekit-client did not load")));
    s.onerror = () => {
      clientLoaded = null;
      reject(new Error("Could not load livekit-client from the server."));
    };
    document.head.append(s);
  });
  return clientLoaded;
}

/**
 * Asks the page's server for a token.
 * @param {string} url the token endpoint
 * @param {AbortSignal} signal
 * @returns {Promise<{url: string, token: string, identity: string}>}
 */
async function fetchToken(url, signal) {
  const res = await fetch(url, {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: "{}",
    credentials: "same-origin",
    signal,
  });
  /** @type {any} */
  let body = null;
  try {
    body = await res.json();
  } catch {}
  if (!res.ok) {
    throw new Error(body?.message || `The server refused a LiveKit token (HTTP ${res.status}).`);
  }
  if (!body || typeof body.url !== "string" || typeof body.token !== "string" || typeof body.identity !== "string") {
    throw new Error("The server's LiveKit token reply is missing its url, token or identity.");
  }
  return body;
}

/**
 * @typedef {object} LiveKitSessionOptions
 * @property {string} tokenURL where to POST for a token
 * @property {MediaStream | null} localStream what to publish
 * @property {(stream: MediaStream, track: MediaStreamTrack) => void} onTrack the processed track arrived
 * @property {(msg: import("./messages.js").ServerMessage) => void} onMessage a control message arrived
 * @property {(err: Error) => void} onFailure the room was lost after start resolved
 * @property {() => void} [onConnected] the room is connected and the camera published
 * @property {(on: boolean) => void} [onReconnecting] the room reconnects (true), or is back (false)
 */

export class LiveKitSession {
  /** @type {LiveKitSessionOptions} */
  #opts;
  /** @type {any} the LivekitClient.Room */
  #room = null;
  #closed = false;
  #abort = new AbortController();
  /** @type {Map<string, any>} the published LocalTrackPublications, by kind */
  #published = new Map();
  /** @type {ReturnType<typeof setTimeout> | undefined} */
  #connectTimer;

  /** @param {LiveKitSessionOptions} opts */
  constructor(opts) {
    this.#opts = opts;
  }

  /** LiveKit sessions have no rtcstream session token. */
  get token() {
    return undefined;
  }

  /**
   * Gets a token, joins the room and publishes the local tracks. It rejects
   * when the token or the room is refused, or with an AbortError when stop
   * was called meanwhile.
   */
  async start() {
    const LK = await loadClient();
    this.#throwIfClosed();
    const { url, token, identity } = await fetchToken(this.#opts.tokenURL, this.#abort.signal);
    this.#throwIfClosed();
    const room = new LK.Room({ adaptiveStream: false, dynacast: false });
    this.#room = room;
    const want = "rtcstream:" + identity;
    room.on(LK.RoomEvent.TrackSubscribed, (/** @type {any} */ track, /** @type {any} */ pub) => {
      if (this.#closed || pub.trackName !== want) return;
      const t = /** @type {MediaStreamTrack} */ (track.mediaStreamTrack);
      this.#opts.onTrack(new MediaStream([t]), t);
    });
    room.on(LK.RoomEvent.DataReceived, (/** @type {Uint8Array} */ payload, _p, _k, /** @type {string} */ topic) => {
      if (this.#closed || topic !== TOPIC) return;
      const msg = parseServerMessage(new TextDecoder().decode(payload));
      if (msg) this.#opts.onMessage(msg);
    });
    room.on(LK.RoomEvent.Reconnecting, () => this.#opts.onReconnecting?.(true));
    room.on(LK.RoomEvent.Reconnected, () => this.#opts.onReconnecting?.(false));
    room.on(LK.RoomEvent.Disconnected, () => {
      if (!this.#closed) this.#fail(new Error("The connection to the LiveKit room was lost."));
    });
    this.#connectTimer = setTimeout(
      () => this.#fail(new Error("Could not connect to the LiveKit room: it timed out.")),
      CONNECT_TIMEOUT_MS,
    );
    await room.connect(url, token, { autoSubscribe: true });
    clearTimeout(this.#connectTimer);
    this.#throwIfClosed();
    for (const track of this.#opts.localStream?.getTracks() ?? []) {
      const pub = await room.localParticipant.publishTrack(track, {
        name: track.kind === "video" ? "camera" : "microphone",
        source: track.kind === "video" ? LK.Track.Source.Camera : LK.Track.Source.Microphone,
        videoCodec: "vp8",
        simulcast: false,
      });
      this.#throwIfClosed();
      this.#published.set(track.kind, pub);
    }
    this.#opts.onConnected?.();
  }

  /** Leaves the room. Safe to call more than once. */
  stop() {
    if (this.#closed) return;
    this.#closed = true;
    clearTimeout(this.#connectTimer);
    this.#abort.abort(new DOMException("The session was stopped.", "AbortError"));
    this.#room?.disconnect();
    this.#room = null;
  }

  /**
   * Swaps the published track of a kind.
   * @param {"video" | "audio"} kind
   * @param {MediaStreamTrack} track
   */
  async replaceTrack(kind, track) {
    const pub = this.#published.get(kind);
    if (pub?.track && !this.#closed) await pub.track.replaceTrack(track);
  }

  /** LiveKit keeps its peer connections to itself: no statistics. */
  async stats() {
    return null;
  }

  /**
   * Sends a control message to the worker.
   * @param {object} msg
   * @returns {boolean} whether it was sent
   */
  send(msg) {
    if (this.#closed || !this.#room) return false;
    this.#room.localParticipant
      .publishData(new TextEncoder().encode(JSON.stringify(msg)), { reliable: true, topic: TOPIC })
      .catch((/** @type {unknown} */ err) => console.warn("rtc-stream: sending to the LiveKit room failed:", err));
    return true;
  }

  /** @param {Error} err */
  #fail(err) {
    if (this.#closed) return;
    this.stop();
    this.#opts.onFailure(err);
  }

  #throwIfClosed() {
    if (this.#closed) throw new DOMException("The session was stopped.", "AbortError");
  }
}
