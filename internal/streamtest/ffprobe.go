package streamtest

import (
	"encoding/json"
	"os"
	"os/exec"
	"strconv"
	"testing"
)

// Probed is what ffprobe reads of a file's streams.
type Probed struct {
	Codec    string
	Frames   int     // packets: frames of video, Opus packets of audio
	Duration float64 // seconds: the last packet's time plus its duration
}

// Probe runs ffprobe on path and returns its streams by type ("video",
// "audio").
func Probe(t *testing.T, path string) map[string]Probed {
	t.Helper()
	ffprobe, err := exec.LookPath("ffprobe")
	if err != nil {
		Unavailable(t, "ffprobe is not installed (scripts/install-deps.sh installs ffmpeg)")
	}
	out, err := exec.Command(ffprobe, "-v", "error", "-count_packets", "-show_entries",
		"stream=index,codec_type,codec_name,nb_read_packets:packet=stream_index,pts_time,duration_time", "-of", "json", path).Output()
	if err != nil {
		t.Fatalf("ffprobe %s: %v", path, err)
	}
	var r struct {
		Streams []struct {
			Index     int    `json:"index"`
			Type      string `json:"codec_type"`
			Codec     string `json:"codec_name"`
			NbPackets string `json:"nb_read_packets"`
		} `json:"streams"`
		Packets []struct {
			Stream   int    `json:"stream_index"`
			PTS      string `json:"pts_time"`
			Duration string `json:"duration_time"`
		} `json:"packets"`
	}
	if err := json.Unmarshal(out, &r); err != nil {
		t.Fatal(err)
	}
	got := map[string]Probed{}
	for _, s := range r.Streams {
		n, _ := strconv.Atoi(s.NbPackets)
		p := Probed{Codec: s.Codec, Frames: n}
		for _, pk := range r.Packets {
			if pk.Stream == s.Index {
				pts, _ := strconv.ParseFloat(pk.PTS, 64)
				d, _ := strconv.ParseFloat(pk.Duration, 64)
				p.Duration = max(p.Duration, pts+d)
			}
		}
		got[s.Type] = p
	}
	return got
}

// Unavailable skips a test that needs a tool the machine lacks (ffmpeg,
// GStreamer's RTSP server), or fails it where the tools are required
// (RTCSTREAM_REQUIRE_BROWSER=1, as in CI, which installs them with the
// browser: scripts/install-deps.sh).
func Unavailable(t testing.TB, why string) {
	t.Helper()
	if os.Getenv("RTCSTREAM_REQUIRE_BROWSER") == "1" {
		t.Fatal(why + " (RTCSTREAM_REQUIRE_BROWSER=1)")
	}
	t.Skip(why)
}

// Luma decodes path's first video stream with ffmpeg and returns its
// frames' luma planes, w x h each (a frame of another size fails the
// test): what a player would show.
func Luma(t *testing.T, path string, w, h int) [][]byte {
	t.Helper()
	ffmpeg, err := exec.LookPath("ffmpeg")
	if err != nil {
		Unavailable(t, "ffmpeg is not installed (scripts/install-deps.sh installs it)")
	}
	// I420 as decoded (gray would be rescaled to full range).
	out, err := exec.Command(ffmpeg, "-v", "error", "-i", path, "-map", "0:v:0", "-f", "rawvideo", "-pix_fmt", "yuv420p", "-fps_mode", "passthrough", "-").Output()
	if err != nil {
		t.Fatalf("ffmpeg %s: %v", path, err)
	}
	size := w*h + 2*((w+1)/2)*((h+1)/2)
	if len(out)%size != 0 {
		t.Fatalf("ffmpeg %s: %d bytes of I420, not whole %dx%d frames", path, len(out), w, h)
	}
	var frames [][]byte
	for len(out) > 0 {
		frames, out = append(frames, out[:w*h]), out[size:]
	}
	return frames
}
