// Package vad detects speech and turns in a stream of audio, for voice
// agents: when the user starts talking, when a pause ends the turn (the
// moment to reply, with the turn's audio), and when the user talks over a
// reply (barge-in, the moment to cancel it).
//
// # Input
//
// Everything here takes 16 kHz mono float32 PCM in [-1, 1] (SampleRate).
// WebRTC delivers 48 kHz Opus; decode it and resample it to 16 kHz first
// (the media package's resampler). Audio is scored in windows of 512
// samples, 32 ms (WindowSize, Window), the size Silero VAD v5 takes.
//
// # Detectors
//
// A [Detector] gives each window a speech probability. Two implement it:
//
//   - vad/silero: Silero VAD v5 over ONNX Runtime, accurate in noise and on
//     any voice; about 0.1 ms a window on one core. It needs cgo, the
//     runtime library and the model, which scripts/fetch-models.sh fetches.
//   - [EnergyDetector], here: pure Go, no model, about 0.04 ms a window.
//     It finds voiced sound well above an adaptive noise floor and rejects
//     steady noise and lone tones, but takes music or a TV for speech and
//     fails below about 10 dB SNR. Use it when ONNX Runtime cannot be had.
//
// # Turns
//
// A [PauseDetector] turns the probabilities into events ([Event]):
// [StartedTalking], [PauseDetected] and [BargeIn]. It is a pure state
// machine on the audio's own clock (no goroutines, no timers), so it is
// exact and testable: the same audio gives the same events at the same
// stream times. Its [Options] (all with defaults) are, in fastrtc's terms:
// Threshold and Release (SileroVadOptions.threshold, with hysteresis),
// MinSpeech (min_speech_duration_ms), Pause (what min_silence_duration_ms
// and AlgoOptions.speech_threshold approximate), MaxSpeech
// (max_continuous_speech_s), Padding (speech_pad_ms) and BargeIn
// (can_interrupt, with a confirmation time).
//
// # Latency
//
// A turn ends exactly Pause after the end of its last speech window: with
// the default 480 ms, PauseDetected comes 480 ms after the last window
// the detector scores as speech, so 480-512 ms after the speech really
// ends, plus however long the detector's score takes to fall (measured on
// espeak-ng speech: 475-540 ms from the end of speech with Silero, 505-570
// ms with the EnergyDetector, whose hangover bridges a final stop
// consonant). fastrtc's ReplyOnPause examines audio in 0.6 s chunks and
// decides at a chunk's end, so it replies 0.6 to 1.2 s after the speech
// ends, and a hesitation that fills most of a chunk ends the turn early;
// here a hesitation shorter than Pause never does. Lower Pause answers
// sooner and cuts more hesitant speakers off.
//
// # Contracts
//
// Nothing here is safe for concurrent use, except as documented in
// vad/silero (whose Model is shared between streams): use one
// PauseDetector and one Detector per stream, from one goroutine. Process
// does not keep the slices it is given. A PauseDetected event's Audio is a
// new slice that belongs to the caller, who may hand it to another
// goroutine (a speech recogniser) without copying.
package vad
