// Package h264 is an H.264 (constrained baseline) encoder and decoder
// through Cisco's OpenH264 (BSD-licensed; Debian's libopenh264-dev), behind
// the interfaces of package codec: a thin cgo wrapper, one thread, tuned
// for real-time camera video (OpenH264's CAMERA_VIDEO_REAL_TIME), the
// bitstream in Annex B form (start codes before each NAL unit).
//
// H.264's 4:2:0 pictures have even sides: a frame of odd width or height
// is encoded with its last column or row repeated, and decodes one pixel
// larger.
//
// Without cgo the constructors return an error wrapping
// codec.ErrUnavailable.
//
// About patents: H.264 is covered by patents that MPEG LA licenses. Cisco
// pays the royalties for the OpenH264 binaries it distributes itself; a
// library built from source, as Debian's is, is not covered by that
// arrangement. Whether that matters for you depends on where and how you
// ship; VP8 (codec/vpx) is royalty-free.
package h264
