package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"

	"github.com/rtcstream/rtcstream"
	"github.com/rtcstream/rtcstream/livekit"
)

// workerCmd runs `rtcstream worker`: a demo's stream as a LiveKit agent
// worker, until ctx ends (then it drains).
func workerCmd(ctx context.Context, args []string, stderr io.Writer) error {
	fs := flag.NewFlagSet("worker", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprint(fs.Output(), `usage: rtcstream worker [flags] [NAME]

Runs the demo NAME (default the first; rtcstream demo -list) as a LiveKit
agent worker: LiveKit dispatches rooms to it, it runs the demo's handler
on every participant's camera or microphone and publishes the result into
the room as the tracks "rtcstream:<identity>". The server and its key pair come
from LIVEKIT_URL, LIVEKIT_API_KEY and LIVEKIT_API_SECRET (or the flags).

flags:
`)
		fs.PrintDefaults()
	}
	url := fs.String("url", os.Getenv("LIVEKIT_URL"), "the LiveKit server (default $LIVEKIT_URL)")
	key := fs.String("api-key", os.Getenv("LIVEKIT_API_KEY"), "its API key (default $LIVEKIT_API_KEY)")
	secret := fs.String("api-secret", "", "its API secret (default $LIVEKIT_API_SECRET)")
	agent := fs.String("agent", "", "register for explicit dispatch under this name (default: automatic dispatch, every room)")
	maxJobs := fs.Int("max-jobs", 0, "rooms served at once before the worker reports itself full (default 4)")
	redis := fs.String("redis", "", "the Redis the LiveKit servers share (host:port): move a dead worker's rooms to the others")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return nil
		}
		return err
	}
	d, err := demoArg(fs, "worker")
	if err != nil {
		return err
	}
	if *secret == "" {
		*secret = os.Getenv("LIVEKIT_API_SECRET")
	}
	if *url == "" || *key == "" || *secret == "" {
		return errors.New("worker: set LIVEKIT_URL, LIVEKIT_API_KEY and LIVEKIT_API_SECRET (or -url, -api-key, -api-secret)")
	}
	built, err := d.build(rtcstream.Options{})
	if err != nil {
		return err
	}
	defer built.close()
	w, err := livekit.NewWorker(built.stream, livekit.Options{URL: *url, APIKey: *key, APISecret: *secret,
		AgentName: *agent, MaxJobs: *maxJobs, Redis: *redis})
	if err != nil {
		return fmt.Errorf("worker: demo %s: %w", d.name, err)
	}
	slog.Info("running a LiveKit worker", "demo", d.name, "url", *url, "agent", *agent)
	return w.Run(ctx)
}
