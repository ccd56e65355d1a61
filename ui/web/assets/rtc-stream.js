// @ts-check
/**
 * @file The <rtc-stream> custom element: the webcam or the microphone goes to
 * a Go function on the server over WebRTC, and its output comes back to the
 * page.
 *
 * Attributes (all optional):
 *   src            signalling base URL, relative to the page (default "webrtc")
 *   mode           "send-receive" (default), "receive" or "send"
 *   modality       "video" (default), "audio", or "audio-video" (camera and
 *                  microphone on one connection)
 *   mirror-webcam  "true" (default) mirrors the local preview; "false" does not
 *   label          a heading shown above the videos
 *   width, height  CSS sizes of the video area; a bare number means pixels
 *   button-start, button-stop  labels of the start/stop button
 *   button-waiting the button's label while waiting in the server's line
 *   time-limit     seconds a session may last; a countdown shows while streaming
 *   concurrency-limit  present when the server caps sessions: Start then waits
 *                  for a turn in its line (POST {src}/queue) with the place shown
 *   rtc-config     "fetch": get the RTC configuration (ICE/TURN servers) from
 *                  GET {src}/config for every connection
 *   livekit-token  a URL (relative to the page) that gives LiveKit tokens: the
 *                  stream joins a LiveKit room instead of src, where an
 *                  rtcstream worker runs the handler (livekit.js)
 *   track-constraints  JSON MediaTrackConstraints for the camera (resolution,
 *                  frame rate, facing mode)
 *   interactive    "false": display only, with no Start button or camera
 *                  controls; the stream starts from a trigger or start()
 *   show-stats     present: an overlay shows frame rates, bitrates, resolutions
 *                  and round-trip time from getStats(), updated every second
 *
 * Audio (modality "audio" or "audio-video"):
 *   echo-cancellation, noise-suppression, auto-gain-control
 *                  "false" turns that microphone processing off (all on by default)
 *   audio-constraints  JSON MediaTrackConstraints for the microphone, over
 *                  the three above (e.g. {"channelCount": 1})
 *   icon           "pulse": a round microphone or speaker icon that pulses
 *                  with the output level (with the microphone's in send mode)
 *
 * The audio panel holds a microphone <select class="mic-select">, a
 * <button class="mute"> (the element and the button carry data-muted while
 * muted; the microphone track is disabled, so the server gets silence), and
 * two level meters, .level-in (microphone) and .level-out (what the server
 * sends), whose data-level attribute is the current level in [0, 1] (linear
 * in dB from -60 to 0 dBFS). The server's audio plays in <audio class="output">.
 * Turn-taking events from the server ({"type": "vad", "event": ...}) show in a
 * chip (.vad-chip, data-turn listening | thinking | speaking).
 *
 * The element keeps data-state current: idle | connecting | streaming | error.
 * It dispatches "statechange" (detail {state}), "servermessage" (detail: the
 * parsed data channel message, vad events included) and "mutechange" (detail
 * {muted}). On a Blocks page, the runtime (blocks.js) uses the first two, and
 * the attributes inputs="id ..." and trigger="id": see blocks.js. It uses light
 * DOM so pages can style it; the stylesheet is rtc-stream.css next to this
 * file, added to the page if missing.
 */

import { openMedia, listCameras, listMicrophones, stopStream, deviceIDOf } from "./media.js";
import { fetchConfig, resolveBase } from "./signalling.js";
import { StatsReader, formatStats } from "./stats.js";
import { Session } from "./session.js";
import { LiveKitSession } from "./livekit.js";
import { VAD_EVENTS } from "./messages.js";
import { LevelMeter, Ticker, levelOf, smooth } from "./levels.js";

/** @typedef {"idle" | "connecting" | "streaming" | "error"} State */
/** @typedef {import("./messages.js").ServerMessage} ServerMessage */

/** Icons of the pulsing variant (icon="pulse"), drawn with currentColor. */
const ICONS = {
  mic: `<svg viewBox="0 0 24 24" fill="none" stroke="currentColor" stroke-width="2" stroke-linecap="round" stroke-linejoin="round"><rect x="9" y="2" width="6" height="12" rx="3"/><path d="M5 10v1a7 7 0 0 0 14 0v-1"/><path d="M12 18v4M8 22h8"/></svg>`,
  speaker: `<svg viewBox="0 0 24 24" fill="none" stroke="currentColor" stroke-width="2" stroke-linecap="round" stroke-linejoin="round"><path d="M11 5 6 9H2v6h4l5 4z"/><path d="M15.5 8.5a5 5 0 0 1 0 7"/><path d="M19 5a10 10 0 0 1 0 14"/></svg>`,
};

