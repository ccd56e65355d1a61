package livekit

import (
	"strings"

	"github.com/pion/webrtc/v4"

	"github.com/rtcstream/rtcstream/codec"
)

// h264Fmtp is the H.264 a track is published in: constrained baseline,
// non-interleaved packetization (RFC 6184), what browsers send and every
// one decodes.
const h264Fmtp = "level-asymmetry-allowed=1;packetization-mode=1;profile-level-id=42e01f"

// trackCodec is the capability a video track of vc is published with.
func trackCodec(vc codec.VideoCodec) webrtc.RTPCodecCapability {
	if vc == codec.H264 {
		return webrtc.RTPCodecCapability{MimeType: webrtc.MimeTypeH264, ClockRate: 90000, SDPFmtpLine: h264Fmtp}
	}
	return webrtc.RTPCodecCapability{MimeType: webrtc.MimeTypeVP8, ClockRate: 90000}
}

// wireCodec names a video track's codec by its MIME type: H264, or VP8
// for anything else (processed only when it is VP8; see decodes).
func wireCodec(mime string) codec.VideoCodec {
	if strings.EqualFold(mime, webrtc.MimeTypeH264) {
		return codec.H264
	}
	return codec.VP8
}

// decodes reports whether the worker processes a subscribed track of
// kind in mime: VP8 or H.264 video, Opus audio.
func decodes(kind webrtc.RTPCodecType, mime string) bool {
	switch kind {
	case webrtc.RTPCodecTypeVideo:
		return strings.EqualFold(mime, webrtc.MimeTypeVP8) || strings.EqualFold(mime, webrtc.MimeTypeH264)
	case webrtc.RTPCodecTypeAudio:
		return strings.EqualFold(mime, webrtc.MimeTypeOpus)
	}
	return false
}
