package main

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// execute runs the command line and returns its stdout, stderr and error.
func execute(args ...string) (string, string, error) {
	return executeIn(context.Background(), args...)
}

// copyService copies one service of the shipped example's train folder.
func copyService(t *testing.T, dir, svc string) string {
	t.Helper()
	T := filepath.Join(dir, "train_data")
	b, err := os.ReadFile(filepath.Join("..", "..", "train_data", svc, svc+"_train_data.csv"))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Join(T, svc), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(T, svc, svc+"_train_data.csv"), b, 0o644); err != nil {
		t.Fatal(err)
	}
	return T
}

func TestVersion(t *testing.T) {
	out, _, err := execute("--version")
	if err != nil || !strings.HasPrefix(out, "monitor version ") || !strings.Contains(out, "go1.") {
		t.Errorf("--version: %q, %v", out, err)
	}
}

// TestResultsOnStdout: results go to stdout; warnings and failures to
// stderr, so that "monitor train > log" keeps the results.
func TestResultsOnStdout(t *testing.T) {
	T := copyService(t, t.TempDir(), "10.1.0.12")
	if err := os.MkdirAll(filepath.Join(T, "not-a-service", "x"), 0o755); err != nil {
		t.Fatal(err)
	}
	out, errOut, err := execute("train", "--train-data", T, "-q")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out, "10.1.0.12") || !strings.Contains(out, "threshold") || strings.Contains(out, "skipped") {
		t.Errorf("stdout %q, want the unit's result only", out)
	}
	if !strings.Contains(errOut, `skipped folder "not-a-service"`) || strings.Contains(errOut, "threshold") {
		t.Errorf("stderr %q, want the warning only", errOut)
	}
}

func TestFlagSuggestions(t *testing.T) {
	tests := []struct {
		args []string
		want string
	}{
		{[]string{"train", "--trian-data", "x"}, "did you mean --train-data?"},
		{[]string{"run", "--monitor-dat", "x"}, "did you mean --monitor-data?"},
		{[]string{"evaluate", "--swep"}, "did you mean --sweep?"},
		{[]string{"split", "--train-unt", "x"}, "did you mean --train-until?"},
		{[]string{"train", "--zzzzzz"}, "see monitor train --help"},
		{[]string{"run", "--top"}, "see monitor run --help"},
	}
	for _, tc := range tests {
		_, _, err := execute(tc.args...)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%v: %v, want %q", tc.args, err, tc.want)
		}
	}
}

func TestPositionalPaths(t *testing.T) {
	tests := []struct {
		args []string
		want string
	}{
		{[]string{"train", "flows.csv"}, "give the train data folder with --train-data DIR"},
		{[]string{"run", "monitor_data"}, "--monitor-data DIR"},
		{[]string{"all", "a", "b"}, `takes no arguments (got "a b")`},
		{[]string{"verify", "x"}, "--train-data DIR and --monitor-data DIR"},
	}
	for _, tc := range tests {
		_, _, err := execute(tc.args...)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%v: %v, want %q", tc.args, err, tc.want)
		}
	}
}

