package layout

import (
	"errors"
	"fmt"
	"net/netip"
	"os"
	"path/filepath"
	"slices"
	"strings"
)

// Judges decides which unit's model judges a monitored host. It is the one
// place that decides it, for run, watch, route and evaluate alike: the
// unit named by --model when one is given; else the host's own unit when
// it has a folder under the train root; else the group it is a member of
// (an error when it is a member of several).
type Judges struct {
	root   string
	shared string // --model's unit, or ""
	own    map[netip.Addr]bool
	in     map[netip.Addr][]string // the groups each host is a member of
	groups map[string][]netip.Addr // each group's members
	order  []netip.Addr            // services with a folder, then members, by address
}

// NewJudges reads the train root's units (a root that cannot be listed
// has none: loading a model then says why) and returns the judges of its
// hosts; shared is --model's unit name, or "".
func NewJudges(trainRoot, shared string) (*Judges, error) {
	if shared != "" {
		if _, err := ModelPath(trainRoot, shared); err != nil {
			return nil, fmt.Errorf("--model %w", err)
		}
	}
	j := &Judges{root: trainRoot, shared: shared, own: map[netip.Addr]bool{}, in: map[netip.Addr][]string{}, groups: map[string][]netip.Addr{}}
	units, _, _ := Discover(trainRoot)
	for _, u := range units {
		if !u.IsGroup() {
			j.own[u.Addr] = true
			j.order = append(j.order, u.Addr)
			continue
		}
		j.groups[u.Name] = u.Members
		for _, m := range u.Members {
			j.in[m] = append(j.in[m], u.Name)
			j.order = append(j.order, m)
		}
	}
	slices.SortFunc(j.order, func(a, b netip.Addr) int { return a.Compare(b) })
	j.order = slices.Compact(j.order)
	return j, nil
}

// Shared returns --model's unit, or "".
func (j *Judges) Shared() string { return j.shared }

// Unit returns the unit whose model judges host.
func (j *Judges) Unit(host netip.Addr) (string, error) {
	if j.shared != "" {
		return j.shared, nil
	}
	switch g := j.in[host]; {
	case j.own[host] || len(g) == 0:
		return host.String(), nil
	case len(g) == 1:
		return g[0], nil
	default:
		return "", fmt.Errorf("%s has no model of its own and is a member of the groups %s: pick one with --model", host, strings.Join(g, ", "))
	}
}

// ModelPath returns the model file of the unit that judges host.
func (j *Judges) ModelPath(host netip.Addr) (unit, path string, err error) {
	if unit, err = j.Unit(host); err != nil {
		return "", "", err
	}
	path, err = ModelPath(j.root, unit)
	return unit, path, err
}

// Hosts returns the hosts that the train root's models can judge, by
// address: with --model, its group's members (or the service itself);
// else every service with a folder and every group's members.
func (j *Judges) Hosts() []netip.Addr {
	if j.shared == "" {
		return slices.Clone(j.order)
	}
	if m, ok := j.groups[j.shared]; ok {
		return slices.Clone(m)
	}
	if a, err := ParseService(j.shared); err == nil {
		return []netip.Addr{a}
	}
	return nil
}

// ErrNoModel is wrapped by the error of a host whose judging unit has no
// model file yet.
var ErrNoModel = errors.New("no model")

// HasModel reports whether the model file of unit exists, wrapping
// ErrNoModel when it does not.
func (j *Judges) HasModel(unit string) error {
	path, err := ModelPath(j.root, unit)
	if err != nil {
		return err
	}
	if st, err := os.Stat(path); err != nil || !st.Mode().IsRegular() {
		return fmt.Errorf("%w for %s in %s (train it first)", ErrNoModel, unit, filepath.Dir(path))
	}
	return nil
}