const TEMPLATE = document.createElement("template");
TEMPLATE.innerHTML = `
<div class="rtc-stream">
  <div class="label" hidden></div>
  <div class="videos">
    <figure class="pane pane-input">
      <video class="preview" muted autoplay playsinline></video>
      <button class="enable-camera" type="button">Enable camera</button>
      <figcaption>Webcam</figcaption>
    </figure>
    <figure class="pane pane-output">
      <video class="output" autoplay playsinline muted></video>
      <pre class="stats" hidden></pre>
      <figcaption>Output</figcaption>
    </figure>
  </div>
  <div class="audio" hidden>
    <span class="vad-chip" role="status" aria-live="polite" hidden></span>
    <div class="pulse" aria-hidden="true" data-level="0" hidden>
      <span class="pulse-ring"></span>
      <span class="pulse-icon"></span>
    </div>
    <div class="levels">
      <div class="level-row level-row-in">
        <span class="level-label">Microphone</span>
        <div class="level level-in" role="meter" aria-label="Microphone level"
          aria-valuemin="0" aria-valuemax="1" aria-valuenow="0" data-level="0"><span class="level-bar"></span></div>
      </div>
      <div class="level-row level-row-out">
        <span class="level-label">Output</span>
        <div class="level level-out" role="meter" aria-label="Output level"
          aria-valuemin="0" aria-valuemax="1" aria-valuenow="0" data-level="0"><span class="level-bar"></span></div>
      </div>
    </div>
    <button class="enable-mic" type="button">Enable microphone</button>
    <audio class="output" autoplay></audio>
  </div>
  <div class="controls">
    <select class="camera-select" aria-label="Camera">
      <option value="">Default camera</option>
    </select>
    <select class="mic-select" aria-label="Microphone">
      <option value="">Default microphone</option>
    </select>
    <button class="mute" type="button" aria-pressed="false">Mute</button>
    <button class="start-stop" type="button">Start</button>
  </div>
  <div class="status" role="status" aria-live="polite"></div>
  <div class="countdown" aria-live="off" hidden></div>
  <div class="warning" hidden></div>
  <div class="error" role="alert" hidden></div>
</div>`;

/**
 * The media kinds a modality sends and receives.
 * @param {string} modality
 * @returns {Array<"video" | "audio">}
 */
function kindsFor(modality) {
  switch (modality) {
    case "audio":
      return ["audio"];
    case "audio-video":
      return ["video", "audio"];
    default:
      return ["video"];
  }
}

/**
 * A CSS size from an attribute: a bare number means pixels.
 * @param {string | null} v
 * @returns {string}
 */
function cssSize(v) {
  if (!v) return "";
  return /^\d+(\.\d+)?$/.test(v.trim()) ? `${v.trim()}px` : v.trim();
}

/**
 * A JSON object from an attribute, or undefined (with a console warning when
 * it is not JSON).
 * @param {string | null} raw
 * @param {string} name the attribute, for the warning
 * @returns {Record<string, any> | undefined}
 */
function jsonAttr(raw, name) {
  if (!raw) return undefined;
  try {
    const c = JSON.parse(raw);
    return c && typeof c === "object" && !Array.isArray(c) ? c : undefined;
  } catch {
    console.warn(`rtc-stream: ${name} is not JSON:`, raw);
    return undefined;
  }
}

/** Adds rtc-stream.css to the document unless a stylesheet for it is there. */
function ensureStylesheet() {
  const present = [...document.querySelectorAll('link[rel="stylesheet"]')].some((l) =>
    /(^|\/)rtc-stream\.css(\?|$)/.test(l.getAttribute("href") ?? ""),
  );
  if (present) return;
  const link = document.createElement("link");
  link.rel = "stylesheet";
  link.href = new URL("./rtc-stream.css", import.meta.url).href;
  document.head.append(link);
}

/**
 * The Web Audio side of an element: one context, and a meter for the
 * microphone and one for the output.
 * @typedef {{ctx: AudioContext, in: LevelMeter, out: LevelMeter}} AudioGraph
 */

export class RTCStreamElement extends HTMLElement {
  static observedAttributes = [
    "label",
    "mode",
    "modality",
    "mirror-webcam",
    "width",
    "height",
    "button-start",
    "button-stop",
    "button-waiting",
    "time-limit",
    "interactive",
    "icon",
  ];

  /** @type {State} */
  #state = "idle";
  /** @type {Session | LiveKitSession | null} */
  #session = null;
  /**
   * The local media: the camera, the microphone or both, shown in the
   * preview and metered, and sent.
   * @type {MediaStream | null}
   */
  #local = null;
  /** @type {Promise<MediaStream> | null} a camera or microphone request in flight */
  #localOpening = null;
  /** the camera the person chose; "" for the default */
  #cameraID = "";
  /** the microphone the person chose; "" for the default */
  #micID = "";
  /** whether the microphone is muted; it stays so across sessions */
  #muted = false;
  #rendered = false;
  /** Counts teardowns, so that work started before one can tell it is stale. */
  #generation = 0;
  /** Ends the listeners on window and mediaDevices. */
  #listeners = new AbortController();
  /** @type {ReturnType<typeof setInterval> | undefined} the time-limit countdown */
  #countdownTimer;
  /** When the session's time limit ends (ms since the epoch), or 0. */
  #deadline = 0;
  /** Whether the session is waiting in the server's line. */
  #waiting = false;
  /** @type {ReturnType<typeof setInterval> | undefined} the stats overlay's timer */
  #statsTimer;
  /** @type {ReturnType<typeof setTimeout> | undefined} a reply's chip change, waiting for its audio to be heard */
  #turnTimer;
  /** Counts vad events, so a late one's wait does not undo a newer one. */
  #turnSeq = 0;
  /** The received audio's jitter buffer totals at the last reading (getStats). */
  #playout = { delay: 0, emitted: 0 };
  /** @type {AudioGraph | null} made at the first click or start in an audio modality */
  #audio = null;
  /** The levels shown, in [0, 1]. */
  #levels = { in: 0, out: 0 };
  /** Reads the levels about 20 times a second while a meter has a track. */
  #ticker = new Ticker(() => this.#readLevels());

  /**
   * ICE servers and other RTCPeerConnection settings for the next Start.
   * @type {RTCConfiguration}
   */
  rtcConfiguration = {};

  /** @type {Record<string, HTMLElement>} */
  #el = {};

