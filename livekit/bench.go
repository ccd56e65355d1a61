package livekit

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"

	"github.com/rtcstream/rtcstream/bench"
	"github.com/rtcstream/rtcstream/client"
)

// BenchOptions configure BenchDialer.
type BenchOptions struct {
	// URL, APIKey and APISecret are the LiveKit server's, as for a
	// Worker; the key pair mints the streams' tokens.
	URL, APIKey, APISecret string
	// AgentName is dispatched to every stream's room (explicit dispatch);
	// empty leaves the rooms to workers registered without a name.
	AgentName string
	// RoomPrefix names the rooms: stream i joins RoomPrefix-i as
	// identity "bench-i". Empty: "rtcstream-bench-" and a random suffix.
	RoomPrefix string
}

// BenchDialer returns a bench.Options.Dial that runs each stream as a
// participant of a room of its own on a LiveKit server, its camera
// processed by rtcstream workers: `rtcstream bench -livekit` measures
// through the SFU what it measures against a Stream directly. The SFU
// rewrites RTP timestamps, so latency comes from the probe streams'
// pixel counter only. A stream counts as connected once it is in its room;
// the frames it sends before a worker joins (about 0.5-1 s, see its first
// frame) count as lost: measure capacity with steps of 30 s or more.
func BenchDialer(o BenchOptions) func(ctx context.Context, i int, co *client.Options) (bench.Conn, error) {
	if o.RoomPrefix == "" {
		b := make([]byte, 4)
		_, _ = rand.Read(b)
		o.RoomPrefix = "rtcstream-bench-" + hex.EncodeToString(b)
	}
	return func(ctx context.Context, i int, co *client.Options) (bench.Conn, error) {
		identity := fmt.Sprintf("bench-%d", i)
		tok, err := Token(o.APIKey, o.APISecret, fmt.Sprintf("%s-%d", o.RoomPrefix, i), identity, TokenOptions{AgentName: o.AgentName})
		if err != nil {
			return nil, err
		}
		p, err := Join(ctx, o.URL, tok, &ParticipantOptions{
			SkipDecode: co.SkipDecode, FrameBuffer: co.FrameBuffer, OnFrame: co.OnFrame, OnKeyFrameRequest: co.OnKeyFrameRequest,
			VideoCodec: co.VideoCodec,
		})
		if err != nil {
			return nil, err
		}
		return p, nil
	}
}
