package peer

import (
	"errors"
	"strings"
	"testing"

	"github.com/pion/sdp/v3"

	"github.com/rtcstream/rtcstream/codec"
)

// fuzzOffer is a browser's offer for camera, microphone and the control
// channel (trimmed), the seed the fuzzer mutates.
const fuzzOffer = "v=0\r\no=- 4611731400430051336 2 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\n" +
	"a=group:BUNDLE 0 1 2\r\na=msid-semantic: WMS\r\n" +
	"m=video 9 UDP/TLS/RTP/SAVPF 96 97\r\nc=IN IP4 0.0.0.0\r\na=rtcp:9 IN IP4 0.0.0.0\r\n" +
	"a=ice-ufrag:Gx3k\r\na=ice-pwd:9aVhZ1qg5XK0H0B5a5hI6yGv\r\n" +
	"a=fingerprint:sha-256 6B:8B:5D:EA:59:04:20:23:29:C8:87:1C:CC:87:32:BE:DD:8C:66:A5:8E:50:55:EA:4C:A7:E8:8B:5F:30:67:A5\r\n" +
	"a=setup:actpass\r\na=mid:0\r\na=sendrecv\r\na=rtcp-mux\r\n" +
	"a=rtpmap:96 VP8/90000\r\na=rtcp-fb:96 nack pli\r\na=rtpmap:97 rtx/90000\r\na=fmtp:97 apt=96\r\n" +
	"m=audio 9 UDP/TLS/RTP/SAVPF 111\r\nc=IN IP4 0.0.0.0\r\na=mid:1\r\na=sendrecv\r\na=rtpmap:111 opus/48000/2\r\n" +
	"m=application 9 UDP/DTLS/SCTP webrtc-datachannel\r\nc=IN IP4 0.0.0.0\r\na=mid:2\r\na=sctp-port:5000\r\n"

// offerErrors are the errors CheckOffer may return, each wrapped or as is.
var offerErrors = []error{ErrInvalidSDP, ErrNoVideo, ErrNoVideoCodec, ErrNoAudio, ErrNoAudioCodec}

// hasCodec reports whether sd has a media section of kind whose rtpmap
// names codec (case aside).
func hasCodec(sd *sdp.SessionDescription, kind, codec string) bool {
	for _, md := range sd.MediaDescriptions {
		if md.MediaName.Media != kind {
			continue
		}
		for _, a := range md.Attributes {
			if a.Key == "rtpmap" && strings.Contains(strings.ToUpper(a.Value), codec) {
				return true
			}
		}
	}
	return false
}

// FuzzCheckOffer checks any text as an offer, needing video, audio, both
// or neither. Invariants: no panic; a refusal is one of the five errors
// and ErrInvalidSDP exactly when pion's SDP parser refuses the text; an
// accepted offer parses and has a VP8 video section when video is needed
// and an Opus audio section when audio is; with nothing needed, every
// offer that parses is accepted.
func FuzzCheckOffer(f *testing.F) {
	for _, seed := range []string{
		fuzzOffer,
		strings.Replace(fuzzOffer, "VP8/90000", "H264/90000", 1),
		strings.Replace(fuzzOffer, "opus/48000/2", "PCMU/8000", 1),
		strings.Replace(fuzzOffer, "m=video", "m=text", 1),
		"v=0\r\n",
		"v=0\r\no=- 1 2 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\nm=video 9 UDP/TLS/RTP/SAVPF 96\r\na=rtpmap:96 vp8/90000\r\n",
		"v=0\r\no=- 1 2 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\nm=video 9 UDP/TLS/RTP/SAVPF 96\r\nm=video 9 UDP/TLS/RTP/SAVPF 96\r\na=rtpmap:96 VP8/90000\r\n",
		"v=0\r\no=- 1 2 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\nm=audio 9 RTP 111\r\na=rtpmap:111 OPUS/48000\r\n",
		"", "\x00", "v=1\r\n", "m=video 9 x 96\r\n",
	} {
		for needs := range uint8(4) {
			f.Add(seed, needs)
		}
	}
	f.Fuzz(func(t *testing.T, offer string, needs uint8) {
		needVideo, needAudio := needs&1 != 0, needs&2 != 0
		vc, err := CheckOffer(offer, needVideo, needAudio, nil)
		var sd sdp.SessionDescription
		parseErr := sd.UnmarshalString(offer)
		if err != nil {
			known := false
			for _, e := range offerErrors {
				known = known || errors.Is(err, e)
			}
			switch {
			case !known:
				t.Fatalf("CheckOffer(%q) = %v, not one of its errors", offer, err)
			case errors.Is(err, ErrInvalidSDP) != (parseErr != nil):
				t.Fatalf("CheckOffer(%q) = %v, but the parser says %v", offer, err, parseErr)
			case !needVideo && !needAudio && parseErr == nil:
				t.Fatalf("CheckOffer(%q) needing nothing = %v", offer, err)
			}
			return
		}
		switch {
		case parseErr != nil:
			t.Fatalf("CheckOffer(%q) accepted what the parser refuses: %v", offer, parseErr)
		case needVideo && !hasCodec(&sd, "video", " "+string(vc)+"/90000"):
			t.Fatalf("CheckOffer(%q) chose %q, which the offer's video section does not carry", offer, vc)
		case needVideo && vc != codec.VP8 && hasCodec(&sd, "video", " VP8/90000"):
			t.Fatalf("CheckOffer(%q) chose %q over the VP8 the offer carries", offer, vc)
		case needAudio && !hasCodec(&sd, "audio", " OPUS/48000"):
			t.Fatalf("CheckOffer(%q) accepted an offer without Opus audio", offer)
		}
	})
}
