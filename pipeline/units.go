package pipeline

import (
	"cmp"
	"context"
	"fmt"
	"net/netip"
	"os"
	"path/filepath"
	"slices"
	"sync"

	"github.com/netflow-monitor/monitor/layout"
)

// selectUnits discovers the units under root and keeps those named by
// services and groups (all when both are empty). A named unit that is not
// there is an error.
func selectUnits(root string, services []netip.Addr, groups []string) ([]layout.Unit, []layout.Skipped, error) {
	units, skipped, err := layout.Discover(root)
	if err != nil {
		return nil, skipped, err
	}
	if len(services) == 0 && len(groups) == 0 {
		if len(units) == 0 {
			return nil, skipped, fmt.Errorf("%s: no service or group folders", root)
		}
		return units, skipped, nil
	}
	var out []layout.Unit
	for _, a := range services {
		i := slices.IndexFunc(units, func(u layout.Unit) bool { return u.Addr == a })
		if i < 0 {
			if j := slices.IndexFunc(skipped, func(s layout.Skipped) bool { return s.Name == a.String() }); j >= 0 {
				// A link, a file: the reason says more than "no folder".
				err := fmt.Errorf("service %s: %s: %w", a, filepath.Join(root, a.String()), skipped[j].Reason)
				return nil, slices.Delete(skipped, j, j+1), err
			}
			return nil, skipped, fmt.Errorf("service %s: no folder %s in %s", a, a, root)
		}
		out = append(out, units[i])
	}
	for _, g := range groups {
		i := slices.IndexFunc(units, func(u layout.Unit) bool { return u.IsGroup() && u.Name == g })
		if i < 0 {
			if j := slices.IndexFunc(skipped, func(s layout.Skipped) bool { return s.Name == g }); j >= 0 && layout.IsBroken(skipped[j].Reason) {
				// The error says it all; no "skipped" line for it too.
				err := fmt.Errorf("group %q: %w", g, skipped[j].Reason)
				return nil, slices.Delete(skipped, j, j+1), err
			}
			return nil, skipped, fmt.Errorf("group %q: no group folder in %s", g, root)
		}
		out = append(out, units[i])
	}
	return out, skipped, nil
}

// brokenUnits takes the folders that are meant as units but cannot be
// used (a group.json that cannot be used, a unit folder that is a
// symbolic link: see layout.IsBroken) out of skipped: they are not stray
// folders but units that fail.
func brokenUnits(skipped []layout.Skipped) (rest, broken []layout.Skipped) {
	for _, s := range skipped {
		if layout.IsBroken(s.Reason) {
			broken = append(broken, s)
		} else {
			rest = append(rest, s)
		}
	}
	return rest, broken
}

func servicesOnly(units []layout.Unit) []layout.Unit {
	return slices.DeleteFunc(units, func(u layout.Unit) bool { return u.IsGroup() })
}

// ErrNotStarted is the error of a unit that a cancellation kept from
// starting; it is a cancellation (errors.Is context.Canceled).
var ErrNotStarted = fmt.Errorf("not started: %w", context.Canceled)

// largestFirst orders units by the size of their flow file (named by
// file), largest first, ties in unit order: started first, the longest jobs
// do not finish alone at the end while the other workers idle. Results
// stay in unit order, so the output does not depend on it.
func largestFirst(units []layout.Unit, file func(layout.Unit) string) []int {
	size := make([]int64, len(units))
	order := make([]int, len(units))
	for i, u := range units {
		if st, err := os.Stat(file(u)); err == nil {
			size[i] = st.Size()
		}
		order[i] = i
	}
	slices.SortStableFunc(order, func(a, b int) int { return cmp.Compare(size[b], size[a]) })
	return order
}

// forEach calls fn(i) for every i in order on up to workers goroutines. It
// stops handing out work when ctx is cancelled and then returns ctx's
// error.
func forEach(ctx context.Context, workers int, order []int, fn func(ctx context.Context, i int)) error {
	n := len(order)
	jobs := make(chan int)
	var wg sync.WaitGroup
	for range min(workers, n) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range jobs {
				fn(ctx, i)
			}
		}()
	}
	var err error
feed:
	for _, i := range order {
		// A select with both cases ready picks one at random: check first,
		// so that no unit starts once the context is done.
		if ctx.Err() != nil {
			err = fmt.Errorf("cancelled: %w", ctx.Err())
			break
		}
		select {
		case jobs <- i:
		case <-ctx.Done():
			err = fmt.Errorf("cancelled: %w", ctx.Err())
			break feed
		}
	}
	close(jobs)
	wg.Wait()
	if err == nil && ctx.Err() != nil {
		err = fmt.Errorf("cancelled: %w", ctx.Err())
	}
	return err
}
