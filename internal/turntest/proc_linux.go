package turntest

import (
	"os/exec"
	"syscall"
)

// setDeathSignal makes the kernel kill coturn if the test process dies
// before it can stop the server (go test's timeout, a crash).
func setDeathSignal(cmd *exec.Cmd) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
}
