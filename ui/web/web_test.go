package web

import (
	"io/fs"
	"path"
	"regexp"
	"strings"
	"testing"
)

func TestAssetsHoldTheComponent(t *testing.T) {
	for _, name := range []string{"rtc-stream.js", "rtc-stream.css", "signalling.js", "session.js", "media.js", "messages.js", "blocks.js", "blocks.css"} {
		b, err := fs.ReadFile(Assets(), name)
		if err != nil {
			t.Errorf("Assets() lacks %s: %v", name, err)
			continue
		}
		if len(b) == 0 {
			t.Errorf("%s is empty", name)
		}
	}
	if _, err := fs.Stat(Assets(), "assets"); err == nil {
		t.Error("Assets() should hold the files at its root, not under assets/")
	}
}

// importRE matches the module specifiers of static imports.
var importRE = regexp.MustCompile(`(?m)^\s*import\s+(?:[^"']*\sfrom\s+)?["']([^"']+)["']`)

func TestImportsResolveInsideAssets(t *testing.T) {
	err := fs.WalkDir(Assets(), ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(p, ".js") {
			return err
		}
		b, err := fs.ReadFile(Assets(), p)
		if err != nil {
			return err
		}
		for _, m := range importRE.FindAllStringSubmatch(string(b), -1) {
			spec := m[1]
			if !strings.HasPrefix(spec, "./") && !strings.HasPrefix(spec, "../") {
				t.Errorf("%s imports %q: only relative imports of embedded files are allowed", p, spec)
				continue
			}
			target := path.Join(path.Dir(p), spec)
			if _, err := fs.Stat(Assets(), target); err != nil {
				t.Errorf("%s imports %q, which is not in Assets(): %v", p, spec, err)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

func TestAssetsNeedNoNetwork(t *testing.T) {
	external := regexp.MustCompile(`(?i)https?://|["'(]//[a-z0-9]`)
	err := fs.WalkDir(Assets(), ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		// Vendored libraries (vendor/README.md lists them, unchanged from
		// their packages) name URLs in their documentation and errors;
		// our code loads them from these assets only.
		if strings.HasPrefix(p, "vendor/") {
			return nil
		}
		b, err := fs.ReadFile(Assets(), p)
		if err != nil {
			return err
		}
		if loc := external.FindIndex(b); loc != nil {
			t.Errorf("%s refers to an external URL near %q", p, b[loc[0]:min(len(b), loc[1]+40)])
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

func TestProtocolNamesInSignalling(t *testing.T) {
	// The lead's server implements these exact routes and keys.
	b, err := fs.ReadFile(Assets(), "signalling.js")
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"/offer`", "/stop`", `"ice-candidate"`, "webrtc_id", "keepalive: true", "Retry-After"} {
		if !strings.Contains(string(b), want) {
			t.Errorf("signalling.js lacks %s", want)
		}
	}
	s, err := fs.ReadFile(Assets(), "session.js")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(s), `DATA_CHANNEL_LABEL = "rtcstream"`) {
		t.Error(`session.js does not name its data channel "rtcstream"`)
	}
}
