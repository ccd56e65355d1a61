// Package voice builds voice agents on rtcstream's audio streams.
//
// ReplyOnPause is turn-taking: it listens, decides with voice activity
// detection when the user has finished speaking, streams a reply, and
// stops it when the user talks over it (barge-in). It is built only on
// what every handler can do through rtcstream.SessionFrom (send the page
// an event, play audio whole, wait for it to play, drop it), so an agent
// with other rules can be written the same way.
//
// The default voice activity detector is Silero VAD through ONNX Runtime
// when the runtime and model can be had (scripts/fetch-models.sh), else
// the pure-Go vad.EnergyDetector; importing this package links the ONNX
// Runtime glue, which the rtcstream package itself does not.
package voice
