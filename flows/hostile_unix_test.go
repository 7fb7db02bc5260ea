//go:build unix

package flows

import (
	"errors"
	"os"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/netflow-monitor/monitor/input"
)

// TestSpecialFilesRefused: a named pipe with no writer (opening it to read
// would wait for one forever) and /dev/zero (which never ends) are refused
// at once, by name, by Open and ReadAll.
func TestSpecialFilesRefused(t *testing.T) {
	fifo := filepath.Join(t.TempDir(), "flows.csv")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Fatalf("mkfifo: %v", err)
	}
	for _, tc := range []struct{ path, kind string }{
		{fifo, "named pipe"},
		{"/dev/zero", "character device"},
	} {
		if _, err := os.Stat(tc.path); err != nil {
			t.Logf("skipped %s: %v", tc.path, err)
			continue
		}
		want := "open flows: " + tc.path + ": is a " + tc.kind + ", not a regular file"
		start := time.Now()
		_, _, err := ReadAll(t.Context(), tc.path, "auto", DecodeOptions{})
		if !errors.Is(err, input.ErrNotRegular) || err.Error() != want {
			t.Errorf("ReadAll: %v, want %q", err, want)
		}
		_, _, err = Open(t.Context(), tc.path, "auto", DecodeOptions{})
		if !errors.Is(err, input.ErrNotRegular) || err.Error() != want {
			t.Errorf("Open: %v, want %q", err, want)
		}
		if d := time.Since(start); d > 500*time.Millisecond {
			t.Errorf("%s: took %v", tc.path, d)
		}
	}
}
