package evaluation

import (
	"fmt"
	"math"
	"strings"

	"github.com/netflow-monitor/monitor/layout"
)

// Detector is one detector evaluate can measure. Detectors lists them;
// adding one is a file with its Verdicts function and one line there.
type Detector struct {
	// Name is the detector's --detector name.
	Name string
	// Doc says in a few words what it flags, for --help.
	Doc string
	// ReadsPredictions: it judges by the run's predictions file (and has
	// the automaton's root-cause states).
	ReadsPredictions bool
	// Threshold: its verdicts come from the model's threshold, so --sweep
	// can vary it.
	Threshold bool
	// Verdicts judges every window of a host.
	Verdicts func(e *evaluator, h *Host) ([]Verdict, error)
}

// Detectors returns the detectors, the default first.
func Detectors() []Detector {
	return []Detector{
		{Name: "automaton", Doc: "the run's verdicts: windows below the model's threshold",
			ReadsPredictions: true, Threshold: true, Verdicts: automatonVerdicts},
		{Name: "new-connection", Doc: "baseline: windows holding a connection never seen in training",
			Verdicts: newConnectionVerdicts},
	}
}

// DetectorNames lists the detectors' names, the default first.
func DetectorNames() []string {
	var out []string
	for _, d := range Detectors() {
		out = append(out, d.Name)
	}
	return out
}

func detectorByName(name string) (Detector, error) {
	for _, d := range Detectors() {
		if d.Name == name {
			return d, nil
		}
	}
	return Detector{}, fmt.Errorf("detector %q: want %s", name, strings.Join(DetectorNames(), " or "))
}

// automatonVerdicts are the run's: a window is flagged below the model's
// threshold, and blamed on its least likely flow.
func automatonVerdicts(_ *evaluator, h *Host) ([]Verdict, error) {
	thr := Thresholds{Sum: h.Model.Threshold.Value, Flow: math.Inf(-1)}
	if f := h.Model.FlowThreshold; f != nil {
		thr.Flow = f.Value
	}
	return AtThreshold(h.Scored, thr), nil
}

// newConnectionVerdicts are the baseline's, learnt from the training
// flows of the host's model's unit.
func newConnectionVerdicts(e *evaluator, h *Host) ([]Verdict, error) {
	key := "new-connection " + h.Model.Unit
	b, _ := e.state[key].(*NewConnection)
	if b == nil {
		m := h.Model
		u := layout.Unit{Name: m.Unit}
		if a, err := layout.ParseService(m.Unit); err == nil {
			u = layout.ServiceUnit(a)
		} else {
			for _, s := range m.Members {
				a, err := layout.ParseService(s)
				if err != nil {
					return nil, fmt.Errorf("model %s: member: %w", m.Unit, err)
				}
				u.Members = append(u.Members, a)
			}
		}
		seqs, err := e.readFlows(layout.TrainFile(e.c.TrainRoot, u), u.Hosts())
		if err != nil {
			return nil, err
		}
		b = NewNewConnection()
		for _, s := range seqs {
			b.Learn(s.Flows, s.Dirs)
		}
		e.state[key] = b
	}
	return b.Verdicts(h.Flows.Flows, h.Flows.Dirs, h.Spans), nil
}
