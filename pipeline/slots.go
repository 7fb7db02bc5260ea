package pipeline

import (
	"context"
	"fmt"

	"golang.org/x/sync/semaphore"
)

// jobs is what one training's learnings share: the cores, a slot each
// (every unit learns its model and each held-out fold's model as jobs of
// their own, so that the cores stay busy when one unit is much larger
// than the others, or is the only one), and, with Config.MaxMemory, the
// memory budget that units and learnings reserve from before they take
// it (see memoryNeed). Goroutines that wait hold neither, so waiting
// cannot deadlock.
type jobs struct {
	cores chan struct{}
	mem   *semaphore.Weighted // nil: no budget
	total int64               // the budget
	limit int64               // the --max-memory it comes from, for messages
}

// newJobs returns the jobs of a training on cores cores, with budget bytes
// for units and learnings out of the user's limit (0: no budget).
func newJobs(cores int, budget, limit int64) *jobs {
	j := &jobs{cores: make(chan struct{}, max(cores, 1)), total: budget, limit: limit}
	if budget > 0 {
		j.mem = semaphore.NewWeighted(budget)
	}
	return j
}

// reserve waits for n bytes of the budget, in the order asked (the
// largest units are asked for first), and returns the function that gives
// them back. It fails at once when n is more than the whole budget.
func (j *jobs) reserve(ctx context.Context, n int64) (func(), error) {
	if j.mem == nil {
		return func() {}, nil
	}
	if n > j.total {
		return nil, fmt.Errorf("needs about %s of memory, more than --max-memory %s leaves for units (%s); raise it, or train on a shorter period", formatBytes(n), formatBytes(j.limit), formatBytes(j.total))
	}
	if err := j.mem.Acquire(ctx, n); err != nil {
		return nil, fmt.Errorf("cancelled: %w", err)
	}
	return func() { j.mem.Release(n) }, nil
}

// slots runs one unit's learnings on the training's jobs. The unit
// reserved the memory of one learning when it started (own); a learning
// that finds it taken by another of the unit's learnings reserves its own
// if the budget has room at once, and otherwise waits for the unit's, so
// that every unit always has one learning going. Memory is taken before a
// core: a learning that holds a core never waits.
type slots struct {
	jobs *jobs
	own  chan struct{} // the unit's reserved learning; nil without a budget
	each int64         // the memory of one of the unit's learnings
	done *share        // told part of the unit's work for each learning done
	part float64
}

// forUnit returns the slots of a unit whose learnings take each bytes and
// which has reserved one of them.
func (j *jobs) forUnit(each int64) slots {
	s := slots{jobs: j, each: each}
	if j.mem != nil {
		s.own = make(chan struct{}, 1)
		s.own <- struct{}{}
	}
	return s
}

// do runs fn once its memory and a core are free, or returns the
// context's error if it is done first.
func (s slots) do(ctx context.Context, fn func() error) error {
	if s.own != nil {
		release, err := s.memory(ctx)
		if err != nil {
			return err
		}
		defer release()
	}
	select {
	case s.jobs.cores <- struct{}{}:
	case <-ctx.Done():
		return fmt.Errorf("cancelled: %w", ctx.Err())
	}
	defer func() { <-s.jobs.cores }()
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("cancelled: %w", err)
	}
	err := fn()
	if err == nil {
		s.done.add(s.part)
	}
	return err
}

// memory takes the memory of one learning: the unit's own, else room in
// the budget if there is some now, else the unit's own once it is free.
func (s slots) memory(ctx context.Context) (func(), error) {
	select {
	case <-s.own:
		return func() { s.own <- struct{}{} }, nil
	default:
	}
	if s.jobs.mem.TryAcquire(s.each) {
		return func() { s.jobs.mem.Release(s.each) }, nil
	}
	select {
	case <-s.own:
		return func() { s.own <- struct{}{} }, nil
	case <-ctx.Done():
		return nil, fmt.Errorf("cancelled: %w", ctx.Err())
	}
}
