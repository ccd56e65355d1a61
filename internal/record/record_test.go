package record_test

import (
	"math"
	"path/filepath"
	"runtime"
	"testing"
	"time"

	"github.com/pion/rtp"

	"github.com/rtcstream/rtcstream/codec"
	"github.com/rtcstream/rtcstream/codec/opus"
	"github.com/rtcstream/rtcstream/internal/pipeline"
	"github.com/rtcstream/rtcstream/internal/record"
	"github.com/rtcstream/rtcstream/internal/streamtest"
	"github.com/rtcstream/rtcstream/internal/videocodec"
)

// rtpSink collects a packetizer's packets, copied.
type rtpSink struct{ packets []*rtp.Packet }

func (s *rtpSink) WriteRTP(p *rtp.Packet) error {
	c := *p
	c.Payload = append([]byte(nil), p.Payload...)
	s.packets = append(s.packets, &c)
	return nil
}

// within reports whether got is within 2% of want.
func within(got, want float64) bool { return math.Abs(got-want) <= 0.02*want }

// Three seconds of 30 fps video and 50 packets a second of audio, a
// packet of frame 40 lost (the frames after it undecodable until the
// keyframe asked for at frame 45) and 5 audio packets lost, with each
// video codec: ffprobe reads the codec and Opus, every frame and packet
// written, both tracks 3 s long (a loss leaves a gap, it does not shift
// what follows), and ffmpeg decodes every frame to the picture sent.
func TestRecordFromPackets(t *testing.T) {
	for _, tc := range []struct {
		codec        codec.VideoCodec
		file, probed string
	}{{codec.VP8, "session.webm", "vp8"}, {codec.H264, "session.mkv", "h264"}} {
		t.Run(string(tc.codec), func(t *testing.T) { recordFromPackets(t, tc.codec, tc.file, tc.probed) })
	}
}

