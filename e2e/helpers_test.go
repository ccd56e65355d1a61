package e2e_test

import (
	"github.com/rtcstream/rtcstream/internal/streamtest"
)

// Shared with the other packages' networked tests (internal/streamtest).
var (
	loopback   = streamtest.Loopback
	checkLeaks = streamtest.CheckLeaks
	pattern    = streamtest.Pattern
	invert     = streamtest.Invert
	lumaAt     = streamtest.LumaAt
)

type audioProbe = streamtest.AudioProbe
