package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/netflow-monitor/monitor/flows"
	"github.com/netflow-monitor/monitor/incident"

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

// TestWatchMatchesRun: one watch over the shipped example's monitored
// flows from standard input (the six services' files merged into one
// stream, as a collector sends them) ends with run's unit folders,
// summary.csv and report.html byte for byte, and its alerts close run's
// incidents: the beacon of 10.1.0.12 is one beaconing incident in both.
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
	var in bytes.Buffer
	cw := flows.NewCSVWriter(&in)
	for _, f := range mergedFlows(t, M) {
		cw.Write(&f)
	}
	cw.Flush()
	W := filepath.Join(dir, "watch", "M")
	os.MkdirAll(filepath.Dir(W), 0o755)
	alerts := monitorIn(t, &in, "watch", "--train-data", T, "--monitor-data", W, "--source", "-", "-q")
	sameFolders(t, M, W)
	sameIncidents(t, M, alerts)
	if !strings.Contains(alerts, `"description":"beaconing to 192.0.2.14:443 (HTTPS) every 2m34s","confidence-score"`) ||
		!strings.Contains(alerts, `"pattern":"beaconing"`) {
		t.Errorf("no alert says 10.1.0.12's beacon is beaconing:\n%.500s", alerts)
	}
	for _, ip := range []string{"10.1.0.10", "10.1.0.12", "10.1.0.15"} {
		if err := layout.Verify(filepath.Join(W, ip), outputs.Owns(outputs.Run(outputs.Options{}))); err != nil {
			t.Errorf("%s: %v", ip, err)
		}
	}
}

// TestWatchMatchesRunCTU13 is issue 27's acceptance on CTU-13 (the
// README's protocol B: one model for the workstations judges the four
// monitored hosts): one watch over the four hosts' flows from standard
// input, as CSV and as goflow2 JSON, ends with run's unit folders,
// summary.csv and report.html byte for byte, and its alerts close the
// incidents of run's incidents.csv (kind, peer, port, first and last
// seen, windows). Skipped where ../shared is absent.
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
	stream := mergedFlows(t, M)
	var csvIn, jsonIn bytes.Buffer
	cw := flows.NewCSVWriter(&csvIn)
	for i := range stream {
		if err := cw.Write(&stream[i]); err != nil {
			t.Fatal(err)
		}
		jsonIn.Write(goflow2JSON(&stream[i]))
		jsonIn.WriteByte('\n')
	}
	cw.Flush()
	for _, in := range []struct {
		name   string
		format string
		data   []byte
	}{{"csv", "auto", csvIn.Bytes()}, {"goflow2", "goflow2", jsonIn.Bytes()}} {
		t.Run(in.name, func(t *testing.T) {
			W := filepath.Join(dir, "watch-"+in.name, "M") // named as run's: the report names its folder
			os.MkdirAll(filepath.Dir(W), 0o755)
			alerts := monitorIn(t, bytes.NewReader(in.data), "watch", "--train-data", T, "--monitor-data", W, "--model", "workstations",
				"--service", "147.32.84.165", "--service", "147.32.84.170", "--service", "147.32.84.164", "--service", "147.32.84.134",
				"--source", "-", "--format", in.format, "-q")
			sameFolders(t, M, W)
			sameIncidents(t, M, alerts)
		})
	}
}

// mergedFlows returns the distinct flows of the monitor folder's files,
// in the order of time (each file's own order kept among flows that start
// together): the stream a collector would have sent.
func mergedFlows(t *testing.T, M string) []flows.Flow {
	t.Helper()
	files, _ := filepath.Glob(filepath.Join(M, "*", "*_monitor_data.csv"))
	seen := map[flows.Flow]bool{}
	var out []flows.Flow
	for _, f := range files {
		all, _, err := flows.ReadAll(context.Background(), f, "auto", flows.DecodeOptions{})
		if err != nil {
			t.Fatal(err)
		}
		for _, fl := range all {
			fl.Label, fl.ID = "", ""
			if !seen[fl] {
				seen[fl] = true
				out = append(out, fl)
			}
		}
	}
	flows.SortByStart(out)
	return out
}

// sameFolders checks that every file run left in the monitor folder M
// (but the flow files) is in W, byte for byte; a manifest names the
// command that wrote the folder, which is the one difference.
func sameFolders(t *testing.T, M, W string) {
	t.Helper()
	n := 0
	filepath.WalkDir(M, func(path string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() || strings.HasSuffix(path, "_monitor_data.csv") || strings.HasPrefix(d.Name(), ".") {
			return err
		}
		rel, _ := filepath.Rel(M, path)
		want, _ := os.ReadFile(path)
		got, err := os.ReadFile(filepath.Join(W, rel))
		if d.Name() == layout.ManifestFile {
			got = bytes.Replace(got, []byte(`"command": "watch"`), []byte(`"command": "run"`), 1)
		}
		if err != nil || !bytes.Equal(got, want) {
			t.Errorf("%s: differs from run's (%d bytes, run %d; %v)", rel, len(got), len(want), err)
		}
		n++
		return nil
	})
	if n < 10 {
		t.Errorf("only %d files compared", n)
	}
}

// sameIncidents checks that the close alerts are the incidents of run's
// incidents.csv files.
func sameIncidents(t *testing.T, M, alerts string) {
	t.Helper()
	var want, got []string
	files, _ := filepath.Glob(filepath.Join(M, "*", "incidents.csv"))
	for _, f := range files {
		b, _ := os.ReadFile(f)
		for _, l := range strings.Split(strings.TrimSpace(string(b)), "\n")[1:] {
			c := strings.Split(l, ";")
			want = append(want, strings.Join([]string{filepath.Base(filepath.Dir(f)), c[0], c[3], c[4], c[5], c[6], c[9]}, " "))
		}
	}
	for _, l := range strings.Split(strings.TrimSpace(alerts), "\n") {
		if l == "" {
			continue
		}
		var a incident.Alert
		if err := json.Unmarshal([]byte(l), &a); err != nil {
			t.Fatalf("alert %.100q: %v", l, err)
		}
		if a.Event == incident.Close {
			got = append(got, strings.Join([]string{a.Unit, a.Pattern, a.Peer, a.Port, a.FirstSeen, a.LastSeen, a.Windows.Rows}, " "))
		}
	}
	slices.Sort(want)
	slices.Sort(got)
	if len(want) == 0 || !slices.Equal(got, want) {
		t.Errorf("closed incidents:\n%s\nrun's incidents.csv:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
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
