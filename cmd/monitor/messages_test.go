package main

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/spf13/cobra"
)

// goInternals are words of Go's libraries and of cobra that users were
// shown instead of what was wrong: none may reach a message.
var goInternals = []string{"ParseAddr(", "strconv.", "invalid syntax", "stat ", "arg(s)", "context canceled"}

// TestMessagesInWords: mistakes on the command line and missing files are
// said in the user's words, naming the flag, value or file (before:
// `ParseAddr("foo"): unable to parse IP`, `strconv.ParseFloat: parsing
// "abc": invalid syntax`, `load model: stat ...: no such file or
// directory`, `requires at least 1 arg(s), only received 0`).
func TestMessagesInWords(t *testing.T) {
	T, M := trainedPair(t)
	dir := filepath.Dir(T)
	cfg := filepath.Join(dir, "monitor.yaml")
	if err := os.WriteFile(cfg, []byte("sigma: abc\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Remove(filepath.Join(T, "10.1.0.15", "model.json")); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		args []string
		want string // in the error, or in stderr
	}{
		{"service not an IP", []string{"run", "--service", "foo"}, `--service "foo": not an IP address (like 10.1.0.12 or 2001:db8::1)`},
		{"service out of range", []string{"train", "--service", "10.1.0.256"}, `--service "10.1.0.256": not an IP address (IPv4 field has value >255)`},
		{"monitor hosts", []string{"split", "x.csv", "--monitor-hosts", "10.1.0.12,nope"}, `--monitor-hosts: "nope": not an IP address`},
		{"float flag", []string{"train", "--sigma", "abc"}, `--sigma "abc": not a number (see monitor train --help)`},
		{"int flag", []string{"run", "--top", "ten"}, `--top "ten": want a whole number (see monitor run --help)`},
		{"duration flag", []string{"run", "--wait", "forever"}, `--wait "forever": want a duration like 30s, 10m or 1h30m`},
		{"config value", []string{"train", "--config", cfg}, `monitor.yaml:1: sigma: "abc": not a number`},
		{"no model file", []string{"run", "--train-data", T, "--monitor-data", M, "-q"}, "FAILED 10.1.0.15: no model for 10.1.0.15: " + filepath.Join(T, "10.1.0.15", "model.json") + " does not exist (train it with monitor train"},
		{"--model without a file", []string{"run", "--train-data", T, "--monitor-data", M, "--model", "10.1.0.15", "-q"}, "--model 10.1.0.15: " + filepath.Join(T, "10.1.0.15", "model.json") + " does not exist"},
		{"model dot of no file", []string{"model", "dot", filepath.Join(dir, "none.json")}, filepath.Join(dir, "none.json") + ": no such file or directory"},
		{"split without files", []string{"split"}, "split needs at least 1 flow file: monitor split FLOWFILE... --train-until TIME"},
		{"model dot without a file", []string{"model", "dot"}, "model dot takes 1 argument, got 0: monitor model dot MODEL.json"},
		{"perplexity", []string{"perplexity", "a"}, "perplexity takes 2 arguments, got 1"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, errOut, err := execute(tc.args...)
			if err == nil {
				t.Fatal("no error")
			}
			said := err.Error() + "\n" + errOut
			if !strings.Contains(said, tc.want) {
				t.Errorf("%s\nwant %q", said, tc.want)
			}
			for _, w := range goInternals {
				if strings.Contains(said, w) {
					t.Errorf("says %q: %s", w, said)
				}
			}
		})
	}
}

// TestPlurals: one of something is said in the singular (before: "1
// flows", "1 traces").
func TestPlurals(t *testing.T) {
	T, M := trainedPair(t)
	file := filepath.Join(M, "10.1.0.15", "10.1.0.15_monitor_data.csv")
	b, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.SplitAfterN(string(b), "\n", 3)
	if err := os.WriteFile(file, []byte(lines[0]+lines[1]), 0o644); err != nil {
		t.Fatal(err)
	}
	out, errOut, err := execute("run", "--train-data", T, "--monitor-data", M, "--service", "10.1.0.15", "-q")
	if err != nil {
		t.Fatalf("%v\n%s", err, errOut)
	}
	if !strings.Contains(out, "10.1.0.15               1 trace ") || !strings.Contains(out, "(1 flow, fewer than the window of 10") {
		t.Errorf("run on one flow:\n%s", out)
	}
	dir := t.TempDir()
	out, errOut, err = execute("split", file, "--train-fraction", "0.5", "--services", "10.1.0.15", "--train-data", filepath.Join(dir, "T"), "--monitor-data", filepath.Join(dir, "M"))
	if err != nil {
		t.Fatalf("%v\n%s", err, errOut)
	}
	if !strings.Contains(out, "read 1 flow;") || !strings.Contains(out, "monitor        1 flow\n") {
		t.Errorf("split of one flow:\n%s", out)
	}
	for _, w := range []string{"1 flows", "1 traces", "1 anomalies", "1 states"} {
		if strings.Contains(out, w) {
			t.Errorf("says %q:\n%s", w, out)
		}
	}
}

