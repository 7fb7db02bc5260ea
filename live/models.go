package live

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"net/netip"
	"os"
	"slices"
	"strings"

	"github.com/netflow-monitor/monitor/incident"
	"github.com/netflow-monitor/monitor/layout"
	"github.com/netflow-monitor/monitor/model"
	"github.com/netflow-monitor/monitor/rootcause"
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
		return &loaded{path: path, owner: owner, m: m, info: info, id: rootcause.IncidentModel(m, "sha256:"+hex.EncodeToString(sum[:8]))}, nil
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

// selectUnits returns the units to watch, sorted by address: the hosts
// given (--service), else every host run would judge: those of the
// monitor folder, the train folder's services and its groups' members
// (with --model, its group's members). Which model judges each is
// layout.Judges' decision, as it is run's. A host found that way but
// whose model is not trained yet is left out and said; a host given by
// --service must have one.
func selectUnits(c *Config) ([]unitSpec, error) {
	judges, err := layout.NewJudges(c.TrainRoot, c.Model)
	if err != nil {
		return nil, err
	}
	hosts, given := slices.Clone(c.Services), len(c.Services) > 0
	if !given {
		hosts = judges.Hosts()
		if c.MonitorRoot != "" {
			if units, _, err := layout.Discover(c.MonitorRoot); err == nil {
				for _, u := range units {
					if !u.IsGroup() {
						hosts = append(hosts, u.Addr)
					}
				}
			}
		}
	}
	slices.SortFunc(hosts, func(a, b netip.Addr) int { return a.Compare(b) })
	hosts = slices.Compact(hosts)
	var specs []unitSpec
	var missing []string
	for _, h := range hosts {
		unit, path, err := judges.ModelPath(h)
		if err == nil {
			err = judges.HasModel(unit)
		}
		if err != nil {
			if given || c.Model != "" {
				return nil, fmt.Errorf("%s: %w", h, err)
			}
			missing = append(missing, h.String())
			continue
		}
		specs = append(specs, unitSpec{name: h.String(), addr: h, modelPath: path, owner: unit})
	}
	if len(missing) > 0 && c.Log != nil {
		c.Log("not watched, no model yet: %s", strings.Join(missing, ", "))
	}
	if len(specs) == 0 {
		return nil, errors.New("no unit to watch: train models first (no host of the train or monitor folder has a model.json)")
	}
	return specs, nil
}
