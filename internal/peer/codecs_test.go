package peer

import (
	"strings"
	"testing"

	"github.com/rtcstream/rtcstream/codec"
)

// videoOffer is an offer whose one video section carries the rtpmap and
// fmtp lines given (as Chromium writes them).
func videoOffer(lines ...string) string {
	pts := []string{}
	for _, l := range lines {
		if pt, _, ok := strings.Cut(strings.TrimPrefix(l, "a=rtpmap:"), " "); ok && strings.HasPrefix(l, "a=rtpmap:") {
			pts = append(pts, pt)
		}
	}
	return "v=0\r\no=- 1 2 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\n" +
		"m=video 9 UDP/TLS/RTP/SAVPF " + strings.Join(pts, " ") + "\r\nc=IN IP4 0.0.0.0\r\n" +
		"a=mid:0\r\na=sendrecv\r\n" + strings.Join(lines, "\r\n") + "\r\n"
}

func TestCheckOfferPicksTheVideoCodec(t *testing.T) {
	vp8 := "a=rtpmap:96 VP8/90000"
	h264 := []string{"a=rtpmap:102 H264/90000", "a=fmtp:102 level-asymmetry-allowed=1;packetization-mode=1;profile-level-id=42e01f"}
	h264Baseline := []string{"a=rtpmap:104 h264/90000", "a=fmtp:104 packetization-mode=1;profile-level-id=42001F"}
	h264Mode0 := []string{"a=rtpmap:106 H264/90000", "a=fmtp:106 packetization-mode=0;profile-level-id=42e01f"}
	h264High := []string{"a=rtpmap:108 H264/90000", "a=fmtp:108 packetization-mode=1;profile-level-id=64001f"}
	both := append([]string{vp8}, h264...)
	for _, c := range []struct {
		name   string
		offer  []string
		prefer []codec.VideoCodec
		want   codec.VideoCodec // "" : ErrNoVideoCodec
	}{
		{"default prefers VP8", both, nil, codec.VP8},
		{"H.264 first", both, []codec.VideoCodec{codec.H264, codec.VP8}, codec.H264},
		{"H.264 only, offered", both, []codec.VideoCodec{codec.H264}, codec.H264},
		{"VP8 only, not offered", h264, []codec.VideoCodec{codec.VP8}, ""},
		{"baseline profile", h264Baseline, nil, codec.H264},
		{"packetization mode 0 only", h264Mode0, nil, ""},
		{"high profile only", h264High, nil, ""},
		{"VP8 at another clock", []string{"a=rtpmap:96 VP8/48000"}, nil, ""},
	} {
		t.Run(c.name, func(t *testing.T) {
			got, err := CheckOffer(videoOffer(c.offer...), true, false, c.prefer)
			if c.want == "" {
				if err != ErrNoVideoCodec {
					t.Errorf("CheckOffer = %q, %v; want %v", got, err, ErrNoVideoCodec)
				}
				return
			}
			if err != nil || got != c.want {
				t.Errorf("CheckOffer = %q, %v; want %q", got, err, c.want)
			}
		})
	}
}
