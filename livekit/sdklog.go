package livekit

import (
	"context"
	"log/slog"
	"sync"

	"github.com/go-logr/logr"
	protologger "github.com/livekit/protocol/logger"
	lksdk "github.com/livekit/server-sdk-go/v2"
)

// sdkLogger is the logger handed to LiveKit's SDK (and through it to
// pion) for a room connection: their chatter (ICE pairs, DTLS states) goes
// to the worker's log at Debug; the worker logs what a user needs to know
// itself. The SDK's own default writes it all to the standard logger.
func sdkLogger(l *slog.Logger) protologger.Logger {
	return protologger.LogRLogger(logr.FromSlogHandler(debugOnly{l.Handler()}))
}

// setSDKLogger routes the LiveKit SDK's package-level logger (which some
// of its paths use whatever a connection's logger) to l at Debug, once per
// process: by default it writes pion's chatter to the standard logger.
func setSDKLogger(l *slog.Logger) {
	sdkOnce.Do(func() { lksdk.SetLogger(sdkLogger(l)) })
}

var sdkOnce sync.Once

// debugOnly logs every record at Debug.
type debugOnly struct{ h slog.Handler }

func (d debugOnly) Enabled(ctx context.Context, _ slog.Level) bool {
	return d.h.Enabled(ctx, slog.LevelDebug)
}

func (d debugOnly) Handle(ctx context.Context, r slog.Record) error {
	r.Level = slog.LevelDebug
	return d.h.Handle(ctx, r)
}

func (d debugOnly) WithAttrs(as []slog.Attr) slog.Handler { return debugOnly{d.h.WithAttrs(as)} }
func (d debugOnly) WithGroup(name string) slog.Handler    { return debugOnly{d.h.WithGroup(name)} }
