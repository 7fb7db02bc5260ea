package pipeline

import (
	"context"
	"fmt"
)

// slots bounds the automata learned at once in one training. A unit
// learns its model and each held-out fold's model as jobs of their own,
// so that the cores stay busy when one unit is much larger than the
// others (or is the only one); each job holds a slot while it runs, and
// the goroutines that wait for jobs hold none, so waiting cannot
// deadlock.
type slots chan struct{}

func newSlots(n int) slots { return make(slots, max(n, 1)) }

// do runs fn once a slot is free, or returns the context's error if it
// is done first.
func (s slots) do(ctx context.Context, fn func() error) error {
	select {
	case s <- struct{}{}:
	case <-ctx.Done():
		return fmt.Errorf("cancelled: %w", ctx.Err())
	}
	defer func() { <-s }()
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("cancelled: %w", err)
	}
	return fn()
}
