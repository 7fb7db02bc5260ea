package ingest

import (
	"context"
	"errors"
	"io/fs"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestSplit: flows before the split point go to the train files of the
// services they involve, the rest to the monitor files; a failed split
// leaves neither files nor the folders it made.
func TestSplit(t *testing.T) {
	const head = "timestamp,src_ip,dst_ip,src_port,dst_port,protocol,bytes,packets,duration\n"
	rows := head +
		"2024-01-01T00:00:00Z,10.0.0.9,10.0.0.1,40000,443,tcp,100,2,0.1\n" + // .1 train
		"2024-01-01T00:00:01Z,10.0.0.1,10.0.0.2,40001,5432,tcp,100,2,0.1\n" + // .1 and .2 train
		"2024-01-01T00:00:02Z,10.0.0.9,10.0.0.3,40002,80,tcp,100,2,0.1\n" + // neither
		"2024-01-01T01:00:00Z,10.0.0.9,10.0.0.2,40003,5432,tcp,100,2,0.1\n" + // .2 monitor
		"2024-01-01T01:00:01Z,10.0.0.1,10.0.0.2,40004,5432,tcp,100,2,0.1\n" // .1 and .2 monitor
	tests := []struct {
		name    string
		content string
		want    map[string]int // file (relative) -> data lines; nil: the split fails
		errHas  string
	}{
		{"good", rows, map[string]int{
			"t/10.0.0.1/10.0.0.1_train_data.csv":   2,
			"t/10.0.0.2/10.0.0.2_train_data.csv":   1,
			"m/10.0.0.1/10.0.0.1_monitor_data.csv": 1,
			"m/10.0.0.2/10.0.0.2_monitor_data.csv": 2,
		}, ""},
		{"bad row", rows + "2024-01-01T01:00:02Z,10.0.0.1,10.0.0.2,40005,5432,tcp,lots,2,0.1\n", nil, `bad.csv:7: field "bytes"`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			in := filepath.Join(dir, "bad.csv")
			if err := os.WriteFile(in, []byte(tc.content), 0o644); err != nil {
				t.Fatal(err)
			}
			c := SplitConfig{
				Inputs:     []string{in},
				TrainUntil: time.Date(2024, 1, 1, 0, 30, 0, 0, time.UTC),
				Services:   []netip.Addr{netip.MustParseAddr("10.0.0.1"), netip.MustParseAddr("10.0.0.2")},
				TrainRoot:  filepath.Join(dir, "t"), MonitorRoot: filepath.Join(dir, "m"),
			}
			_, err := Split(context.Background(), c)
			if tc.want == nil {
				if err == nil || !strings.Contains(err.Error(), tc.errHas) {
					t.Fatalf("error %v, want one naming %q", err, tc.errHas)
				}
				for _, root := range []string{c.TrainRoot, c.MonitorRoot} {
					if _, err := os.Stat(root); !errors.Is(err, fs.ErrNotExist) {
						entries, _ := os.ReadDir(root)
						t.Errorf("failed split left %s: %v", root, entries)
					}
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			for rel, n := range tc.want {
				b, err := os.ReadFile(filepath.Join(dir, rel))
				if err != nil {
					t.Fatal(err)
				}
				if got := strings.Count(string(b), "\n") - 1; got != n {
					t.Errorf("%s: %d flows, want %d", rel, got, n)
				}
			}
		})
	}
}

// TestSplitFromAndOwnUnits: flows before --train-from are not used; a
// monitored host that no service or group covers gets a unit of its own.
func TestSplitFromAndOwnUnits(t *testing.T) {
	dir := t.TempDir()
	in := filepath.Join(dir, "flows.csv")
	content := "timestamp,src_ip,dst_ip,src_port,dst_port,protocol,bytes,packets,duration\n" +
		"2024-01-01T00:00:00Z,10.0.0.7,10.0.0.1,40000,443,tcp,100,2,0.1\n" + // before --train-from
		"2024-01-01T00:10:00Z,10.0.0.7,10.0.0.1,40001,443,tcp,100,2,0.1\n" + // .7 and .1 train
		"2024-01-01T00:11:00Z,10.0.0.7,10.0.0.9,40002,53,udp,100,2,0.1\n" + // .7 train
		"2024-01-01T01:00:00Z,10.0.0.7,10.0.0.1,40003,443,tcp,100,2,0.1\n" // .7 monitor
	if err := os.WriteFile(in, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	c := SplitConfig{
		Inputs:       []string{in},
		TrainFrom:    time.Date(2024, 1, 1, 0, 5, 0, 0, time.UTC),
		TrainUntil:   time.Date(2024, 1, 1, 0, 30, 0, 0, time.UTC),
		Services:     []netip.Addr{netip.MustParseAddr("10.0.0.1")},
		MonitorHosts: []netip.Addr{netip.MustParseAddr("10.0.0.7")},
		TrainRoot:    filepath.Join(dir, "t"), MonitorRoot: filepath.Join(dir, "m"),
	}
	sum, err := Split(context.Background(), c)
	if err != nil {
		t.Fatal(err)
	}
	if sum.Before != 1 || len(sum.Own) != 1 || sum.Own[0].String() != "10.0.0.7" {
		t.Errorf("before %d, own %v; want 1 flow before, 10.0.0.7 on its own", sum.Before, sum.Own)
	}
	for rel, n := range map[string]int{
		"t/10.0.0.1/10.0.0.1_train_data.csv":   1,
		"t/10.0.0.7/10.0.0.7_train_data.csv":   2,
		"m/10.0.0.7/10.0.0.7_monitor_data.csv": 1,
	} {
		b, err := os.ReadFile(filepath.Join(dir, rel))
		if err != nil {
			t.Fatal(err)
		}
		if got := strings.Count(string(b), "\n") - 1; got != n {
			t.Errorf("%s: %d flows, want %d", rel, got, n)
		}
	}
	c.TrainFrom = c.TrainUntil
	if _, err := Split(context.Background(), c); err == nil || !strings.Contains(err.Error(), "is not before --train-until") {
		t.Errorf("--train-from at --train-until: %v", err)
	}
}
