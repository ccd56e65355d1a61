// @ts-check
/**
 * @file Live audio levels for the <rtc-stream> meters and its pulsing icon:
 * the RMS of a track, read through a Web Audio AnalyserNode about 20 times
 * a second.
 */

/** How often the levels are read, in milliseconds (about 20 Hz). */
export const LEVEL_INTERVAL_MS = 50;

/** The quietest sound a meter shows above zero, in dBFS. */
export const FLOOR_DB = -60;

/**
 * How much of the previous level a falling meter keeps at each reading: it
 * rises at once and falls by about 20 dB a second, so speech reads as a
 * steady bar rather than a flicker.
 */
export const RELEASE = 0.8;

/**
 * The root mean square of samples in [-1, 1].
 * @param {Float32Array} samples
 * @returns {number}
 */
export function rms(samples) {
  if (samples.length === 0) return 0;
  let sum = 0;
  for (let i = 0; i < samples.length; i++) sum += samples[i] * samples[i];
  return Math.sqrt(sum / samples.length);
}

/**
 * Maps an RMS amplitude (full scale 1) to a meter level in [0, 1]: linear in
 * decibels, from FLOOR_DB (0) to 0 dBFS (1). Speech at a normal level reads
 * about 0.5 to 0.8; digital silence reads 0.
 * @param {number} amplitude
 * @returns {number}
 */
export function levelOf(amplitude) {
  if (!(amplitude > 0)) return 0;
  const db = 20 * Math.log10(amplitude);
  return Math.min(1, Math.max(0, (db - FLOOR_DB) / -FLOOR_DB));
}

/**
 * Follows a level with a fast attack and a slow release (RELEASE).
 * @param {number} previous the level shown so far
 * @param {number} next the level just measured
 * @returns {number}
 */
export function smooth(previous, next) {
  return next >= previous ? next : Math.max(next, previous * RELEASE);
}

/**
 * Measures the loudness of one audio track at a time.
 *
 * Chromium delivers a remote WebRTC track to Web Audio only while a media
 * element plays it too: the element plays the output through an <audio>
 * element and meters the same track.
 */
export class LevelMeter {
  /** @type {AudioContext} */
  #ctx;
  /** @type {AnalyserNode} */
  #analyser;
  /** @type {Float32Array} */
  #buf;
  /** @type {MediaStreamAudioSourceNode | null} */
  #source = null;
  /** @type {MediaStreamTrack | null} */
  #track = null;

  /**
   * @param {AudioContext} ctx
   * @param {AudioNode} sink where the analyser's (unused) output goes, so
   *   that the graph is pulled: a silent node connected to the destination
   */
  constructor(ctx, sink) {
    this.#ctx = ctx;
    this.#analyser = ctx.createAnalyser();
    // 2048 samples: about 43 ms at 48 kHz, one reading's worth.
    this.#analyser.fftSize = 2048;
    this.#buf = new Float32Array(this.#analyser.fftSize);
    this.#analyser.connect(sink);
  }

  /** The track measured, or null. */
  get track() {
    return this.#track;
  }

  /**
   * Measures track from now on (replacing the track measured before).
   * @param {MediaStreamTrack | null} track
   */
  attach(track) {
    if (track === this.#track) return;
    this.detach();
    if (!track || track.kind !== "audio") return;
    this.#track = track;
    this.#source = this.#ctx.createMediaStreamSource(new MediaStream([track]));
    this.#source.connect(this.#analyser);
  }

  /** Stops measuring. */
  detach() {
    this.#source?.disconnect();
    this.#source = null;
    this.#track = null;
  }

  /**
   * The RMS amplitude of the last 43 ms, 0 when no track is attached or the
   * track is disabled (muted) or ended.
   * @returns {number}
   */
  read() {
    const t = this.#track;
    if (!t || !t.enabled || t.readyState !== "live") return 0;
    this.#analyser.getFloatTimeDomainData(this.#buf);
    return rms(this.#buf);
  }

  /** Releases the analyser. */
  close() {
    this.detach();
    this.#analyser.disconnect();
  }
}

/**
 * Calls fn about every LEVEL_INTERVAL_MS: on animation frames while the page
 * is visible (so the meters move with the display), on a timer while it is
 * hidden.
 */
export class Ticker {
  /** @type {() => void} */
  #fn;
  #running = false;
  #last = 0;
  /** @type {number | undefined} */
  #raf;
  /** @type {ReturnType<typeof setTimeout> | undefined} */
  #timer;

  /** @param {() => void} fn */
  constructor(fn) {
    this.#fn = fn;
  }

  get running() {
    return this.#running;
  }

  start() {
    if (this.#running) return;
    this.#running = true;
    this.#last = 0;
    this.#schedule();
  }

  stop() {
    this.#running = false;
    if (this.#raf !== undefined) cancelAnimationFrame(this.#raf);
    clearTimeout(this.#timer);
    this.#raf = this.#timer = undefined;
  }

  #schedule() {
    if (!this.#running) return;
    if (document.hidden) {
      this.#timer = setTimeout(this.#tick, LEVEL_INTERVAL_MS);
    } else {
      this.#raf = requestAnimationFrame(this.#tick);
    }
  }

  #tick = () => {
    this.#raf = this.#timer = undefined;
    if (!this.#running) return;
    const now = performance.now();
    // A few ms early counts: frames at 60 Hz come every 16.7 ms.
    if (now - this.#last >= LEVEL_INTERVAL_MS - 8) {
      this.#last = now;
      try {
        this.#fn();
      } catch (err) {
        console.warn("rtc-stream: reading audio levels failed:", err);
      }
    }
    this.#schedule();
  };
}
