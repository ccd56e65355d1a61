// Package childproc runs the real servers tests start (LiveKit, Redis) as
// child processes: their output kept in a bounded log, killed by the
// kernel if the test process dies first, stopped with SIGTERM and then
// SIGKILL.
package childproc

import (
	"bufio"
	"fmt"
	"io"
	"os/exec"
	"strings"
	"sync"
	"syscall"
	"time"
)

// Proc is a started child process.
type Proc struct {
	cmd    *exec.Cmd
	exited chan struct{}
	logs   logBuffer
}

// Start starts cmd with its stdout and stderr captured into its log.
func Start(cmd *exec.Cmd) (*Proc, error) {
	setDeathSignal(cmd)
	out, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	cmd.Stderr = cmd.Stdout // one stream, in order
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("starting %s: %w", cmd.Path, err)
	}
	p := &Proc{cmd: cmd, exited: make(chan struct{})}
	var copied sync.WaitGroup
	copied.Add(1)
	go func() {
		defer copied.Done()
		p.logs.readFrom(out)
	}()
	go func() {
		copied.Wait() // Wait closes the pipe: read it all first
		_ = cmd.Wait()
		close(p.exited)
	}()
	return p, nil
}

// Exited is closed when the process has exited.
func (p *Proc) Exited() <-chan struct{} { return p.exited }

// Pid is the process's ID.
func (p *Proc) Pid() int { return p.cmd.Process.Pid }

// Stop asks the process to stop (SIGTERM), kills it after grace, and
// waits for it to exit. Safe to call more than once.
func (p *Proc) Stop(grace time.Duration) {
	_ = p.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-p.exited:
		return
	case <-time.After(grace):
	}
	p.Kill()
}

// Kill kills the process at once (SIGKILL) and waits for it to exit.
func (p *Proc) Kill() {
	_ = p.cmd.Process.Kill()
	<-p.exited
}

// Log returns the process's output so far.
func (p *Proc) Log() string { return p.logs.String() }

// Tail returns the last n lines of the process's output.
func (p *Proc) Tail(n int) string { return p.logs.tail(n) }

// Lines returns a copy of the output's lines so far.
func (p *Proc) Lines() []string { return p.logs.snapshot() }

// logBuffer keeps a process's log lines, the newest maxLog bytes.
type logBuffer struct {
	mu    sync.Mutex
	lines []string
	size  int
}

const maxLog = 4 << 20

func (b *logBuffer) readFrom(r io.Reader) {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		b.add(sc.Text())
	}
	_, _ = io.Copy(io.Discard, r) // a line too long: keep the pipe flowing
}

func (b *logBuffer) add(line string) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.lines = append(b.lines, line)
	b.size += len(line) + 1
	for b.size > maxLog && len(b.lines) > 1 {
		b.size -= len(b.lines[0]) + 1
		b.lines = b.lines[1:]
	}
}

func (b *logBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return strings.Join(b.lines, "\n")
}

func (b *logBuffer) tail(n int) string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return strings.Join(b.lines[max(0, len(b.lines)-n):], "\n")
}

func (b *logBuffer) snapshot() []string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return append([]string(nil), b.lines...)
}