// TestConfigFile: the file sets flags left unset; a command's own section
// wins over the top level and the command line over both; unknown keys
// are errors with their line.
func TestConfigFile(t *testing.T) {
	dir := t.TempDir()
	T := copyService(t, dir, "10.1.0.12")
	cfg := filepath.Join(dir, "monitor.yaml")
	write := func(text string) {
		if err := os.WriteFile(cfg, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	threshold := func(out string) string {
		_, after, _ := strings.Cut(out, "threshold ")
		return strings.TrimSpace(after)
	}
	write("train-data: " + T + "\nquiet: true\nsigma: 5\ntrain:\n  sigma: 6\n")
	out, _, err := execute("train", "--config", cfg)
	if err != nil {
		t.Fatal(err)
	}
	six := threshold(out)
	out, _, err = execute("train", "--config", cfg, "--sigma", "7")
	if err != nil {
		t.Fatal(err)
	}
	if seven := threshold(out); six == seven || seven != "-51.08" {
		t.Errorf("thresholds %s (file, sigma 6) and %s (command line, sigma 7, want -51.08)", six, seven)
	}
	for _, tc := range []struct{ text, want string }{
		{"train-data: x\nbogus: 1\n", `monitor.yaml:2: "bogus" is neither a flag nor a command`},
		{"train:\n  top: 3\n", `monitor.yaml:2: "top" is not a flag of "train"`},
		{"sigma: [1, 2]\n", "takes one value, not a list"},
		{"sigma: lots\n", "sigma"},
		{"- a\n", "want a mapping"},
	} {
		write(tc.text)
		_, _, err := execute("train", "--config", cfg, "--train-data", T, "-q")
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%q: %v, want %q", tc.text, err, tc.want)
		}
	}
	// The shipped sample is a valid configuration.
	if err := os.Mkdir(filepath.Join(dir, "m"), 0o755); err != nil {
		t.Fatal(err)
	}
	if _, _, err := execute("verify", "--config", filepath.Join("..", "..", "monitor.yaml"), "--train-data", T, "--monitor-data", filepath.Join(dir, "m")); err != nil {
		t.Errorf("monitor.yaml: %v", err)
	}
}

func TestCompletion(t *testing.T) {
	tests := []struct {
		args []string
		want []string
	}{
		{[]string{"__complete", "train", "--encoder", ""}, []string{"encode", "quantile"}},
		{[]string{"__complete", "train", "--heuristic", ""}, []string{"likelihoodratio", "alergia"}},
		{[]string{"__complete", "split", "--format", ""}, []string{"auto", "argus", "nfdump", "zeek", "goflow2"}},
		{[]string{"__complete", "learn", "--format", ""}, []string{"abbadingo", "pautomac"}},
		{[]string{"__complete", "evaluate", "--detector", ""}, []string{"automaton", "new-connection"}},
	}
	for _, tc := range tests {
		out, _, err := execute(tc.args...)
		if err != nil {
			t.Fatal(err)
		}
		for _, w := range tc.want {
			if !strings.Contains(out, w+"\n") {
				t.Errorf("%v: %q lacks %s", tc.args, out, w)
			}
		}
	}
}

// TestEvaluateLabels: evaluate says which label values it saw and how it
// counted them; a value in no known vocabulary is an error naming it,
// unless --label-map says what it is; rates without a denominator are
// null, not 0.
func TestEvaluateLabels(t *testing.T) {
	dir := t.TempDir()
	T := copyService(t, dir, "10.1.0.12")
	M := filepath.Join(dir, "monitor_data")
	b, err := os.ReadFile(filepath.Join("..", "..", "monitor_data", "10.1.0.12", "10.1.0.12_monitor_data.csv"))
	if err != nil {
		t.Fatal(err)
	}
	mf := filepath.Join(M, "10.1.0.12", "10.1.0.12_monitor_data.csv")
	os.MkdirAll(filepath.Dir(mf), 0o755)
	write := func(text string) {
		if err := os.WriteFile(mf, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	weird := strings.ReplaceAll(string(b), ",anomaly:beaconing", ",weird-thing")
	write(weird)
	if _, _, err := execute("all", "--train-data", T, "--monitor-data", M, "-q"); err != nil {
		t.Fatal(err)
	}
	if _, _, err := execute("evaluate", "--train-data", T, "--monitor-data", M); err == nil || !strings.Contains(err.Error(), `"weird-thing"`) || !strings.Contains(err.Error(), "--label-map") {
		t.Errorf("an unknown label: %v", err)
	}
	out, _, err := execute("evaluate", "--train-data", T, "--monitor-data", M, "--json", "--label-map", "weird-thing=malicious")
	if err != nil {
		t.Fatal(err)
	}
	var ev struct {
		Hosts []struct {
			Recall *float64 `json:"recall"`
		} `json:"hosts"`
		Labels []struct {
			Value, Class, Vocabulary string
			Flows                    int
		} `json:"labels"`
	}
	if err := json.Unmarshal([]byte(out), &ev); err != nil {
		t.Fatal(err)
	}
	found := false
	for _, l := range ev.Labels {
		found = found || (l.Value == "weird-thing" && l.Class == "malicious" && l.Vocabulary == "label-map" && l.Flows > 0)
	}
	if !found || len(ev.Hosts) != 1 || ev.Hosts[0].Recall == nil {
		t.Errorf("labels %+v, hosts %+v: want weird-thing mapped to malicious, and a recall", ev.Labels, ev.Hosts)
	}

	// No malicious flow: recall is null, not 0.
	write(strings.ReplaceAll(string(b), ",anomaly:beaconing", ",normal"))
	out, _, err = execute("evaluate", "--train-data", T, "--monitor-data", M, "--json")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out, `"recall": null`) {
		t.Errorf("a host without malicious windows: recall is not null:\n%s", out)
	}
	// No labels at all.
	lines := strings.Split(strings.TrimSpace(string(b)), "\n")
	for i, l := range lines {
		lines[i] = l[:strings.LastIndexByte(l, ',')]
	}
	write(strings.Join(lines, "\n") + "\n")
	if _, _, err := execute("evaluate", "--train-data", T, "--monitor-data", M); err == nil || !strings.Contains(err.Error(), "no flow is labelled") {
		t.Errorf("no labels: %v", err)
	}
}
