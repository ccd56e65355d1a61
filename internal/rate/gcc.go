package rate

import (
	"github.com/pion/interceptor"
	"github.com/pion/interceptor/pkg/cc"
	"github.com/pion/interceptor/pkg/gcc"
	"github.com/pion/webrtc/v4"
)

// BandwidthConfig sets up send-side bandwidth estimation.
type BandwidthConfig struct {
	// Initial, Min and Max bound the estimate, in bits per second.
	Initial, Min, Max int
	// OnEstimator receives the estimator of each new peer connection. It
	// is called while the connection is made; it must not block.
	OnEstimator func(cc.BandwidthEstimator)
}

// Register registers Google Congestion Control: outgoing packets carry
// transport-wide sequence numbers, the browser's feedback on them feeds a
// delay- and loss-based estimate. The estimate drives the encoder's
// bitrate; its GetStats also reports the path's queueing delay
// (QueueDelayKey). pion's own pacer is left out (a no-op pacer), since a paced
// sender delays frames that the encoder already sized to the link.
func Register(m *webrtc.MediaEngine, reg *interceptor.Registry, b *BandwidthConfig) error {
	f, err := cc.NewInterceptor(func() (cc.BandwidthEstimator, error) {
		e, err := gcc.NewSendSideBWE(
			gcc.SendSideBWEInitialBitrate(b.Initial),
			gcc.SendSideBWEMinBitrate(b.Min),
			gcc.SendSideBWEMaxBitrate(b.Max),
			gcc.SendSideBWEPacer(gcc.NewNoOpPacer()),
		)
		if err != nil {
			return nil, err
		}
		return &watchedEstimator{BandwidthEstimator: e}, nil
	})
	if err != nil {
		return err
	}
	if b.OnEstimator != nil {
		f.OnNewPeerConnection(func(_ string, e cc.BandwidthEstimator) { b.OnEstimator(e) })
	}
	reg.Add(f)
	return webrtc.ConfigureTWCCHeaderExtensionSender(m, reg)
}
