package streamtest

import (
	"time"

	"github.com/rtcstream/rtcstream"
)

// NopObserver is an rtcstream.Observer that observes nothing: a test's
// observer embeds it and defines what it counts.
type NopObserver struct{}

var _ rtcstream.Observer = NopObserver{}

func (NopObserver) FrameStage(rtcstream.Stage, time.Duration)       {}
func (NopObserver) FrameDropped(rtcstream.FrameDrop)                {}
func (NopObserver) VideoBytes(bool, int)                            {}
func (NopObserver) AudioQueued(time.Duration)                       {}
func (NopObserver) AudioDropped(rtcstream.AudioDrop, time.Duration) {}
func (NopObserver) SessionStarted()                                 {}
func (NopObserver) SessionEnded(string)                             {}
func (NopObserver) LineChanged(int)                                 {}
func (NopObserver) HandlerFailed()                                  {}
func (NopObserver) RTT(time.Duration)                               {}
