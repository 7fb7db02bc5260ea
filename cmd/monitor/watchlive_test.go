package main

import (
	"context"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
)

// TestWatchFollowReload: watch follows a file as it grows; train replaces
// the model meanwhile (watch does not hold the train folder), and watch
// takes the new one without a gap in the windows; its metrics say so.
func TestWatchFollowReload(t *testing.T) {
	if testing.Short() {
		t.Skip("trains a service twice")
	}
	dir := t.TempDir()
	T := trainedExample(t, dir, "10.1.0.12")
	b, err := os.ReadFile(filepath.Join("..", "..", "monitor_data", "10.1.0.12", "10.1.0.12_monitor_data.csv"))
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.SplitAfter(string(b), "\n")
	lines = lines[:len(lines)-1]
	half := len(lines) / 2
	src := filepath.Join(dir, "flows.csv")
	os.WriteFile(src, []byte(strings.Join(lines[:half], "")), 0o644)
	W := filepath.Join(dir, "W")
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	wctx, stop := context.WithCancel(ctx)
	wait, said := runIn(wctx, "watch", "--train-data", T, "--monitor-data", W, "--source", src, "--follow", "--max-lateness", "0s",
		"--model-poll", "50ms", "--report-every", "100ms", "--alerts", filepath.Join(dir, "alerts.jsonl"), "--metrics-addr", "127.0.0.1:0", "-q")
	summary := filepath.Join(W, "summary.csv")
	waitFor := func(what string, ok func() bool) {
		t.Helper()
		for !ok() {
			select {
			case <-ctx.Done():
				t.Fatalf("%s: never\n%s", what, said())
			case <-time.After(50 * time.Millisecond):
			}
		}
	}
	traces := func() int {
		b, _ := os.ReadFile(summary)
		lines := strings.Split(string(b)+"\n\n", "\n")
		head, f := strings.Split(lines[0], ";"), strings.Split(lines[1], ";")
		i := slices.Index(head, "traces")
		if i < 0 || i >= len(f) {
			return -1
		}
		n, _ := strconv.Atoi(f[i])
		return n
	}
	// With no lateness allowed every flow goes on at once: the first
	// half's flows (less the header) make their windows.
	waitFor("the first half's windows", func() bool { return traces() == half-1-9 })

	monitor(t, "train", "--train-data", T, "--sigma", "3", "-q")
	waitFor("the model reloaded", func() bool { return strings.Contains(said(), "reloaded") })
	f, _ := os.OpenFile(src, os.O_APPEND|os.O_WRONLY, 0)
	f.WriteString(strings.Join(lines[half:], ""))
	f.Close()
	flows := len(lines) - 1
	waitFor("the second half's windows", func() bool { return traces() == flows-9 })

	m := regexp.MustCompile(`metrics at http://(\S+)/metrics`).FindStringSubmatch(said())
	if m == nil {
		t.Fatalf("no metrics address said:\n%s", said())
	}
	resp, err := http.Get("http://" + m[1] + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	for _, want := range []string{
		"monitor_flows_total " + strconv.Itoa(flows), `monitor_model_reloads_total{unit="10.1.0.12"} 1`,
		`monitor_open_incidents{unit="10.1.0.12"}`, "monitor_windows_total " + strconv.Itoa(flows-9), "monitor_alerts_total{event=\"open\"}",
	} {
		if !strings.Contains(string(body), want) {
			t.Errorf("metrics have no %q", want)
		}
	}
	stop()
	if err, out := wait(); err != nil && ctx.Err() != nil {
		t.Fatalf("watch: %v\n%s", err, out)
	}
	pred, _ := os.ReadFile(filepath.Join(W, "10.1.0.12", "monitor_data_predictions.csv"))
	rows := strings.Split(strings.TrimSpace(string(pred)), "\n")[1:]
	for i, r := range rows {
		if !strings.HasPrefix(r, strconv.Itoa(i+1)+"; ") {
			t.Fatalf("predictions row %d is %.40q: windows have a gap", i+1, r)
		}
	}
	alerts, _ := os.ReadFile(filepath.Join(dir, "alerts.jsonl"))
	if ids := regexp.MustCompile(`"model":\{"unit":"10.1.0.12","id":"(sha256:[0-9a-f]+)"`).FindAllStringSubmatch(string(alerts), -1); len(ids) < 2 || ids[0][1] == ids[len(ids)-1][1] {
		t.Errorf("the alerts do not name the new model after the reload (%d alerts)", len(ids))
	}
}
