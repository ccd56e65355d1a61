package bench

import (
	"bufio"
	"bytes"
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"
)

// Usage is a process's CPU and memory over a run, read from /proc.
type Usage struct {
	PID int
	// CPU is the CPU time the process used over Window, in cores (1.0 is
	// one core busy all the time). Window runs from the moment every
	// stream had connected (or failed) to the moment the last frame was
	// sent, so connection set-up is left out.
	CPU    float64
	Window time.Duration
	// CPUPerStream is CPU divided by the streams connected.
	CPUPerStream float64
	// RSSBefore is the resident set size before the first stream
	// connected, RSSAfter when the last frame was sent, in bytes.
	RSSBefore, RSSAfter int64
	// RSSPerStream is (RSSAfter-RSSBefore) divided by the streams
	// connected. A Go process keeps memory it freed for a while, so in a
	// process that served sessions before, this undercounts.
	RSSPerStream int64
}

// clockTicks is USER_HZ, the unit of /proc/PID/stat's times: 100 on every
// Linux architecture Go supports.
const clockTicks = 100

// procSample is one reading of a process's counters.
type procSample struct {
	at  time.Time
	cpu time.Duration // user + system
	rss int64         // bytes
}

// readProc reads /proc/PID/stat and /proc/PID/status.
func readProc(pid int) (procSample, error) {
	at := time.Now()
	stat, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return procSample{}, err
	}
	// The command name, field 2, is in parentheses and may hold spaces;
	// count fields after its closing one.
	i := bytes.LastIndexByte(stat, ')')
	if i < 0 {
		return procSample{}, fmt.Errorf("bench: /proc/%d/stat: unexpected format", pid)
	}
	f := strings.Fields(string(stat[i+1:])) // f[0] is field 3 (state)
	if len(f) < 13 {
		return procSample{}, fmt.Errorf("bench: /proc/%d/stat: too few fields", pid)
	}
	utime, err1 := strconv.ParseInt(f[11], 10, 64) // field 14
	stime, err2 := strconv.ParseInt(f[12], 10, 64) // field 15
	if err1 != nil || err2 != nil {
		return procSample{}, fmt.Errorf("bench: /proc/%d/stat: bad CPU times", pid)
	}
	s := procSample{at: at, cpu: time.Duration(utime+stime) * time.Second / clockTicks}
	status, err := os.Open(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return procSample{}, err
	}
	defer status.Close()
	sc := bufio.NewScanner(status)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), "VmRSS:"); ok {
			kb, err := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 10, 64)
			if err != nil {
				return procSample{}, fmt.Errorf("bench: /proc/%d/status: bad VmRSS %q", pid, v)
			}
			s.rss = kb << 10
		}
	}
	return s, sc.Err()
}

// usage computes a Usage from three samples: before the streams, and at
// the start and end of the window when all of them ran.
func usage(pid, streams int, before, from, to procSample) *Usage {
	u := &Usage{PID: pid, Window: to.at.Sub(from.at), RSSBefore: before.rss, RSSAfter: to.rss}
	if u.Window > 0 {
		u.CPU = float64(to.cpu-from.cpu) / float64(u.Window)
	}
	if streams > 0 {
		u.CPUPerStream = u.CPU / float64(streams)
		u.RSSPerStream = (u.RSSAfter - u.RSSBefore) / int64(streams)
	}
	return u
}
