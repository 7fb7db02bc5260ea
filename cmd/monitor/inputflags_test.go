package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// TestMaxLineFlag: --max-line below 1 is refused before any work, and a
// low one applies to the command's inputs.
func TestMaxLineFlag(t *testing.T) {
	dir := t.TempDir()
	flowsFile := filepath.Join(dir, "flows.csv")
	os.WriteFile(flowsFile, []byte("timestamp,src_ip,dst_ip,src_port,dst_port,protocol,bytes,packets,duration\n"+
		"2024-01-01T00:00:00Z,10.0.0.1,10.0.0.2,40000,443,tcp,100,2,0.5\n"), 0o644)
	traces := filepath.Join(dir, "traces.txt")
	os.WriteFile(traces, []byte("1 2\n1 3 0 1 1\n"), 0o644)
	split := []string{"split", flowsFile, "--train-until", "2024-01-02T00:00:00Z", "--services", "10.0.0.2",
		"--train-data", filepath.Join(dir, "T"), "--monitor-data", filepath.Join(dir, "M")}
	tests := []struct {
		args []string
		want string
	}{
		{[]string{"learn", traces, "-o", filepath.Join(dir, "m.json"), "--max-line", "0"}, "--max-line 0: must be >= 1"},
		{[]string{"predict", traces, "--model", "m.json", "-o", "p.csv", "--max-line", "-1"}, "--max-line -1"},
		{[]string{"perplexity", "s.txt", "p.csv", "--max-line", "0"}, "--max-line 0"},
		{[]string{"evaluate", "--max-line", "0"}, "--max-line 0"},
		{slices.Concat(split, []string{"--max-line", "0"}), "--max-line 0"},
		{slices.Concat(split, []string{"--max-line", "20"}), "flows.csv:1: line too long: more than 20 bytes"},
		{[]string{"learn", traces, "-o", filepath.Join(dir, "m.json"), "--format", "abbadingo", "--max-line", "5"}, "traces.txt:2: line too long: more than 5 bytes"},
	}
	for _, tc := range tests {
		t.Run(strings.Join(tc.args[:1], " ")+" "+strings.Join(tc.args[len(tc.args)-2:], " "), func(t *testing.T) {
			root := newRootCmd()
			var out bytes.Buffer
			root.SetArgs(tc.args)
			root.SetOut(&out)
			root.SetErr(&out)
			err := root.ExecuteContext(context.Background())
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %v, want one saying %q", err, tc.want)
			}
		})
	}
}
