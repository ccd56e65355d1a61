// @ts-check
/**
 * @file The <rtc-stream> custom element: the webcam goes to a Go function on the
 * server over WebRTC, and its output comes back to the page.
 *
 * Attributes (all optional):
 *   src            signalling base URL, relative to the page (default "webrtc")
 *   mode           "send-receive" (default), "receive" or "send"
 *   modality       "video" (default); audio is not supported yet
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
 *   track-constraints  JSON MediaTrackConstraints for the camera (resolution,
 *                  frame rate, facing mode)
 *   interactive    "false": display only, with no Start button or camera
 *                  controls; the stream starts from a trigger or start()
 *   show-stats     present: an overlay shows frame rates, bitrates, resolutions
 *                  and round-trip time from getStats(), updated every second
 *
 * The element keeps data-state current: idle | connecting | streaming | error.
 * It dispatches "statechange" (detail {state}) and "servermessage" (detail: the
 * parsed data channel message). On a Blocks page, the runtime (blocks.js) uses
 * both, and the attributes inputs="id ..." and trigger="id": see blocks.js. It uses light DOM so pages can style it; the
 * stylesheet is rtc-stream.css next to this file, added to the page if missing.
 */

import { openMedia, listCameras, stopStream, deviceIDOf } from "./media.js";
import { fetchConfig, resolveBase } from "./signalling.js";
import { StatsReader, formatStats } from "./stats.js";
import { Session } from "./session.js";

/** @typedef {"idle" | "connecting" | "streaming" | "error"} State */
/** @typedef {import("./messages.js").ServerMessage} ServerMessage */

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
  <div class="controls">
    <select class="camera-select" aria-label="Camera">
      <option value="">Default camera</option>
    </select>
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

/** Kinds this version can stream. */
const SUPPORTED_KINDS = new Set(["video"]);

/**
 * A CSS size from an attribute: a bare number means pixels.
 * @param {string | null} v
 * @returns {string}
 */
