package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestMissingFolders: a data folder that does not exist is an error naming
// it, and is not made (before: train, run, all and split made the
// mistyped folder and a lock file in it, then said "no service or group
// folders"; verify exited 0). split and simulate may make their output
// folders, but not their parents.
func TestMissingFolders(t *testing.T) {
	T, M := trainedPair(t)
	dir := filepath.Dir(T)
	typo := filepath.Join(dir, "typo-folder")
	flowFile := filepath.Join(M, "10.1.0.15", "10.1.0.15_monitor_data.csv")
	tests := []struct {
		name string
		args []string
		want string // in the error
	}{
		{"train", []string{"train", "--train-data", typo, "-q"}, "--train-data " + typo + ": no such folder"},
		{"run, train folder", []string{"run", "--train-data", typo, "--monitor-data", M, "-q"}, "--train-data " + typo + ": no such folder"},
		{"run, monitor folder", []string{"run", "--train-data", T, "--monitor-data", typo, "-q"}, "--monitor-data " + typo + ": no such folder"},
		{"all", []string{"all", "--train-data", T, "--monitor-data", typo, "-q"}, "--monitor-data " + typo + ": no such folder"},
		{"evaluate", []string{"evaluate", "--train-data", typo, "--monitor-data", M}, "--train-data " + typo + ": no such folder"},
		{"report", []string{"report", "--monitor-data", typo}, "--monitor-data " + typo + ": no such folder"},
		{"verify, both named", []string{"verify", "--train-data", typo, "--monitor-data", typo + "2"}, "--train-data " + typo + ": no such folder"},
		{"verify, one named", []string{"verify", "--train-data", T, "--monitor-data", typo}, "--monitor-data " + typo + ": no such folder"},
		{"split, no parent", []string{"split", flowFile, "--train-fraction", "0.5", "--services", "10.1.0.15", "--train-data", filepath.Join(typo, "T"), "--monitor-data", filepath.Join(dir, "M2")}, "its parent folder " + typo + " does not exist"},
		{"simulate, no parent", []string{"simulate", "--flows", "5000", "--train-data", filepath.Join(dir, "T2"), "--monitor-data", filepath.Join(typo, "M"), "-q"}, "its parent folder " + typo + " does not exist"},
		{"a file", []string{"train", "--train-data", flowFile}, "not a folder"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			before := takeSnapshot(t, dir)
			_, _, err := execute(tc.args...)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("%v, want %q", err, tc.want)
			}
			if d := diffSnapshots(before, takeSnapshot(t, dir)); len(d) > 0 {
				t.Errorf("made or changed: %v", d)
			}
		})
	}

	// Output folders whose parent exists are made.
	T2, M2 := filepath.Join(dir, "T2"), filepath.Join(dir, "M2")
	if _, errOut, err := execute("split", flowFile, "--train-fraction", "0.5", "--services", "10.1.0.15", "--train-data", T2, "--monitor-data", M2); err != nil {
		t.Fatalf("split into new folders: %v\n%s", err, errOut)
	}
	if _, err := os.Stat(filepath.Join(T2, "10.1.0.15", "10.1.0.15_train_data.csv")); err != nil {
		t.Error(err)
	}
	// With the default monitor folder absent, verify says so and checks
	// the train folder.
	t.Chdir(dir)
	out, errOut, err := execute("verify", "--train-data", "T")
	if err != nil || !strings.Contains(errOut, "note: monitor_data does not exist") || !strings.Contains(out, "ok     T/10.1.0.15") {
		t.Errorf("verify without the default monitor folder: %v\n%s%s", err, out, errOut)
	}
	if _, _, err := execute("verify"); err == nil || !strings.Contains(err.Error(), "nothing to verify") {
		t.Errorf("verify with neither folder: %v", err)
	}
}

// TestFoldersMustDiffer: the train and monitor folders of a command are
// two folders, neither inside the other, however they are named; the
// command fails before it writes anything. Before: "--train-data X
// --monitor-data X" was accepted, and verify failed for good after it.
func TestFoldersMustDiffer(t *testing.T) {
	T, M := trainedPair(t)
	dir := filepath.Dir(T)
	link := filepath.Join(dir, "M-link")
	if err := os.Symlink(M, link); err != nil {
		t.Skip("no symbolic links here:", err)
	}
	rel, err := filepath.Rel(dir, M)
	if err != nil {
		t.Fatal(err)
	}
	t.Chdir(dir)
	pairs := []struct {
		name, train, monitor, want string
	}{
		{"the same", M, M, "are one folder"},
		{"relative and absolute", rel, M, "are one folder"},
		{"with ..", M, filepath.Join(T, "..", "M"), "are one folder"},
		{"a link", link, M, "are one folder"},
		{"monitor inside train", T, filepath.Join(T, "10.1.0.15"), "is inside the train data folder"},
		{"train inside monitor", filepath.Join(link, "10.1.0.12"), M, "is inside the monitor data folder"},
		{"new folder inside", T, filepath.Join(T, "new"), "is inside the train data folder"},
	}
	flowFile := filepath.Join(M, "10.1.0.15", "10.1.0.15_monitor_data.csv")
	for _, p := range pairs {
		for _, cmd := range [][]string{
			{"run"}, {"all"}, {"evaluate"}, {"verify"},
			{"split", flowFile, "--train-fraction", "0.5", "--services", "10.1.0.15", "--force"}, {"simulate", "--flows", "5000", "--force", "-q"},
		} {
			t.Run(p.name+"/"+cmd[0], func(t *testing.T) {
				if cmd[0] != "split" && cmd[0] != "simulate" && strings.HasSuffix(p.monitor, "new") {
					t.Skip("a folder that does not exist is refused as such")
				}
				before := takeSnapshot(t, dir)
				_, _, err := execute(append(cmd, "--train-data", p.train, "--monitor-data", p.monitor)...)
				if err == nil || !strings.Contains(err.Error(), p.want) {
					t.Errorf("%v, want %q", err, p.want)
				}
				if d := diffSnapshots(before, takeSnapshot(t, dir)); len(d) > 0 {
					t.Errorf("made or changed: %v", d)
				}
			})
		}
	}
}

