package main

import (
	"io"
	"os"
	"sync"
	"time"

	"github.com/schollz/progressbar/v3"
	"golang.org/x/term"
)

// isTerminal reports whether w is a terminal, where progress bars go.
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	return ok && term.IsTerminal(int(f.Fd()))
}

// bar is the commands' progress bar (progressbar/v3), drawn on w only when
// it is a terminal and quiet is off; otherwise every method does nothing.
// It shows the count done, its rate and the time left. It is safe for
// concurrent use (pipeline.Progress).
type bar struct {
	mu   sync.Mutex
	desc string
	unit string    // what it counts, for the rate ("flows/s"); "": steps
	w    io.Writer // nil: no bar
	pb   *progressbar.ProgressBar
}

// newBar returns a bar described as desc, on w.
func newBar(w io.Writer, desc string, quiet bool) *bar {
	b := &bar{desc: desc}
	if !quiet && isTerminal(w) {
		b.w = w
	}
	return b
}

// counting makes the bar count unit (say "flows") rather than steps.
func (b *bar) counting(unit string) *bar {
	b.unit = unit
	return b
}

// on reports whether the bar is drawn.
func (b *bar) on() bool { return b.w != nil }

// Total starts the bar for n steps.
func (b *bar) Total(n int) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.w == nil {
		return
	}
	opts := []progressbar.Option{progressbar.OptionSetWriter(b.w), progressbar.OptionSetDescription(b.desc),
		progressbar.OptionShowCount(), progressbar.OptionClearOnFinish(), progressbar.OptionSetPredictTime(false),
		progressbar.OptionThrottle(100 * time.Millisecond)}
	if b.unit != "" {
		// Work counted in units that take about the same time each: the
		// rate and the time left mean something.
		opts = append(opts, progressbar.OptionShowIts(), progressbar.OptionSetItsString(b.unit), progressbar.OptionSetPredictTime(true))
	}
	b.pb = progressbar.NewOptions(n, opts...)
}

// Add adds n done.
func (b *bar) Add(n int) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.pb != nil {
		_ = b.pb.Add(n)
	}
}

// Set says done of total steps are done, starting the bar on the first
// call.
func (b *bar) Set(done, total int) {
	if b.w == nil {
		return
	}
	b.mu.Lock()
	started := b.pb != nil
	b.mu.Unlock()
	if !started {
		b.Total(total)
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	_ = b.pb.Set(done)
}

// finish ends the bar, clearing it.
func (b *bar) finish() {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.pb != nil {
		_ = b.pb.Finish()
	}
}
