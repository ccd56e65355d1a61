// Package livekit runs a Stream's handlers as a LiveKit agent: a Worker
// registers with a LiveKit server over its agent protocol, is dispatched
// to rooms by LiveKit, joins each with the job's token, and runs the
// handler for every participant in it, as a Stream runs it for every
// browser: on its camera, its microphone or both (the Stream's modality),
// publishing the processed video and audio back into the room; in Receive
// mode, the generator runs for each participant that joins. Handlers see
// the participant as their rtcstream.Session (SessionFrom), so
// voice.ReplyOnPause and Session.Play work in a worker as in a Stream;
// Session.ID and Identity are the participant's identity. One machine serves as many streams as its cores
// hold; LiveKit (self-hosted with Redis, or hosted) spreads rooms over
// many workers and many media nodes.
//
// A Stream's own page joins LiveKit rooms when its Options.LiveKit names a
// token URL, served by TokenHandler: the browser side needs nothing else.
// Go participants use Join; any LiveKit client works.
//
// A participant finds its processed video and audio as the worker's
// tracks named TrackName(identity), and talks to its handler in data messages on Topic:
// the same JSON control messages a Stream's page sends and receives
// ({"type": "input", "values": {...}} in; "output", "error", "warning",
// "vad", "time_limit", "end" out). It processes a VP8 or H.264 camera
// and an Opus microphone, and publishes its video in the camera's codec
// (VP8 when there is none) and its audio in Opus.
//
// Open-source LiveKit does not move a dead worker's jobs elsewhere, and
// drops a dispatch that no worker takes (all full). With Options.Redis
// set, workers keep a lease on every job in the Redis LiveKit uses: the
// others dispatch a dead worker's rooms anew within about three seconds,
// and rooms left without a worker are dispatched again until one has room.
//
// The root package does not link LiveKit: only programs that import this
// package do.
package livekit
