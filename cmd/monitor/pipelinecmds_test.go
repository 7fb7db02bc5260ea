package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestCount(t *testing.T) {
	for _, tc := range []struct {
		n          int
		word, want string
	}{
		{0, "time", "0 times"}, {1, "time", "1 time"}, {2, "time", "2 times"}, {96, "time", "96 times"},
		{1, "flow", "1 flow"}, {3, "flow", "3 flows"}, {1, "anomaly", "1 anomaly"}, {2, "anomaly", "2 anomalies"},
		{2, "key", "2 keys"}, {1, "unit folder", "1 unit folder"}, {5, "unit folder", "5 unit folders"},
	} {
		if got := count(tc.n, tc.word); got != tc.want {
			t.Errorf("count(%d, %q) = %q, want %q", tc.n, tc.word, got, tc.want)
		}
	}
}

// TestAllContinuesAfterTrainingFailure: in "monitor all", a service whose
// training fails does not stop the others from being monitored; it is
// reported as not monitored (not judged by an older model in its folder)
// and the command fails.
func TestAllContinuesAfterTrainingFailure(t *testing.T) {
	dir := t.TempDir()
	T, M := filepath.Join(dir, "train_data"), filepath.Join(dir, "monitor_data")
	for _, svc := range []string{"10.1.0.12", "10.1.0.13"} {
		for _, p := range []string{filepath.Join("train_data", svc, svc+"_train_data.csv"), filepath.Join("monitor_data", svc, svc+"_monitor_data.csv")} {
			b, err := os.ReadFile(filepath.Join("..", "..", p))
			if err != nil {
				t.Fatal(err)
			}
			if err := os.MkdirAll(filepath.Join(dir, filepath.Dir(p)), 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(filepath.Join(dir, p), b, 0o644); err != nil {
				t.Fatal(err)
			}
		}
	}
	// An older model, as a previous good training would have left.
	bad := filepath.Join(T, "10.1.0.13", "10.1.0.13_train_data.csv")
	good, _ := os.ReadFile(bad)
	monitor(t, "train", "--train-data", T, "--service", "10.1.0.13", "-q")
	os.WriteFile(bad, append(good, "2024-01-05T00:00:00Z,10.1.0.13,10.9.9.9,1,2,tcp,lots,1,0.1,x,normal\n"...), 0o644)

	var errOut bytes.Buffer
	root := newRootCmd()
	root.SetArgs([]string{"all", "--train-data", T, "--monitor-data", M, "-q"})
	root.SetOut(&errOut)
	root.SetErr(&errOut)
	err := root.ExecuteContext(context.Background())
	if err == nil || !strings.Contains(err.Error(), "1 failed") {
		t.Fatalf("error %v, want the run to fail for one service\n%s", err, errOut.String())
	}
	sum, rerr := os.ReadFile(filepath.Join(M, "summary.csv"))
	if rerr != nil {
		t.Fatal(rerr)
	}
	lines := strings.Split(strings.TrimSpace(string(sum)), "\n")
	if len(lines) != 3 || !strings.HasPrefix(lines[1], "10.1.0.12;1222;") || !strings.HasPrefix(lines[2], "10.1.0.13;0;0;") ||
		!strings.Contains(lines[2], "not monitored: its training failed") || !strings.Contains(lines[2], "lots") {
		t.Errorf("summary.csv:\n%s", sum)
	}
	if _, err := os.Stat(filepath.Join(M, "10.1.0.13", "monitor_data_predictions.csv")); err == nil {
		t.Error("10.1.0.13 was monitored with its older model")
	}
}

// TestCountFlagsOutOfRange: counts out of range are refused before any
// work, naming the flag; --workers 0 means all cores.
func TestCountFlagsOutOfRange(t *testing.T) {
	dir := t.TempDir()
	T, M := filepath.Join(dir, "train_data"), filepath.Join(dir, "monitor_data")
	tests := []struct {
		args []string
		want string
	}{
		{[]string{"train", "--workers", "-1"}, "--workers -1"},
		{[]string{"run", "--workers", "-2"}, "--workers -2"},
		{[]string{"train", "--clusters-min", "0"}, "--clusters-min 0"},
		{[]string{"train", "--clusters-min", "10", "--clusters-max", "2"}, "--clusters-max 2 is below --clusters-min 10"},
		{[]string{"all", "--duration-bins", "0"}, "--duration-bins 0"},
		{[]string{"train", "--encoder", "quantile", "--bins", "0"}, "--bins 0"},
		{[]string{"train", "--merge-candidates", "-1"}, "merge-candidates -1: must be >= 0"},
	}
	for _, tc := range tests {
		t.Run(strings.Join(tc.args, " "), func(t *testing.T) {
			root := newRootCmd()
			var out bytes.Buffer
			args := append(tc.args, "--train-data", T, "-q")
			if tc.args[0] != "train" {
				args = append(args, "--monitor-data", M)
			}
			root.SetArgs(args)
			root.SetOut(&out)
			root.SetErr(&out)
			err := root.ExecuteContext(context.Background())
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %v, want one saying %q", err, tc.want)
			}
		})
	}
}
