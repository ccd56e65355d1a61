// @ts-check
/**
 * @file The stats overlay: frame rates, round-trip time, bitrates and
 * resolutions of a session, read from RTCPeerConnection.getStats() once a
 * second. None of the Python components show any of this.
 */

/**
 * @typedef {object} StreamStats
 * @property {number | null} fpsOut frames per second the browser sends
 * @property {number | null} fpsIn frames per second it receives and decodes
 * @property {number | null} rttMs round-trip time of the selected candidate pair
 * @property {number | null} kbpsOut
 * @property {number | null} kbpsIn
 * @property {string} sizeOut e.g. "640x480"
 * @property {string} sizeIn
 * @property {number | null} audioKbpsOut audio bitrate the browser sends
 * @property {number | null} audioKbpsIn audio bitrate it receives
 * @property {number | null} audioJitterMs jitter of the received audio
 * @property {number | null} audioLost audio packets lost so far
 * @property {number | null} encodeMs the browser's encoding time per video
 *   frame sent, over the last interval
 * @property {number | null} bufferMs time a received video frame spent in the
 *   browser's jitter buffer, per frame, over the last interval
 * @property {number | null} decodeMs the browser's decoding time per video
 *   frame received, over the last interval
 */

/** Follows the counters of successive reports to turn them into rates. */
export class StatsReader {
  /** @type {Map<string, {bytes: number, ts: number}>} */
  #last = new Map();
  /** @type {Map<string, {total: number, count: number}>} */
  #lastTotals = new Map();

  /**
   * @param {RTCStatsReport} report
   * @returns {StreamStats}
   */
  read(report) {
    /** @type {StreamStats} */
    const out = {
      fpsOut: null, fpsIn: null, rttMs: null, kbpsOut: null, kbpsIn: null, sizeOut: "", sizeIn: "",
      audioKbpsOut: null, audioKbpsIn: null, audioJitterMs: null, audioLost: null,
      encodeMs: null, bufferMs: null, decodeMs: null,
    };
    report.forEach((/** @type {any} */ s) => {
      if (s.type === "outbound-rtp" && s.kind === "video") {
        out.fpsOut = s.framesPerSecond ?? null;
        if (s.frameWidth) out.sizeOut = `${s.frameWidth}x${s.frameHeight}`;
        out.kbpsOut = this.#rate(s.id, s.bytesSent, s.timestamp);
        out.encodeMs = this.#perFrame(`${s.id} encode`, s.totalEncodeTime, s.framesEncoded);
      } else if (s.type === "inbound-rtp" && s.kind === "video") {
        out.fpsIn = s.framesPerSecond ?? null;
        if (s.frameWidth) out.sizeIn = `${s.frameWidth}x${s.frameHeight}`;
        out.kbpsIn = this.#rate(s.id, s.bytesReceived, s.timestamp);
        out.bufferMs = this.#perFrame(`${s.id} buffer`, s.jitterBufferDelay, s.jitterBufferEmittedCount);
        out.decodeMs = this.#perFrame(`${s.id} decode`, s.totalDecodeTime, s.framesDecoded);
      } else if (s.type === "outbound-rtp" && s.kind === "audio") {
        out.audioKbpsOut = this.#rate(s.id, s.bytesSent, s.timestamp);
      } else if (s.type === "inbound-rtp" && s.kind === "audio") {
        out.audioKbpsIn = this.#rate(s.id, s.bytesReceived, s.timestamp);
        if (typeof s.jitter === "number") out.audioJitterMs = s.jitter * 1000;
        if (typeof s.packetsLost === "number") out.audioLost = s.packetsLost;
      } else if (s.type === "candidate-pair" && s.nominated && s.state === "succeeded") {
        if (typeof s.currentRoundTripTime === "number") out.rttMs = s.currentRoundTripTime * 1000;
      }
    });
    return out;
  }

  /**
   * @param {string} id
   * @param {number} bytes
   * @param {number} ts milliseconds
   * @returns {number | null} kbit/s since the last report
   */
  #rate(id, bytes, ts) {
    const prev = this.#last.get(id);
    this.#last.set(id, { bytes, ts });
    if (!prev || ts <= prev.ts) return null;
    return ((bytes - prev.bytes) * 8) / (ts - prev.ts);
  }

  /**
   * @param {string} key
   * @param {number | undefined} total seconds, summed over frames
   * @param {number | undefined} count frames
   * @returns {number | null} milliseconds per frame since the last report
   */
  #perFrame(key, total, count) {
    if (typeof total !== "number" || typeof count !== "number") return null;
    const prev = this.#lastTotals.get(key);
    this.#lastTotals.set(key, { total, count });
    if (!prev || count <= prev.count) return null;
    return ((total - prev.total) * 1000) / (count - prev.count);
  }
}

/**
 * Formats stats for the overlay: a line per video direction, one for the
 * browser's own time per video frame (encoding, jitter buffer, decoding),
 * a line for audio, and the round-trip time.
 * @param {StreamStats} s
 * @param {Array<"video" | "audio">} [kinds] the stream's media (default video)
 * @returns {string}
 */
export function formatStats(s, kinds = ["video"]) {
  const n = (/** @type {number | null} */ v, /** @type {string} */ unit, digits = 0) =>
    v == null ? "–" : `${v.toFixed(digits)} ${unit}`;
  const lines = [];
  if (kinds.includes("video")) {
    lines.push(
      `out ${s.sizeOut || "–"} · ${n(s.fpsOut, "fps")} · ${n(s.kbpsOut, "kbit/s")}`,
      `in ${s.sizeIn || "–"} · ${n(s.fpsIn, "fps")} · ${n(s.kbpsIn, "kbit/s")}`,
      `encode ${n(s.encodeMs, "ms", 1)} · buffer ${n(s.bufferMs, "ms", 1)} · decode ${n(s.decodeMs, "ms", 1)}`,
    );
  }
  if (kinds.includes("audio")) {
    const lost = s.audioLost == null ? "" : ` · lost ${s.audioLost}`;
    lines.push(
      `audio out ${n(s.audioKbpsOut, "kbit/s")} · in ${n(s.audioKbpsIn, "kbit/s")} · jitter ${n(s.audioJitterMs, "ms", 1)}${lost}`,
    );
  }
  lines.push(`rtt ${n(s.rttMs, "ms", 1)}`);
  return lines.join("\n");
}
