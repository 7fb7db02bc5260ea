package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/netflow-monitor/monitor/incident"
	"github.com/netflow-monitor/monitor/rootcause"
	"github.com/spf13/cobra"
)

// TestPredictionsNameUnseenSymbols: a symbol never seen in training is
// written "unseen:<what it was>" in the predictions file, as in the
// root-cause files (it was "unknown" there), so that the two files of an
// alarm window read the same trace.
func TestPredictionsNameUnseenSymbols(t *testing.T) {
	_, M := trainedPair(t)
	for _, svc := range []string{"10.1.0.12", "10.1.0.15"} {
		b, err := os.ReadFile(filepath.Join(M, svc, "monitor_data_predictions.csv"))
		if err != nil {
			t.Fatal(err)
		}
		pred := string(b)
		if strings.Contains(pred, " unknown") {
			t.Errorf("%s: the predictions file names a symbol \"unknown\"", svc)
		}
		infos, _ := filepath.Glob(filepath.Join(M, svc, "root_cause_*_prediction_info.csv"))
		unseen := 0
		for _, p := range infos {
			b, err := os.ReadFile(p)
			if err != nil {
				t.Fatal(err)
			}
			for _, line := range strings.Split(string(b), "\n")[1:] {
				fields := strings.Split(line, ";")
				if len(fields) < 2 || !strings.Contains(fields[1], "unseen:") {
					continue
				}
				unseen++
				if !strings.Contains(pred, `"`+fields[1]+`"`) {
					t.Errorf("%s: the trace %s of %s is not in the predictions file", svc, fields[1], filepath.Base(p))
				}
			}
		}
		if svc == "10.1.0.15" && unseen == 0 {
			t.Errorf("%s: no alarm window with an unseen symbol: the test checks nothing", svc)
		}
	}
}

// TestHelpHasExamples: every command's --help has examples, and those of
// run and all list the files they write.
func TestHelpHasExamples(t *testing.T) {
	var walk func(c *cobra.Command)
	walk = func(c *cobra.Command) {
		for _, sub := range c.Commands() {
			walk(sub)
		}
		if !c.Runnable() || c.Name() == "help" || c.HasParent() && c.Parent().Name() == "completion" {
			return
		}
		if strings.TrimSpace(c.Example) == "" {
			t.Errorf("%s --help has no examples", c.CommandPath())
		}
	}
	walk(newRootCmd())
	for _, name := range []string{"run", "all"} {
		out, _, err := execute(name, "--help")
		if err != nil {
			t.Fatal(err)
		}
		for _, want := range []string{"incidents.csv", "root_cause_connections.csv", "report.html", "summary.csv", "Examples:"} {
			if !strings.Contains(out, want) {
				t.Errorf("%s --help does not name %s", name, want)
			}
		}
	}
}

// TestRunSaysWhatHappened: run prints each host's top incident in words
// (not an automaton state's id) and where the report is.
func TestRunSaysWhatHappened(t *testing.T) {
	T, M := trainedPair(t)
	out, _, err := execute("run", "--train-data", T, "--monitor-data", M, "-q")
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		"top incident: beaconing to 192.0.2.14:443 (HTTPS)",
		"top incident: scan of 243 ports of 10.1.0.11",
		"report: " + filepath.Join(M, "report.html") + "\n",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("run's output lacks %q:\n%s", want, out)
		}
	}
	if strings.Contains(out, "state") {
		t.Errorf("run's output names an automaton state:\n%s", out)
	}
}

