//go:build unix

package stream

import (
	"context"
	"errors"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/netflow-monitor/monitor/flows"
	"github.com/netflow-monitor/monitor/input"
)

// TestLocalFIFO: a named pipe given as a source is refused at once, by
// name, instead of blocking in open until a writer comes.
func TestLocalFIFO(t *testing.T) {
	path := filepath.Join(t.TempDir(), "fifo")
	if err := syscall.Mkfifo(path, 0o600); err != nil {
		t.Skip(err)
	}
	for _, follow := range []bool{false, true} {
		done := make(chan error, 1)
		go func() {
			done <- (&Local{Path: path, Follow: follow, Format: "auto"}).Run(context.Background(), Position{}, func(*flows.Flow, *Position) error { return nil })
		}()
		select {
		case err := <-done:
			if !errors.Is(err, input.ErrNotRegular) {
				t.Errorf("follow %v: %v, want it refused", follow, err)
			}
		case <-time.After(5 * time.Second):
			t.Fatalf("follow %v: blocked on a named pipe", follow)
		}
	}
}
