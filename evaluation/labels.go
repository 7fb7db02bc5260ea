// Package evaluation measures detectors against labelled flows: which
// traces are malicious or benign by their flows' labels, confusion counts
// and the usual rates, how often the blamed (root-cause) flow is itself
// malicious, a baseline detector for comparison, and a sweep over the
// threshold's sigma multiplier.
package evaluation

import "strings"

// Class is what a flow's label says about it.
type Class uint8

// Classes. Unknown flows (unlabelled, or CTU-13 "Background") are neither
// benign nor malicious.
const (
	Unknown Class = iota
	Benign
	Malicious
)

// String returns "unknown", "benign" or "malicious".
func (c Class) String() string {
	switch c {
	case Benign:
		return "benign"
	case Malicious:
		return "malicious"
	}
	return "unknown"
}

// Classify reads a flow label, case-insensitively:
//   - malicious when it mentions botnet, malicious, malware, attack or
//     anomaly (CTU-13 "flow=From-Botnet-V46-...", the simulator's
//     "anomaly:port-scan");
//   - otherwise benign when it mentions normal or benign (CTU-13
//     "flow=From-Normal-V46-...", the simulator's "normal");
//   - otherwise unknown (empty labels, CTU-13 "flow=Background-...").
func Classify(label string) Class {
	l := strings.ToLower(label)
	for _, w := range []string{"botnet", "malicious", "malware", "attack", "anomaly"} {
		if strings.Contains(l, w) {
			return Malicious
		}
	}
	for _, w := range []string{"normal", "benign"} {
		if strings.Contains(l, w) {
			return Benign
		}
	}
	return Unknown
}

// TraceClass is the class of a trace from its flows' classes: malicious
// when any flow is, benign when every flow is benign, unknown otherwise
// (such traces are left out of the metrics).
func TraceClass(flows []Class) Class {
	benign := len(flows) > 0
	for _, c := range flows {
		switch c {
		case Malicious:
			return Malicious
		case Unknown:
			benign = false
		}
	}
	if benign {
		return Benign
	}
	return Unknown
}
