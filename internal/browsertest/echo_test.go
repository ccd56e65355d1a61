package browsertest

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/pion/ice/v4"
	"github.com/pion/interceptor"
	"github.com/pion/rtcp"
	"github.com/pion/webrtc/v4"
)

// echoServer is a minimal stand-in for the rtcstream server, enough to drive
// the element's whole protocol: it answers offers (with every candidate in
// the answer), checks tokens on trickled candidates and stop, and echoes the
// received VP8 RTP back unchanged. It is a test double, not the real server.
type echoServer struct {
	t   *testing.T
	api *webrtc.API

	mu         sync.Mutex
	sessions   []*echoSession
	candidates []map[string]any // trickled candidate bodies, in order
	badTokens  int              // candidate or stop requests with a wrong token
	stops      []map[string]any
}

type echoSession struct {
	id, token string
	pc        *webrtc.PeerConnection
	dc        chan *webrtc.DataChannel // the browser's data channel once open
}

func newEchoServer(t *testing.T) *echoServer {
	var se webrtc.SettingEngine
	se.SetIncludeLoopbackCandidate(true)
	se.SetICEMulticastDNSMode(ice.MulticastDNSModeDisabled) // no multicast
	se.SetNetworkTypes([]webrtc.NetworkType{webrtc.NetworkTypeUDP4})
	se.SetIPFilter(func(ip net.IP) bool { return ip.IsLoopback() })
	var me webrtc.MediaEngine
	if err := me.RegisterDefaultCodecs(); err != nil {
		t.Fatal(err)
	}
	// The default interceptors send receiver reports, NACKs and
	// transport-wide congestion feedback, as the real server does.
	var ir interceptor.Registry
	if err := webrtc.RegisterDefaultInterceptors(&me, &ir); err != nil {
		t.Fatal(err)
	}
	s := &echoServer{t: t, api: webrtc.NewAPI(webrtc.WithSettingEngine(se), webrtc.WithMediaEngine(&me), webrtc.WithInterceptorRegistry(&ir))}
	t.Cleanup(func() {
		s.mu.Lock()
		defer s.mu.Unlock()
		for _, sess := range s.sessions {
			sess.pc.Close()
		}
	})
	return s
}

// last returns the newest session.
func (s *echoServer) last() *echoSession {
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.sessions) == 0 {
		return nil
	}
	return s.sessions[len(s.sessions)-1]
}

