package h264

import (
	"errors"
	"image"
)

// An H.264 keyframe (an IDR access unit: Annex B) carries its sequence
// parameter set, which declares the picture's size in macroblocks and a
// cropping rectangle (ITU-T H.264 7.3.2.1.1). The set is read here, in Go
// and without cgo, so that a stranger's picture is weighed before a
// decoder allocates for it.

var (
	errSPSShort    = errors.New("h264: sequence parameter set truncated")
	errSPSSize     = errors.New("h264: sequence parameter set declares an impossible size")
	errSPSExpGolob = errors.New("h264: sequence parameter set holds an over-long exp-Golomb code")
)

// ErrNoSPS is SPSSize's error for an access unit without a sequence
// parameter set.
var ErrNoSPS = errors.New("h264: no sequence parameter set")

// SPSSize returns the size of the pictures the first sequence parameter
// set in au (Annex B NAL units) declares, after cropping. It fails with
// ErrNoSPS when au holds no parameter set, and otherwise when the set
// cannot be read to its size or declares one over 65536 pixels a side.
func SPSSize(au []byte) (image.Point, error) {
	for i := 0; i+3 < len(au); i++ {
		if au[i] == 0 && au[i+1] == 0 && au[i+2] == 1 {
			if au[i+3]&0x1f == 7 {
				return spsSize(unescapeRBSP(au[i+4:]))
			}
			i += 2
		}
	}
	return image.Point{}, ErrNoSPS
}

// unescapeRBSP drops the emulation prevention bytes (the 3 of 00 00 03)
// from a NAL unit's payload, up to the size fields' reach: a parameter set
// is a few dozen bytes.
func unescapeRBSP(b []byte) []byte {
	b = b[:min(len(b), 256)]
	out := make([]byte, 0, len(b))
	zeros := 0
	for _, c := range b {
		if zeros >= 2 && c == 3 {
			zeros = 0
			continue
		}
		if c == 0 {
			zeros++
		} else {
			zeros = 0
		}
		out = append(out, c)
	}
	return out
}

// spsSize reads a sequence parameter set's RBSP as far as its cropping.
func spsSize(b []byte) (image.Point, error) {
	r := bitReader{b: b}
	profile := r.bits(8)
	r.bits(16) // constraint flags, level_idc
	r.ue()     // seq_parameter_set_id
	chroma, separate := uint32(1), false
	switch profile {
	case 100, 110, 122, 244, 44, 83, 86, 118, 128, 138, 139, 134, 135:
		if chroma = r.ue(); chroma == 3 {
			separate = r.bits(1) == 1
		}
		r.ue()              // bit_depth_luma_minus8
		r.ue()              // bit_depth_chroma_minus8
		r.bits(1)           // qpprime_y_zero_transform_bypass_flag
		if r.bits(1) == 1 { // seq_scaling_matrix_present_flag
			lists := 8
			if chroma == 3 {
				lists = 12
			}
			for i := range lists {
				if r.bits(1) == 1 { // 4x4 lists, then 8x8
					size := 64
					if i < 6 {
						size = 16
					}
					r.skipScalingList(size)
				}
			}
		}
	}
	r.ue()          // log2_max_frame_num_minus4
	switch r.ue() { // pic_order_cnt_type
	case 0:
		r.ue() // log2_max_pic_order_cnt_lsb_minus4
	case 1:
		r.bits(1) // delta_pic_order_always_zero_flag
		r.ue()    // offset_for_non_ref_pic
		r.ue()    // offset_for_top_to_bottom_field
		n := r.ue()
		if n > 255 {
			return image.Point{}, errSPSSize
		}
		for range n {
			r.ue() // offset_for_ref_frame
		}
	}
	r.ue()    // max_num_ref_frames
	r.bits(1) // gaps_in_frame_num_value_allowed_flag
	wMbs, hMaps := r.ue()+1, r.ue()+1
	frameMbsOnly := r.bits(1)
	if frameMbsOnly == 0 {
		r.bits(1) // mb_adaptive_frame_field_flag
	}
	r.bits(1) // direct_8x8_inference_flag
	var crop [4]uint32
	if r.bits(1) == 1 {
		for i := range crop {
			crop[i] = r.ue()
		}
	}
	if r.err != nil {
		return image.Point{}, r.err
	}
	// The cropping's units (Table 6-1 and equations 7-19 to 7-22).
	unitX, unitY := uint64(1), uint64(2-frameMbsOnly)
	if !separate && chroma != 0 {
		if chroma < 3 {
			unitX = 2
		}
		if chroma == 1 {
			unitY *= 2
		}
	}
	if wMbs > 1<<12 || hMaps > 1<<12 {
		return image.Point{}, errSPSSize
	}
	w := uint64(wMbs) * 16
	h := uint64(hMaps) * 16 * uint64(2-frameMbsOnly)
	cw, ch := unitX*(uint64(crop[0])+uint64(crop[1])), unitY*(uint64(crop[2])+uint64(crop[3]))
	if cw >= w || ch >= h {
		return image.Point{}, errSPSSize
	}
	return image.Pt(int(w-cw), int(h-ch)), nil
}

// bitReader reads an RBSP's fields; past the end, or on an exp-Golomb code
// of over 31 leading zeros, it records err and reads zeros.
type bitReader struct {
	b   []byte
	pos int // in bits
	err error
}

func (r *bitReader) bits(n int) uint32 {
	var v uint32
	for range n {
		if r.pos >= 8*len(r.b) {
			if r.err == nil {
				r.err = errSPSShort
			}
			return 0
		}
		v = v<<1 | uint32(r.b[r.pos/8]>>(7-r.pos%8)&1)
		r.pos++
	}
	return v
}

// ue reads an unsigned exp-Golomb code (9.1); se codes are read as ue
// where only their length matters.
func (r *bitReader) ue() uint32 {
	zeros := 0
	for r.bits(1) == 0 {
		if r.err != nil {
			return 0
		}
		if zeros++; zeros > 31 {
			r.err = errSPSExpGolob
			return 0
		}
	}
	return 1<<zeros - 1 + r.bits(zeros)
}

// skipScalingList reads past a scaling_list of size entries (7.3.2.1.1.1).
func (r *bitReader) skipScalingList(size int) {
	last, next := int32(8), int32(8)
	for range size {
		if next != 0 {
			u := r.ue()
			delta := int32((u + 1) / 2) // se(v) from its code number
			if u%2 == 0 {
				delta = -delta
			}
			next = (last + delta + 256) % 256
		}
		if next != 0 {
			last = next
		}
		if r.err != nil {
			return
		}
	}
}
