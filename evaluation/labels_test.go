package evaluation

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/netflow-monitor/monitor/flows"
)

func TestRecognise(t *testing.T) {
	tests := []struct {
		label string
		class Class
		vocab Vocabulary
	}{
		// CTU-13
		{"flow=From-Botnet-V46-TCP-Attempt-SPAM", Malicious, VocabCTU13},
		{"flow=From-Botnet-V46-UDP-DNS", Malicious, VocabCTU13},
		{"flow=To-Botnet-V42-UDP-Attempt", Malicious, VocabCTU13},
		{"flow=From-Normal-V46-HTTP", Benign, VocabCTU13},
		{"flow=To-Normal-V46-UDP-CVUT-DNS-Server", Benign, VocabCTU13},
		{"flow=Normal-V42-Stribrek", Benign, VocabCTU13},
		{"flow=Background-UDP-Established", Unknown, VocabCTU13},
		{"flow=To-Background-CVUT-Proxy", Unknown, VocabCTU13},
		{"flow=Background", Unknown, VocabCTU13},
		{"FLOW=from-botnet", Malicious, VocabCTU13},
		{"flow=From-Abnormal", Unknown, VocabUnrecognised}, // words, not substrings
		{"flow=", Unknown, VocabUnrecognised},
		// IoT-23 / Stratosphere, as flows.Flow.Label holds them
		{"Malicious   C&C", Malicious, VocabStratosphere},
		{"Malicious   PartOfAHorizontalPortScan", Malicious, VocabStratosphere},
		{"Malicious", Malicious, VocabStratosphere},
		{"Benign", Benign, VocabStratosphere},
		{"benign\t-", Benign, VocabStratosphere},
		{"  Benign  ", Benign, VocabStratosphere},
		{"-   C&C", Unknown, VocabUnrecognised}, // a detailed label without its label
		{"Maliciousness", Unknown, VocabUnrecognised},
		// the simulator's
		{"normal", Benign, VocabMonitor},
		{"anomaly:port-scan", Malicious, VocabMonitor},
		{"anomaly:exfiltration", Malicious, VocabMonitor},
		{"anomaly", Malicious, VocabMonitor},
		{"anomaly:", Unknown, VocabUnrecognised},
		{"normal traffic", Unknown, VocabUnrecognised},
		// none
		{"", Unknown, VocabNone},
		{"   ", Unknown, VocabNone},
		{"something else", Unknown, VocabUnrecognised},
		{"attack", Unknown, VocabUnrecognised},
	}
	for _, tc := range tests {
		c, v := Recognise(tc.label)
		if c != tc.class || v != tc.vocab {
			t.Errorf("Recognise(%q) = %v, %v; want %v, %v", tc.label, c, v, tc.class, tc.vocab)
		}
		if got := Classify(tc.label); got != tc.class {
			t.Errorf("Classify(%q) = %v, want %v", tc.label, got, tc.class)
		}
	}
}

func TestLabelMap(t *testing.T) {
	m, err := ParseLabelMap([]string{"flow=Background=benign", " DDoS-ish = Malicious", "=benign", "x=unknown", "x=UNKNOWN"})
	if err != nil {
		t.Fatal(err)
	}
	want := LabelMap{"flow=background": Benign, "ddos-ish": Malicious, "": Benign, "x": Unknown}
	if len(m) != len(want) {
		t.Fatalf("map %v, want %v", m, want)
	}
	for k, c := range want {
		if m[k] != c {
			t.Errorf("%q: %v, want %v", k, m[k], c)
		}
	}
	for _, bad := range [][]string{{"novalue"}, {"a=evil"}, {"a=benign", "A=malicious"}, {"a="}} {
		if _, err := ParseLabelMap(bad); err == nil {
			t.Errorf("ParseLabelMap(%q) accepted", bad)
		}
	}
	if m, err := ParseLabelMap(nil); err != nil || len(m) != 0 {
		t.Errorf("no specs: %v, %v", m, err)
	}
}

