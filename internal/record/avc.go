package record

import (
	"encoding/binary"
	"errors"

	"github.com/rtcstream/rtcstream/internal/pipeline"
)

// Matroska holds H.264 as MPEG-4 part 15 ("AVC") samples: each NAL unit
// behind its length instead of a start code, and the parameter sets of
// the first keyframe in the track's CodecPrivate, an
// AVCDecoderConfigurationRecord (ISO/IEC 14496-15 5.3.3.1). Later
// parameter sets stay in the samples too, so a size change mid-stream
// plays.

const (
	nalSPS = 7
	nalPPS = 8
)

// avcConfig returns the AVCDecoderConfigurationRecord of a keyframe's
// first sequence and picture parameter sets.
func avcConfig(au []byte) ([]byte, error) {
	var sps, pps []byte
	for nal := range pipeline.NALUnits(au) {
		switch {
		case len(nal) == 0:
		case nal[0]&0x1f == nalSPS && sps == nil:
			sps = nal
		case nal[0]&0x1f == nalPPS && pps == nil:
			pps = nal
		}
	}
	if len(sps) < 4 || len(pps) == 0 {
		return nil, errors.New("record: an H.264 keyframe without its parameter sets")
	}
	if len(sps) > 0xffff || len(pps) > 0xffff {
		return nil, errors.New("record: an H.264 parameter set over 64 KiB")
	}
	c := []byte{
		1,                      // configurationVersion
		sps[1], sps[2], sps[3], // profile, its constraint flags, level
		0xfc | 3, // lengthSizeMinusOne: 4-byte lengths
		0xe0 | 1, // one SPS
	}
	c = binary.BigEndian.AppendUint16(c, uint16(len(sps)))
	c = append(c, sps...)
	c = append(c, 1) // one PPS
	c = binary.BigEndian.AppendUint16(c, uint16(len(pps)))
	return append(c, pps...), nil
}

// appendAVC appends an Annex B access unit to dst as an AVC sample: each
// NAL unit behind its 4-byte length.
func appendAVC(dst, au []byte) []byte {
	for nal := range pipeline.NALUnits(au) {
		if len(nal) == 0 {
			continue
		}
		dst = binary.BigEndian.AppendUint32(dst, uint32(len(nal)))
		dst = append(dst, nal...)
	}
	return dst
}
