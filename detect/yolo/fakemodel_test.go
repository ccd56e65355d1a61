package yolo

import (
	"encoding/binary"
	"math"
	"os"
	"path/filepath"
	"testing"
)

// A tiny ONNX model with YOLOv10's interface, written by the test so that
// New, Detect and DetectObjects run through the real ONNX Runtime without
// the yolov10n weights (which cannot be fetched here). It computes
//
//	output0 = rows + mean(images)
//
// so its rows are the detections the test chose, shifted by the mean of the
// input tensor: 0 for a black frame, 1 for a white one, which checks the
// 0..1 scaling end to end.
type fakeModel struct {
	inputDims  []any // int64 for a fixed size, string for a named dynamic one
	outputDims []int64
	rows       []float32
}

// protobuf encoding, just what onnx.proto needs.
type pb []byte

func (b pb) key(field, wire int) pb { return binary.AppendUvarint(b, uint64(field<<3|wire)) }
func (b pb) varint(field int, v int64) pb {
	return binary.AppendUvarint(b.key(field, 0), uint64(v))
}
func (b pb) bytes(field int, v []byte) pb {
	b = binary.AppendUvarint(b.key(field, 2), uint64(len(v)))
	return append(b, v...)
}
func (b pb) str(field int, s string) pb { return b.bytes(field, []byte(s)) }

func tensorType(dims []any) pb {
	var shape pb
	for _, d := range dims {
		var dim pb
		switch d := d.(type) {
		case int64:
			dim = dim.varint(1, d)
		case string:
			dim = dim.str(2, d)
		}
		shape = shape.bytes(1, dim)
	}
	var tensor pb
	tensor = tensor.varint(1, 1) // FLOAT
	tensor = tensor.bytes(2, shape)
	var typ pb
	return typ.bytes(1, tensor)
}

func valueInfo(name string, dims []any) pb {
	var v pb
	v = v.str(1, name)
	return v.bytes(2, tensorType(dims))
}

func (m fakeModel) encode() []byte {
	var init pb
	var outDims []any
	for _, d := range m.outputDims {
		init = init.varint(1, d)
		outDims = append(outDims, d)
	}
	init = init.varint(2, 1) // FLOAT
	init = init.str(8, "rows")
	raw := make([]byte, 4*len(m.rows))
	for i, v := range m.rows {
		binary.LittleEndian.PutUint32(raw[4*i:], math.Float32bits(v))
	}
	init = init.bytes(9, raw)

	var keepdims pb
	keepdims = keepdims.str(1, "keepdims").varint(3, 0).varint(20, 2) // INT
	var mean pb
	mean = mean.str(1, "images").str(2, "mean").str(3, "mean").str(4, "ReduceMean").bytes(5, keepdims)
	var add pb
	add = add.str(1, "rows").str(1, "mean").str(2, "output0").str(3, "add").str(4, "Add")

	var graph pb
	graph = graph.bytes(1, mean).bytes(1, add).str(2, "fake-yolov10")
	graph = graph.bytes(5, init)
	graph = graph.bytes(11, valueInfo("images", m.inputDims))
	graph = graph.bytes(12, valueInfo("output0", outDims))

	var opset pb
	opset = opset.str(1, "").varint(2, 13)
	var model pb
	model = model.varint(1, 7).str(2, "rtcstream-test").bytes(7, graph).bytes(8, opset)
	return model
}

// write saves the model in t's temporary directory and returns its path.
func (m fakeModel) write(t testing.TB) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "fake.onnx")
	if err := os.WriteFile(p, m.encode(), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// yoloRows returns a [1, n, 6] output with the given rows first and zero
// rows (score 0) after them.
func yoloRows(n int, rows ...[6]float32) []float32 {
	out := make([]float32, n*rowLen)
	for i, r := range rows {
		copy(out[i*rowLen:], r[:])
	}
	return out
}
