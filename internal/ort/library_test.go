package ort

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestCacheDir(t *testing.T) {
	t.Setenv(CacheEnv, "/some/cache")
	if d, err := CacheDir(); err != nil || d != "/some/cache" {
		t.Errorf("with $%s: %q, %v", CacheEnv, d, err)
	}
	t.Setenv(CacheEnv, "")
	t.Setenv("HOME", "/home/someone")
	if d, err := CacheDir(); err != nil || d != "/home/someone/.cache/rtcstream" {
		t.Errorf("from $HOME: %q, %v", d, err)
	}
	if p, err := CachedLibrary(); err != nil || p != "/home/someone/.cache/rtcstream/onnxruntime/libonnxruntime.so" {
		t.Errorf("CachedLibrary: %q, %v", p, err)
	}
	if p, err := CachedModel("m.onnx"); err != nil || p != "/home/someone/.cache/rtcstream/models/m.onnx" {
		t.Errorf("CachedModel: %q, %v", p, err)
	}
}

func TestFindLibrary(t *testing.T) {
	dir := t.TempDir()
	cached := filepath.Join(dir, "onnxruntime", "libonnxruntime.so")
	other := filepath.Join(dir, "other.so")
	if err := os.WriteFile(other, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	t.Setenv(CacheEnv, dir)
	t.Setenv(LibraryEnv, "")

	// Nothing anywhere: the error says how to get one.
	_, err := FindLibrary("")
	if !errors.Is(err, ErrNoRuntime) {
		t.Fatalf("nothing found: %v, want ErrNoRuntime", err)
	}
	for _, s := range []string{LibraryEnv, "fetch-models.sh", cached} {
		if !strings.Contains(err.Error(), s) {
			t.Errorf("error %q does not mention %s", err, s)
		}
	}

	// The cached copy.
	if err := os.MkdirAll(filepath.Dir(cached), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(cached, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	if p, err := FindLibrary(""); err != nil || p != cached {
		t.Errorf("cached: %q, %v", p, err)
	}

	// The environment beats the cache, an explicit path beats both.
	t.Setenv(LibraryEnv, other)
	if p, err := FindLibrary(""); err != nil || p != other {
		t.Errorf("$%s: %q, %v", LibraryEnv, p, err)
	}
	if p, err := FindLibrary(cached); err != nil || p != cached {
		t.Errorf("explicit: %q, %v", p, err)
	}

	// Missing files are errors; bare names go to the dynamic loader.
	if _, err := FindLibrary(filepath.Join(dir, "nope.so")); !errors.Is(err, ErrNoRuntime) || !errors.Is(err, os.ErrNotExist) {
		t.Errorf("explicit missing file: %v", err)
	}
	t.Setenv(LibraryEnv, filepath.Join(dir, "nope.so"))
	if _, err := FindLibrary(""); !errors.Is(err, ErrNoRuntime) || !strings.Contains(err.Error(), "$"+LibraryEnv) {
		t.Errorf("missing file in $%s: %v", LibraryEnv, err)
	}
	if p, err := FindLibrary("libonnxruntime.so.1"); err != nil || p != "libonnxruntime.so.1" {
		t.Errorf("bare name: %q, %v", p, err)
	}
}

func TestResolveShape(t *testing.T) {
	for _, c := range []struct {
		model, want, got []int64
		ok               bool
	}{
		{[]int64{1, 3, 640, 640}, nil, []int64{1, 3, 640, 640}, true},
		{[]int64{1, 3, -1, -1}, nil, nil, false},
		{[]int64{1, 3, -1, -1}, []int64{1, 3, 480, 640}, []int64{1, 3, 480, 640}, true},
		{[]int64{1, 3, 640, 640}, []int64{1, 3, 640, 640}, []int64{1, 3, 640, 640}, true},
		{[]int64{1, 3, 640, 640}, []int64{1, 3, 320, 320}, nil, false},
		{[]int64{1, 3, -1, -1}, []int64{1, 3, 0, 640}, nil, false},
		{[]int64{1, 3, 640, 640}, []int64{3, 640, 640}, nil, false},
	} {
		got, err := resolveShape(c.model, c.want)
		if (err == nil) != c.ok || formatShape(got) != formatShape(c.got) {
			t.Errorf("resolveShape(%v, %v) = %v, %v", c.model, c.want, got, err)
		}
	}
	if s := formatShape([]int64{1, -1, 6}); s != "[1,?,6]" {
		t.Errorf("formatShape: %s", s)
	}
}
