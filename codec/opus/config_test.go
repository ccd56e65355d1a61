package opus

import (
	"strings"
	"testing"
	"time"
)

func TestConfigDefaults(t *testing.T) {
	got, err := EncoderConfig{}.withDefaults()
	if err != nil {
		t.Fatal(err)
	}
	want := EncoderConfig{
		SampleRate: 48000, Channels: 1, FrameDuration: 20 * time.Millisecond, BitRate: 32000,
		Application: AppVoIP, InbandFEC: On, DTX: Off,
	}
	if got != want {
		t.Errorf("encoder defaults = %+v, want %+v", got, want)
	}
	if n := got.frameSize(); n != 960 {
		t.Errorf("frame size %d, want 960", n)
	}
	d, err := DecoderConfig{}.withDefaults()
	if err != nil {
		t.Fatal(err)
	}
	if d != (DecoderConfig{SampleRate: 48000, Channels: 1}) {
		t.Errorf("decoder defaults = %+v", d)
	}
}

func TestConfigInvalid(t *testing.T) {
	for _, cfg := range []EncoderConfig{
		{SampleRate: 44100},
		{SampleRate: -1},
		{Channels: 3},
		{Channels: -1},
		{FrameDuration: 15 * time.Millisecond},
		{FrameDuration: -time.Millisecond},
		{BitRate: 499},
		{BitRate: 512_001},
		{Application: 7},
		{InbandFEC: 3},
		{DTX: -1},
		{PacketLossPercent: 101},
		{PacketLossPercent: -1},
		{Complexity: 11},
		{Complexity: -1},
	} {
		if _, err := cfg.withDefaults(); err == nil {
			t.Errorf("%+v: no error", cfg)
		} else if !strings.HasPrefix(err.Error(), "opus: ") {
			t.Errorf("%+v: error %q lacks the opus: prefix", cfg, err)
		}
	}
	for _, cfg := range []DecoderConfig{{SampleRate: 22050}, {Channels: 6}} {
		if _, err := cfg.withDefaults(); err == nil || !strings.HasPrefix(err.Error(), "opus: ") {
			t.Errorf("%+v: error %v", cfg, err)
		}
	}
}

func TestEnumStrings(t *testing.T) {
	for v, want := range map[interface{ String() string }]string{
		AppDefault: "default", AppVoIP: "voip", AppAudio: "audio", AppLowDelay: "lowdelay",
		Application(9): "Application(9)",
		Default:        "default", On: "on", Off: "off", Toggle(-1): "Toggle(-1)",
	} {
		if got := v.String(); got != want {
			t.Errorf("%#v.String() = %q, want %q", v, got, want)
		}
	}
}
