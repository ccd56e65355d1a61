// Package streamlink hands a root rtcstream.Stream's engine configuration to
// the packages that run its handlers elsewhere (package livekit's worker),
// without the root package exporting its workings or importing theirs.
package streamlink

import "github.com/rtcstream/rtcstream/internal/server"

// Config returns the engine configuration of stream, an *rtcstream.Stream;
// ok is false for anything else. The root package sets it at init.
var Config func(stream any) (cfg server.Config, ok bool)
