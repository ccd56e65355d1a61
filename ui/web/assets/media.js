// @ts-check
/**
 * @file Local media: camera and microphone access, the device lists, and
 * errors a person can read.
 */

/** An error from camera or microphone access, with a message for a person. */
export class MediaError extends Error {
  /**
   * @param {string} message
   * @param {string} [name] the DOMException name, e.g. "NotAllowedError"
   */
  constructor(message, name = "") {
    super(message);
    this.name = "MediaError";
    this.cause = name;
  }
}

/**
 * The microphone processing a voice stream wants: echo cancellation, noise
 * suppression and automatic gain, all on unless a page turns one off.
 */
export const DEFAULT_AUDIO_PROCESSING = Object.freeze({
  echoCancellation: true,
  noiseSuppression: true,
  autoGainControl: true,
});

/**
 * @typedef {object} MediaOptions
 * @property {string} [videoDeviceID] the camera to open; default: the browser's choice
 * @property {MediaTrackConstraints} [video] the page's camera constraints
 *   (resolution, frame rate, facing mode)
 * @property {string} [audioDeviceID] the microphone to open
 * @property {MediaTrackConstraints} [audio] microphone constraints, over
 *   DEFAULT_AUDIO_PROCESSING
 */

/**
 * Builds getUserMedia constraints.
 * @param {Array<"video" | "audio">} kinds what to capture
 * @param {MediaOptions} [opts]
 * @returns {MediaStreamConstraints}
 */
export function constraintsFor(kinds, { videoDeviceID, video, audioDeviceID, audio } = {}) {
  /** @type {MediaStreamConstraints} */
  const c = {};
  if (kinds.includes("video")) {
    /** @type {MediaTrackConstraints} */
    const v = { ...(video ?? {}) };
    if (videoDeviceID) v.deviceId = { exact: videoDeviceID };
    c.video = Object.keys(v).length > 0 ? v : true;
  }
  if (kinds.includes("audio")) {
    /** @type {MediaTrackConstraints} */
    const a = { ...DEFAULT_AUDIO_PROCESSING, ...(audio ?? {}) };
    if (audioDeviceID) a.deviceId = { exact: audioDeviceID };
    c.audio = a;
  }
  return c;
}

/**
 * What a person calls the devices of kinds, for messages.
 * @param {Array<"video" | "audio">} kinds
 * @returns {{device: string, Device: string, a: string}} e.g. "camera",
 *   "Camera", "a camera"
 */
function deviceWords(kinds) {
  const video = kinds.includes("video");
  const audio = kinds.includes("audio");
  if (video && audio) return { device: "camera and microphone", Device: "Camera and microphone", a: "a camera and a microphone" };
  if (audio) return { device: "microphone", Device: "Microphone", a: "a microphone" };
  return { device: "camera", Device: "Camera", a: "a camera" };
}

/**
 * Asks for the camera, the microphone, or both.
 * @param {Array<"video" | "audio">} kinds
 * @param {MediaOptions} [opts]
 * @returns {Promise<MediaStream>}
 * @throws {MediaError}
 */
export async function openMedia(kinds, opts = {}) {
  if (!navigator.mediaDevices?.getUserMedia) {
    throw new MediaError(
      `This page cannot use the ${deviceWords(kinds).device}: it needs a secure context (HTTPS or localhost) and a browser with WebRTC.`,
      "NotSupportedError",
    );
  }
  try {
    return await navigator.mediaDevices.getUserMedia(constraintsFor(kinds, opts));
  } catch (err) {
    throw mediaError(err, kinds);
  }
}

/**
 * Maps a getUserMedia failure to a MediaError with a clear message.
 * @param {unknown} err
 * @param {Array<"video" | "audio">} [kinds] what was asked for (default: the camera)
 * @returns {MediaError}
 */
export function mediaError(err, kinds = ["video"]) {
  const name = err instanceof Error ? err.name : "";
  const { device, Device, a } = deviceWords(kinds);
  const selected = kinds.includes("video") && kinds.includes("audio") ? "camera or microphone" : device;
  switch (name) {
    case "NotAllowedError":
    case "PermissionDeniedError":
      return new MediaError(`${Device} access was denied. Allow the ${device} for this page and press Start again.`, name);
    case "NotFoundError":
    case "DevicesNotFoundError":
      return new MediaError(`No ${device} was found. Connect ${a} and press Start again.`, name);
    case "OverconstrainedError":
      return new MediaError(`The selected ${selected} is not available. Choose another ${selected}.`, name);
    case "NotReadableError":
    case "TrackStartError":
      return new MediaError(`The ${device} could not be started. Another application may be using it.`, name);
    case "SecurityError":
      return new MediaError(`${Device} access is blocked on this page: it needs HTTPS or localhost.`, name);
    case "AbortError":
      return new MediaError(`${Device} access was interrupted. Press Start again.`, name);
    default:
      return new MediaError(`Could not open the ${device}: ${err instanceof Error ? err.message : String(err)}`, name);
  }
}

/**
 * Lists the devices of one kind. Labels are empty until the page has
 * permission for that kind; devices without an id (no permission yet) are
 * left out.
 * @param {MediaDeviceKind} kind "videoinput" or "audioinput"
 * @param {string} fallback the label of an unlabelled device, before its number
 * @returns {Promise<Array<{deviceId: string, label: string}>>}
 */
export async function listDevices(kind, fallback) {
  if (!navigator.mediaDevices?.enumerateDevices) return [];
  const devices = await navigator.mediaDevices.enumerateDevices();
  return devices
    .filter((d) => d.kind === kind && d.deviceId)
    .map((d, i) => ({ deviceId: d.deviceId, label: d.label || `${fallback} ${i + 1}` }));
}

/**
 * Lists the cameras. Labels are empty until the page has camera permission.
 * @returns {Promise<Array<{deviceId: string, label: string}>>}
 */
export function listCameras() {
  return listDevices("videoinput", "Camera");
}

/**
 * Lists the microphones. Labels are empty until the page has microphone
 * permission.
 * @returns {Promise<Array<{deviceId: string, label: string}>>}
 */
export function listMicrophones() {
  return listDevices("audioinput", "Microphone");
}

/**
 * Stops every track of a stream.
 * @param {MediaStream | null | undefined} stream
 */
export function stopStream(stream) {
  stream?.getTracks().forEach((t) => t.stop());
}

/**
 * The device id that a live track comes from.
 * @param {MediaStream | null | undefined} stream
 * @param {"video" | "audio"} kind
 * @returns {string}
 */
export function deviceIDOf(stream, kind) {
  const track = stream?.getTracks().find((t) => t.kind === kind);
  return track?.getSettings().deviceId ?? "";
}
