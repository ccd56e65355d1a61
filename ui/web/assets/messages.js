// @ts-check
/**
 * @file Messages from the server on the "rtcstream" data channel.
 *
 * Every message is a JSON object with a "type". parseServerMessage is the one
 * place that reads them; add new types (inputs, outputs, countdown, ...) to
 * its switch and to the ServerMessage union.
 */

/**
 * @typedef {{type: "error", message: string}} ErrorMessage
 *   An error the server reports; the stream may go on.
 * @typedef {{type: "warning", message: string}} WarningMessage
 *   Something a person should know; not fatal.
 * @typedef {{type: "end", reason: string, error: boolean}} EndMessage
 *   The server ended the session. error is true when it ended because of a failure.
 * @typedef {{type: "log", data: any}} LogMessage
 *   Diagnostics; ignored by the element.
 * @typedef {{type: "tick"}} TickMessage
 *   The server asks for the current values of the element's inputs (its
 *   "inputs" attribute); the Blocks runtime (blocks.js) sends them.
 * @typedef {{type: "output", values: Record<string, any>}} OutputMessage
 *   New values for output components of the page, keyed by component id; the
 *   Blocks runtime (blocks.js) shows them.
 * @typedef {{type: "time_limit", seconds: number}} TimeLimitMessage
 *   The session ends after this many seconds from now; the element counts down.
 * @typedef {{type: "vad", event: string, data: Record<string, any>}} VADMessage
 *   A turn-taking event of a voice stream (ReplyOnPause): event is one of
 *   VAD_EVENTS, or another name a newer server sends (the element then leaves
 *   its chip as it is). data is the whole message as the server sent it.
 * @typedef {{type: "unknown", raw: any}} UnknownMessage
 *   A message this version does not know; ignored.
 * @typedef {ErrorMessage | WarningMessage | EndMessage | LogMessage | TickMessage | OutputMessage | TimeLimitMessage | VADMessage | UnknownMessage} ServerMessage
 */

/**
 * The turn-taking events a server sends in {"type": "vad", "event": ...}, and
 * what the element's chip says for each: the person started talking (the
 * server listens), paused (the server prepares a reply), the reply started
 * and ended playing. "barge_in": the person talked over the reply, which the
 * server cut short.
 * @type {Readonly<Record<string, {turn: "listening" | "thinking" | "speaking", label: string}>>}
 */
export const VAD_EVENTS = Object.freeze({
  started_talking: { turn: "listening", label: "Listening…" },
  pause_detected: { turn: "thinking", label: "Thinking…" },
  reply_started: { turn: "speaking", label: "Speaking…" },
  reply_ended: { turn: "listening", label: "Listening…" },
  barge_in: { turn: "listening", label: "Listening…" },
});

/**
 * Reads a data channel message.
 * @param {string | ArrayBuffer | Blob} data the MessageEvent's data
 * @returns {ServerMessage | null} null when the message is not a JSON object
 */
export function parseServerMessage(data) {
  if (typeof data !== "string") return null;
  let msg;
  try {
    msg = JSON.parse(data);
  } catch {
    return null;
  }
  if (!msg || typeof msg !== "object" || typeof msg.type !== "string") return null;
  const text = (/** @type {unknown} */ v) => (typeof v === "string" ? v : v == null ? "" : String(v));
  switch (msg.type) {
    case "error":
      return { type: "error", message: text(msg.message) || "The server reported an error." };
    case "warning":
      return { type: "warning", message: text(msg.message) };
    case "end": {
      // An end is an error when the server says so in any of these ways:
      // {"error": true}, {"error": "code"}, {"level": "error"} or {"reason": "error"}.
      const isError = msg.error === true || (typeof msg.error === "string" && msg.error !== "") ||
        msg.level === "error" || msg.reason === "error";
      const reason = text(msg.message) || text(msg.reason === "error" ? "" : msg.reason) ||
        (isError ? "The server ended the session because of an error." : "");
      return { type: "end", reason, error: isError };
    }
    case "log":
      return { type: "log", data: msg };
    case "tick":
      return { type: "tick" };
    case "time_limit": {
      const seconds = Number(msg.seconds);
      return Number.isFinite(seconds) && seconds > 0 ? { type: "time_limit", seconds } : { type: "unknown", raw: msg };
    }
    case "output": {
      const values = msg.values && typeof msg.values === "object" && !Array.isArray(msg.values) ? msg.values : {};
      return { type: "output", values };
    }
    case "vad": {
      // An event name is all the element needs; other fields ride along.
      const event = typeof msg.event === "string" ? msg.event.trim() : "";
      return event ? { type: "vad", event, data: msg } : { type: "unknown", raw: msg };
    }
    default:
      return { type: "unknown", raw: msg };
  }
}
