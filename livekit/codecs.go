package livekit

import (
	"strings"

	"github.com/pion/webrtc/v4"

	"github.com/rtcstream/rtcstream/codec"
)

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
