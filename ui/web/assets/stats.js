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
 */

/** Follows the counters of successive reports to turn them into rates. */
export class StatsReader {
  /** @type {Map<string, {bytes: number, ts: number}>} */
  #last = new Map();

  /**
   * @param {RTCStatsReport} report
   * @returns {StreamStats}
   */
  read(report) {
    /** @type {StreamStats} */
    const out = { fpsOut: null, fpsIn: null, rttMs: null, kbpsOut: null, kbpsIn: null, sizeOut: "", sizeIn: "" };
    report.forEach((/** @type {any} */ s) => {
      if (s.type === "outbound-rtp" && s.kind === "video") {
        out.fpsOut = s.framesPerSecond ?? null;
        if (s.frameWidth) out.sizeOut = `${s.frameWidth}x${s.frameHeight}`;
        out.kbpsOut = this.#rate(s.id, s.bytesSent, s.timestamp);
      } else if (s.type === "inbound-rtp" && s.kind === "video") {
        out.fpsIn = s.framesPerSecond ?? null;
        if (s.frameWidth) out.sizeIn = `${s.frameWidth}x${s.frameHeight}`;
        out.kbpsIn = this.#rate(s.id, s.bytesReceived, s.timestamp);
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
}

/**
 * Formats stats for the overlay, one line per direction.
 * @param {StreamStats} s
 * @returns {string}
 */
export function formatStats(s) {
  const n = (/** @type {number | null} */ v, /** @type {string} */ unit, digits = 0) =>
    v == null ? "–" : `${v.toFixed(digits)} ${unit}`;
  return [
    `out ${s.sizeOut || "–"} · ${n(s.fpsOut, "fps")} · ${n(s.kbpsOut, "kbit/s")}`,
    `in ${s.sizeIn || "–"} · ${n(s.fpsIn, "fps")} · ${n(s.kbpsIn, "kbit/s")}`,
    `rtt ${n(s.rttMs, "ms", 1)}`,
  ].join("\n");
}
