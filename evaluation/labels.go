// Package evaluation measures detectors against labelled flows: which
// traces are malicious or benign by their flows' labels, confusion counts
// and the usual rates, how often the blamed (root-cause) flow is itself
// malicious, a baseline detector for comparison, and a sweep over the
// threshold's sigma multiplier.
package evaluation

import (
	"cmp"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/netflow-monitor/monitor/input"
)

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

// MarshalText writes the class's name, so that JSON carries "malicious".
func (c Class) MarshalText() ([]byte, error) { return []byte(c.String()), nil }

// UnmarshalText reads a class's name (see ParseClass).
func (c *Class) UnmarshalText(b []byte) error {
	v, err := ParseClass(string(b))
	if err != nil {
		return err
	}
	*c = v
	return nil
}

// ParseClass reads "malicious", "benign" or "unknown", in any letter case.
func ParseClass(s string) (Class, error) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "malicious":
		return Malicious, nil
	case "benign":
		return Benign, nil
	case "unknown":
		return Unknown, nil
	}
	return Unknown, fmt.Errorf("class %q: want malicious, benign or unknown", s)
}

// Vocabulary names the labelling convention a label value was read by.
type Vocabulary string

// Vocabularies.
const (
	// VocabNone: the flow has no label (an empty value).
	VocabNone Vocabulary = "none"
	// VocabCTU13: CTU-13's Argus labels, "flow=" then words joined by
	// "-": a word Botnet is malicious ("flow=From-Botnet-V46-UDP-DNS"),
	// else Normal benign ("flow=To-Normal-V46-HTTP"), else Background
	// unknown ("flow=Background-UDP-Established").
	VocabCTU13 Vocabulary = "ctu13"
	// VocabStratosphere: IoT-23's labels (and Stratosphere's other Zeek
	// captures), "Malicious" or "Benign" as the first word, which a
	// detailed label may follow ("Malicious   C&C", as flows.Flow.Label
	// joins them).
	VocabStratosphere Vocabulary = "stratosphere"
	// VocabMonitor: this project's own labels, as the simulator writes
	// them: "normal" is benign; "anomaly" or "anomaly:<kind>"
	// ("anomaly:port-scan") malicious.
	VocabMonitor Vocabulary = "monitor"
	// VocabLabelMap: the user's mapping (LabelMap) said what the value is.
	VocabLabelMap Vocabulary = "label-map"
	// VocabUnrecognised: no vocabulary knows the value; it counts as
	// unknown, and Labels.Err reports it.
	VocabUnrecognised Vocabulary = "unrecognised"
)

// Recognise classifies a label by the known vocabularies. Letter case does
// not matter, nor does space around the value. A value none of them knows
// is Unknown by VocabUnrecognised.
func Recognise(label string) (Class, Vocabulary) {
	l := strings.ToLower(strings.TrimSpace(label))
	if l == "" {
		return Unknown, VocabNone
	}
	if body, ok := strings.CutPrefix(l, "flow="); ok {
		words := strings.FieldsFunc(body, func(r rune) bool {
			return !('a' <= r && r <= 'z' || '0' <= r && r <= '9')
		})
		for _, w := range []struct {
			word  string
			class Class
		}{{"botnet", Malicious}, {"normal", Benign}, {"background", Unknown}} {
			if slices.Contains(words, w.word) {
				return w.class, VocabCTU13
			}
		}
		return Unknown, VocabUnrecognised
	}
	first := l
	if i := strings.IndexFunc(l, func(r rune) bool { return r == ' ' || r == '\t' }); i >= 0 {
		first = l[:i]
	}
	switch first {
	case "malicious":
		return Malicious, VocabStratosphere
	case "benign":
		return Benign, VocabStratosphere
	}
	switch {
	case l == "normal":
		return Benign, VocabMonitor
	case l == "anomaly", strings.HasPrefix(l, "anomaly:") && len(l) > len("anomaly:"):
		return Malicious, VocabMonitor
	}
	return Unknown, VocabUnrecognised
}

// Classify reads a flow label by the known vocabularies (see Recognise),
// unrecognised values as Unknown. Labels does the same and also reports
// the values it saw and the ones it did not know.
func Classify(label string) Class {
	c, _ := Recognise(label)
	return c
}

// LabelMap is the user's word on label values (--label-map VALUE=CLASS):
// an exact value (space around it ignored, letter case not) and its class.
// It overrides the vocabularies. The empty value names flows without a
// label.
type LabelMap map[string]Class

// Set adds one VALUE=CLASS mapping, split at the last "=" (CTU-13 values
// hold "=" themselves: "flow=Background=unknown"). A value mapped twice to
// different classes is an error.
func (m LabelMap) Set(spec string) error {
	i := strings.LastIndexByte(spec, '=')
	if i < 0 {
		return fmt.Errorf("label map %q: want VALUE=malicious|benign|unknown", spec)
	}
	c, err := ParseClass(spec[i+1:])
	if err != nil {
		return fmt.Errorf("label map %q: %w", spec, err)
	}
	v := mapKey(spec[:i])
	if old, ok := m[v]; ok && old != c {
		return fmt.Errorf("label map %q: %q is already mapped to %s", spec, strings.TrimSpace(spec[:i]), old)
	}
	m[v] = c
	return nil
}

