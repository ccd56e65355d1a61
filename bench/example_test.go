package bench_test

import (
	"context"
	"fmt"
	"log"
	"os"
	"time"

	"github.com/rtcstream/rtcstream/bench"
)

// Measure a server on this machine with eight streams for 20 s, and check
// the run against the default bar (every stream gets 95% of its frames
// back, p95 latency under 50 ms), as a CI job might.
func ExampleRun() {
	ctx := context.Background()
	r, err := bench.Run(ctx, "http://127.0.0.1:7860/", &bench.Options{Streams: 8, Duration: 20 * time.Second})
	if err != nil {
		log.Fatal(err)
	}
	_ = r.WriteText(os.Stdout)
	if err := (bench.Bar{}).Check(r); err != nil {
		log.Fatalf("below the bar: %v", err)
	}
}

// Find how many 640x480 streams a server holds at 30 fps within a 100 ms
// p95.
func ExampleSearch() {
	ctx := context.Background()
	sr, err := bench.Search(ctx, "http://127.0.0.1:7860/", &bench.Options{Duration: 10 * time.Second},
		&bench.SearchOptions{Bar: bench.Bar{MaxP95: 100 * time.Millisecond}, MaxStreams: 32})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("streams held:", sr.Best)
}
