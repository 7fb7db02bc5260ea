//go:build unix

package main

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/netflow-monitor/monitor/layout"
)

// Permission cases. Tests run as root on CI and on the development
// machines, where modes deny nothing, so the commands under test run as
// a process of user nobody (see unprivileged) on trees given to it; run
// as another user, they run as that user.

// chmod sets a mode, failing the test on an error.
func chmod(t *testing.T, path string, mode os.FileMode) {
	t.Helper()
	if err := os.Chmod(path, mode); err != nil {
		t.Fatal(err)
	}
}

// TestReadOnlyDataFolder: a data folder made read-only (chmod 555) is
// refused at once by a command that writes it, saying so; nothing in it
// changes (before: run failed every unit at mkdir and deleted their
// outputs one by one, leaving manifests that verify then failed), and
// verify passes.
func TestReadOnlyDataFolder(t *testing.T) {
	T, M := trainedPair(t)
	dir := filepath.Dir(T)
	p := unprivileged(t, dir)
	tests := []struct {
		name, root string
		args       []string
	}{
		{"run", M, []string{"run", "--train-data", T, "--monitor-data", M, "-q"}},
		{"all", M, []string{"all", "--train-data", T, "--monitor-data", M, "-q"}},
		{"train", T, []string{"train", "--train-data", T, "-q"}},
		{"report", M, []string{"report", "--monitor-data", M}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			chmod(t, tc.root, 0o555)
			defer chmod(t, tc.root, 0o755)
			before := takeSnapshot(t, dir)
			_, errOut, code := p.run(t, tc.args...)
			if code != 1 || !strings.Contains(errOut, tc.root+": not writable (dr-xr-xr-x)") || !strings.Contains(errOut, "nothing in it was changed") {
				t.Errorf("exit %d, %s; want 1 and the folder named as not writable", code, errOut)
			}
			if d := diffSnapshots(before, takeSnapshot(t, dir)); len(d) > 0 {
				t.Errorf("changed: %v", d)
			}
			if out, errOut, code := p.run(t, "verify", "--train-data", T, "--monitor-data", M); code != 0 {
				t.Errorf("verify: exit %d\n%s%s", code, out, errOut)
			}
		})
	}
}

// TestReadOnlyUnitFolder: a unit folder made read-only fails alone (the
// other unit gets its new outputs) and keeps its previous outputs,
// manifest and mode; nothing is left beside it; once writable again it
// is updated, its mode kept. Before: run switched the outputs in, failed
// to remove the old ones, reported FAILED, reset the mode to 0755, and
// every later command failed on the leftover.
func TestReadOnlyUnitFolder(t *testing.T) {
	T, M := trainedPair(t)
	dir := filepath.Dir(T)
	p := unprivileged(t, dir)
	tests := []struct {
		name, root string
		args       []string
		ok         string // the other unit's line on stdout
	}{
		{"run", M, []string{"run", "--train-data", T, "--monitor-data", M, "-q"}, "10.1.0.12            1222 traces"},
		{"train", T, []string{"train", "--train-data", T, "-q"}, "10.1.0.12            2861 flows"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			unit := filepath.Join(tc.root, "10.1.0.15")
			chmod(t, unit, 0o555)
			before := takeSnapshot(t, unit)
			out, errOut, code := p.run(t, tc.args...)
			if code != 1 || !strings.Contains(errOut, "FAILED 10.1.0.15: "+unit+": not writable (dr-xr-xr-x)") || !strings.Contains(out, tc.ok) {
				t.Errorf("exit %d\n%s%s\nwant 10.1.0.15 failed as not writable, 10.1.0.12 done", code, out, errOut)
			}
			if strings.Count(errOut, "FAILED") != 1 {
				t.Errorf("more than the read-only unit failed:\n%s", errOut)
			}
			if d := diffSnapshots(before, takeSnapshot(t, unit)); len(d) > 0 {
				t.Errorf("the read-only unit changed: %v", d)
			}
			if h := hidden(t, tc.root); len(h) > 0 {
				t.Errorf("left in %s: %v", tc.root, h)
			}
			if out, errOut, code := p.run(t, "verify", "--train-data", T, "--monitor-data", M); code != 0 {
				t.Errorf("verify: exit %d\n%s%s", code, out, errOut)
			}
			chmod(t, unit, 0o750)
			if out, errOut, code := p.run(t, tc.args...); code != 0 || strings.Contains(errOut, "warning") {
				t.Errorf("once writable: exit %d\n%s%s", code, out, errOut)
			}
			if st, err := os.Stat(unit); err != nil || st.Mode().Perm() != 0o750 {
				t.Errorf("mode after an update: %v, %v; want 0750 kept", st.Mode(), err)
			}
			if h := hidden(t, tc.root); len(h) > 0 {
				t.Errorf("left in %s: %v", tc.root, h)
			}
		})
	}
}

