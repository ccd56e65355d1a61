package rtcstream

import "github.com/pion/webrtc/v4"

// pion converts the configuration for the server's peer connections.
func (c *RTCConfiguration) pion() webrtc.Configuration {
	var pc webrtc.Configuration
	if c == nil {
		return pc
	}
	for _, s := range c.ICEServers {
		pc.ICEServers = append(pc.ICEServers, webrtc.ICEServer{
			URLs: s.URLs, Username: s.Username, Credential: s.Credential,
		})
	}
	if c.ICETransportPolicy == "relay" {
		pc.ICETransportPolicy = webrtc.ICETransportPolicyRelay
	}
	return pc
}
