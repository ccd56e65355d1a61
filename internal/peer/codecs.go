package peer

import (
	"strings"

	"github.com/pion/sdp/v3"
	"github.com/pion/webrtc/v4"

	"github.com/rtcstream/rtcstream/codec"
)

// H.264 is negotiated as OpenH264 makes it and every browser takes it:
// packetization-mode 1 (single NAL units, STAP-A, FU-A; RFC 6184) in the
// constrained baseline profile (profile-level-id 42e0xx), or as baseline
// (4200xx), whose decoders take constrained baseline streams. pion
// matches an offer's H.264 formats on those two bytes and the mode.
const (
	PayloadTypeH264         = 102 // constrained baseline
	PayloadTypeH264Baseline = 104
	h264Fmtp                = "level-asymmetry-allowed=1;packetization-mode=1;profile-level-id=42e01f"
	h264BaselineFmtp        = "level-asymmetry-allowed=1;packetization-mode=1;profile-level-id=42001f"
)

// videoCodecs are the video formats registered, each with its payload type.
var videoCodecs = []struct {
	codec codec.VideoCodec
	cap   webrtc.RTPCodecCapability
	pt    webrtc.PayloadType
}{
	{codec.VP8, webrtc.RTPCodecCapability{MimeType: webrtc.MimeTypeVP8, ClockRate: 90000, RTCPFeedback: videoFeedback}, PayloadTypeVP8},
	{codec.H264, webrtc.RTPCodecCapability{MimeType: webrtc.MimeTypeH264, ClockRate: 90000, SDPFmtpLine: h264Fmtp, RTCPFeedback: videoFeedback}, PayloadTypeH264},
	{codec.H264, webrtc.RTPCodecCapability{MimeType: webrtc.MimeTypeH264, ClockRate: 90000, SDPFmtpLine: h264BaselineFmtp, RTCPFeedback: videoFeedback}, PayloadTypeH264Baseline},
}

// VideoCapability is the capability of a track sending vc.
func VideoCapability(vc codec.VideoCodec) webrtc.RTPCodecCapability {
	for _, c := range videoCodecs {
		if c.codec == vc.OrVP8() {
			return c.cap
		}
	}
	return videoCodecs[0].cap
}

// registerVideo registers the video formats with m.
func registerVideo(m *webrtc.MediaEngine) error {
	for _, c := range videoCodecs {
		if err := m.RegisterCodec(webrtc.RTPCodecParameters{RTPCodecCapability: c.cap, PayloadType: c.pt}, webrtc.RTPCodecTypeVideo); err != nil {
			return err
		}
	}
	return nil
}

// offeredVideo returns the first of prefer that a video media section
// offers in a form this side takes, and whether there was one.
func offeredVideo(md *sdp.MediaDescription, prefer []codec.VideoCodec) (codec.VideoCodec, bool) {
	names := map[string]string{} // payload type -> encoding name, upper case
	fmtps := map[string]string{} // payload type -> format parameters
	for _, a := range md.Attributes {
		pt, rest, ok := strings.Cut(a.Value, " ")
		if !ok {
			continue
		}
		switch a.Key {
		case "rtpmap":
			if name, rate, _ := strings.Cut(rest, "/"); strings.HasPrefix(rate, "90000") {
				names[pt] = strings.ToUpper(name)
			}
		case "fmtp":
			fmtps[pt] = rest
		}
	}
	for _, vc := range prefer {
		for pt, name := range names {
			if name == string(vc) && (vc != codec.H264 || h264Takes(fmtps[pt])) {
				return vc, true
			}
		}
	}
	return "", false
}

// h264Takes reports whether an H.264 format's parameters are those
// registered: packetization-mode 1, constrained baseline or baseline.
func h264Takes(fmtp string) bool {
	var mode, profile string
	for p := range strings.SplitSeq(fmtp, ";") {
		k, v, _ := strings.Cut(strings.TrimSpace(p), "=")
		switch strings.ToLower(k) {
		case "packetization-mode":
			mode = v
		case "profile-level-id":
			profile = strings.ToLower(v)
		}
	}
	return mode == "1" && len(profile) == 6 && (profile[:4] == "42e0" || profile[:4] == "4200")
}

// preferVideo narrows each video transceiver's formats to vc's, so that
// the answer names only vc and the client sends what the server decodes.
// It is called between the offer and the answer.
func preferVideo(pc *webrtc.PeerConnection, vc codec.VideoCodec) error {
	for _, tr := range pc.GetTransceivers() {
		if tr.Kind() != webrtc.RTPCodecTypeVideo {
			continue
		}
		if err := PreferVideo(tr, vc); err != nil {
			return err
		}
	}
	return nil
}

// PreferVideo narrows a video transceiver's formats to vc's: an offer or
// answer made after names only those.
func PreferVideo(tr *webrtc.RTPTransceiver, vc codec.VideoCodec) error {
	var codecs []webrtc.RTPCodecParameters // the transceiver's, either way
	if r := tr.Receiver(); r != nil {
		codecs = r.GetParameters().Codecs
	} else if s := tr.Sender(); s != nil { // a send-only transceiver has no receiver
		codecs = s.GetParameters().Codecs
	}
	mime := VideoCapability(vc).MimeType
	var keep []webrtc.RTPCodecParameters
	for _, c := range codecs {
		if strings.EqualFold(c.MimeType, mime) {
			keep = append(keep, c)
		}
	}
	if len(keep) == 0 {
		return ErrNoVideoCodec
	}
	return tr.SetCodecPreferences(keep)
}
