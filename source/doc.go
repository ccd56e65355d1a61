// Package source plays media from somewhere other than a browser into a
// receive-mode stream: a WebM, IVF or Ogg file (demuxed in Go, decoded
// with the codecs of package codec, looped if asked, paced in real time
// by its own timestamps), or anything ffmpeg reads (MP4, an RTSP IP
// camera, HLS) through an ffmpeg process, restarted with backoff when it
// exits.
//
// A source's Frames fits a receive-mode stream's generator as it is, or
// runs through your function first:
//
//	cam := source.FFmpeg("rtsp://camera.local/stream", nil)
//	s, err := rtcstream.NewStream(rtcstream.Video, rtcstream.Receive,
//		func(ctx context.Context) iter.Seq[image.Image] {
//			return func(yield func(image.Image) bool) {
//				for img := range cam.Frames(ctx) {
//					if !yield(detect(img)) {
//						return
//					}
//				}
//			}
//		}, nil)
//
// An FFmpeg source gives sound as well: Audio alone (20 ms frames of mono
// at 48 kHz: internet radio, an MP3) for an audio stream, or picture and
// sound from one ffmpeg process a session for an AudioVideo stream
// (AudioVideo, an rtcstream.AudioVideoGenerator):
//
//	s, err := rtcstream.NewStream(rtcstream.AudioVideo, rtcstream.Receive,
//		func() rtcstream.AudioVideoGenerator { return cam.AudioVideo() }, nil)
//
// A source that cannot be read ends its Frames with the error logged;
// it never panics, whatever the file holds.
package source
