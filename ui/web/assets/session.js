// @ts-check
/**
 * @file One WebRTC session with an rtcstream server: the peer connection, the
 * "rtcstream" data channel, trickle ICE and the connection watchdog.
 *
 * A Session is used once: start, then stop. It owns its RTCPeerConnection but
 * not the local media stream; the caller opens and stops the camera and the
 * microphone. Each kind of the stream gets one transceiver: sendrecv in
 * send-receive mode, sendonly in send mode, recvonly in receive mode.
 */

import { fetchServerCandidates, newWebRTCID, sendCandidate, sendOffer, sendStop, waitTurn } from "./signalling.js";
import { parseServerMessage } from "./messages.js";

/** @typedef {import("./messages.js").ServerMessage} ServerMessage */

/**
 * How long the connection may stay disconnected or failed, restarting ICE,
 * before it counts as lost: the server's default ReconnectGrace.
 */
const LOST_AFTER_MS = 15000;
/** How long a disconnected connection waits before it restarts ICE (it may come back by itself). */
const RESTART_AFTER_MS = 1000;
/** How long one ICE restart may take to connect before the next. */
const RESTART_RETRY_MS = 3000;
/** How long a stopped session's connection waits for the stop reply. */
const STOP_GRACE_MS = 1000;
/** How long ICE may take to connect after the answer. */
const CONNECT_TIMEOUT_MS = 20000;
/** The label of the data channel the server talks on. */
export const DATA_CHANNEL_LABEL = "rtcstream";

/**
 * @typedef {object} SessionOptions
 * @property {string} base signalling base URL (see resolveBase)
 * @property {"send-receive" | "receive" | "send"} mode
 * @property {Array<"video" | "audio">} kinds the media kinds of the stream
 * @property {MediaStream | null} localStream what to send in send-receive mode
 * @property {RTCConfiguration} [rtcConfiguration] ICE servers and the like
 * @property {() => Promise<RTCConfiguration>} [refreshConfiguration] a fresh
 *   configuration before an ICE restart (new TURN credentials)
 * @property {(stream: MediaStream, track: MediaStreamTrack) => void} onTrack a remote track arrived
 * @property {(msg: ServerMessage) => void} onMessage a data channel message arrived
 * @property {(err: Error) => void} onFailure the session failed after start resolved (connection lost)
 * @property {() => void} [onConnected] the peer connection connected
 * @property {(on: boolean) => void} [onReconnecting] the connection dropped and
 *   ICE restarts (true), or it is back (false)
 * @property {boolean} [queue] wait for a turn in the server's line when the
 *   server refuses the offer for its session limit
 * @property {(position: number) => void} [onWait] told the place in line while waiting
 */

export class Session {
  /** @type {SessionOptions} */
  #opts;
  /** @type {RTCPeerConnection | null} */
  #pc = null;
  /** @type {RTCDataChannel | null} */
  #dc = null;
  /** @type {Map<string, RTCRtpSender>} */
  #senders = new Map();
  /** @type {RTCIceCandidateInit[]} candidates waiting for the answer and token */
  #pending = [];
  #answered = false;
  /** Counts answers (the first, and each ICE restart's): a newer one ends the older's candidate poll. */
  #answerGen = 0;
  #closed = false;
  /** @type {string | undefined} */
  #token;
  #abort = new AbortController();
  /** @type {ReturnType<typeof setTimeout> | undefined} */
  #lostTimer;
  /** @type {ReturnType<typeof setTimeout> | undefined} */
  #connectTimer;
  /** @type {ReturnType<typeof setTimeout> | undefined} */
  #restartTimer;
  #restarting = false;

  /** The random id of this session, sent as webrtc_id. */
  webrtcID = newWebRTCID();

  /** @param {SessionOptions} opts */
  constructor(opts) {
    this.#opts = opts;
  }

  /** The session token the server issued with the answer; undefined before it. */
  get token() {
    return this.#token;
  }

