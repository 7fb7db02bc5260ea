package main

import (
	"bytes"
	"context"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/netflow-monitor/monitor/layout"
	"github.com/netflow-monitor/monitor/outputs"
)

// monitorIn runs the command line in-process with stdin and returns its
// stdout.
func monitorIn(t *testing.T, stdin io.Reader, args ...string) string {
	t.Helper()
	var out, errOut bytes.Buffer
	root := newRootCmd()
	root.SetArgs(args)
	root.SetIn(stdin)
	root.SetOut(&out)
	root.SetErr(&errOut)
	if err := root.ExecuteContext(context.Background()); err != nil {
		t.Fatalf("monitor %s: %v\n%s", strings.Join(args, " "), err, errOut.String())
	}
	return out.String()
}

// copyTree copies the files of src matching the glob patterns (relative
// to src) into dst.
func copyTree(t *testing.T, src, dst string, patterns ...string) {
	t.Helper()
	for _, p := range patterns {
		files, _ := filepath.Glob(filepath.Join(src, p))
		if len(files) == 0 {
			t.Fatalf("no %s in %s", p, src)
		}
		for _, f := range files {
			rel, _ := filepath.Rel(src, f)
			b, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			os.MkdirAll(filepath.Join(dst, filepath.Dir(rel)), 0o755)
			if err := os.WriteFile(filepath.Join(dst, rel), b, 0o644); err != nil {
				t.Fatal(err)
			}
		}
	}
}

// sameOutputs checks that the predictions file and the root-cause reports
// of a unit folder written by watch are run's, byte for byte, and that
// there are the same reports; it returns how many files it compared.
func sameOutputs(t *testing.T, runDir, watchDir string) int {
	t.Helper()
	list := func(dir string) []string {
		var names []string
		entries, _ := os.ReadDir(dir)
		for _, e := range entries {
			if n := e.Name(); n == "monitor_data_predictions.csv" || strings.HasPrefix(n, "root_cause_") {
				names = append(names, n)
			}
		}
		return names
	}
	want, got := list(runDir), list(watchDir)
	if strings.Join(want, " ") != strings.Join(got, " ") {
		t.Errorf("%s: files %v, run wrote %v", watchDir, got, want)
		return 0
	}
	if len(want) == 0 {
		t.Errorf("%s: no predictions to compare", runDir)
	}
	for _, n := range want {
		a, _ := os.ReadFile(filepath.Join(runDir, n))
		b, _ := os.ReadFile(filepath.Join(watchDir, n))
		if !bytes.Equal(a, b) {
			t.Errorf("%s: %s differs from run's (%d bytes, run %d)", watchDir, n, len(b), len(a))
		}
	}
	return len(want)
}

// TestWatchMatchesRun is the equivalence on the shipped example:
// for every service, watch on its monitor file from standard input ends
// with run's predictions and root-cause files, byte for byte.
func TestWatchMatchesRun(t *testing.T) {
	if testing.Short() {
		t.Skip("trains six services")
	}
	dir := t.TempDir()
	T, M := filepath.Join(dir, "T"), filepath.Join(dir, "M")
	copyTree(t, filepath.Join("..", ".."), dir, "train_data/*/*_train_data.csv", "monitor_data/*/*_monitor_data.csv")
	os.Rename(filepath.Join(dir, "train_data"), T)
	os.Rename(filepath.Join(dir, "monitor_data"), M)
	monitor(t, "train", "--train-data", T, "-q")
	monitor(t, "run", "--train-data", T, "--monitor-data", M, "-q")
	services, _ := filepath.Glob(filepath.Join(M, "*", "*_monitor_data.csv"))
	if len(services) != 6 {
		t.Fatalf("%d services, want 6", len(services))
	}
	for _, file := range services {
		ip := filepath.Base(filepath.Dir(file))
		W := filepath.Join(dir, "W-"+ip)
		in, _ := os.Open(file)
		alerts := monitorIn(t, in, "watch", "--train-data", T, "--monitor-data", W, "--service", ip, "--source", "-", "-q")
		in.Close()
		if n := sameOutputs(t, filepath.Join(M, ip), filepath.Join(W, ip)); n < 2 {
			t.Errorf("%s: run wrote no root-cause reports to compare", ip)
		}
		if err := layout.Verify(filepath.Join(W, ip), outputs.Owns(outputs.Run(outputs.Options{}))); err != nil {
			t.Errorf("%s: %v", ip, err)
		}
		if ip == "10.1.0.12" && !strings.Contains(alerts, `"peer":"192.0.2.14","port":443`) {
			t.Errorf("10.1.0.12: no incident names the beacon to 192.0.2.14:443:\n%.500s", alerts)
		}
	}
}

// TestWatchMatchesRunCTU13 is the equivalence on CTU-13 (the README's
// protocol: one model for the workstations judges the four monitored
// hosts), skipped where ../shared is absent.
func TestWatchMatchesRunCTU13(t *testing.T) {
	capture := filepath.Join("..", "..", "..", "shared", "data", "ctu13", "capture20110816.binetflow.gz")
	if _, err := os.Stat(capture); err != nil {
		t.Skipf("CTU-13 capture absent (%v)", err)
	}
	if testing.Short() {
		t.Skip("reads the 559k-flow capture")
	}
	dir := t.TempDir()
	T, M := ctu13Split(t, capture, dir)
	for _, ip := range []string{"147.32.84.165", "147.32.84.170", "147.32.84.164", "147.32.84.134"} {
		W := filepath.Join(dir, "W-"+ip)
		in, err := os.Open(filepath.Join(M, ip, ip+"_monitor_data.csv"))
		if err != nil {
			t.Fatal(err)
		}
		monitorIn(t, in, "watch", "--train-data", T, "--monitor-data", W, "--model", "workstations", "--service", ip, "--source", "-", "--alerts", filepath.Join(dir, "alerts-"+ip), "-q")
		in.Close()
		if n := sameOutputs(t, filepath.Join(M, ip), filepath.Join(W, ip)); ip == "147.32.84.165" && n < 3 {
			t.Errorf("%s: run wrote no root-cause reports to compare for the infected host", ip)
		}
	}
}

// ctu13Split runs the README's CTU-13 protocol (split, train, run with the
// workstations' model) into dir and returns the train and monitor folders.
func ctu13Split(t *testing.T, capture, dir string) (T, M string) {
	t.Helper()
	T, M = filepath.Join(dir, "T"), filepath.Join(dir, "M")
	monitor(t, "split", "--format", "argus", capture,
		"--train-until", "2011-08-16T11:01:00Z",
		"--group", "workstations=147.32.84.170,147.32.84.164,147.32.84.134",
		"--monitor-hosts", "147.32.84.165,147.32.84.170,147.32.84.164,147.32.84.134",
		"--train-data", T, "--monitor-data", M)
	monitor(t, "train", "--train-data", T, "-q")
	monitor(t, "run", "--train-data", T, "--monitor-data", M, "--model", "workstations", "-q")
	return T, M
}