// TestSplitSaysWhatItLeavesOut: records that are not IP flows (CTU-13 has
// 195 ARP and 5 IPX/SPX rows) are left out and counted by kind, not
// dropped without a word.
func TestSplitSaysWhatItLeavesOut(t *testing.T) {
	dir := t.TempDir()
	in := filepath.Join(dir, "capture.binetflow")
	text := `StartTime,Dur,Proto,SrcAddr,Sport,Dir,DstAddr,Dport,State,sTos,dTos,TotPkts,TotBytes,SrcBytes,Label
2011/08/16 10:01:47.000000,1.0,tcp,147.32.84.165,1025,   ->,147.32.80.9,53,CON,0,0,2,200,100,flow=Normal
2011/08/16 10:01:47.649052,3594.202881,ipx/spx,00:15:17:2c:e5:2d,,   ->,ff:ff:ff:ff:ff:ff,,INT,,,568,52705,52705,flow=Background
2011/08/16 10:01:47.788774,3596.680908,arp,147.32.87.78,,  who,147.32.87.78,,INT,,,655,39300,39300,flow=Background
2011/08/16 10:01:49.155615,3064.184570,arp,147.32.87.52,,  who,147.32.87.54,,INT,,,7,420,420,flow=Background
2011/08/16 10:02:47.000000,1.0,udp,147.32.84.165,1026,   ->,147.32.80.9,53,CON,0,0,2,200,100,flow=Normal
`
	if err := os.WriteFile(in, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	out, errOut, err := execute("split", in, "--train-fraction", "0.5", "--services", "147.32.84.165", "--train-data", filepath.Join(dir, "T"), "--monitor-data", filepath.Join(dir, "M"))
	if err != nil {
		t.Fatalf("%v\n%s", err, errOut)
	}
	if !strings.Contains(out, "read 2 flows;") || !strings.Contains(out, "left out 3 rows that are not IP flows (2 ARP, 1 IPX/SPX)") {
		t.Errorf("split:\n%s", out)
	}
}

// TestInterruptedMessage: train and run stopped by a signal say which
// units they stopped or did not start and what their folders hold, once,
// without "context canceled" or a FAILED line per unit; the error is a
// cancellation, which main turns into exit status 130.
func TestInterruptedMessage(t *testing.T) {
	T, M := trainedPair(t)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"train", "--train-data", T, "-q"}, "train interrupted: 10.1.0.12, 10.1.0.15 not started; they keep their earlier models and outputs"},
		{[]string{"run", "--train-data", T, "--monitor-data", M, "-q"}, "run interrupted: 10.1.0.12, 10.1.0.15 not started; they keep their earlier outputs; summary.csv and report.html are the last finished run's"},
	} {
		_, errOut, err := executeIn(ctx, tc.args...)
		if !errors.Is(err, context.Canceled) || err.Error() != tc.want || strings.Contains(errOut, "FAILED") {
			t.Errorf("%s: %v\n%s\nwant %q", tc.args[0], err, errOut, tc.want)
		}
		var said strings.Builder
		report(&said, nil, err, exitStatus(nil, err, true))
		if got := said.String(); got != "monitor: "+tc.want+"\n" {
			t.Errorf("%s: main says %q", tc.args[0], got)
		}
	}
}

// TestExitStatus: 0 when the command did its work, 1 when it failed, 130
// when a signal stopped it first; a command that runs until it is stopped
// (stopsBySignal: watch, route) exits 0 when stopped.
func TestExitStatus(t *testing.T) {
	root := &cobra.Command{Use: "monitor"}
	batch := &cobra.Command{Use: "train"}
	service := stopsBySignal(&cobra.Command{Use: "watch"})
	root.AddCommand(batch, service)
	failed := errors.New("bad row")
	stopped := &interrupted{"train interrupted"}
	tests := []struct {
		cmd         *cobra.Command
		err         error
		interrupted bool
		want        int
		said        string
	}{
		{batch, nil, false, 0, ""},
		{batch, failed, false, 1, "monitor: bad row\n"},
		{batch, stopped, true, 130, "monitor: train interrupted\n"},
		{batch, context.Canceled, true, 130, "monitor train: interrupted\n"},
		{batch, errors.Join(failed, context.Canceled), true, 130, "monitor train: interrupted\n"},
		{batch, failed, true, 130, "monitor: bad row\n"},
		{batch, nil, true, 0, ""}, // it finished before the signal mattered
		{service, context.Canceled, true, 0, ""},
		{service, nil, true, 0, ""},
		{service, failed, true, 130, "monitor: bad row\n"},
		{service, failed, false, 1, "monitor: bad row\n"},
	}
	for _, tc := range tests {
		got := exitStatus(tc.cmd, tc.err, tc.interrupted)
		var said strings.Builder
		report(&said, tc.cmd, tc.err, got)
		if got != tc.want || said.String() != tc.said {
			t.Errorf("%s, %v, interrupted %v: exit %d saying %q, want %d saying %q", tc.cmd.Use, tc.err, tc.interrupted, got, said.String(), tc.want, tc.said)
		}
	}
}
