//go:build linux

package netns

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"runtime"
	"syscall"

	"golang.org/x/sys/unix"
)

// reexec runs this binary again in a new network namespace and returns its exit
// code. It returns an error when the child could not be started, so the caller
// can fall back to the host namespace.
func reexec() (int, error) {
	if os.Geteuid() != 0 {
		return 0, errors.New("not running as root, so no network namespace can be made")
	}
	exe, err := os.Executable()
	if err != nil {
		exe = os.Args[0]
	}
	cmd := exec.Command(exe, os.Args[1:]...)
	cmd.Args[0] = os.Args[0]
	cmd.Env = append(os.Environ(), EnvVar+"=1")
	cmd.Stdin, cmd.Stdout, cmd.Stderr = os.Stdin, os.Stdout, os.Stderr
	cmd.SysProcAttr = &syscall.SysProcAttr{
		Cloneflags: syscall.CLONE_NEWNET,
		// If the parent dies (go test's own timeout kills it), so does
		// the child, and with it any browser it started.
		Pdeathsig: syscall.SIGKILL,
	}
	// Pdeathsig follows the thread that started the child, so keep this
	// goroutine on one thread until the child is gone.
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	if err := cmd.Start(); err != nil {
		return 0, fmt.Errorf("starting the tests in a new network namespace: %w", err)
	}
	err = cmd.Wait()
	var exit *exec.ExitError
	switch {
	case err == nil:
		return 0, nil
	case errors.As(err, &exit):
		if ws, ok := exit.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
			fmt.Fprintf(os.Stderr, "netns: test process killed by %v\n", ws.Signal())
			return 128 + int(ws.Signal()), nil
		}
		return exit.ExitCode(), nil
	default:
		// Started but could not be waited for: do not run the tests a
		// second time in the host namespace.
		fmt.Fprintf(os.Stderr, "netns: waiting for the test process: %v\n", err)
		return 1, nil
	}
}

// loopbackUp sets IFF_UP on lo with SIOCGIFFLAGS/SIOCSIFFLAGS.
func loopbackUp() error {
	fd, err := unix.Socket(unix.AF_INET, unix.SOCK_DGRAM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return fmt.Errorf("socket: %w", err)
	}
	defer unix.Close(fd)
	ifr, err := unix.NewIfreq("lo")
	if err != nil {
		return err
	}
	if err := unix.IoctlIfreq(fd, unix.SIOCGIFFLAGS, ifr); err != nil {
		return fmt.Errorf("SIOCGIFFLAGS lo: %w", err)
	}
	flags := ifr.Uint16()
	if flags&unix.IFF_UP != 0 {
		return nil
	}
	ifr.SetUint16(flags | unix.IFF_UP)
	if err := unix.IoctlIfreq(fd, unix.SIOCSIFFLAGS, ifr); err != nil {
		return fmt.Errorf("SIOCSIFFLAGS lo: %w", err)
	}
	return nil
}
