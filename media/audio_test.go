package media

import (
	"math"
	"slices"
	"testing"
	"time"
)

func TestAudioFrame(t *testing.T) {
	for _, c := range []struct {
		f      AudioFrame
		frames int
		dur    time.Duration
	}{
		{AudioFrame{Samples: make([]int16, 960), SampleRate: 48000, Channels: 1}, 960, 20 * time.Millisecond},
		{AudioFrame{Samples: make([]int16, 1920), SampleRate: 48000, Channels: 2}, 960, 20 * time.Millisecond},
		{AudioFrame{Samples: make([]int16, 441), SampleRate: 44100, Channels: 1}, 441, 10 * time.Millisecond},
		{AudioFrame{Samples: make([]int16, 1), SampleRate: 48000, Channels: 1}, 1, 20833 * time.Nanosecond},
		{AudioFrame{Samples: make([]int16, 3), SampleRate: 48000, Channels: 2}, 1, 20833 * time.Nanosecond},
		{AudioFrame{SampleRate: 48000, Channels: 2}, 0, 0},
		{AudioFrame{Samples: make([]int16, 10)}, 0, 0},
		{AudioFrame{Samples: make([]int16, 10), Channels: 1}, 10, 0},
	} {
		if got := c.f.Frames(); got != c.frames {
			t.Errorf("%d samples, %d ch: Frames() = %d, want %d", len(c.f.Samples), c.f.Channels, got, c.frames)
		}
		if got := c.f.Duration(); got != c.dur {
			t.Errorf("%d samples, %d ch at %d Hz: Duration() = %v, want %v", len(c.f.Samples), c.f.Channels, c.f.SampleRate, got, c.dur)
		}
	}
	if d := (AudioFrame{Samples: make([]int16, 48000*3600), SampleRate: 48000, Channels: 1}).Duration(); d != time.Hour {
		t.Errorf("an hour of samples: %v", d)
	}
}

func TestInt16Float32RoundTrip(t *testing.T) {
	src := make([]int16, 65536)
	for i := range src {
		src[i] = int16(i - 32768)
	}
	f := Int16ToFloat32(nil, src)
	if f[0] != -1 || f[32768] != 0 || f[65535] != 32767.0/32768 {
		t.Errorf("Int16ToFloat32: -32768 -> %v, 0 -> %v, 32767 -> %v", f[0], f[32768], f[65535])
	}
	back := Float32ToInt16(nil, f)
	if !slices.Equal(back, src) {
		t.Errorf("Float32ToInt16(Int16ToFloat32(x)) != x")
	}
}

func TestFloat32ToInt16(t *testing.T) {
	const lsb = 1.0 / 32768
	for _, c := range []struct {
		in   float32
		want int16
	}{
		{0, 0},
		{1, 32767},
		{-1, -32768},
		{2, 32767},
		{-2, -32768},
		{float32(math.Inf(1)), 32767},
		{float32(math.Inf(-1)), -32768},
		{float32(math.NaN()), 0},
		{0.5 * lsb, 1},     // halves away from zero
		{-0.5 * lsb, -1},   //
		{1.5 * lsb, 2},     //
		{0.49 * lsb, 0},    //
		{-0.49 * lsb, 0},   //
		{0.51 * lsb, 1},    //
		{100.4 * lsb, 100}, //
		{-100.6 * lsb, -101},
		{0.49999997 * lsb, 0}, // would round up in float32 arithmetic
		{32766.5 * lsb, 32767},
		{-32767.5 * lsb, -32768},
	} {
		if got := Float32ToInt16(nil, []float32{c.in}); got[0] != c.want {
			t.Errorf("Float32ToInt16(%v) = %d, want %d", c.in, got[0], c.want)
		}
	}
}

func TestConversionsAppend(t *testing.T) {
	f := make([]float32, 2, 10)
	f[0], f[1] = 7, 8
	out := Int16ToFloat32(f, []int16{16384, -16384})
	if !slices.Equal(out, []float32{7, 8, 0.5, -0.5}) || &out[0] != &f[0] {
		t.Errorf("Int16ToFloat32 did not append in place: %v", out)
	}
	s := []int16{1}
	got := Float32ToInt16(s, []float32{0.25})
	if !slices.Equal(got, []int16{1, 8192}) {
		t.Errorf("Float32ToInt16 did not append: %v", got)
	}
	if n := testing.AllocsPerRun(10, func() {
		f = Int16ToFloat32(f[:0], []int16{1, 2, 3})
		s = Float32ToInt16(s[:0], []float32{1, 2, 3})
	}); n != 0 {
		t.Errorf("%v allocations with room in dst", n)
	}
}

