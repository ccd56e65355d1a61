//go:build !linux

package netns

import (
	"errors"
	"runtime"
)

func reexec() (int, error) {
	return 0, errors.New("network namespaces need Linux, not " + runtime.GOOS)
}

func loopbackUp() error {
	return errors.New("network namespaces need Linux, not " + runtime.GOOS)
}
