package client

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"

	"github.com/pion/webrtc/v4"
)

// serverConfig is the server's RTC configuration for one connection, as
// its page gets it (GET webrtc/config): ICE servers, with fresh TURN
// credentials when the server hands them out, and the transport policy. A
// server that refuses the request (4xx: no such route) gives none; a
// server error (5xx: its TURN provider failed) is an error.
type serverConfig struct {
	ICEServers []webrtc.ICEServer
	RelayOnly  bool
}

func fetchConfig(ctx context.Context, hc *http.Client, base string) (serverConfig, error) {
	var sc serverConfig
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, base+"config", nil)
	if err != nil {
		return sc, err
	}
	resp, err := hc.Do(req)
	if err != nil {
		return sc, err
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return sc, err
	}
	switch {
	case resp.StatusCode >= 400 && resp.StatusCode < 500:
		// No such route (fastrtc has none; some servers answer 400), or
		// one the offer will be refused for too, with its own error.
		return sc, nil
	case resp.StatusCode != http.StatusOK:
		e := &Error{Status: resp.StatusCode, Message: string(data)}
		var body struct{ Error, Message string }
		if json.Unmarshal(data, &body) == nil {
			e.Code, e.Message = body.Error, body.Message
		}
		return sc, e
	}
	var reply struct {
		RTC struct {
			ICEServers []struct {
				URLs       []string `json:"urls"`
				Username   string   `json:"username"`
				Credential string   `json:"credential"`
			} `json:"iceServers"`
			ICETransportPolicy string `json:"iceTransportPolicy"`
		} `json:"rtc_configuration"`
	}
	if err := json.Unmarshal(data, &reply); err != nil {
		return sc, fmt.Errorf("the server's RTC configuration: %w", err)
	}
	for _, s := range reply.RTC.ICEServers {
		sc.ICEServers = append(sc.ICEServers, webrtc.ICEServer{URLs: s.URLs, Username: s.Username, Credential: s.Credential})
	}
	sc.RelayOnly = reply.RTC.ICETransportPolicy == "relay"
	return sc, nil
}
