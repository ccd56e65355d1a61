// @ts-check
/**
 * @file Local media: camera access, the device list, and errors a person can read.
 *
 * Audio (microphone) capture belongs here too when it is added: openMedia takes
 * the list of kinds to capture.
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
 * Builds getUserMedia constraints.
 * @param {Array<"video" | "audio">} kinds what to capture
 * @param {{videoDeviceID?: string, video?: MediaTrackConstraints}} [opts] video:
 *   the page's track constraints (resolution, frame rate, facing mode)
 * @returns {MediaStreamConstraints}
 */
export function constraintsFor(kinds, { videoDeviceID, video } = {}) {
  /** @type {MediaStreamConstraints} */
  const c = {};
  if (kinds.includes("video")) {
    /** @type {MediaTrackConstraints} */
    const v = { ...(video ?? {}) };
    if (videoDeviceID) v.deviceId = { exact: videoDeviceID };
    c.video = Object.keys(v).length > 0 ? v : true;
  }
  if (kinds.includes("audio")) {
    c.audio = true;
  }
  return c;
}

/**
 * Asks for the camera (and later the microphone).
 * @param {Array<"video" | "audio">} kinds
 * @param {{videoDeviceID?: string, video?: MediaTrackConstraints}} [opts]
 * @returns {Promise<MediaStream>}
 * @throws {MediaError}
 */
export async function openMedia(kinds, opts = {}) {
  if (!navigator.mediaDevices?.getUserMedia) {
    throw new MediaError(
      "This page cannot use the camera: it needs a secure context (HTTPS or localhost) and a browser with WebRTC.",
      "NotSupportedError",
    );
  }
  try {
    return await navigator.mediaDevices.getUserMedia(constraintsFor(kinds, opts));
  } catch (err) {
    throw mediaError(err);
  }
}

/**
 * Maps a getUserMedia failure to a MediaError with a clear message.
 * @param {unknown} err
 * @returns {MediaError}
 */
export function mediaError(err) {
  const name = err instanceof Error ? err.name : "";
  switch (name) {
    case "NotAllowedError":
    case "PermissionDeniedError":
      return new MediaError("Camera access was denied. Allow the camera for this page and press Start again.", name);
    case "NotFoundError":
    case "DevicesNotFoundError":
      return new MediaError("No camera was found. Connect a camera and press Start again.", name);
    case "OverconstrainedError":
      return new MediaError("The selected camera is not available. Choose another camera.", name);
    case "NotReadableError":
    case "TrackStartError":
      return new MediaError("The camera could not be started. Another application may be using it.", name);
    case "SecurityError":
      return new MediaError("Camera access is blocked on this page: it needs HTTPS or localhost.", name);
    case "AbortError":
      return new MediaError("Camera access was interrupted. Press Start again.", name);
    default:
      return new MediaError(`Could not open the camera: ${err instanceof Error ? err.message : String(err)}`, name);
  }
}

/**
 * Lists the cameras. Labels are empty until the page has camera permission.
 * @returns {Promise<Array<{deviceId: string, label: string}>>}
 */
export async function listCameras() {
  if (!navigator.mediaDevices?.enumerateDevices) return [];
  const devices = await navigator.mediaDevices.enumerateDevices();
  return devices
    .filter((d) => d.kind === "videoinput" && d.deviceId)
    .map((d, i) => ({ deviceId: d.deviceId, label: d.label || `Camera ${i + 1}` }));
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
