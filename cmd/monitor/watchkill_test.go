package main

import (
	"bytes"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// repeatDays writes copies of a monitor flow file one after the other,
// each shifted by days more than the one before: a longer input with the
// same anomalies again and again.
func repeatDays(t *testing.T, src, dst string, copies, days int) {
	t.Helper()
	b, err := os.ReadFile(src)
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimRight(string(b), "\n"), "\n")
	var out strings.Builder
	out.WriteString(lines[0] + "\n")
	for c := range copies {
		for _, l := range lines[1:] {
			ts, rest, _ := strings.Cut(l, ",")
			tm, err := time.Parse(time.RFC3339Nano, ts)
			if err != nil {
				t.Fatalf("%s: %v", src, err)
			}
			out.WriteString(tm.Add(time.Duration(c*days)*24*time.Hour).Format(time.RFC3339Nano) + "," + rest + "\n")
		}
	}
	if err := os.WriteFile(dst, []byte(out.String()), 0o644); err != nil {
		t.Fatal(err)
	}
}

// TestWatchKillRestart: watch on a file, killed with SIGKILL at random
// instants and started again with the same command, ends with the alerts
// and the folder of one watch that was never killed: no alert lost, none
// sent twice.
func TestWatchKillRestart(t *testing.T) {
	if testing.Short() {
		t.Skip("trains a service and runs watch several times")
	}
	dir := t.TempDir()
	T := filepath.Join(dir, "T")
	copyTree(t, filepath.Join("..", ".."), dir, "train_data/10.1.0.12/*_train_data.csv")
	os.Rename(filepath.Join(dir, "train_data"), T)
	monitor(t, "train", "--train-data", T, "-q")
	flowsFile := filepath.Join(dir, "flows.csv")
	repeatDays(t, filepath.Join("..", "..", "monitor_data", "10.1.0.12", "10.1.0.12_monitor_data.csv"), flowsFile, 150, 3)

	args := func(W, alerts string) []string {
		return []string{"watch", "--train-data", T, "--monitor-data", W, "--service", "10.1.0.12", "--source", flowsFile,
			"--alerts", alerts, "--checkpoint-every", "20ms", "--report-every", "100ms", "-q"}
	}
	refW, refAlerts := filepath.Join(dir, "ref"), filepath.Join(dir, "ref.jsonl")
	began := time.Now()
	monitorIn(t, nil, args(refW, refAlerts)...)
	took := time.Since(began)

	W, alerts := filepath.Join(dir, "W"), filepath.Join(dir, "alerts.jsonl")
	killed, resumed := 0, 0
	for round := 0; ; round++ {
		cmd := exec.Command(os.Args[0], args(W, alerts)...)
		cmd.Env = append(os.Environ(), "MONITOR_TEST_MAIN=1")
		var errOut bytes.Buffer
		cmd.Stderr = &errOut
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		done := make(chan error, 1)
		go func() { err := cmd.Wait(); done <- err }()
		countResumed := func() {
			if strings.Contains(errOut.String(), "resuming from the checkpoint") && !strings.Contains(errOut.String(), "after 0 flows") {
				resumed++
			}
		}
		if round < 4 {
			select {
			case err := <-done:
				if err != nil {
					t.Fatalf("round %d: %v\n%s", round, err, errOut.String())
				}
				t.Logf("round %d: finished before the kill", round)
			case <-time.After(150*time.Millisecond + time.Duration(rand.Float64()*float64(took))):
				cmd.Process.Signal(syscall.SIGKILL)
				<-done
				killed++
				countResumed()
				continue
			}
		} else if err := <-done; err != nil {
			t.Fatalf("last round: %v\n%s", err, errOut.String())
		}
		countResumed()
		if !strings.Contains(errOut.String(), "watch:") {
			t.Errorf("round %d said nothing:\n%s", round, errOut.String())
		}
		break
	}
	if killed == 0 || resumed == 0 {
		t.Fatalf("watch was killed %d times and resumed %d times mid-way: the input is too short for this machine", killed, resumed)
	}
	want, _ := os.ReadFile(refAlerts)
	got, _ := os.ReadFile(alerts)
	if len(want) == 0 || !bytes.Equal(got, want) {
		t.Errorf("after %d kills: %d alert lines, want %d (the alerts of a watch never killed)", killed, bytes.Count(got, []byte{'\n'}), bytes.Count(want, []byte{'\n'}))
	}
	sameOutputs(t, filepath.Join(refW, "10.1.0.12"), filepath.Join(W, "10.1.0.12"))
	t.Logf("one watch took %v; %d kills, %d restarts from a checkpoint mid-way; %d alerts", took, killed, resumed, bytes.Count(want, []byte{'\n'}))
}