  /**
   * Negotiates with the server. It resolves once the answer is applied; media
   * then follows through onTrack. It rejects with a SignallingError for a
   * server error, or with an AbortError when stop was called meanwhile.
   */
  async start() {
    const { mode, kinds, localStream, rtcConfiguration } = this.#opts;
    const pc = new RTCPeerConnection(rtcConfiguration ?? {});
    this.#pc = pc;

    // The data channel must exist before createOffer so the offer has an
    // application m-line.
    const dc = pc.createDataChannel(DATA_CHANNEL_LABEL, { ordered: true });
    this.#dc = dc;
    dc.onmessage = (ev) => {
      const msg = parseServerMessage(ev.data);
      if (msg && !this.#closed) this.#opts.onMessage(msg);
    };

    for (const kind of kinds) {
      const track = mode !== "receive" ? localStream?.getTracks().find((t) => t.kind === kind) : undefined;
      if (track && localStream) {
        const direction = mode === "send" ? "sendonly" : "sendrecv";
        const tr = pc.addTransceiver(track, { direction, streams: [localStream] });
        this.#senders.set(kind, tr.sender);
      } else {
        pc.addTransceiver(kind, { direction: "recvonly" });
      }
    }

    pc.ontrack = (ev) => {
      if (this.#closed) return;
      this.#opts.onTrack(ev.streams[0] ?? new MediaStream([ev.track]), ev.track);
    };
    pc.onicecandidate = (ev) => {
      if (!ev.candidate || this.#closed) return; // null marks the end of gathering
      const cand = ev.candidate.toJSON();
      if (this.#answered) this.#trickle(cand);
      else this.#pending.push(cand);
    };
    pc.onconnectionstatechange = () => this.#watch(pc.connectionState);

    const offer = await pc.createOffer();
    await pc.setLocalDescription(offer);
    this.#throwIfClosed();
    // Send the offer now; candidates follow by trickle ICE. A server at its
    // session limit refuses it: then wait for a turn in its line, and send
    // it again with the ticket. (The server takes a fresh offer only for a
    // slot nobody in line is owed, so trying first jumps no one, and saves
    // a round trip whenever a slot is free.)
    const sdp = pc.localDescription?.sdp ?? offer.sdp ?? "";
    let answer;
    try {
      answer = await sendOffer(this.#opts.base, { sdp, webrtcID: this.webrtcID }, this.#abort.signal);
    } catch (err) {
      if (!this.#opts.queue || !(err instanceof Error && "code" in err && err.code === "too_many_sessions")) throw err;
      this.#throwIfClosed();
      const ticket = await waitTurn(this.#opts.base, this.webrtcID, this.#opts.onWait ?? (() => {}), this.#abort.signal);
      this.#throwIfClosed();
      answer = await sendOffer(this.#opts.base, { sdp, webrtcID: this.webrtcID, ticket }, this.#abort.signal);
    }
    this.#throwIfClosed();
    this.#token = answer.token;
    await pc.setRemoteDescription({ type: "answer", sdp: answer.sdp });
    this.#throwIfClosed();
    this.#serverCandidates(pc, answer.candidatesPending);
    this.#answered = true;
    for (const cand of this.#pending.splice(0)) this.#trickle(cand);
    if (pc.connectionState !== "connected") {
      this.#connectTimer = setTimeout(
        () => this.#fail(new Error("Could not connect to the server: the WebRTC connection timed out.")),
        CONNECT_TIMEOUT_MS,
      );
    }
  }

  /**
   * Ends the session: tells the server (when it has answered), closes the data
   * channel and the peer connection. Safe to call more than once.
   * @param {{notify?: boolean}} [opts] notify=false skips the stop request
   *   (the server ended the session, or never accepted it)
   */
  stop({ notify = true } = {}) {
    if (this.#closed) return;
    this.#closed = true;
    clearTimeout(this.#lostTimer);
    clearTimeout(this.#connectTimer);
    clearTimeout(this.#restartTimer);
    this.#abort.abort(new DOMException("The session was stopped.", "AbortError"));
    const pc = this.#pc;
    const dc = this.#dc;
    this.#pc = null;
    this.#dc = null;
    if (pc) pc.ontrack = pc.onicecandidate = pc.onconnectionstatechange = null;
    const close = () => {
      try {
        dc?.close();
      } catch {}
      pc?.close();
    };
    if (notify && this.#answered) {
      // Close the connection once the server has taken the stop (or after a
      // second), so it ends the session as stopped rather than as lost.
      const stopped = sendStop(this.#opts.base, { webrtcID: this.webrtcID, token: this.#token });
      Promise.race([stopped, new Promise((r) => setTimeout(r, STOP_GRACE_MS))]).then(close);
    } else {
      close();
    }
  }

  /**
   * Swaps the track sent for a kind without renegotiation (a camera or
   * microphone change).
   * @param {"video" | "audio"} kind
   * @param {MediaStreamTrack} track
   */
  async replaceTrack(kind, track) {
    const sender = this.#senders.get(kind);
    if (sender && !this.#closed) await sender.replaceTrack(track);
  }

  /**
   * The connection's WebRTC statistics, or null when it is closed.
   * @returns {Promise<RTCStatsReport | null>}
   */
  async stats() {
    return this.#pc && !this.#closed ? this.#pc.getStats() : null;
  }

  /**
   * Sends a JSON message to the server on the data channel, if it is open.
   * @param {object} msg
   * @returns {boolean} whether it was sent
   */
  send(msg) {
    if (this.#dc?.readyState !== "open") return false;
    this.#dc.send(JSON.stringify(msg));
    return true;
  }

  /** @param {RTCIceCandidateInit} candidate */
  #trickle(candidate) {
    sendCandidate(this.#opts.base, { candidate, webrtcID: this.webrtcID, token: this.#token }).catch((err) =>
      console.warn("rtc-stream: sending an ICE candidate failed:", err),
    );
  }

  /** @param {RTCPeerConnectionState} state */
  #watch(state) {
    if (this.#closed) return;
    if (state === "connected") {
      this.#opts.onConnected?.();
      clearTimeout(this.#connectTimer);
      clearTimeout(this.#lostTimer);
      clearTimeout(this.#restartTimer);
      if (this.#lostTimer !== undefined) this.#opts.onReconnecting?.(false);
      this.#lostTimer = undefined;
    } else if ((state === "disconnected" || state === "failed") && this.#lostTimer === undefined) {
      this.#lostTimer = setTimeout(() => this.#fail(new Error("Connection lost.")), LOST_AFTER_MS);
      if (this.#token) {
        // The network changed or went away for a moment: restart ICE on
        // the session (its handler and state live on at the server).
        this.#opts.onReconnecting?.(true);
        this.#restartTimer = setTimeout(() => this.#restart(), state === "failed" ? 0 : RESTART_AFTER_MS);
      }
    } else if (state === "failed" && this.#token && !this.#restarting) {
      clearTimeout(this.#restartTimer);
      this.#restart();
    }
  }

  /**
   * Restarts ICE: a new offer with new credentials, sent with the session's
   * token; again every RESTART_RETRY_MS until the connection is back or
   * the session counts as lost.
   */
  async #restart() {
    const pc = this.#pc;
    if (!pc || this.#closed || this.#restarting || pc.connectionState === "connected") return;
    this.#restarting = true;
    try {
      // Candidates of the new offer wait for its answer: before it, the
      // server would match them against the old credentials.
      this.#answered = false;
      if (this.#opts.refreshConfiguration) {
        // The TURN credentials of the first offer may no longer make
        // relays; without new ones, the restart tries with the old.
        const fresh = await this.#opts.refreshConfiguration().catch(() => null);
        this.#throwIfClosed();
        if (fresh) pc.setConfiguration({ ...pc.getConfiguration(), ...fresh });
      }
      const offer = await pc.createOffer({ iceRestart: true });
      await pc.setLocalDescription(offer);
      this.#throwIfClosed();
      const answer = await sendOffer(
        this.#opts.base,
        { sdp: pc.localDescription?.sdp ?? offer.sdp ?? "", webrtcID: this.webrtcID, token: this.#token },
        this.#abort.signal,
      );
      this.#throwIfClosed();
      await pc.setRemoteDescription({ type: "answer", sdp: answer.sdp });
      this.#serverCandidates(pc, answer.candidatesPending);
    } catch (err) {
      if (this.#closed) return;
      if (err instanceof Error && "code" in err && err.code === "unknown_session") {
        this.#fail(new Error("Connection lost.")); // the server ended the session
        return;
      }
      if (pc.signalingState === "have-local-offer") await pc.setLocalDescription({ type: "rollback" }).catch(() => {});
      this.#pending.length = 0; // candidates of the offer rolled back
    } finally {
      this.#restarting = false;
      if (!this.#closed) {
        this.#answered = true;
        for (const cand of this.#pending.splice(0)) this.#trickle(cand);
      }
    }
    if (!this.#closed && pc.connectionState !== "connected") {
      this.#restartTimer = setTimeout(() => this.#restart(), RESTART_RETRY_MS);
    }
  }

  /**
   * Adds the server's candidates gathered after its answer (a STUN or TURN
   * server's), as they come, until it has no more or a newer answer (an
   * ICE restart's) replaces this one.
   * @param {RTCPeerConnection} pc
   * @param {boolean} pending the answer said more would come
   */
  async #serverCandidates(pc, pending) {
    const gen = ++this.#answerGen;
    if (!pending) return;
    let from = 0;
    // Each request waits up to 10 s at the server; a dozen is plenty.
    for (let i = 0; i < 12; i++) {
      let reply;
      try {
        reply = await fetchServerCandidates(this.#opts.base, { webrtcID: this.webrtcID, token: this.#token, from }, this.#abort.signal);
      } catch {
        return; // the session ended, or the network: the checks go on with what there is
      }
      if (this.#closed || gen !== this.#answerGen) return;
      for (const cand of reply.candidates) await pc.addIceCandidate(cand).catch(() => {});
      from = reply.next;
      if (reply.done) return;
    }
  }

  /** @param {Error} err */
  #fail(err) {
    if (this.#closed) return;
    this.stop({ notify: true });
    this.#opts.onFailure(err);
  }

  #throwIfClosed() {
    if (this.#closed) throw new DOMException("The session was stopped.", "AbortError");
  }
}
