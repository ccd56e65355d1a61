//go:build !cgo

package opus

import (
	"errors"
	"strings"
	"testing"

	"github.com/rtcstream/rtcstream/codec"
)

func TestUnavailable(t *testing.T) {
	if _, err := NewEncoder(EncoderConfig{}); !errors.Is(err, codec.ErrUnavailable) ||
		!strings.HasPrefix(err.Error(), "opus: built without cgo; install libopus-dev and build with CGO_ENABLED=1") {
		t.Errorf("NewEncoder: %v", err)
	}
	if _, err := NewDecoder(DecoderConfig{}); !errors.Is(err, codec.ErrUnavailable) {
		t.Errorf("NewDecoder: %v", err)
	}
	var e Encoder
	if _, err := e.Encode(nil, make([]int16, 960)); !errors.Is(err, codec.ErrUnavailable) {
		t.Errorf("Encode: %v", err)
	}
	var d Decoder
	if _, err := d.Decode(nil, nil); !errors.Is(err, codec.ErrUnavailable) {
		t.Errorf("Decode: %v", err)
	}
	if e.Close() != nil || d.Close() != nil {
		t.Errorf("Close failed")
	}
}