func TestLabelsSeenAndErr(t *testing.T) {
	l := NewLabels(nil)
	for _, v := range []string{"Benign", "Malicious   C&C", "Benign", "flow=Background-TCP", "", "Benign"} {
		l.Classify(v)
	}
	if err := l.Err(); err != nil {
		t.Fatalf("Err = %v", err)
	}
	seen := l.Seen()
	want := []LabelValue{
		{"Benign", Benign, VocabStratosphere, 3},
		{"", Unknown, VocabNone, 1},
		{"Malicious   C&C", Malicious, VocabStratosphere, 1},
		{"flow=Background-TCP", Unknown, VocabCTU13, 1},
	}
	if len(seen) != len(want) {
		t.Fatalf("Seen = %+v", seen)
	}
	for i := range want {
		if seen[i] != want[i] {
			t.Errorf("Seen[%d] = %+v, want %+v", i, seen[i], want[i])
		}
	}
	if m, b, u := l.Flows(); m != 1 || b != 3 || u != 2 {
		t.Errorf("Flows = %d %d %d", m, b, u)
	}
	js, err := json.Marshal(seen[2])
	if err != nil || string(js) != `{"value":"Malicious   C\u0026C","class":"malicious","vocabulary":"stratosphere","flows":1}` {
		t.Errorf("JSON %s, %v", js, err)
	}
	var back LabelValue
	if err := json.Unmarshal(js, &back); err != nil || back != seen[2] {
		t.Errorf("JSON back %+v, %v", back, err)
	}

	// Unknown values are an error listing them, most flows first...
	l.Classify("Suspicious")
	l.Classify("weird")
	l.Classify("weird")
	err = l.Err()
	var ue *UnknownLabelsError
	if !errors.As(err, &ue) || len(ue.Values) != 2 || ue.Values[0].Value != "weird" || ue.Values[1].Value != "Suspicious" {
		t.Fatalf("Err = %v", err)
	}
	if msg := err.Error(); !strings.Contains(msg, `"weird" (2 flows), "Suspicious" (1 flow)`) || !strings.Contains(msg, "--label-map") {
		t.Errorf("message %q", msg)
	}
	// ...unless the user's map says what they are (it beats the
	// vocabularies too).
	lm := NewLabels(LabelMap{"suspicious": Malicious, "weird": Unknown, "benign": Malicious})
	for _, v := range []string{"Suspicious", "weird", "Benign", "normal"} {
		lm.Classify(v)
	}
	if err := lm.Err(); err != nil {
		t.Errorf("mapped: %v", err)
	}
	if m, b, u := lm.Flows(); m != 2 || b != 1 || u != 1 {
		t.Errorf("mapped Flows = %d %d %d", m, b, u)
	}
	for _, v := range lm.Seen() {
		if want := map[string]Vocabulary{"normal": VocabMonitor}[v.Value]; want != "" && v.Vocabulary != want || want == "" && v.Vocabulary != VocabLabelMap {
			t.Errorf("%q counted by %s", v.Value, v.Vocabulary)
		}
	}

	// Many unknown values: the message lists 20.
	many := NewLabels(nil)
	for i := range 25 {
		many.Classify(strings.Repeat("z", i+1))
	}
	if msg := many.Err().Error(); !strings.Contains(msg, "25 label values") || !strings.HasSuffix(msg, " and 5 more") {
		t.Errorf("message %q", msg)
	}
}

func TestLabelsNone(t *testing.T) {
	tests := []struct {
		name   string
		labels []string
		m      LabelMap
		msg    string // "" : no error
	}{
		{"no flows", nil, nil, "no flows"},
		{"no labels", []string{"", "", ""}, nil, "none of the 3 flows has a label"},
		{"only background", []string{"flow=Background", "", "flow=Background-UDP"}, nil, "the 3 flows are labelled unknown"},
		{"unlabelled mapped benign", []string{"", ""}, LabelMap{"": Benign}, ""},
		{"one benign", []string{"", "normal"}, nil, ""},
	}
	for _, tc := range tests {
		l := NewLabels(tc.m)
		for _, v := range tc.labels {
			l.Classify(v)
		}
		err := l.Err()
		if tc.msg == "" {
			if err != nil {
				t.Errorf("%s: %v", tc.name, err)
			}
			continue
		}
		if !errors.Is(err, ErrNoLabels) || !strings.Contains(err.Error(), tc.msg) {
			t.Errorf("%s: %v, want ErrNoLabels saying %q", tc.name, err, tc.msg)
		}
	}
}

func TestLabelsMerge(t *testing.T) {
	a, b := NewLabels(nil), NewLabels(nil)
	a.Classify("normal")
	b.Classify("normal")
	b.Classify("anomaly:beaconing")
	a.Merge(b)
	if m, bn, _ := a.Flows(); m != 1 || bn != 2 {
		t.Errorf("merged Flows = %d %d", m, bn)
	}
	b.Classify("anomaly:beaconing")
	if m, _, _ := a.Flows(); m != 1 {
		t.Error("Merge shares b's counts")
	}
}

// TestSharedCapturesLabels: every label value of the shared CTU-13 and
// IoT-23 captures is in a known vocabulary (skipped without ../shared).
func TestSharedCapturesLabels(t *testing.T) {
	tests := []struct {
		file, format   string
		malicious, ben int
	}{
		{"ctu13/capture20110816.binetflow.gz", "argus", 4630, 7489}, // 5 Normal ARP rows are not flows
		{"iot23/CTU-IoT-Malware-Capture-21-1.conn.log.labeled.gz", "zeek", 14, 3272},
		{"iot23/CTU-IoT-Malware-Capture-34-1.conn.log.labeled.gz", "zeek", 21222, 1923},
	}
	for _, tc := range tests {
		path := filepath.Join("..", "..", "shared", "data", tc.file)
		if _, err := os.Stat(path); err != nil {
			t.Skipf("%s absent: %v", path, err)
		}
		fl, _, err := flows.ReadAll(context.Background(), path, tc.format, flows.DecodeOptions{})
		if err != nil {
			t.Fatal(err)
		}
		l := NewLabels(nil)
		for i := range fl {
			l.Classify(fl[i].Label)
		}
		if err := l.Err(); err != nil {
			t.Errorf("%s: %v", tc.file, err)
		}
		if m, b, _ := l.Flows(); m != tc.malicious || b != tc.ben {
			t.Errorf("%s: %d malicious, %d benign; want %d, %d", tc.file, m, b, tc.malicious, tc.ben)
		}
	}
}