// TestUnreadableUnitFolder: a unit folder that cannot be read (chmod 000)
// fails alone, unchanged; the other unit runs. Before: the whole run
// stopped at "open monitor_data/10.1.0.15: permission denied".
func TestUnreadableUnitFolder(t *testing.T) {
	T, M := trainedPair(t)
	dir := filepath.Dir(T)
	p := unprivileged(t, dir)
	unit := filepath.Join(M, "10.1.0.15")
	before := takeSnapshot(t, unit)
	chmod(t, unit, 0)
	out, errOut, code := p.run(t, "run", "--train-data", T, "--monitor-data", M, "-q")
	chmod(t, unit, 0o755)
	if code != 1 || !strings.Contains(errOut, "FAILED 10.1.0.15: ") || strings.Count(errOut, "FAILED") != 1 || !strings.Contains(out, "10.1.0.12            1222 traces") {
		t.Errorf("exit %d\n%s%s\nwant 10.1.0.15 failed, 10.1.0.12 done", code, out, errOut)
	}
	if d := diffSnapshots(before, takeSnapshot(t, unit)); len(d) > 0 {
		t.Errorf("the unreadable unit changed: %v", d)
	}
	if h := hidden(t, M); len(h) > 0 {
		t.Errorf("left in %s: %v", M, h)
	}
	if out, errOut, code := p.run(t, "verify", "--train-data", T, "--monitor-data", M); code != 0 {
		t.Errorf("verify: exit %d\n%s%s", code, out, errOut)
	}
}

// TestLeftoverThatCannotBeRemoved: what an earlier command left and this
// one cannot remove (another user's files) is reported as a warning,
// again by each command, and blocks neither the units nor the commands.
// Before: every command failed with "recover: remove ...: permission
// denied".
func TestLeftoverThatCannotBeRemoved(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("a leftover its user cannot remove needs another owner: run as root")
	}
	T, M := trainedPair(t)
	dir := filepath.Dir(T)
	p := unprivileged(t, dir)
	left := filepath.Join(M, ".10.1.0.15.gen-0123456789abcdef")
	if err := os.MkdirAll(filepath.Join(left, "sub"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(left, "sub", "x.csv"), []byte("x\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	chmod(t, filepath.Join(left, "sub"), 0o555) // root's: nobody can empty it
	defer chmod(t, filepath.Join(left, "sub"), 0o755)
	for range 2 {
		out, errOut, code := p.run(t, "run", "--train-data", T, "--monitor-data", M, "-q")
		if code != 0 || !strings.Contains(errOut, "warning: remove "+left+", left by an earlier command:") || !strings.Contains(out, "10.1.0.15") {
			t.Errorf("exit %d\n%s%s\nwant both units done and a warning naming the leftover", code, out, errOut)
		}
	}
	out, errOut, code := p.run(t, "verify", "--train-data", T, "--monitor-data", M)
	if code != 0 || !strings.Contains(out, "left by a killed command: "+left) {
		t.Errorf("verify: exit %d\n%s%s", code, out, errOut)
	}
}

// TestVerifyReadsOnly: verify needs read access only: on folders its user
// cannot write, with or without a lock file, and while a writer (watch,
// here a lock held exclusively) holds the folder, when it verifies
// alongside it and says so; --wait waits for the writer instead. Before:
// "open monitor_data/.monitor.lock: permission denied", and "in use".
func TestVerifyReadsOnly(t *testing.T) {
	T, M := trainedPair(t)
	dir := filepath.Dir(T)
	p := unprivileged(t, dir)
	readOnly := func(mode os.FileMode) {
		for _, root := range []string{T, M} {
			for _, d := range []string{"", "10.1.0.12", "10.1.0.15"} {
				chmod(t, filepath.Join(root, d), mode)
			}
		}
	}
	verify := func(args ...string) (string, string, int) {
		return p.run(t, append([]string{"verify", "--train-data", T, "--monitor-data", M}, args...)...)
	}
	readOnly(0o555)
	defer readOnly(0o755)
	if out, errOut, code := verify(); code != 0 || !strings.Contains(out, "ok     "+M+"/10.1.0.15: 8 outputs of run") {
		t.Errorf("read-only, no lock file: exit %d\n%s%s", code, out, errOut)
	}
	readOnly(0o755)
	l, err := layout.LockFolder(context.Background(), M, layout.Exclusive, 0, "monitor watch --monitor-data M")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Unlock()
	readOnly(0o555)
	out, errOut, code := verify()
	if code != 0 || !strings.Contains(errOut, "note: "+M+" is being written by process") || !strings.Contains(errOut, "monitor watch") {
		t.Errorf("read-only, lock file there, held by a writer: exit %d\n%s%s", code, out, errOut)
	}
	if _, errOut, code := verify("--wait", "200ms"); code != 1 || !strings.Contains(errOut, "waited 200ms") {
		t.Errorf("--wait while a writer holds the folder: exit %d, %s", code, errOut)
	}
}
