//go:build !cgo

package vpx

import (
	"errors"
	"strings"
	"testing"

	"github.com/rtcstream/rtcstream/codec"
)

func TestUnavailable(t *testing.T) {
	if _, err := NewEncoder(EncoderConfig{}); !errors.Is(err, codec.ErrUnavailable) ||
		!strings.HasPrefix(err.Error(), "vpx: built without cgo; install libvpx-dev and build with CGO_ENABLED=1") {
		t.Errorf("NewEncoder: %v", err)
	}
	if _, err := NewDecoder(); !errors.Is(err, codec.ErrUnavailable) {
		t.Errorf("NewDecoder: %v", err)
	}
}