// ParseLabelMap reads repeated --label-map values; none gives an empty map.
func ParseLabelMap(specs []string) (LabelMap, error) {
	m := LabelMap{}
	for _, s := range specs {
		if err := m.Set(s); err != nil {
			return nil, err
		}
	}
	return m, nil
}

func mapKey(v string) string { return strings.ToLower(strings.TrimSpace(v)) }

// LabelValue is one distinct label value seen, how it was counted and by
// which rule, and how many flows carried it.
type LabelValue struct {
	Value      string     `json:"value"`
	Class      Class      `json:"class"`
	Vocabulary Vocabulary `json:"vocabulary"`
	Flows      int        `json:"flows"`
}

// Labels classifies flow labels (the user's map first, then the known
// vocabularies) and keeps count of every distinct value, so that an
// evaluation can say which labels it saw and how it counted them. It is
// not safe for concurrent use; Merge combines the counts of several.
type Labels struct {
	m    LabelMap
	seen map[string]*LabelValue
}

// NewLabels returns a classifier with the user's map (nil: none).
func NewLabels(m LabelMap) *Labels {
	return &Labels{m: m, seen: map[string]*LabelValue{}}
}

// Classify returns the class of a flow's label and counts the value.
func (l *Labels) Classify(label string) Class {
	if v := l.seen[label]; v != nil {
		v.Flows++
		return v.Class
	}
	v := &LabelValue{Value: strings.Clone(label), Flows: 1}
	if c, ok := l.m[mapKey(label)]; ok {
		v.Class, v.Vocabulary = c, VocabLabelMap
	} else {
		v.Class, v.Vocabulary = Recognise(label)
	}
	l.seen[v.Value] = v
	return v.Class
}

// Merge adds o's counts to l's. Both must use the same map.
func (l *Labels) Merge(o *Labels) {
	for k, v := range o.seen {
		if w := l.seen[k]; w != nil {
			w.Flows += v.Flows
		} else {
			c := *v
			l.seen[k] = &c
		}
	}
}

// Seen returns every distinct value seen, most flows first, then by value.
func (l *Labels) Seen() []LabelValue {
	out := make([]LabelValue, 0, len(l.seen))
	for _, v := range l.seen {
		out = append(out, *v)
	}
	slices.SortFunc(out, func(a, b LabelValue) int {
		return cmp.Or(cmp.Compare(b.Flows, a.Flows), cmp.Compare(a.Value, b.Value))
	})
	return out
}

// Flows returns how many flows were classified into each class.
func (l *Labels) Flows() (malicious, benign, unknown int) {
	for _, v := range l.seen {
		switch v.Class {
		case Malicious:
			malicious += v.Flows
		case Benign:
			benign += v.Flows
		default:
			unknown += v.Flows
		}
	}
	return
}

// ErrNoLabels: no flow has a benign or malicious label, so nothing can be
// measured.
var ErrNoLabels = errors.New("no flow is labelled benign or malicious")

// UnknownLabelsError lists the label values no vocabulary or mapping
// knows, most flows first.
type UnknownLabelsError struct {
	Values []LabelValue
}

// maxListed bounds the values an UnknownLabelsError's message lists.
const maxListed = 20

func (e *UnknownLabelsError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%d label value", len(e.Values))
	if len(e.Values) != 1 {
		b.WriteString("s")
	}
	b.WriteString(" in no known vocabulary (say what they are with --label-map VALUE=malicious|benign|unknown):")
	for i, v := range e.Values {
		if i == maxListed {
			fmt.Fprintf(&b, " and %d more", len(e.Values)-maxListed)
			break
		}
		if i > 0 {
			b.WriteString(",")
		}
		fmt.Fprintf(&b, " %s (%d flow", input.Quote(v.Value), v.Flows)
		if v.Flows != 1 {
			b.WriteString("s")
		}
		b.WriteString(")")
	}
	return b.String()
}

// Err says whether the labels seen can be measured against: an
// *UnknownLabelsError when some values are in no vocabulary and not
// mapped, else an error wrapping ErrNoLabels when no flow is benign or
// malicious (none has a label, or every label is unknown such as CTU-13's
// Background), else nil.
func (l *Labels) Err() error {
	var unknown []LabelValue
	for _, v := range l.Seen() {
		if v.Vocabulary == VocabUnrecognised {
			unknown = append(unknown, v)
		}
	}
	if len(unknown) > 0 {
		return &UnknownLabelsError{Values: unknown}
	}
	mal, ben, unk := l.Flows()
	if mal+ben > 0 {
		return nil
	}
	if v := l.seen[""]; v != nil && v.Flows == unk && v.Vocabulary == VocabNone {
		return fmt.Errorf("%w: none of the %d flows has a label", ErrNoLabels, unk)
	}
	if unk == 0 {
		return fmt.Errorf("%w: no flows", ErrNoLabels)
	}
	return fmt.Errorf("%w: the %d flows are labelled unknown", ErrNoLabels, unk)
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
