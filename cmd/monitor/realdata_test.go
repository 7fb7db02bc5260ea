package main

import (
	"encoding/csv"
	"encoding/json"
	"os"
	"path/filepath"
	"strconv"
	"testing"
)

// sharedData returns the path of a file of ../shared/data, or skips the
// test (with -short too: these read real captures).
func sharedData(t *testing.T, parts ...string) string {
	t.Helper()
	p := filepath.Join(append([]string{"..", "..", "..", "shared", "data"}, parts...)...)
	if _, err := os.Stat(p); err != nil {
		t.Skipf("%s absent (%v); see the README's public data sets", filepath.Join(parts...), err)
	}
	if testing.Short() {
		t.Skip("reads a real capture")
	}
	return p
}

// TestIoT23 runs the README's four commands on the two IoT-23 captures
// and checks their targets at the default k: Mirai's recall and top
// connection (the DDoS target or the C&C), Torii's recall, FPR and top
// connection (the C&C), whose incident says what is new of it.
func TestIoT23(t *testing.T) {
	tests := []struct {
		file, host, from, until string
		minRecall, maxFPR       float64
		top                     []string // acceptable top connections, ip:port
	}{
		{"CTU-IoT-Malware-Capture-34-1.conn.log.labeled.gz", "192.168.1.195", "2018-12-21T22:00:00Z", "2018-12-22T04:00:00Z",
			0.99, 1, []string{"123.59.209.185:80", "185.244.25.235:6667"}},
		{"CTU-IoT-Malware-Capture-21-1.conn.log.labeled.gz", "192.168.100.113", "2018-10-03T14:00:00Z", "2018-10-03T20:00:00Z",
			0.9, 0.003, []string{"66.85.157.90:443"}},
	}
	for _, tc := range tests {
		t.Run(tc.host, func(t *testing.T) {
			capture := sharedData(t, "iot23", tc.file)
			dir := t.TempDir()
			T, M := filepath.Join(dir, "T"), filepath.Join(dir, "M")
			monitor(t, "split", "--format", "zeek", capture, "--train-from", tc.from, "--train-until", tc.until,
				"--monitor-hosts", tc.host, "--train-data", T, "--monitor-data", M)
			monitor(t, "train", "--train-data", T)
			monitor(t, "run", "--train-data", T, "--monitor-data", M)
			var ev evalJSON
			if err := json.Unmarshal([]byte(monitor(t, "evaluate", "--train-data", T, "--monitor-data", M, "--json")), &ev); err != nil {
				t.Fatal(err)
			}
			if len(ev.Hosts) != 1 {
				t.Fatalf("%d hosts evaluated", len(ev.Hosts))
			}
			h := ev.Hosts[0]
			t.Logf("%s: recall %.4f, FPR %.4f, top %+v", h.Host, h.Recall, h.FPR, h.TopConnection)
			if h.Recall < tc.minRecall || h.FPR > tc.maxFPR {
				t.Errorf("recall %.4f, FPR %.4f; want >= %g, <= %g", h.Recall, h.FPR, tc.minRecall, tc.maxFPR)
			}
			ok := false
			if c := h.TopConnection; c != nil {
				for _, want := range tc.top {
					ok = ok || want == c.IP+":"+itoa(int(c.Port))
				}
			}
			if !ok {
				t.Errorf("top connection %+v, want one of %v", h.TopConnection, tc.top)
			}
		})
	}
}

// TestCTU13TrainingCuts runs protocol B (the README's commands) at
// training cuts that the threshold used to cut through (10:30, 10:41,
// 10:57, 11:30; scripts/robustness-ctu13 runs every minute from 10:30 to
// 11:30): the infected host's recall >= 0.98 and the normal hosts' FPR
// <= 0.3 % at each.
func TestCTU13TrainingCuts(t *testing.T) {
	capture := sharedData(t, "ctu13", "capture20110816.binetflow.gz")
	for _, cut := range []string{"10:30", "10:41", "10:57", "11:30"} {
		t.Run(cut, func(t *testing.T) {
			dir := t.TempDir()
			T, M := filepath.Join(dir, "T"), filepath.Join(dir, "M")
			monitor(t, "split", "--format", "argus", capture, "--train-until", "2011-08-16T"+cut+":00Z",
				"--group", "workstations=147.32.84.170,147.32.84.164,147.32.84.134",
				"--monitor-hosts", "147.32.84.165,147.32.84.170,147.32.84.164,147.32.84.134",
				"--train-data", T, "--monitor-data", M)
			monitor(t, "train", "--train-data", T)
			monitor(t, "run", "--train-data", T, "--monitor-data", M, "--model", "workstations")
			var ev evalJSON
			if err := json.Unmarshal([]byte(monitor(t, "evaluate", "--train-data", T, "--monitor-data", M, "--json")), &ev); err != nil {
				t.Fatal(err)
			}
			fp, benign := 0, 0
			for _, h := range ev.Hosts {
				if h.Host == "147.32.84.165" {
					if h.Recall < 0.98 {
						t.Errorf("recall %.3f, want >= 0.98", h.Recall)
					}
					continue
				}
				fp, benign = fp+h.FP, benign+h.FP+h.TN
			}
			if fpr := float64(fp) / float64(max(benign, 1)); fpr > 0.003 {
				t.Errorf("normal hosts FPR %.4f (%d of %d), want <= 0.003", fpr, fp, benign)
			}
		})
	}
}

// TestNormalHosts: the two CTU-Normal workstations, scanned from the
// Internet all day, trained on their first 12 hours and judged on the
// next 12: at most 0.3 % of their windows flagged.
func TestNormalHosts(t *testing.T) {
	for _, tc := range []struct{ file, host string }{
		{"008_CTU-Normal-40_day1.conn.log.labeled.gz", "147.32.81.167"},
		{"011_CTU-Normal-43_day1.conn.log.labeled.gz", "147.32.83.165"},
	} {
		t.Run(tc.host, func(t *testing.T) {
			capture := sharedData(t, "stratosphere", tc.file)
			dir := t.TempDir()
			T, M := filepath.Join(dir, "T"), filepath.Join(dir, "M")
			monitor(t, "split", "--format", "zeek", capture, "--train-until", "2022-06-13T10:00:00Z",
				"--monitor-hosts", tc.host, "--train-data", T, "--monitor-data", M)
			monitor(t, "train", "--train-data", T)
			monitor(t, "run", "--train-data", T, "--monitor-data", M)
			f, err := os.Open(filepath.Join(M, "summary.csv"))
			if err != nil {
				t.Fatal(err)
			}
			defer f.Close()
			r := csv.NewReader(f)
			r.Comma = ';'
			rows, err := r.ReadAll()
			if err != nil || len(rows) != 2 || rows[0][1] != "traces" || rows[0][2] != "anomalies" {
				t.Fatalf("summary %q: %v", rows, err)
			}
			traces, _ := strconv.Atoi(rows[1][1])
			anomalies, _ := strconv.Atoi(rows[1][2])
			share := float64(anomalies) / float64(max(traces, 1))
			t.Logf("%s: %d of %d windows flagged (%.4f)", tc.host, anomalies, traces, share)
			if share > 0.003 {
				t.Errorf("%.4f of the windows flagged, want <= 0.003", share)
			}
		})
	}
}

func itoa(n int) string { return strconv.Itoa(n) }