function cssSize(v) {
  if (!v) return "";
  return /^\d+(\.\d+)?$/.test(v.trim()) ? `${v.trim()}px` : v.trim();
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
  ];

  /** @type {State} */
  #state = "idle";
  /** @type {Session | null} */
  #session = null;
  /** @type {MediaStream | null} the camera, shown in the preview and sent */
  #camera = null;
  /** @type {Promise<MediaStream> | null} a camera request in flight */
  #cameraOpening = null;
  /** the camera the person chose; "" for the default */
  #cameraID = "";
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
      };
      this.#el.button.addEventListener("click", () => this.#toggle());
      this.#el.enableCamera.addEventListener("click", () => this.#enableCamera());
      this.#el.select.addEventListener("change", () => this.#chooseCamera());
      this.#rendered = true;
    }
    this.#listeners = new AbortController();
    const signal = this.#listeners.signal;
    // Tell the server when the page goes away; fetch keepalive gets it out.
    window.addEventListener("pagehide", () => this.stop(), { signal });
    navigator.mediaDevices?.addEventListener("devicechange", () => this.#refreshCameras(), { signal });
    this.#applyAttributes();
    this.#setState(this.#state);
    this.#refreshCameras();
  }

  disconnectedCallback() {
    this.#listeners.abort();
    this.stop();
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
    return this.#session?.webrtcID ?? "";
  }

  /** The session token the server issued, or "" when there is none. */
  get token() {
    return this.#session?.token ?? "";
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

  /**
   * The camera constraints from the track-constraints attribute (JSON).
   * @returns {MediaTrackConstraints | undefined}
   */
  get #trackConstraints() {
    const raw = this.getAttribute("track-constraints");
    if (!raw) return undefined;
    try {
      const c = JSON.parse(raw);
      return c && typeof c === "object" ? c : undefined;
    } catch {
      console.warn("rtc-stream: track-constraints is not JSON:", raw);
      return undefined;
    }
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
    const unsupported = this.#kinds.filter((k) => !SUPPORTED_KINDS.has(k));
    if (unsupported.length > 0) {
      this.#showError(`The modality "${this.getAttribute("modality")}" is not supported yet; use "video".`);
      this.#setState("error");
      return;
    }
    this.#setState("connecting");
    const generation = this.#generation;

    /** @type {MediaStream | null} */
    let local = null;
    if (this.#sendsCamera) {
      try {
        local = await this.#openCamera();
      } catch (err) {
        if (generation === this.#generation) this.#fail(err);
        return;
      }
      if (generation !== this.#generation) return; // stopped meanwhile
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
      queue: this.hasAttribute("concurrency-limit"),
      onWait: (position) => {
        if (this.#session !== session) return;
        this.#waiting = true;
        this.#setState("connecting", `Waiting for a free slot: you are number ${position} in line. It starts by itself.`);
      },
      onConnected: () => {
        if (this.#session !== session) return;
        this.#waiting = false;
        // Nothing comes back in send mode: connected is streaming.
        if (this.#mode === "send" && this.#state === "connecting") this.#setState("streaming");
      },
      onTrack: (stream) => this.#showOutput(session, stream),
      onMessage: (msg) => this.#onServerMessage(msg),
      onFailure: (err) => {
        if (this.#session === session) this.#fail(err);
      },
    });
    this.#session = session;
    try {
      await session.start();
    } catch (err) {
      // An AbortError after stop() is expected; anything else is shown.
      if (this.#session === session) this.#fail(err);
    }
  }

  /** Stops streaming, tells the server, and releases the camera. */
  stop() {
    this.#teardown({ notify: true });
    this.#setState(this.#state === "error" ? "error" : "idle");
  }

  /**
   * Releases the session, the camera and the output.
   * @param {{notify: boolean}} opts notify=false skips the stop request
   */
  #teardown({ notify }) {
    this.#generation++;
    this.#stopCountdown();
    clearInterval(this.#statsTimer);
    this.#statsTimer = undefined;
    if (this.#rendered) this.#el.stats.hidden = true;
    this.#waiting = false;
    const session = this.#session;
    this.#session = null;
    session?.stop({ notify });
    stopStream(this.#camera);
    this.#camera = null;
    this.#cameraOpening = null;
    if (this.#rendered) {
      /** @type {HTMLVideoElement} */ (this.#el.preview).srcObject = null;
      /** @type {HTMLVideoElement} */ (this.#el.output).srcObject = null;
      this.#syncCameraUI();
    }
  }

  #toggle() {
    if (this.#state === "connecting" || this.#state === "streaming") {
      this.#clearMessages();
      this.#teardown({ notify: true });
      this.#setState("idle");
    } else {
      this.start();
    }
  }

  /**
   * Opens the camera for the preview (and the session), once.
   * @returns {Promise<MediaStream>}
   */
  async #openCamera() {
    if (this.#camera) return this.#camera;
    if (!this.#cameraOpening) {
      this.#cameraOpening = openMedia(["video"], {
        videoDeviceID: this.#cameraID || undefined,
        video: this.#trackConstraints,
      });
    }
    const opening = this.#cameraOpening;
    const generation = this.#generation;
    let stream;
    try {
      stream = await opening;
    } finally {
      if (this.#cameraOpening === opening) this.#cameraOpening = null;
    }
    if (generation !== this.#generation) {
      // Stopped while the browser asked for permission: give the camera back.
      stopStream(stream);
      throw new DOMException("The camera request was cancelled.", "AbortError");
    }
    if (this.#camera) {
      // Someone else won the race; keep theirs.
      if (this.#camera !== stream) stopStream(stream);
      return this.#camera;
    }
    this.#camera = stream;
    this.#cameraID = deviceIDOf(stream, "video") || this.#cameraID;
    const preview = /** @type {HTMLVideoElement} */ (this.#el.preview);
    preview.srcObject = stream;
    preview.play().catch(() => {});
    this.#syncCameraUI();
    await this.#refreshCameras();
    return stream;
  }

  /** The "Enable camera" button: preview without streaming. */
  async #enableCamera() {
    this.#clearMessages();
    const generation = this.#generation;
    try {
      await this.#openCamera();
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
    if (!this.#camera || select.value === deviceIDOf(this.#camera, "video")) return;
    let next;
    try {
      next = await openMedia(["video"], { videoDeviceID: select.value || undefined, video: this.#trackConstraints });
    } catch (err) {
      this.#cameraID = previousID;
      select.value = previousID;
      this.#showError(err instanceof Error ? err.message : String(err));
      return;
    }
    if (!this.#camera) {
      stopStream(next); // stopped meanwhile
      return;
    }
    const old = this.#camera;
    const track = next.getVideoTracks()[0];
    try {
      await this.#session?.replaceTrack("video", track);
    } catch (err) {
      console.warn("rtc-stream: replaceTrack failed:", err);
    }
    this.#camera = next;
    /** @type {HTMLVideoElement} */ (this.#el.preview).srcObject = next;
    stopStream(old);
  }

  /** Fills the camera select from enumerateDevices. */
  async #refreshCameras() {
    if (!this.#rendered) return;
    let cameras;
    try {
      cameras = await listCameras();
    } catch (err) {
      console.warn("rtc-stream: listing cameras failed:", err);
      return;
    }
    if (cameras.length === 0) return; // no permission yet: keep the placeholder
    const select = /** @type {HTMLSelectElement} */ (this.#el.select);
    const options = cameras.map((c) => {
      const o = document.createElement("option");
      o.value = c.deviceId;
      o.textContent = c.label;
      return o;
    });
    select.replaceChildren(...options);
    const current = this.#camera ? deviceIDOf(this.#camera, "video") : this.#cameraID;
    if (current && cameras.some((c) => c.deviceId === current)) select.value = current;
  }

  /**
   * Shows the remote stream and waits for its first frame.
   * @param {Session} session
   * @param {MediaStream} stream
   */
  #showOutput(session, stream) {
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

  /** Shows or hides the camera parts for the mode and camera state. */
  #syncCameraUI() {
    const sends = this.#sendsCamera;
    this.#el.root.dataset.mode = this.#mode;
    this.#el.root.querySelector(".pane-input")?.toggleAttribute("hidden", !sends);
    this.#el.root.querySelector(".pane-output")?.toggleAttribute("hidden", this.#mode === "send");
    this.#el.select.toggleAttribute("hidden", !sends);
    // interactive="false": display only, started by a trigger or script.
    const interactive = this.getAttribute("interactive") !== "false";
    this.#el.root.querySelector(".pane-input")?.toggleAttribute("hidden", !sends || !interactive);
    this.#el.select.toggleAttribute("hidden", !sends || !interactive);
    this.#el.button.toggleAttribute("hidden", !interactive);
    /** @type {HTMLButtonElement} */ (this.#el.button).disabled = !interactive;
    const showEnable =
      interactive && sends && !this.#camera && this.#state !== "connecting" && this.#state !== "streaming";
    this.#el.enableCamera.toggleAttribute("hidden", !showEnable);
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
    const reader = new StatsReader();
    const refresh = async () => {
      const report = await session?.stats();
      if (!report || this.#session !== session) return;
      const s = reader.read(report);
      this.#el.stats.textContent = formatStats(s);
      this.#el.stats.dataset.rttMs = s.rttMs == null ? "" : String(s.rttMs);
      this.#el.stats.dataset.fpsIn = s.fpsIn == null ? "" : String(s.fpsIn);
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
