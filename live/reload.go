package live

import (
	"github.com/netflow-monitor/monitor/detector"
	"github.com/netflow-monitor/monitor/rootcause"
)

// ReloadModels loads the model files that train has replaced since they
// were loaded, and hands each unit judged by one to its new model, which
// goes on from the unit's unfinished window (detector.Restore): no window
// is lost. A file that does not load is reported and the unit keeps its
// model until the file changes again.
func (e *Engine) ReloadModels() {
	e.mu.Lock()
	byPath := map[string]*loaded{}
	for _, u := range e.units {
		byPath[u.model.path] = u.model
	}
	e.mu.Unlock()
	for path, old := range byPath {
		if !old.changed() {
			continue
		}
		l, err := loadModel(path, old.owner)
		if err != nil {
			e.cfg.Log("model %s changed but does not load; the units keep the one they have: %v", path, err)
			e.mu.Lock()
			if info, serr := statFile(path); serr == nil {
				old.info = info // said once per change
			}
			e.mu.Unlock()
			continue
		}
		e.mu.Lock()
		for _, u := range e.units {
			if u.model != old {
				continue
			}
			u.det = detector.Restore(l.m, u.spec.addr, u.det.State())
			u.model = l
			u.b.Judge(l.m, l.id)
			if u.sp != nil {
				u.sp.names = rootcause.NewNames(l.m.Encoder)
			}
			e.metrics.reloads.WithLabelValues(u.spec.name).Inc()
		}
		e.mu.Unlock()
		e.cfg.Log("model %s reloaded (%s, threshold %.2f)", path, l.id.ID, l.id.Threshold)
	}
}
