package pipeline

import (
	"bytes"
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"
)

// countdown is a context that is cancelled at its n-th look (Err or
// Done): a command stopped at whichever step asks next.
type countdown struct {
	context.Context
	n    atomic.Int64
	once sync.Once
	done chan struct{}
}

func newCountdown(n int64) *countdown {
	c := &countdown{Context: context.Background(), done: make(chan struct{})}
	c.n.Store(n)
	return c
}

func (c *countdown) look() bool {
	if c.n.Add(-1) <= 0 {
		c.once.Do(func() { close(c.done) })
		return true
	}
	return false
}

func (c *countdown) Done() <-chan struct{} {
	c.look()
	return c.done
}

func (c *countdown) Err() error {
	if c.look() {
		return context.Canceled
	}
	return nil
}

// TestStoppedRunKeepsLastRun: a run stopped at any point (Ctrl-C,
// SIGTERM) fails no unit: every folder keeps the outputs of the last
// complete run, byte for byte, and summary.csv and report.html are those
// of that run.
func TestStoppedRunKeepsLastRun(t *testing.T) {
	dir := t.TempDir()
	c := smallFixture(t, dir)
	ctx := context.Background()
	if _, _, err := Train(ctx, c); err != nil {
		t.Fatal(err)
	}
	if _, _, err := Run(ctx, c); err != nil {
		t.Fatal(err)
	}
	want := readTree(t, c.MonitorRoot)
	stops := 0
	for n := int64(1); ; n = n*3/2 + 1 {
		_, _, err := Run(newCountdown(n), c)
		got := readTree(t, c.MonitorRoot)
		for name, b := range want {
			if !bytes.Equal(got[name], b) {
				t.Errorf("stopped at look %d (%v): %s differs from the last complete run's", n, err, name)
			}
		}
		for name := range got {
			if _, ok := want[name]; !ok {
				t.Errorf("stopped at look %d (%v): %s left behind", n, err, name)
			}
		}
		if err == nil {
			break
		}
		if !errors.Is(err, context.Canceled) {
			t.Fatalf("stopped at look %d: error %v, want context.Canceled", n, err)
		}
		stops++
	}
	if stops < 5 {
		t.Errorf("only %d stops before the run finished: the test stops nothing", stops)
	}
}
