package source

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"image"
	"time"

	"github.com/at-wat/ebml-go"
	"github.com/at-wat/ebml-go/webm"
)

// packet is one encoded frame of a track and its presentation time.
type packet struct {
	data []byte
	pts  time.Duration
}

// track is a file's video (VP8) or audio (Opus) packets, in order.
type track struct {
	packets []packet
	size    image.Point // video's
	// end is the time after the last packet: a loop starts again there.
	end time.Duration
}

var errNoTrack = errors.New("no VP8 video or Opus audio in the file")

// readIVF reads an IVF file of VP8 (32-byte header, 12-byte frame
// headers).
func readIVF(b []byte) (*track, error) {
	if len(b) < 32 || string(b[:4]) != "DKIF" {
		return nil, errors.New("not an IVF file")
	}
	if fourcc := string(b[8:12]); fourcc != "VP80" {
		return nil, fmt.Errorf("IVF of %q: only VP8 (VP80) plays", fourcc)
	}
	hdr := int(binary.LittleEndian.Uint16(b[6:]))
	den, num := binary.LittleEndian.Uint32(b[16:]), binary.LittleEndian.Uint32(b[20:])
	if den == 0 || num == 0 || hdr < 32 || hdr > len(b) {
		return nil, errors.New("IVF header: bad time base or size")
	}
	t := &track{size: image.Pt(int(binary.LittleEndian.Uint16(b[12:])), int(binary.LittleEndian.Uint16(b[14:])))}
	for rest := b[hdr:]; len(rest) >= 12; {
		n := int(binary.LittleEndian.Uint32(rest))
		pts := binary.LittleEndian.Uint64(rest[4:])
		if n > len(rest)-12 {
			return nil, errors.New("IVF frame runs past the end of the file")
		}
		t.packets = append(t.packets, packet{data: rest[12 : 12+n], pts: time.Duration(pts) * time.Second * time.Duration(num) / time.Duration(den)})
		rest = rest[12+n:]
	}
	if len(t.packets) == 0 {
		return nil, errNoTrack
	}
	t.finish(time.Second / 30)
	return t, nil
}

// finish sets end: the last packet's time and one more step.
func (t *track) finish(step time.Duration) {
	last := t.packets[len(t.packets)-1].pts
	if n := len(t.packets); n > 1 {
		step = (last - t.packets[0].pts) / time.Duration(n-1)
	}
	t.end = last + step
}

// readWebM reads a WebM (Matroska) file's first VP8 track and first Opus
// track; either may be nil.
func readWebM(b []byte) (video, audio *track, err error) {
	defer func() {
		if r := recover(); r != nil { // the EBML parser on a hostile file
			video, audio, err = nil, nil, fmt.Errorf("a malformed WebM file: %v", r)
		}
	}()
	var f struct {
		Header  webm.EBMLHeader `ebml:"EBML"`
		Segment webm.Segment    `ebml:"Segment"`
	}
	if err := ebml.Unmarshal(bytes.NewReader(b), &f); err != nil && len(f.Segment.Cluster) == 0 {
		return nil, nil, fmt.Errorf("not a WebM file: %w", err)
	}
	scale := time.Duration(f.Segment.Info.TimecodeScale)
	if scale == 0 {
		scale = time.Millisecond
	}
	var vNum, aNum uint64
	for _, te := range f.Segment.Tracks.TrackEntry {
		switch {
		case te.CodecID == "V_VP8" && vNum == 0:
			vNum, video = te.TrackNumber, &track{}
			if te.Video != nil {
				video.size = image.Pt(int(te.Video.PixelWidth), int(te.Video.PixelHeight))
			}
		case te.CodecID == "A_OPUS" && aNum == 0:
			aNum, audio = te.TrackNumber, &track{}
		}
	}
	if video == nil && audio == nil {
		return nil, nil, errNoTrack
	}
	add := func(cluster uint64, blk ebml.Block) {
		pts := time.Duration(int64(cluster)+int64(blk.Timecode)) * scale
		for _, d := range blk.Data {
			switch {
			case blk.TrackNumber == vNum && video != nil:
				video.packets = append(video.packets, packet{data: d, pts: pts})
			case blk.TrackNumber == aNum && audio != nil:
				audio.packets = append(audio.packets, packet{data: d, pts: pts})
				pts += 20 * time.Millisecond // laced Opus: WebRTC's 20 ms frames
			}
		}
	}
	for _, c := range f.Segment.Cluster {
		for _, blk := range c.SimpleBlock {
			add(c.Timecode, blk)
		}
		for _, g := range c.BlockGroup {
			add(c.Timecode, g.Block)
		}
	}
	if video != nil && len(video.packets) == 0 {
		video = nil
	}
	if audio != nil && len(audio.packets) == 0 {
		audio = nil
	}
	if video == nil && audio == nil {
		return nil, nil, errNoTrack
	}
	if video != nil {
		video.finish(time.Second / 30)
	}
	if audio != nil {
		audio.finish(20 * time.Millisecond)
	}
	return video, audio, nil
}

// readOgg reads an Ogg Opus file (RFC 7845): its pages' packets, after
// the OpusHead and OpusTags headers; the packets' times follow from their
// durations (Opus's TOC byte).
func readOgg(b []byte) (*track, error) {
	var packets [][]byte
	var cur []byte
	for len(b) > 0 {
		if len(b) < 27 || string(b[:4]) != "OggS" {
			return nil, errors.New("not an Ogg file (or a damaged page)")
		}
		nseg := int(b[26])
		if len(b) < 27+nseg {
			return nil, errors.New("Ogg page runs past the end of the file")
		}
		lacing := b[27 : 27+nseg]
		body := b[27+nseg:]
		for _, l := range lacing {
			if int(l) > len(body) {
				return nil, errors.New("Ogg page runs past the end of the file")
			}
			cur = append(cur, body[:l]...)
			body = body[l:]
			if l < 255 {
				packets = append(packets, cur)
				cur = nil
			}
		}
		b = body
	}
	if len(packets) < 2 || !bytes.HasPrefix(packets[0], []byte("OpusHead")) {
		return nil, errors.New("an Ogg file without Opus (no OpusHead)")
	}
	t := &track{}
	var at time.Duration
	for _, p := range packets[2:] {
		if len(p) == 0 {
			continue
		}
		t.packets = append(t.packets, packet{data: p, pts: at})
		at += opusDuration(p)
	}
	if len(t.packets) == 0 {
		return nil, errNoTrack
	}
	t.end = at
	return t, nil
}

// opusDuration is the audio an Opus packet holds, from its TOC byte (RFC
// 6716, 3.1); 20 ms for what it cannot tell.
func opusDuration(p []byte) time.Duration {
	if len(p) == 0 {
		return 20 * time.Millisecond
	}
	toc := p[0]
	config := toc >> 3
	var frame time.Duration
	switch {
	case config < 12: // SILK: 10, 20, 40, 60 ms
		frame = []time.Duration{10, 20, 40, 60}[config%4] * time.Millisecond
	case config < 16: // hybrid: 10, 20 ms
		frame = []time.Duration{10, 20}[config%2] * time.Millisecond
	default: // CELT: 2.5, 5, 10, 20 ms
		frame = []time.Duration{2500, 5000, 10000, 20000}[config%4] * time.Microsecond
	}
	switch toc & 3 {
	case 0:
		return frame
	case 1, 2:
		return 2 * frame
	}
	if len(p) < 2 {
		return 20 * time.Millisecond
	}
	return time.Duration(p[1]&0x3f) * frame
}
