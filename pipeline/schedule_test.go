package pipeline

import (
	"bytes"
	"context"
	"errors"
	"math/rand/v2"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
)

// TestJobsBudget: reservations never take more than the budget together,
// each waits its turn and gets it, and one larger than the whole budget
// fails at once saying so.
func TestJobsBudget(t *testing.T) {
	const total = 1000
	j := newJobs(2, total, total)
	if _, err := j.reserve(t.Context(), total+1); err == nil || !strings.Contains(err.Error(), "--max-memory") {
		t.Fatalf("reserving more than the budget: %v, want an error naming --max-memory", err)
	}
	var mu sync.Mutex
	held, peak := int64(0), int64(0)
	var wg sync.WaitGroup
	rng := rand.New(rand.NewPCG(1, 2))
	for range 64 {
		n := 1 + rng.Int64N(total)
		wg.Go(func() {
			release, err := j.reserve(t.Context(), n)
			if err != nil {
				t.Error(err)
				return
			}
			mu.Lock()
			held += n
			peak = max(peak, held)
			mu.Unlock()
			mu.Lock()
			held -= n
			mu.Unlock()
			release()
		})
	}
	wg.Wait()
	if peak > total {
		t.Errorf("%d reserved at once, budget %d", peak, total)
	}
	// No budget: nothing waits.
	release, err := newJobs(2, 0, 0).reserve(t.Context(), 1<<62)
	if err != nil {
		t.Fatal(err)
	}
	release()
}

// TestSlotsUnitGoesOn: a unit whose budget holds one of its automata and
// no more learns them all, one at a time; with room for more, side by
// side on as many cores as there are; and every learning tells its part of
// the unit's progress.
func TestSlotsUnitGoesOn(t *testing.T) {
	for _, tc := range []struct {
		name         string
		budget, each int64
		cores        int
		wantMost     int32
	}{
		{"room for one", 100, 100, 2, 1},
		{"room for three, two cores", 300, 100, 2, 2},
		{"no budget", 0, 100, 3, 3},
	} {
		t.Run(tc.name, func(t *testing.T) {
			j := newJobs(tc.cores, tc.budget, tc.budget)
			release, err := j.reserve(t.Context(), tc.each)
			if err != nil {
				t.Fatal(err)
			}
			defer release()
			p := &countProgress{}
			sh := &share{p: p, flows: 600}
			s := j.forUnit(tc.each)
			s.done, s.part = sh, 1.0/6
			var now, most atomic.Int32
			gate := make(chan struct{})
			var wg sync.WaitGroup
			for range 6 {
				wg.Go(func() {
					err := s.do(t.Context(), func() error {
						n := now.Add(1)
						for m := most.Load(); n > m && !most.CompareAndSwap(m, n); m = most.Load() {
						}
						<-gate // all wait here until every learning that can run has started
						now.Add(-1)
						return nil
					})
					if err != nil {
						t.Error(err)
					}
				})
			}
			// Let the learnings that can run start, then let them all go.
			for most.Load() < tc.wantMost {
				runtime.Gosched()
			}
			close(gate)
			wg.Wait()
			if got := most.Load(); got != tc.wantMost {
				t.Errorf("%d learnings at once, want %d", got, tc.wantMost)
			}
			if p.done != 600 {
				t.Errorf("progress %d flows, want the unit's 600", p.done)
			}
		})
	}
}

// TestSlotsCancelled: a learning waiting for its memory stops when the
// training is cancelled.
func TestSlotsCancelled(t *testing.T) {
	j := newJobs(1, 100, 100)
	release, err := j.reserve(t.Context(), 100)
	if err != nil {
		t.Fatal(err)
	}
	defer release()
	s := j.forUnit(100)
	hold := make(chan struct{})
	go func() { _ = s.do(context.Background(), func() error { <-hold; return nil }) }()
	for len(s.own) != 0 {
		runtime.Gosched()
	}
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	if err := s.do(ctx, func() error { return nil }); !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled while waiting: %v, want context.Canceled", err)
	}
	close(hold)
}

// TestTrainMemoryBudget: under a budget that holds one unit at a time the
// shipped example trains to the very same outputs as without, and a unit
// that alone needs more than the budget fails saying so, the others
// trained; progress adds up to the flows counted ahead.
func TestTrainMemoryBudget(t *testing.T) {
	free := exampleConfig(t)
	p := &countProgress{}
	free.Progress = p
	trainOK(t, free)
	if p.total == 0 || p.done != p.total {
		t.Errorf("progress: %d of %d flows told", p.done, p.total)
	}
	want := models(t, free.TrainRoot)

	units, _, err := selectUnits(free.TrainRoot, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	var largest, smallest int64 = 0, 1 << 62
	for _, u := range units {
		pl := planUnit(t.Context(), &free, u)
		largest, smallest = max(largest, pl.need), min(smallest, pl.need)
	}

	one := exampleConfig(t)
	one.MaxMemory = baseBytes + largest
	trainOK(t, one)
	if got := models(t, one.TrainRoot); !equalFiles(got, want) {
		t.Error("under a budget of one unit the models differ from those without")
	}

	tight := exampleConfig(t)
	tight.MaxMemory = baseBytes + (largest+smallest)/2
	results, _, err := Train(t.Context(), tight)
	if err != nil {
		t.Fatal(err)
	}
	failed := 0
	for _, r := range results {
		if r.Err != nil {
			failed++
			if !strings.Contains(r.Err.Error(), "--max-memory") {
				t.Errorf("%s: %v, want an error naming --max-memory", r.Unit, r.Err)
			}
		}
	}
	if failed == 0 || failed == len(results) {
		t.Errorf("%d of %d units failed under a budget between the smallest's and the largest's need", failed, len(results))
	}
}

func trainOK(t *testing.T, c Config) {
	t.Helper()
	results, _, err := Train(t.Context(), c)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range results {
		if r.Err != nil {
			t.Fatalf("%s: %v", r.Unit, r.Err)
		}
	}
}

// models reads every model file under root, by unit folder.
func models(t *testing.T, root string) map[string][]byte {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(root, "*", "model.json"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no models under %s (%v)", root, err)
	}
	out := map[string][]byte{}
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		out[filepath.Base(filepath.Dir(f))] = b
	}
	return out
}

func equalFiles(a, b map[string][]byte) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if !bytes.Equal(v, b[k]) {
			return false
		}
	}
	return true
}

// countProgress is a Progress that sums what it is told.
type countProgress struct {
	mu          sync.Mutex
	total, done int
}

func (p *countProgress) Total(n int) { p.mu.Lock(); p.total = n; p.mu.Unlock() }
func (p *countProgress) Add(n int)   { p.mu.Lock(); p.done += n; p.mu.Unlock() }
