package record_test

import (
	"path/filepath"
	"testing"
	"time"

	"github.com/pion/rtp"

	"github.com/rtcstream/rtcstream/codec/opus"
	"github.com/rtcstream/rtcstream/codec/vpx"
	"github.com/rtcstream/rtcstream/internal/pipeline"
	"github.com/rtcstream/rtcstream/internal/record"
	"github.com/rtcstream/rtcstream/internal/streamtest"
)

// BenchmarkRecordSecond records one second of a session's media per
// operation: 30 frames of 640x480 VP8 at 1 Mbps (in RTP packets) and 50
// Opus packets, to a file. ns/op over a second is the share of a core a
// recorded session costs:
//
//	go test -run '^$' -bench RecordSecond ./internal/record
func BenchmarkRecordSecond(b *testing.B) {
	enc, err := vpx.NewEncoder(vpx.EncoderConfig{BitRate: 1_000_000})
	if err != nil {
		b.Fatal(err)
	}
	defer enc.Close()
	video := &rtpSink{}
	pack := pipeline.NewPacketizer(video, 0)
	for i := range 30 {
		data, _, err := enc.Encode(nil, streamtest.Pattern(640, 480, i), time.Duration(i)*time.Second/30)
		if err != nil {
			b.Fatal(err)
		}
		if err := pack.WriteFrame(data, uint32(i*3000)); err != nil {
			b.Fatal(err)
		}
	}
	aenc, err := opus.NewEncoder(opus.EncoderConfig{SampleRate: 48000, Channels: 1})
	if err != nil {
		b.Fatal(err)
	}
	defer aenc.Close()
	audio, _ := aenc.Encode(nil, make([]int16, 960))
	rec, err := record.New(record.Options{Path: filepath.Join(b.TempDir(), "bench.webm"), Video: true, Audio: true, MaxDuration: 24 * time.Hour, MaxBytes: 1 << 40})
	if err != nil {
		b.Fatal(err)
	}
	defer rec.Close()
	start := time.Now()
	var seq uint16
	b.ResetTimer()
	for n := range b.N {
		at := start.Add(time.Duration(n) * time.Second)
		for _, p := range video.packets {
			q := *p
			q.SequenceNumber = seq
			q.Timestamp = p.Timestamp + uint32(n*90000)
			seq++
			rec.VideoRTP(&q, at)
		}
		for k := range 50 {
			rec.AudioRTP(&rtp.Packet{Header: rtp.Header{SequenceNumber: uint16(n*50 + k), Timestamp: uint32((n*50 + k) * 960)}, Payload: audio}, at)
		}
	}
	b.StopTimer()
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/1e9*100, "%core/session")
}
