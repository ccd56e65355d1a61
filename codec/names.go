package codec

import "fmt"

// VideoCodec names a video codec by its SDP encoding name. The zero value
// stands for VP8 wherever a codec may be left unsaid.
type VideoCodec string

// The video codecs rtcstream carries: VP8 through libvpx (codec/vpx) and
// H.264 through OpenH264 (codec/h264), constrained baseline, RFC 6184
// packetization mode 1.
const (
	VP8  VideoCodec = "VP8"
	H264 VideoCodec = "H264"
)

// DefaultVideoCodecs returns the video codecs in rtcstream's default order
// of preference: VP8 (which every browser sends and decodes in software
// alike), then H.264.
func DefaultVideoCodecs() []VideoCodec { return []VideoCodec{VP8, H264} }

// Check returns an error for a name that is not one of the codecs above
// (the zero value passes: it means VP8).
func (c VideoCodec) Check() error {
	switch c {
	case "", VP8, H264:
		return nil
	}
	return fmt.Errorf("rtcstream/codec: unknown video codec %q (want %q or %q)", string(c), VP8, H264)
}

// OrVP8 returns c, or VP8 for the zero value.
func (c VideoCodec) OrVP8() VideoCodec {
	if c == "" {
		return VP8
	}
	return c
}
