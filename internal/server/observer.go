package server

import (
	"time"

	"github.com/rtcstream/rtcstream/internal/pipeline"
)

// Observer is told what the sessions do (the root package's Observer,
// adapted). Its methods must be cheap, non-blocking and safe for
// concurrent use.
type Observer interface {
	pipeline.Observer
	pipeline.AudioObserver
	SessionStarted()
	SessionEnded(reason string)
	LineChanged(delta int)
	HandlerFailed()
	RTT(d time.Duration)
}

// observer calls an Observer that may be nil.
type observer struct{ o Observer }

func (o observer) sessionStarted() {
	if o.o != nil {
		o.o.SessionStarted()
	}
}

func (o observer) sessionEnded(reason string) {
	if o.o != nil {
		o.o.SessionEnded(reason)
	}
}

func (o observer) lineChanged(delta int) {
	if o.o != nil {
		o.o.LineChanged(delta)
	}
}

func (o observer) handlerFailed() {
	if o.o != nil {
		o.o.HandlerFailed()
	}
}

func (o observer) rtt(d time.Duration) {
	if o.o != nil {
		o.o.RTT(d)
	}
}

// video and audio return the media paths' observers, nil for none.
func (o observer) video() pipeline.Observer {
	if o.o == nil {
		return nil
	}
	return o.o
}

func (o observer) audio() pipeline.AudioObserver {
	if o.o == nil {
		return nil
	}
	return o.o
}
