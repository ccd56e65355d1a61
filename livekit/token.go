package livekit

import (
	"errors"
	"time"

	"github.com/livekit/protocol/auth"
	lkp "github.com/livekit/protocol/livekit"
)

// TokenOptions shape a participant's token (Token).
type TokenOptions struct {
	// Name is the participant's display name.
	Name string
	// AgentName, when set, dispatches the workers registered under that
	// name (Options.AgentName) to the room when this participant's join
	// creates it. Workers with no AgentName are dispatched to every room
	// without it.
	AgentName string
	// TTL is how long the token admits its bearer; 0 means 10 minutes.
	// A participant already in the room stays after it expires.
	TTL time.Duration
}

// Token mints a LiveKit access token with which identity may join room,
// publish its camera and microphone, subscribe, and send data (the
// control messages on Topic), signed with a LiveKit server's key pair.
// Mint it on the server, for a participant the application has vetted.
func Token(apiKey, apiSecret, room, identity string, o TokenOptions) (string, error) {
	if apiKey == "" || apiSecret == "" || room == "" || identity == "" {
		return "", errors.New("livekit: Token needs a key, a secret, a room and an identity")
	}
	if o.TTL <= 0 {
		o.TTL = 10 * time.Minute
	}
	t := auth.NewAccessToken(apiKey, apiSecret).SetIdentity(identity).SetName(o.Name).SetValidFor(o.TTL).
		SetVideoGrant(&auth.VideoGrant{RoomJoin: true, Room: room})
	if o.AgentName != "" {
		t.SetRoomConfig(&lkp.RoomConfiguration{Agents: []*lkp.RoomAgentDispatch{{AgentName: o.AgentName}}})
	}
	return t.ToJWT()
}