// TestLinkedUnitFolders: a unit folder that is a symbolic link (to a
// folder elsewhere, to nothing, to itself) is refused by name: it fails
// as a unit, the others run, and nothing is made, renamed or removed
// beside the link's target (before: run made and removed
// .<name>.gen-<id> beside the target, outside the data folder, and links
// that loop or dangle were skipped without a word).
func TestLinkedUnitFolders(t *testing.T) {
	T, M := trainedPair(t)
	dir := filepath.Dir(T)
	elsewhere := filepath.Join(dir, "elsewhere")
	for _, root := range []string{T, M} {
		away := filepath.Join(elsewhere, filepath.Base(root))
		if err := os.MkdirAll(away, 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.Rename(filepath.Join(root, "10.1.0.15"), filepath.Join(away, "10.1.0.15")); err != nil {
			t.Fatal(err)
		}
		// A folder of the user's, named as a generation of the linked
		// unit would be: the old code removed it.
		if err := os.Mkdir(filepath.Join(away, ".10.1.0.15.gen-0123456789abcdef"), 0o755); err != nil {
			t.Fatal(err)
		}
		links := map[string]string{"10.1.0.15": filepath.Join(away, "10.1.0.15"), "10.1.0.98": filepath.Join(dir, "absent"), "10.1.0.99": "10.1.0.99"}
		for name, target := range links {
			if err := os.Symlink(target, filepath.Join(root, name)); err != nil {
				t.Skip("no symbolic links here:", err)
			}
		}
	}
	outside := takeSnapshot(t, elsewhere)
	reasons := []string{
		"FAILED 10.1.0.15: unit folder is a symbolic link (to " + filepath.Join(elsewhere, "M", "10.1.0.15") + "): unit folders must be folders of their own",
		"FAILED 10.1.0.98: unit folder is a symbolic link (to " + filepath.Join(dir, "absent") + "), which does not exist",
		"FAILED 10.1.0.99: unit folder is a symbolic link (to 10.1.0.99) that cannot be followed",
	}
	out, errOut, err := execute("run", "--train-data", T, "--monitor-data", M, "-q")
	if err == nil || !strings.Contains(out, "10.1.0.12            1222 traces") {
		t.Errorf("run: %v\n%s%s", err, out, errOut)
	}
	for _, r := range reasons {
		if !strings.Contains(errOut, r) {
			t.Errorf("run does not say %q:\n%s", r, errOut)
		}
	}
	out, errOut, err = execute("train", "--train-data", T, "-q")
	if err == nil || !strings.Contains(out, "10.1.0.12") || !strings.Contains(errOut, "FAILED 10.1.0.15: unit folder is a symbolic link (to "+filepath.Join(elsewhere, "T", "10.1.0.15")+")") {
		t.Errorf("train: %v\n%s%s", err, out, errOut)
	}
	if _, _, err := execute("run", "--train-data", T, "--monitor-data", M, "--service", "10.1.0.99", "-q"); err == nil || !strings.Contains(err.Error(), "service 10.1.0.99: "+filepath.Join(M, "10.1.0.99")+": unit folder is a symbolic link (to 10.1.0.99) that cannot be followed") {
		t.Errorf("run --service of a looping link: %v", err)
	}
	out, _, err = execute("verify", "--train-data", T, "--monitor-data", M)
	if err == nil || !strings.Contains(out, "FAILED "+filepath.Join(M, "10.1.0.98")+": unit folder is a symbolic link") {
		t.Errorf("verify: %v\n%s", err, out)
	}
	if d := diffSnapshots(outside, takeSnapshot(t, elsewhere)); len(d) > 0 {
		t.Errorf("changed outside the data folders: %v", d)
	}
	if h := hidden(t, M); len(h) > 0 {
		t.Errorf("left in %s: %v", M, h)
	}
}
