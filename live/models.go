package live

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"net/netip"
	"os"
	"path/filepath"
	"slices"

	"github.com/netflow-monitor/monitor/incident"
	"github.com/netflow-monitor/monitor/layout"
	"github.com/netflow-monitor/monitor/model"
)

// loaded is a model as loaded from its file, with its identity.
type loaded struct {
	path  string
	owner string // the unit whose model it must be
	m     *model.Model
	id    incident.Model
	info  os.FileInfo // of the file it was loaded from
}

// loadModel loads the model at path, checks that it is owner's, and names
// it by the SHA-256 of its file. The file is read again after loading, so
// that a model replaced meanwhile is not given the other's identity.
func loadModel(path, owner string) (*loaded, error) {
	for range 3 {
		info, err := os.Stat(path)
		if err != nil {
			return nil, fmt.Errorf("load model: %w", err)
		}
		before, err := os.ReadFile(path)
		if err != nil {
			return nil, fmt.Errorf("load model: %w", err)
		}
		m, err := model.Load(path)
		if err != nil {
			return nil, err
		}
		after, err := os.ReadFile(path)
		if err != nil {
			return nil, fmt.Errorf("load model: %w", err)
		}
		if !bytes.Equal(before, after) {
			continue // replaced while it was read: again
		}
		if err := m.CheckOwner(path, owner); err != nil {
			return nil, err
		}
		sum := sha256.Sum256(before)
		t := m.Threshold
		return &loaded{path: path, owner: owner, m: m, info: info, id: incident.Model{
			Unit: m.Unit, ID: "sha256:" + hex.EncodeToString(sum[:8]), Threshold: t.Value, Mean: t.Mean, SD: t.SD, K: t.K,
		}}, nil
	}
	return nil, fmt.Errorf("load model %s: it kept changing while it was read", path)
}

// changed reports whether the model file at l.path is another file than
// the one loaded (train switches a new folder in: a new file).
func (l *loaded) changed() bool {
	info, err := os.Stat(l.path)
	if err != nil {
		return false // between two renames, or gone: keep the one loaded
	}
	return !os.SameFile(info, l.info) || info.Size() != l.info.Size() || !info.ModTime().Equal(l.info.ModTime())
}

// unitSpec is a unit to watch: a host and the model that judges it.
type unitSpec struct {
	name      string
	addr      netip.Addr
	modelPath string
	owner     string
}

// selectUnits returns the units to watch, sorted by address: with a shared
// model (--model), the hosts given, else the monitor folder's hosts, else
// the group's members; otherwise every service of the train folder that
// has a model (only those given, when some are).
func selectUnits(c *Config) ([]unitSpec, error) {
	var specs []unitSpec
	if c.Model != "" {
		path, err := layout.ModelPath(c.TrainRoot, c.Model)
		if err != nil {
			return nil, fmt.Errorf("--model %w", err)
		}
		hosts := slices.Clone(c.Services)
		if len(hosts) == 0 && c.MonitorRoot != "" {
			if units, _, err := layout.Discover(c.MonitorRoot); err == nil {
				for _, u := range units {
					if !u.IsGroup() {
						hosts = append(hosts, u.Addr)
					}
				}
			}
		}
		if len(hosts) == 0 {
			if g, err := layout.ReadGroup(filepath.Dir(path)); err == nil {
				hosts = g.Members
			}
		}
		if len(hosts) == 0 {
			return nil, fmt.Errorf("--model %s: no hosts to judge with it: give them with --service", c.Model)
		}
		for _, h := range hosts {
			specs = append(specs, unitSpec{name: h.String(), addr: h, modelPath: path, owner: c.Model})
		}
	} else {
		units, _, err := layout.Discover(c.TrainRoot)
		if err != nil {
			return nil, fmt.Errorf("train folder: %w", err)
		}
		for _, u := range units {
			if u.IsGroup() || len(c.Services) > 0 && !slices.Contains(c.Services, u.Addr) {
				continue
			}
			path := filepath.Join(layout.Dir(c.TrainRoot, u), layout.ModelFile)
			if _, err := os.Stat(path); err != nil {
				if len(c.Services) > 0 {
					return nil, fmt.Errorf("no model for %s (train it first): %w", u.Name, err)
				}
				continue
			}
			specs = append(specs, unitSpec{name: u.Name, addr: u.Addr, modelPath: path, owner: u.Name})
		}
		for _, s := range c.Services {
			if !slices.ContainsFunc(specs, func(u unitSpec) bool { return u.addr == s }) {
				return nil, fmt.Errorf("no model for %s in %s (train it first)", s, c.TrainRoot)
			}
		}
	}
	if len(specs) == 0 {
		return nil, errors.New("no unit to watch: train models first (no service of the train folder has a model.json)")
	}
	slices.SortFunc(specs, func(a, b unitSpec) int { return a.addr.Compare(b.addr) })
	specs = slices.CompactFunc(specs, func(a, b unitSpec) bool { return a.addr == b.addr })
	return specs, nil
}
