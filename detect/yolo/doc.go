// Package yolo detects objects in video frames with a YOLOv10 model run by
// ONNX Runtime: the detector of the seed demo (gradio_webrtc's "YOLOv10
// Webcam Stream"), written so that its handler reads almost as the Python
// one does:
//
//	det, err := yolo.New(modelPath, yolo.Options{})
//	...
//	handler := func(frame *image.YCbCr) (image.Image, error) {
//		return det.DetectObjects(frame, conf)
//	}
//
// # The model
//
// The seed downloads yolov10n.onnx from the Hugging Face repository
// onnx-community/yolov10n, file onnx/model.onnx (about 9 MB; the YOLOv10
// weights are AGPL-3.0, from THU-MIG/yolov10):
//
//	mkdir -p ~/.cache/rtcstream/models
//	curl -L -o ~/.cache/rtcstream/models/yolov10n.onnx \
//	    https://huggingface.co/onnx-community/yolov10n/resolve/main/onnx/model.onnx
//
// That is where [DefaultModelPath] looks ($RTCSTREAM_CACHE replaces
// ~/.cache/rtcstream). Other YOLOv10 end-to-end exports should work as well
// (yolov10s, yolov10m, ... from the same organisation, or your own from
// ultralytics' export(format="onnx")), as New checks: one float32 input [1,
// 3, height, width] and a first output [1, N, 6] of x1, y1, x2, y2, score,
// class rows in input pixels, already free of overlapping boxes, so no NMS is
// run here. The weights cannot be fetched on the project's build machines,
// so the tests check the pre- and post-processing on tensors and on a tiny
// model with YOLOv10's interface that they write themselves, and run
// yolov10n itself only where the file is present.
//
// # The runtime
//
// ONNX Runtime is a shared library that the process loads at run time; New
// finds it through Options.RuntimeLibrary, else $ONNXRUNTIME_LIB, else the
// cache, where scripts/fetch-models.sh puts it: it takes
// libonnxruntime.so.1 for linux/x64 from the npm package
// onnxruntime-node@1.30.0 (npm pack and tar; the package's install script is
// never run). The Go bindings (github.com/yalue/onnxruntime_go) use cgo;
// built with CGO_ENABLED=0 this package still compiles, and New returns an
// error wrapping ErrNoRuntime.
//
// # Pre- and post-processing
//
// As the seed's inference.py: the frame is resized to the input size with
// a bilinear filter and no letterbox (boxes of a 4:3 frame are scaled back
// per axis, so they fit), converted to RGB (BT.601 limited range, straight
// from the Y'CbCr planes with no intermediate image), scaled to 0..1 and
// laid out as NCHW planes. Rows whose score is above the threshold become
// Detections with boxes in the frame's coordinates; DetectObjects draws them
// with the class's colour and a "name: 0.87" label. (The seed prints
// "name 87%" and picks random colours; see Draw and ClassColor.)
//
// # Concurrency and images
//
// A Detector is safe for concurrent use by many sessions. It runs
// Options.Concurrency inferences at once (default 1), each using all cores;
// other callers wait their turn. With rtcstream that wait never builds a
// queue of frames: each session hands its handler only the newest frame, so
// a busy detector lowers every session's frame rate instead of adding lag.
// Detect only reads the image; DetectObjects draws on a 4:2:0 frame in place
// (see its documentation). Close frees the native memory; the runtime
// library stays loaded for the life of the process.
package yolo
