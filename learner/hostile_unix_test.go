//go:build unix

package learner

import (
	"errors"
	"os"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/netflow-monitor/monitor/input"
)

// TestSpecialFilesRefused: every reader of the learner refuses a named
// pipe (no writer: opening it would block) and /dev/zero, at once.
func TestSpecialFilesRefused(t *testing.T) {
	fifo := filepath.Join(t.TempDir(), "traces.txt")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Fatalf("mkfifo: %v", err)
	}
	readers := map[string]func(path string) error{
		"ReadTraces": func(p string) error {
			_, err := ReadTraces(t.Context(), p, FormatAbbadingo, nil, ReadOptions{})
			return err
		},
		"ReadPredictions":    func(p string) error { _, err := ReadPredictions(t.Context(), p, ReadOptions{}); return err },
		"ReadPredictionSums": func(p string) error { _, err := ReadPredictionSums(t.Context(), p, ReadOptions{}); return err },
		"ReadSolution":       func(p string) error { _, err := ReadSolution(t.Context(), p); return err },
		"LoadModel":          func(p string) error { _, err := LoadModel(p); return err },
	}
	for _, path := range []string{fifo, "/dev/zero"} {
		if _, err := os.Stat(path); err != nil {
			t.Logf("skipped %s: %v", path, err)
			continue
		}
		for name, read := range readers {
			start := time.Now()
			if err := read(path); !errors.Is(err, input.ErrNotRegular) {
				t.Errorf("%s(%s): %v, want a refusal", name, path, err)
			}
			if d := time.Since(start); d > 500*time.Millisecond {
				t.Errorf("%s(%s): took %v", name, path, d)
			}
		}
	}
}