func recordFromPackets(t *testing.T, vc codec.VideoCodec, file, probed string) {
	path := filepath.Join(t.TempDir(), file)
	goroutines := runtime.NumGoroutine()
	rec, err := record.New(record.Options{Path: path, Video: true, Audio: true, VideoCodec: vc})
	if err != nil {
		t.Fatal(err)
	}
	enc, err := videocodec.NewEncoder(vc, videocodec.EncoderConfig{BitRate: 500_000})
	if err != nil {
		t.Fatal(err)
	}
	defer enc.Close()
	video := &rtpSink{}
	pack := pipeline.NewPacketizerFor(vc, video, 400) // several packets a frame
	var frameOf []int                                 // the frame of each packet
	for i := range 90 {
		if i == 45 {
			enc.RequestKeyFrame()
		}
		data, _, err := enc.Encode(nil, streamtest.Pattern(320, 240, i), time.Duration(i)*time.Second/30)
		if err != nil {
			t.Fatal(err)
		}
		before := len(video.packets)
		if err := pack.WriteFrame(data, uint32(i*3000)); err != nil {
			t.Fatal(err)
		}
		for range len(video.packets) - before {
			frameOf = append(frameOf, i)
		}
	}
	aenc, err := opus.NewEncoder(opus.EncoderConfig{SampleRate: 48000, Channels: 1})
	if err != nil {
		t.Fatal(err)
	}
	defer aenc.Close()
	start := time.Now()
	pcm := make([]int16, 960)
	vi := 0
	for k := range 150 { // 20 ms of audio; the video frames due by then
		at := start.Add(time.Duration(k) * 20 * time.Millisecond)
		for ; vi < len(video.packets) && frameOf[vi]*100 <= k*60; vi++ {
			if frameOf[vi] == 40 && (vi == 0 || frameOf[vi-1] != 40) {
				continue // the first packet of frame 40 is lost
			}
			rec.VideoRTP(video.packets[vi], at)
		}
		for j := range pcm {
			pcm[j] = int16(6000 * math.Sin(float64(k*960+j)*2*math.Pi*440/48000))
		}
		b, err := aenc.Encode(nil, pcm)
		if err != nil {
			t.Fatal(err)
		}
		if k >= 70 && k < 75 {
			continue // lost
		}
		rec.AudioRTP(&rtp.Packet{Header: rtp.Header{SequenceNumber: uint16(k), Timestamp: uint32(1000 + k*960)}, Payload: b}, at)
	}
	for ; vi < len(video.packets); vi++ {
		rec.VideoRTP(video.packets[vi], start.Add(3*time.Second))
	}
	st := rec.Close()
	t.Logf("wrote %+v", st)
	// Close finished the file: the muxer's goroutines are gone (they
	// waited for every track's writer to close).
	for deadline := time.Now().Add(2 * time.Second); runtime.NumGoroutine() > goroutines && time.Now().Before(deadline); {
		time.Sleep(10 * time.Millisecond)
	}
	if n := runtime.NumGoroutine(); n > goroutines {
		t.Errorf("%d goroutines after Close, %d before New: the muxer did not finish the file", n, goroutines)
	}
	if st.VideoFrames != 85 || st.AudioPackets != 145 {
		t.Errorf("wrote %d frames and %d audio packets; want 85 (90 less 5 lost to the loss) and 145", st.VideoFrames, st.AudioPackets)
	}
	got := streamtest.Probe(t, path)
	t.Logf("ffprobe: %+v", got)
	if v := got["video"]; v.Codec != probed || v.Frames != st.VideoFrames || !within(v.Duration, 3.0) {
		t.Errorf("video: %+v; want %s, %d frames, 3.0 s", v, probed, st.VideoFrames)
	}
	if a := got["audio"]; a.Codec != "opus" || a.Frames != st.AudioPackets || !within(a.Duration, 3.0) {
		t.Errorf("audio: %+v; want opus, %d packets, 3.0 s", a, st.AudioPackets)
	}
	frames := streamtest.Luma(t, path, 320, 240)
	if len(frames) != st.VideoFrames {
		t.Errorf("ffmpeg decoded %d frames; want the %d written", len(frames), st.VideoFrames)
	}
	for j, f := range frames {
		i := j // the frame sent: 40 to 44 were lost, the rest written
		if j >= 40 {
			i += 5
		}
		want := streamtest.Pattern(320, 240, i).Y
		diff := 0
		for k := range f {
			diff += abs(int(f[k]) - int(want[k]))
		}
		if mean := float64(diff) / float64(len(f)); mean > 2 {
			t.Errorf("frame %d decodes %.1f luma levels a pixel away from frame %d sent; want under 2", j, mean, i)
		}
	}
}

func abs(x int) int { return max(x, -x) }

// A recording that reaches its cap stops there and leaves a valid file.
func TestRecordCap(t *testing.T) {
	path := filepath.Join(t.TempDir(), "capped.webm")
	rec, err := record.New(record.Options{Path: path, Audio: true, MaxDuration: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	aenc, err := opus.NewEncoder(opus.EncoderConfig{SampleRate: 48000, Channels: 1})
	if err != nil {
		t.Fatal(err)
	}
	defer aenc.Close()
	pcm := make([]int16, 960)
	start := time.Now()
	for k := range 150 {
		b, _ := aenc.Encode(nil, pcm)
		rec.AudioPacket(b, 20*time.Millisecond, start.Add(time.Duration(k)*20*time.Millisecond))
	}
	st := rec.Close()
	if !st.Capped || st.AudioPackets != 51 {
		t.Errorf("%+v; want capped after 51 packets (0 to 1 s)", st)
	}
	if a := streamtest.Probe(t, path)["audio"]; a.Codec != "opus" || a.Frames != st.AudioPackets || !within(a.Duration, 1.02) {
		t.Errorf("the capped file: %+v; want opus, %d packets, 1.02 s", a, st.AudioPackets)
	}
}

// A path that cannot be written fails at New.
func TestRecordBadPath(t *testing.T) {
	if _, err := record.New(record.Options{Path: filepath.Join(t.TempDir(), "no", "such", "dir.webm"), Audio: true}); err == nil {
		t.Error("New made a recorder in a directory that does not exist")
	}
}