// TestTriageRoundTrip: an injected anomaly tagged expected is learned by
// the next train and gone from the next run; the other host's anomaly
// remains; run says how many incidents a silence mutes.
func TestTriageRoundTrip(t *testing.T) {
	T, M := trainedPair(t)
	beacon := incidentOf(t, M, "10.1.0.12", "beaconing")
	out, _, err := execute("tag", beacon.ID[:8], "expected", "--comment", "the monitoring agent", "--by", "alice", "--monitor-data", M)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out, "tagged "+beacon.ID[:8]) || !strings.Contains(out, "the next train learns") {
		t.Errorf("tag says %q", out)
	}
	out, _, err = execute("train", "--train-data", T, "--monitor-data", M, "-q")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out, "learned") || !strings.Contains(out, "1 incident tagged expected") {
		t.Errorf("train does not say it learned the tag:\n%s", out)
	}
	scan := incidentOf(t, M, "10.1.0.15", "port scan")
	if _, _, err := execute("silence", "add", "kind=port scan", "unit=10.1.0.15", "--expires", "1h", "--monitor-data", M); err != nil {
		t.Fatal(err)
	}
	out, _, err = execute("run", "--train-data", T, "--monitor-data", M, "-q")
	if err != nil {
		t.Fatal(err)
	}
	rows, _ := rootcause.ReadIncidents(filepath.Join(M, "10.1.0.12", "incidents.csv"))
	for _, r := range rows {
		if r.Peer == beacon.Peer {
			t.Errorf("the beacon tagged expected is still an incident after training: %+v", r)
		}
	}
	if again := incidentOf(t, M, "10.1.0.15", "port scan"); again.ID != scan.ID {
		t.Errorf("the scan's incident changed: %s, was %s", again.ID, scan.ID)
	}
	if !strings.Contains(out, "1 incident, all silenced") {
		t.Errorf("run does not count the silenced scan:\n%s", out)
	}
}

// incidentOf returns the first incident of a kind in a host's
// incidents.csv.
func incidentOf(t *testing.T, M, host, kind string) rootcause.IncidentRow {
	t.Helper()
	rows, err := rootcause.ReadIncidents(filepath.Join(M, host, "incidents.csv"))
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range rows {
		if r.Kind == kind {
			return r
		}
	}
	t.Fatalf("%s has no %s incident: %+v", host, kind, rows)
	return rootcause.IncidentRow{}
}

// TestWatchAlertsCarryTriage: watch's alerts say what the analyst said of
// their incident, in the lifecycle draft's terms (a tag moves it to the
// validation stage), and a silenced incident's alerts are sent marked
// suppressed, with the silence's id, not dropped; watch says "1 unit".
func TestWatchAlertsCarryTriage(t *testing.T) {
	T, M := trainedPair(t)
	beacon := incidentOf(t, M, "10.1.0.12", "beaconing")
	if _, _, err := execute("tag", beacon.ID, "confirmed", "--comment", "C&C", "--by", "alice", "--monitor-data", M); err != nil {
		t.Fatal(err)
	}
	out, _, err := execute("silence", "add", "unit=10.1.0.12", "kind=beaconing", "--expires", "1h", "--by", "bob", "--monitor-data", M)
	if err != nil {
		t.Fatal(err)
	}
	silence := strings.Fields(out)[1]
	alerts := filepath.Join(t.TempDir(), "alerts.jsonl")
	_, errOut, err := execute("watch", "--train-data", T, "--monitor-data", M, "--service", "10.1.0.12", "-q",
		"--source", filepath.Join(M, "10.1.0.12", "10.1.0.12_monitor_data.csv"), "--alerts", alerts)
	if err != nil {
		t.Fatalf("%v\n%s", err, errOut)
	}
	if !strings.Contains(errOut, "watching 1 unit: 10.1.0.12") || strings.Contains(errOut, "1 units") {
		t.Errorf("watch says:\n%s", errOut)
	}
	b, err := os.ReadFile(alerts)
	if err != nil {
		t.Fatal(err)
	}
	n, tagged := 0, 0
	for _, line := range strings.Split(strings.TrimSpace(string(b)), "\n") {
		var a incident.Alert
		if err := json.Unmarshal([]byte(line), &a); err != nil {
			t.Fatal(err)
		}
		if a.Unit != "10.1.0.12" || a.Pattern != "beaconing" {
			continue
		}
		n++
		if a.Status != "suppressed" || len(a.SilencedBy) != 1 || a.SilencedBy[0] != silence {
			t.Errorf("alert %s: status %q silenced by %v, want suppressed by %s", a.Identity(), a.Status, a.SilencedBy, silence)
		}
		if a.ID != beacon.ID {
			continue
		}
		tagged++
		if a.Stage != "validation" || a.Phase != "problem-confirmed" || a.Validation == nil || a.Validation.By != "alice" {
			t.Errorf("alert %s: %s/%s, validation %+v", a.Identity(), a.Stage, a.Phase, a.Validation)
		}
	}
	if tagged == 0 {
		t.Errorf("no alert of the tagged incident %s", beacon.ID)
	}
	if n == 0 {
		t.Fatalf("no alert of the beacon in:\n%s", b)
	}
}