func TestRemix(t *testing.T) {
	for _, c := range []struct {
		name     string
		src      []int16
		from, to int
		want     []int16
	}{
		{"stereo to mono", []int16{10, 20, -3, 4, 32767, 32767, -32768, -32768, 1, 2, -1, -2}, 2, 1,
			[]int16{15, 1, 32767, -32768, 2, -1}},
		{"mono to stereo", []int16{1, -2, 3}, 1, 2, []int16{1, 1, -2, -2, 3, 3}},
		{"same", []int16{1, 2, 3, 4}, 2, 2, []int16{1, 2, 3, 4}},
		{"3 to mono", []int16{1, 2, 4, -32768, -32768, -32767}, 3, 1, []int16{2, -32768}},
		{"quad to stereo", []int16{1, 2, 3, 4, 10, 20, 30, 40}, 4, 2, []int16{2, 3, 20, 30}},
		{"stereo to quad", []int16{1, 2, 3, 4}, 2, 4, []int16{1, 2, 1, 2, 3, 4, 3, 4}},
		{"mono to 3", []int16{5, 6}, 1, 3, []int16{5, 5, 5, 6, 6, 6}},
		{"empty", nil, 2, 1, []int16{}},
	} {
		got := Remix(nil, c.src, c.from, c.to)
		if !slices.Equal(got, c.want) {
			t.Errorf("%s: Remix(%v, %d, %d) = %v, want %v", c.name, c.src, c.from, c.to, got, c.want)
		}
		// Appends to dst.
		got = Remix([]int16{9}, c.src, c.from, c.to)
		if len(got) != 1+len(c.want) || got[0] != 9 || !slices.Equal(got[1:], c.want) {
			t.Errorf("%s: Remix did not append: %v", c.name, got)
		}
		// In place when not widening.
		if c.to <= c.from {
			buf := slices.Clone(c.src)
			got = Remix(buf[:0], buf, c.from, c.to)
			if !slices.Equal(got, c.want) {
				t.Errorf("%s in place: %v, want %v", c.name, got, c.want)
			}
		}
	}
	if got := ToMono(nil, []int16{100, 300}, 2); !slices.Equal(got, []int16{200}) {
		t.Errorf("ToMono = %v", got)
	}
	if got := ToStereo(nil, []int16{7}, 1); !slices.Equal(got, []int16{7, 7}) {
		t.Errorf("ToStereo = %v", got)
	}
	// Rounding of means: halves up.
	if got := ToMono(nil, []int16{0, 1, 0, -1, -2, -3}, 2); !slices.Equal(got, []int16{1, 0, -2}) {
		t.Errorf("ToMono rounding = %v, want [1 0 -2]", got)
	}
	dst := make([]int16, 0, 16)
	if n := testing.AllocsPerRun(10, func() { dst = Remix(dst[:0], []int16{1, 2, 3, 4}, 2, 4) }); n != 0 {
		t.Errorf("Remix: %v allocations with room in dst", n)
	}
}

func TestRemixPanics(t *testing.T) {
	for _, c := range []struct {
		src      []int16
		from, to int
	}{
		{[]int16{1, 2, 3}, 2, 1},
		{nil, 0, 1},
		{nil, 1, 0},
		{nil, -1, 2},
	} {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("Remix(%d samples, %d, %d) did not panic", len(c.src), c.from, c.to)
				}
			}()
			Remix(nil, c.src, c.from, c.to)
		}()
	}
}

func BenchmarkToMono20ms(b *testing.B) {
	src := make([]int16, 1920)
	dst := make([]int16, 0, 960)
	b.ReportAllocs()
	for b.Loop() {
		dst = ToMono(dst[:0], src, 2)
	}
}

func BenchmarkInt16ToFloat32_20ms(b *testing.B) {
	src := make([]int16, 960)
	dst := make([]float32, 0, 960)
	b.ReportAllocs()
	for b.Loop() {
		dst = Int16ToFloat32(dst[:0], src)
	}
}

func BenchmarkFloat32ToInt16_20ms(b *testing.B) {
	src := make([]float32, 960)
	for i := range src {
		src[i] = float32(i%200-100) / 100
	}
	dst := make([]int16, 0, 960)
	b.ReportAllocs()
	for b.Loop() {
		dst = Float32ToInt16(dst[:0], src)
	}
}