  connectedCallback() {
    if (!this.#rendered) {
      ensureStylesheet();
      this.replaceChildren(TEMPLATE.content.cloneNode(true));
      const q = (/** @type {string} */ sel) => /** @type {HTMLElement} */ (this.querySelector(sel));
      this.#el = {
        root: q(".rtc-stream"),
        label: q(".label"),
        videos: q(".videos"),
        paneOutput: q(".pane-output"),
        preview: q("video.preview"),
        output: q("video.output"),
        enableCamera: q("button.enable-camera"),
        select: q("select.camera-select"),
        button: q("button.start-stop"),
        status: q(".status"),
        countdown: q(".countdown"),
        stats: q("pre.stats"),
        warning: q(".warning"),
        error: q(".error"),
        audio: q(".audio"),
        audioOut: q("audio.output"),
        chip: q(".vad-chip"),
        pulse: q(".pulse"),
        pulseIcon: q(".pulse-icon"),
        levelIn: q(".level-in"),
        levelOut: q(".level-out"),
        rowIn: q(".level-row-in"),
        rowOut: q(".level-row-out"),
        enableMic: q("button.enable-mic"),
        micSelect: q("select.mic-select"),
        mute: q("button.mute"),
      };
      this.#el.button.addEventListener("click", () => this.#toggle());
      this.#el.enableCamera.addEventListener("click", () => this.#enableLocal());
      this.#el.enableMic.addEventListener("click", () => this.#enableLocal());
      this.#el.select.addEventListener("change", () => this.#chooseCamera());
      this.#el.micSelect.addEventListener("change", () => this.#chooseMic());
      this.#el.mute.addEventListener("click", () => {
        this.#wakeAudio();
        this.muted = !this.#muted;
      });
      this.#rendered = true;
      this.#showMuted();
    }
    this.#listeners = new AbortController();
    const signal = this.#listeners.signal;
    // Tell the server when the page goes away; fetch keepalive gets it out.
    window.addEventListener("pagehide", () => this.stop(), { signal });
    navigator.mediaDevices?.addEventListener("devicechange", () => this.#refreshDevices(), { signal });
    this.#applyAttributes();
    this.#setState(this.#state);
    this.#refreshDevices();
  }

  disconnectedCallback() {
    this.#listeners.abort();
    this.stop();
    const audio = this.#audio;
    this.#audio = null;
    audio?.in.close();
    audio?.out.close();
    audio?.ctx.close().catch(() => {});
  }

  attributeChangedCallback() {
    if (this.#rendered) this.#applyAttributes();
  }

  /** @returns {State} */
  get state() {
    return this.#state;
  }

  /** The webrtc_id of the current session, or "" when there is none. */
  get webrtcID() {
    return this.#session instanceof Session ? this.#session.webrtcID : "";
  }

  /** The session token the server issued, or "" when there is none. */
  get token() {
    return this.#session?.token ?? "";
  }

  /**
   * The local camera and microphone stream while one is open (after Start
   * or the enable button), or null. The element owns it: don't stop it.
   * @returns {MediaStream | null}
   */
  get localStream() {
    return this.#local;
  }

  /** Whether the microphone is muted: its track is disabled, so the server gets silence. */
  get muted() {
    return this.#muted;
  }

  set muted(value) {
    const m = Boolean(value);
    if (m === this.#muted) return;
    this.#muted = m;
    this.#local?.getAudioTracks().forEach((t) => (t.enabled = !m));
    if (this.#rendered) {
      this.#showMuted();
      if (m) this.#showLevel("in", 0); // at once, not with the meter's release
    }
    this.dispatchEvent(new CustomEvent("mutechange", { detail: { muted: m } }));
  }

  /**
   * The audio levels shown, in [0, 1]: "in" the microphone, "out" the
   * server's audio.
   * @returns {{in: number, out: number}}
   */
  get levels() {
    return { ...this.#levels };
  }

  /** @returns {"send-receive" | "receive" | "send"} */
  get #mode() {
    const m = this.getAttribute("mode");
    return m === "receive" || m === "send" ? m : "send-receive";
  }

  get #kinds() {
    return kindsFor(this.getAttribute("modality") ?? "video");
  }

  get #sendsCamera() {
    return this.#mode !== "receive" && this.#kinds.includes("video");
  }

  get #sendsMic() {
    return this.#mode !== "receive" && this.#kinds.includes("audio");
  }

  /** The kinds of local media the element opens and sends. */
  get #localKinds() {
    return this.#mode === "receive" ? [] : this.#kinds;
  }

  /** Which level the pulsing icon follows: the output, or the microphone in send mode. */
  get #pulseFollows() {
    return this.#mode === "send" ? "in" : "out";
  }

  /**
   * The camera constraints from the track-constraints attribute (JSON).
   * @returns {MediaTrackConstraints | undefined}
   */
  get #trackConstraints() {
    return jsonAttr(this.getAttribute("track-constraints"), "track-constraints");
  }

  /**
   * The microphone constraints: audio-constraints (JSON), then the
   * echo-cancellation, noise-suppression and auto-gain-control attributes.
   * Unset ones keep media.js's defaults (all processing on).
   * @returns {MediaTrackConstraints}
   */
  get #audioConstraints() {
    /** @type {Record<string, any>} */
    const c = { ...(jsonAttr(this.getAttribute("audio-constraints"), "audio-constraints") ?? {}) };
    for (const [attr, key] of [
      ["echo-cancellation", "echoCancellation"],
      ["noise-suppression", "noiseSuppression"],
      ["auto-gain-control", "autoGainControl"],
    ]) {
      const v = this.getAttribute(attr);
      if (v !== null) c[key] = v.toLowerCase() !== "false";
    }
    return c;
  }

  /**
   * Sends a JSON message to the server on the data channel.
   * @param {object} msg
   * @returns {boolean} whether it was sent
   */
  send(msg) {
    return this.#session?.send(msg) ?? false;
  }

  /** Starts streaming; does nothing while connecting or streaming. */
  async start() {
    if (this.#state === "connecting" || this.#state === "streaming") return;
    this.#clearMessages();
    this.#setState("connecting");
    this.#wakeAudio();
    const generation = this.#generation;

    /** @type {MediaStream | null} */
    let local = null;
    if (this.#localKinds.length > 0) {
      try {
        local = await this.#openLocal();
      } catch (err) {
        if (generation === this.#generation) this.#fail(err);
        return;
      }
      if (generation !== this.#generation) return; // stopped meanwhile
    }

    const tokenURL = this.getAttribute("livekit-token");
    if (tokenURL) {
      this.#startLiveKit(tokenURL, local);
      return;
    }
    const base = resolveBase(this.getAttribute("src") ?? "webrtc");
    let rtcConfiguration = this.rtcConfiguration;
    if (this.getAttribute("rtc-config") === "fetch") {
      // Per connection, so the server can hand out fresh TURN credentials.
      try {
        const cfg = await fetchConfig(base);
        rtcConfiguration = { ...this.rtcConfiguration, ...cfg.rtcConfiguration };
      } catch (err) {
        if (generation === this.#generation) this.#fail(err);
        return;
      }
      if (generation !== this.#generation) return;
    }

    const session = new Session({
      base,
      mode: this.#mode,
      kinds: this.#kinds,
      localStream: local,
      rtcConfiguration,
      refreshConfiguration:
        this.getAttribute("rtc-config") === "fetch"
          ? async () => ({ ...this.rtcConfiguration, ...(await fetchConfig(base)).rtcConfiguration })
          : undefined,
      queue: this.hasAttribute("concurrency-limit"),
      onWait: (position) => {
        if (this.#session !== session) return;
        this.#waiting = true;
        this.#setState("connecting", `Waiting for a free slot: you are number ${position} in line. It starts by itself.`);
      },
      ...this.#sessionEvents(() => session),
    });
    await this.#run(session);
  }

  /**
   * The events of a session (Session or LiveKitSession), each ignored
   * once the element has moved on to another session.
   * @param {() => Session | LiveKitSession} current the session they are for
   */
  #sessionEvents(current) {
    return {
      onConnected: () => {
        if (this.#session !== current()) return;
        this.#waiting = false;
        // Nothing comes back in send mode, and audio has no first frame to
        // wait for: connected is streaming.
        const noFrame = this.#mode === "send" || !this.#kinds.includes("video");
        if (noFrame && this.#state === "connecting") this.#setState("streaming");
      },
      /** @param {boolean} on */
      onReconnecting: (on) => {
        if (this.#session !== current() || this.#state !== "streaming") return;
        this.#el.status.textContent = on ? "Reconnecting…" : "Streaming";
        this.#el.status.toggleAttribute("data-busy", on);
      },
      /** @param {MediaStream} stream @param {MediaStreamTrack} track */
      onTrack: (stream, track) => this.#showOutput(current(), stream, track),
      /** @param {ServerMessage} msg */
      onMessage: (msg) => this.#onServerMessage(msg),
      /** @param {Error} err */
      onFailure: (err) => {
        if (this.#session === current()) this.#fail(err);
      },
    };
  }

  /**
   * Makes session the element's and starts it.
   * @param {Session | LiveKitSession} session
   */
  async #run(session) {
    this.#session = session;
    try {
      await session.start();
    } catch (err) {
      // An AbortError after stop() is expected; anything else is shown.
      if (this.#session === session) this.#fail(err);
    }
  }

  /**
   * Starts a session through a LiveKit room (the "livekit-token"
   * attribute): an rtcstream worker there runs the stream's handler.
   * @param {string} tokenURL
   * @param {MediaStream | null} local
   */
  async #startLiveKit(tokenURL, local) {
    const session = new LiveKitSession({
      tokenURL: new URL(tokenURL, document.baseURI).href,
      localStream: local,
      ...this.#sessionEvents(() => session),
    });
    await this.#run(session);
  }

  /** Stops streaming, tells the server, and releases the camera and microphone. */
  stop() {
    this.#teardown({ notify: true });
    this.#setState(this.#state === "error" ? "error" : "idle");
  }

  /**
   * Releases the session, the camera, the microphone and the output.
   * @param {{notify: boolean}} opts notify=false skips the stop request
   */
  #teardown({ notify }) {
    this.#generation++;
    this.#stopCountdown();
    clearInterval(this.#statsTimer);
    this.#statsTimer = undefined;
    clearTimeout(this.#turnTimer);
    this.#turnSeq++;
    this.#playout = { delay: 0, emitted: 0 };
    if (this.#rendered) this.#el.stats.hidden = true;
    this.#waiting = false;
    const session = this.#session;
    this.#session = null;
    session?.stop({ notify });
    stopStream(this.#local);
    this.#local = null;
    this.#localOpening = null;
    this.#stopLevels();
    if (this.#rendered) {
      /** @type {HTMLVideoElement} */ (this.#el.preview).srcObject = null;
      /** @type {HTMLVideoElement} */ (this.#el.output).srcObject = null;
      /** @type {HTMLAudioElement} */ (this.#el.audioOut).srcObject = null;
      this.#setTurn("");
      this.#syncCameraUI();
    }
  }

  #toggle() {
    if (this.#state === "connecting" || this.#state === "streaming") {
      this.#clearMessages();
      this.#teardown({ notify: true });
      this.#setState("idle");
    } else {
      // Within the click: browsers let audio start only after a gesture.
      this.#wakeAudio();
      this.start();
    }
  }

  /**
   * Opens the camera and/or microphone (the modality's local media) for the
   * preview, the meter and the session, once.
   * @returns {Promise<MediaStream>}
   */
  async #openLocal() {
    if (this.#local) return this.#local;
    const kinds = this.#localKinds;
    if (!this.#localOpening) {
      this.#localOpening = openMedia(kinds, {
        videoDeviceID: this.#cameraID || undefined,
        video: this.#trackConstraints,
        audioDeviceID: this.#micID || undefined,
        audio: this.#audioConstraints,
      });
    }
    const opening = this.#localOpening;
    const generation = this.#generation;
    let stream;
    try {
      stream = await opening;
    } finally {
      if (this.#localOpening === opening) this.#localOpening = null;
    }
    if (generation !== this.#generation) {
      // Stopped while the browser asked for permission: give the devices back.
      stopStream(stream);
      throw new DOMException("The camera or microphone request was cancelled.", "AbortError");
    }
    if (this.#local) {
      // Someone else won the race; keep theirs.
      if (this.#local !== stream) stopStream(stream);
      return this.#local;
    }
    this.#local = stream;
    this.#cameraID = deviceIDOf(stream, "video") || this.#cameraID;
    this.#micID = deviceIDOf(stream, "audio") || this.#micID;
    stream.getAudioTracks().forEach((t) => (t.enabled = !this.#muted));
    if (stream.getVideoTracks().length > 0) {
      const preview = /** @type {HTMLVideoElement} */ (this.#el.preview);
      preview.srcObject = stream;
      preview.play().catch(() => {});
    }
    this.#meter("in", stream.getAudioTracks()[0] ?? null);
    this.#syncCameraUI();
    await this.#refreshDevices();
    return stream;
  }

  /** The "Enable camera" and "Enable microphone" buttons: preview without streaming. */
  async #enableLocal() {
    this.#clearMessages();
    this.#wakeAudio();
    const generation = this.#generation;
    try {
      await this.#openLocal();
      if (this.#state === "error") this.#setState("idle");
    } catch (err) {
      if (generation === this.#generation) this.#fail(err);
    }
  }

  /** The camera select changed: reopen the camera and swap the sent track. */
  async #chooseCamera() {
    const select = /** @type {HTMLSelectElement} */ (this.#el.select);
    const previousID = this.#cameraID;
    this.#cameraID = select.value;
    const old = this.#local;
    if (!old || old.getVideoTracks().length === 0 || select.value === deviceIDOf(old, "video")) return;
    let next;
    try {
      next = await openMedia(["video"], { videoDeviceID: select.value || undefined, video: this.#trackConstraints });
    } catch (err) {
      this.#cameraID = previousID;
      select.value = previousID;
      this.#showError(err instanceof Error ? err.message : String(err));
      return;
    }
    if (this.#local !== old) {
      stopStream(next); // stopped meanwhile
      return;
    }
    const track = next.getVideoTracks()[0];
    try {
      await this.#session?.replaceTrack("video", track);
    } catch (err) {
      console.warn("rtc-stream: replaceTrack failed:", err);
    }
    if (this.#local !== old) {
      stopStream(next);
      return;
    }
    // The microphone goes on: its tracks move to the new stream.
    for (const t of old.getAudioTracks()) next.addTrack(t);
    this.#local = next;
    /** @type {HTMLVideoElement} */ (this.#el.preview).srcObject = next;
    old.getVideoTracks().forEach((t) => t.stop());
  }

  /** The microphone select changed: open it and swap the sent track. */
  async #chooseMic() {
    const select = /** @type {HTMLSelectElement} */ (this.#el.micSelect);
    const previousID = this.#micID;
    this.#micID = select.value;
    const local = this.#local;
    if (!local || local.getAudioTracks().length === 0 || select.value === deviceIDOf(local, "audio")) return;
    let next;
    try {
      next = await openMedia(["audio"], { audioDeviceID: select.value || undefined, audio: this.#audioConstraints });
    } catch (err) {
      this.#micID = previousID;
      select.value = previousID;
      this.#showError(err instanceof Error ? err.message : String(err));
      return;
    }
    const track = next.getAudioTracks()[0];
    if (this.#local !== local || !track) {
      stopStream(next); // stopped meanwhile
      return;
    }
    track.enabled = !this.#muted;
    try {
      await this.#session?.replaceTrack("audio", track);
    } catch (err) {
      console.warn("rtc-stream: replaceTrack failed:", err);
    }
    if (this.#local !== local) {
      track.stop();
      return;
    }
    // Swap in place: the preview keeps playing the same stream.
    for (const t of local.getAudioTracks()) {
      local.removeTrack(t);
      t.stop();
    }
    local.addTrack(track);
    this.#meter("in", track);
  }

  /** Fills the camera and microphone selects from enumerateDevices. */
  async #refreshDevices() {
    if (!this.#rendered) return;
    const kinds = this.#kinds;
    await Promise.all([
      kinds.includes("video") &&
        this.#fillSelect(/** @type {HTMLSelectElement} */ (this.#el.select), listCameras, "video", this.#cameraID),
      kinds.includes("audio") &&
        this.#fillSelect(/** @type {HTMLSelectElement} */ (this.#el.micSelect), listMicrophones, "audio", this.#micID),
    ]);
  }

  /**
   * Fills a device select.
   * @param {HTMLSelectElement} select
   * @param {() => Promise<Array<{deviceId: string, label: string}>>} list
   * @param {"video" | "audio"} kind
   * @param {string} chosen the device chosen so far
   */
  async #fillSelect(select, list, kind, chosen) {
    let devices;
    try {
      devices = await list();
    } catch (err) {
      console.warn(`rtc-stream: listing ${kind === "video" ? "cameras" : "microphones"} failed:`, err);
      return;
    }
    if (devices.length === 0) return; // no permission yet: keep the placeholder
    const options = devices.map((c) => {
      const o = document.createElement("option");
      o.value = c.deviceId;
      o.textContent = c.label;
      return o;
    });
    select.replaceChildren(...options);
    const current = this.#local ? deviceIDOf(this.#local, kind) : chosen;
    if (current && devices.some((c) => c.deviceId === current)) select.value = current;
  }

  /**
   * Shows a remote track: video in the output video (once its first frame
   * is there, the element is streaming), audio in the output audio element.
   * @param {Session | LiveKitSession} session
   * @param {MediaStream} stream
   * @param {MediaStreamTrack} track
   */
  #showOutput(session, stream, track) {
    if (track?.kind === "audio") {
      this.#playAudio(session, track);
      return;
    }
    const output = /** @type {HTMLVideoElement} */ (this.#el.output);
    if (output.srcObject !== stream) output.srcObject = stream;
    const playing = () => {
      if (this.#session === session && this.#state === "connecting") this.#setState("streaming");
    };
    if ("requestVideoFrameCallback" in output) {
      output.requestVideoFrameCallback(playing);
    } else {
      /** @type {HTMLVideoElement} */ (output).addEventListener("playing", playing, { once: true });
    }
    output.play().catch(() => {});
  }

  /**
   * Plays the server's audio and meters it.
   * @param {Session | LiveKitSession} session
   * @param {MediaStreamTrack} track
   */
  #playAudio(session, track) {
    const audio = /** @type {HTMLAudioElement} */ (this.#el.audioOut);
    audio.srcObject = new MediaStream([track]);
    audio.muted = false;
    audio.play().catch((err) => {
      if (this.#session !== session || err?.name !== "NotAllowedError") return;
      // The autoplay policy held the sound back (no click before it): the
      // next click or key press on the page lets it play.
      this.#showWarning("The browser held back the sound: click anywhere on the page to hear it.");
      const resume = () => {
        if (this.#session !== session) return;
        this.#wakeAudio();
        audio.play().then(() => this.#showWarning(""), () => {});
      };
      const signal = this.#listeners.signal;
      document.addEventListener("pointerdown", resume, { once: true, signal });
      document.addEventListener("keydown", resume, { once: true, signal });
    });
    this.#meter("out", track);
  }

  /**
   * The element's Web Audio context and meters, made on first use.
   * @returns {AudioGraph | null} null when the browser has no Web Audio
   */
  #audioGraph() {
    if (this.#audio) return this.#audio;
    const AC = window.AudioContext ?? /** @type {any} */ (window).webkitAudioContext;
    if (!AC) return null;
    try {
      const ctx = /** @type {AudioContext} */ (new AC());
      // The meters' outputs go to the speakers through a silent gain, so the
      // browser keeps pulling audio through them.
      const sink = ctx.createGain();
      sink.gain.value = 0;
      sink.connect(ctx.destination);
      this.#audio = { ctx, in: new LevelMeter(ctx, sink), out: new LevelMeter(ctx, sink) };
    } catch (err) {
      console.warn("rtc-stream: no Web Audio for the level meters:", err);
      return null;
    }
    return this.#audio;
  }

  /**
   * Makes (or resumes) the audio context for an audio modality. Call it in
   * a click handler: browsers start audio only after a gesture.
   */
  #wakeAudio() {
    if (!this.#kinds.includes("audio")) return;
    const ctx = this.#audioGraph()?.ctx;
    if (ctx?.state === "suspended") ctx.resume().catch(() => {});
  }

  /**
   * Meters a track (null: nothing) on the microphone or output meter.
   * @param {"in" | "out"} which
   * @param {MediaStreamTrack | null} track
   */
  #meter(which, track) {
    if (!track && !this.#audio) return;
    const graph = this.#audioGraph();
    if (!graph) return;
    try {
      graph[which].attach(track);
    } catch (err) {
      console.warn("rtc-stream: metering the audio failed:", err);
      return;
    }
    if (track) this.#ticker.start();
  }

  /** Detaches the meters and shows zero. */
  #stopLevels() {
    this.#audio?.in.detach();
    this.#audio?.out.detach();
    this.#ticker.stop();
    if (this.#rendered) {
      this.#showLevel("in", 0);
      this.#showLevel("out", 0);
    }
  }

  /** Reads both meters; the ticker calls it about 20 times a second. */
  #readLevels() {
    const graph = this.#audio;
    if (!graph) return;
    this.#showLevel("in", smooth(this.#levels.in, levelOf(graph.in.read())));
    this.#showLevel("out", smooth(this.#levels.out, levelOf(graph.out.read())));
  }

  /**
   * Shows a level on its meter (and on the pulsing icon when it follows it).
   * @param {"in" | "out"} which
   * @param {number} level in [0, 1]
   */
  #showLevel(which, level) {
    const v = level < 0.001 ? 0 : level;
    this.#levels[which] = v;
    const text = String(Math.round(v * 1000) / 1000);
    const meter = which === "in" ? this.#el.levelIn : this.#el.levelOut;
    if (meter.dataset.level !== text) {
      meter.dataset.level = text;
      meter.setAttribute("aria-valuenow", text);
      meter.style.setProperty("--level", text);
    }
    if (which === this.#pulseFollows && this.#el.pulse.dataset.level !== text) {
      this.#el.pulse.dataset.level = text;
      this.#el.pulse.style.setProperty("--pulse-level", text);
    }
  }

  /** Shows the mute state on the button and the element. */
  #showMuted() {
    const m = this.#muted;
    const mute = this.#el.mute;
    mute.textContent = m ? "Unmute" : "Mute";
    mute.setAttribute("aria-pressed", String(m));
    mute.toggleAttribute("data-muted", m);
    this.toggleAttribute("data-muted", m);
  }

  /**
   * Shows the chip for a vad event. A reply's start and end are shown when
   * the person hears them: the server tells of them as the audio leaves it,
   * and the audio then waits in the browser's jitter buffer (40 ms on a
   * quiet machine, a few hundred on a busy phone), which the message does
   * not. Other events show at once, and cancel a reply's pending change.
   * @param {string} event
   */
  #turnWhenHeard(event) {
    const seq = ++this.#turnSeq;
    clearTimeout(this.#turnTimer);
    if (event !== "reply_started" && event !== "reply_ended") {
      this.#setTurn(event);
      return;
    }
    this.#playoutDelay().then((seconds) => {
      if (seq !== this.#turnSeq) return; // a newer event came meanwhile
      this.#turnTimer = setTimeout(() => this.#setTurn(event), seconds * 1000);
    });
  }

  /**
   * The average time the received audio waited in the jitter buffer since
   * the last reading, in seconds (0 when unknown), from getStats.
   * @returns {Promise<number>}
   */
  async #playoutDelay() {
    const report = await this.#session?.stats().catch(() => null);
    if (!report) return 0;
    let delay = 0;
    let emitted = 0;
    report.forEach((st) => {
      if (st.type === "inbound-rtp" && st.kind === "audio") {
        delay = Number(st.jitterBufferDelay) || 0;
        emitted = Number(st.jitterBufferEmittedCount) || 0;
      }
    });
    const prev = this.#playout;
    this.#playout = { delay, emitted };
    const n = emitted - prev.emitted;
    return n > 0 ? Math.min(Math.max((delay - prev.delay) / n, 0), 1) : 0;
  }

  /**
   * Shows the turn-taking chip for a vad event; "" hides it. Events this
   * version does not know leave it as it is.
   * @param {string} event
   */
  #setTurn(event) {
    const chip = this.#el.chip;
    if (!event) {
      chip.hidden = true;
      chip.textContent = "";
      delete chip.dataset.turn;
      delete chip.dataset.event;
      return;
    }
    if (!Object.hasOwn(VAD_EVENTS, event)) return;
    const { turn, label } = VAD_EVENTS[event];
    chip.dataset.turn = turn;
    chip.dataset.event = event;
    chip.textContent = label;
    chip.hidden = false;
  }

  /**
   * Acts on a message from the server.
   * @param {ServerMessage} msg
   */
  #onServerMessage(msg) {
    this.dispatchEvent(new CustomEvent("servermessage", { detail: msg }));
    switch (msg.type) {
      case "error":
        this.#showError(msg.message); // the stream may go on
        break;
      case "warning":
        this.#showWarning(msg.message);
        break;
      case "time_limit":
        this.#startCountdown(msg.seconds);
        break;
      case "end":
        this.#teardown({ notify: false });
        if (msg.error) {
          this.#showError(msg.reason);
          this.#setState("error");
        } else {
          this.#setState("idle", msg.reason ? `Session ended: ${msg.reason}` : "The server ended the session.");
        }
        break;
      case "vad":
        this.#turnWhenHeard(msg.event);
        break;
      case "log":
        break;
      case "tick":
      case "output":
        // For the page's components: the Blocks runtime (blocks.js) listens
        // to servermessage and sends inputs or shows outputs.
        break;
      default:
        console.debug("rtc-stream: unknown server message", msg);
    }
  }

  /**
   * Shows an error, releases everything, and enters the error state.
   * @param {unknown} err
   */
  #fail(err) {
    console.error("rtc-stream:", err);
    this.#teardown({ notify: true });
    this.#showError(err instanceof Error ? err.message : String(err));
    this.#setState("error");
  }

  /**
   * @param {State} state
   * @param {string} [status] overrides the status line
   */
  #setState(state, status) {
    const changed = state !== this.#state || this.dataset.state !== state;
    this.#state = state;
    this.dataset.state = state;
    if (!this.#rendered) return;
    const active = state === "connecting" || state === "streaming";
    const waitingLabel = state === "connecting" && this.#waiting ? this.getAttribute("button-waiting") : null;
    const label = active
      ? waitingLabel || this.getAttribute("button-stop") || "Stop"
      : this.getAttribute("button-start") || "Start";
    if (state === "streaming" && this.hasAttribute("show-stats") && this.#statsTimer === undefined) {
      this.#startStats();
    }
    if (state === "streaming" && !this.#deadline) {
      const limit = Number(this.getAttribute("time-limit"));
      if (limit > 0) this.#startCountdown(limit);
    }
    this.#el.button.textContent = label;
    this.#el.button.classList.toggle("active", active);
    const texts = { idle: "Ready", connecting: "Connecting…", streaming: "Streaming", error: "Not streaming" };
    this.#el.status.textContent = status ?? texts[state];
    this.#el.status.toggleAttribute("data-busy", state === "connecting");
    this.#syncCameraUI();
    if (changed) this.dispatchEvent(new CustomEvent("statechange", { detail: { state } }));
  }

  /** Shows or hides the camera and microphone parts for the modality, mode and state. */
  #syncCameraUI() {
    const el = this.#el;
    const kinds = this.#kinds;
    const hasVideo = kinds.includes("video");
    const hasAudio = kinds.includes("audio");
    const sends = this.#sendsCamera;
    const sendsMic = this.#sendsMic;
    const idle = this.#state !== "connecting" && this.#state !== "streaming";
    el.root.dataset.mode = this.#mode;
    el.root.dataset.modality = hasVideo && hasAudio ? "audio-video" : hasAudio ? "audio" : "video";
    // interactive="false": display only, started by a trigger or script.
    const interactive = this.getAttribute("interactive") !== "false";

    // Video: the panes of audio-only streams are hidden.
    el.videos.toggleAttribute("hidden", !hasVideo);
    el.paneOutput.toggleAttribute("hidden", this.#mode === "send");
    el.root.querySelector(".pane-input")?.toggleAttribute("hidden", !sends || !interactive);
    el.select.toggleAttribute("hidden", !sends || !interactive);
    const showEnable = interactive && sends && !this.#local && idle;
    el.enableCamera.toggleAttribute("hidden", !showEnable);
    el.enableCamera.textContent = sendsMic ? "Enable camera and microphone" : "Enable camera";

    // Audio: meters, pulsing icon, microphone choice and mute.
    el.audio.toggleAttribute("hidden", !hasAudio);
    el.rowIn.toggleAttribute("hidden", !sendsMic);
    el.rowOut.toggleAttribute("hidden", this.#mode === "send");
    el.micSelect.toggleAttribute("hidden", !sendsMic || !interactive);
    el.mute.toggleAttribute("hidden", !sendsMic || !interactive);
    /** @type {HTMLButtonElement} */ (el.mute).disabled = !interactive;
    el.enableMic.toggleAttribute("hidden", !(interactive && sendsMic && !hasVideo && !this.#local && idle));
    const pulse = this.getAttribute("icon") === "pulse";
    el.pulse.toggleAttribute("hidden", !pulse);
    const icon = this.#pulseFollows === "out" ? "speaker" : "mic";
    if (el.pulse.dataset.icon !== icon) {
      el.pulse.dataset.icon = icon;
      el.pulseIcon.innerHTML = ICONS[icon];
    }
    // The stats overlay sits on the output video, or in the audio panel.
    const statsHome = hasVideo ? el.paneOutput : el.audio;
    if (el.stats.parentElement !== statsHome) statsHome.append(el.stats);

    el.button.toggleAttribute("hidden", !interactive);
    /** @type {HTMLButtonElement} */ (el.button).disabled = !interactive;
  }

  #applyAttributes() {
    const label = this.getAttribute("label") ?? "";
    this.#el.label.textContent = label;
    this.#el.label.hidden = label === "";
    const mirror = (this.getAttribute("mirror-webcam") ?? "true").toLowerCase() !== "false";
    this.#el.preview.classList.toggle("mirrored", mirror);
    const w = cssSize(this.getAttribute("width"));
    const h = cssSize(this.getAttribute("height"));
    if (w) this.style.setProperty("--rtc-stream-width", w);
    else this.style.removeProperty("--rtc-stream-width");
    if (h) this.style.setProperty("--rtc-stream-height", h);
    else this.style.removeProperty("--rtc-stream-height");
    this.#setState(this.#state);
  }

  /**
   * Counts down to the end of the session's time limit.
   * @param {number} seconds from now
   */
  #startCountdown(seconds) {
    this.#stopCountdown();
    this.#deadline = Date.now() + seconds * 1000;
    const tick = () => {
      const left = Math.max(0, Math.ceil((this.#deadline - Date.now()) / 1000));
      const m = Math.floor(left / 60);
      const s = String(left % 60).padStart(2, "0");
      this.#el.countdown.textContent = `Time left: ${m}:${s}`;
      this.#el.countdown.dataset.seconds = String(left);
    };
    tick();
    this.#el.countdown.hidden = false;
    this.#countdownTimer = setInterval(tick, 250);
  }

  /** Shows the stats overlay, refreshed every second while streaming. */
  #startStats() {
    const session = this.#session;
    const kinds = this.#kinds;
    const reader = new StatsReader();
    const refresh = async () => {
      const report = await session?.stats();
      if (!report || this.#session !== session) return;
      const s = reader.read(report);
      this.#el.stats.textContent = formatStats(s, kinds);
      this.#el.stats.dataset.rttMs = s.rttMs == null ? "" : String(s.rttMs);
      this.#el.stats.dataset.fpsIn = s.fpsIn == null ? "" : String(s.fpsIn);
      this.#el.stats.dataset.encodeMs = s.encodeMs == null ? "" : String(s.encodeMs);
      this.#el.stats.dataset.bufferMs = s.bufferMs == null ? "" : String(s.bufferMs);
      this.#el.stats.dataset.decodeMs = s.decodeMs == null ? "" : String(s.decodeMs);
      this.#el.stats.dataset.audioKbpsIn = s.audioKbpsIn == null ? "" : String(s.audioKbpsIn);
      this.#el.stats.hidden = false;
    };
    refresh();
    this.#statsTimer = setInterval(refresh, 1000);
  }

  #stopCountdown() {
    clearInterval(this.#countdownTimer);
    this.#countdownTimer = undefined;
    this.#deadline = 0;
    if (this.#rendered) this.#el.countdown.hidden = true;
  }

  /** @param {string} message */
  #showError(message) {
    this.#el.error.textContent = message;
    this.#el.error.hidden = !message;
  }

  /** @param {string} message */
  #showWarning(message) {
    this.#el.warning.textContent = message;
    this.#el.warning.hidden = !message;
  }

  #clearMessages() {
    this.#showError("");
    this.#showWarning("");
  }
}

if (!customElements.get("rtc-stream")) {
  customElements.define("rtc-stream", RTCStreamElement);
}
