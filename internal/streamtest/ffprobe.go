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