// waitSession waits for the first session to be answered and returns it.
func (s *echoServer) waitSession(t *testing.T) *echoSession {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		if sess := s.last(); sess != nil {
			return sess
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatal("no session was answered")
	return nil
}

func (s *echoServer) find(id string) *echoSession {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, sess := range s.sessions {
		if sess.id == id {
			return sess
		}
	}
	return nil
}

// handleOffer serves POST /webrtc/offer for both offers and candidates.
func (s *echoServer) handleOffer(w http.ResponseWriter, body map[string]any) {
	id, _ := body["webrtc_id"].(string)
	switch body["type"] {
	case "offer":
		sess, answer, err := s.answer(id, body["sdp"].(string))
		if err != nil {
			writeError(w, http.StatusBadRequest, "invalid_sdp", err.Error())
			return
		}
		w.Header().Set("Content-Type", "application/json")
		json.NewEncoder(w).Encode(map[string]string{"sdp": answer, "type": "answer", "token": sess.token})
	case "ice-candidate":
		sess := s.find(id)
		token, _ := body["token"].(string)
		s.mu.Lock()
		s.candidates = append(s.candidates, body)
		if sess == nil || token != sess.token {
			s.badTokens++
		}
		s.mu.Unlock()
		if sess == nil || token != sess.token {
			writeError(w, http.StatusNotFound, "no_session", "unknown session or token")
			return
		}
		raw, _ := json.Marshal(body["candidate"])
		var c webrtc.ICECandidateInit
		if err := json.Unmarshal(raw, &c); err != nil {
			writeError(w, http.StatusBadRequest, "invalid_candidate", err.Error())
			return
		}
		if err := sess.pc.AddICECandidate(c); err != nil {
			writeError(w, http.StatusBadRequest, "invalid_candidate", err.Error())
			return
		}
		w.WriteHeader(http.StatusNoContent)
	default:
		writeError(w, http.StatusBadRequest, "invalid_type", "unknown type")
	}
}

// handleStop serves POST /webrtc/stop.
func (s *echoServer) handleStop(w http.ResponseWriter, body map[string]any) {
	id, _ := body["webrtc_id"].(string)
	token, _ := body["token"].(string)
	sess := s.find(id)
	s.mu.Lock()
	s.stops = append(s.stops, body)
	if sess == nil || token != sess.token {
		s.badTokens++
	}
	s.mu.Unlock()
	if sess == nil || token != sess.token {
		writeError(w, http.StatusNotFound, "no_session", "unknown session or token")
		return
	}
	sess.pc.Close()
	w.WriteHeader(http.StatusNoContent)
}

func (s *echoServer) answer(id, offer string) (*echoSession, string, error) {
	pc, err := s.api.NewPeerConnection(webrtc.Configuration{})
	if err != nil {
		return nil, "", err
	}
	sess := &echoSession{id: id, token: newToken(), pc: pc, dc: make(chan *webrtc.DataChannel, 1)}
	out, err := webrtc.NewTrackLocalStaticRTP(webrtc.RTPCodecCapability{MimeType: webrtc.MimeTypeVP8}, "video", "echo")
	if err != nil {
		pc.Close()
		return nil, "", err
	}
	sender, err := pc.AddTrack(out)
	if err != nil {
		pc.Close()
		return nil, "", err
	}
	go func() { // keep reading RTCP, or the sender stalls
		for {
			if _, _, err := sender.ReadRTCP(); err != nil {
				return
			}
		}
	}()
	pc.OnTrack(func(remote *webrtc.TrackRemote, _ *webrtc.RTPReceiver) {
		go func() { // ask for a keyframe now and then, as a server would
			for range 20 {
				if pc.WriteRTCP([]rtcp.Packet{&rtcp.PictureLossIndication{MediaSSRC: uint32(remote.SSRC())}}) != nil {
					return
				}
				time.Sleep(500 * time.Millisecond)
			}
		}()
		buf := make([]byte, 1500)
		for {
			n, _, err := remote.Read(buf)
			if err != nil {
				return
			}
			if _, err := out.Write(buf[:n]); err != nil && !errors.Is(err, io.ErrClosedPipe) {
				return
			}
		}
	})
	pc.OnDataChannel(func(dc *webrtc.DataChannel) {
		dc.OnOpen(func() { sess.dc <- dc })
	})
	if err := pc.SetRemoteDescription(webrtc.SessionDescription{Type: webrtc.SDPTypeOffer, SDP: offer}); err != nil {
		pc.Close()
		return nil, "", err
	}
	ans, err := pc.CreateAnswer(nil)
	if err != nil {
		pc.Close()
		return nil, "", err
	}
	gathered := webrtc.GatheringCompletePromise(pc)
	if err := pc.SetLocalDescription(ans); err != nil {
		pc.Close()
		return nil, "", err
	}
	<-gathered // the protocol has no server-to-browser trickle
	s.mu.Lock()
	s.sessions = append(s.sessions, sess)
	s.mu.Unlock()
	return sess, pc.LocalDescription().SDP, nil
}

// channel waits for the browser's data channel to open and returns it.
func (sess *echoSession) channel(t *testing.T) *webrtc.DataChannel {
	t.Helper()
	select {
	case dc := <-sess.dc:
		sess.dc <- dc
		return dc
	case <-time.After(10 * time.Second):
		t.Fatal("the data channel did not open")
		return nil
	}
}

// send sends a JSON message on the session's data channel once it is open.
func (sess *echoSession) send(t *testing.T, msg map[string]any) {
	t.Helper()
	dc := sess.channel(t)
	b, _ := json.Marshal(msg)
	if err := dc.SendText(string(b)); err != nil {
		t.Fatal(err)
	}
}

var testTokens atomic.Int64

// newToken makes distinct session tokens.
func newToken() string {
	return fmt.Sprintf("token-%d", testTokens.Add(1))
}
