package layout

import (
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// owns claims the test's outputs: out_*.csv.
func owns(name string) bool { return strings.HasPrefix(name, "out_") }

func write(t *testing.T, path, text string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
}

func names(t *testing.T, dir string) []string {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, e := range entries {
		out = append(out, e.Name())
	}
	return out
}

// unitFolder makes a unit folder with an input, a user's subfolder, and the
// outputs of an earlier command.
func unitFolder(t *testing.T, root string) string {
	dir := filepath.Join(root, "10.0.0.1")
	write(t, filepath.Join(dir, "10.0.0.1_monitor_data.csv"), "flows\n")
	write(t, filepath.Join(dir, "notes", "a.txt"), "mine\n")
	write(t, filepath.Join(dir, "out_a.csv"), "old a\n")
	write(t, filepath.Join(dir, "out_b.csv"), "old b\n")
	return dir
}

// TestGenerationCommit: the new set replaces the old one whole (an output
// not written again is gone), everything else is kept, and the manifest
// verifies.
func TestGenerationCommit(t *testing.T) {
	for _, apart := range []bool{false, true} {
		t.Run(map[bool]string{false: "exchange", true: "two renames"}[apart], func(t *testing.T) {
			root := t.TempDir()
			dir := unitFolder(t, root)
			g, err := NewGeneration(dir, owns)
			if err != nil {
				t.Fatal(err)
			}
			if got := names(t, g.Dir()); !slices.Equal(got, []string{"10.0.0.1_monitor_data.csv", "notes"}) {
				t.Errorf("carried %v", got)
			}
			write(t, filepath.Join(g.Dir(), "out_a.csv"), "new a\n")
			write(t, filepath.Join(g.Dir(), "out_c.csv"), "new c, summed by its writer\n")
			sums := []FileSum{Sum("out_c.csv", 27, 0x1234abcd)}
			if apart {
				g.swap = exchangeApart
			}
			err = g.Commit("run", sums)
			if err != nil {
				t.Fatal(err)
			}
			if got := names(t, dir); !slices.Equal(got, []string{"10.0.0.1_monitor_data.csv", ManifestFile, "notes", "out_a.csv", "out_c.csv"}) {
				t.Errorf("after commit: %v", got)
			}
			if b, _ := os.ReadFile(filepath.Join(dir, "out_a.csv")); string(b) != "new a\n" {
				t.Errorf("out_a.csv %q", b)
			}
			if b, _ := os.ReadFile(filepath.Join(dir, "notes", "a.txt")); string(b) != "mine\n" {
				t.Errorf("the user's file: %q", b)
			}
			if got := names(t, root); !slices.Equal(got, []string{"10.0.0.1"}) {
				t.Errorf("beside the unit folder: %v", got)
			}
			m, err := ReadManifest(dir)
			if err != nil || m.Command != "run" || len(m.Files) != 2 || m.Files[1] != sums[0] {
				t.Errorf("manifest %+v, %v", m, err)
			}
			// out_c's sum came from its writer (and is made up here).
			if err := Verify(dir, owns); err == nil || !strings.Contains(err.Error(), "out_c.csv") {
				t.Errorf("Verify with a wrong sum: %v", err)
			}
		})
	}
}

// TestVerify: a folder of one generation passes; a changed output, an
// output from elsewhere or a missing one fail.
func TestVerify(t *testing.T) {
	dir := unitFolder(t, t.TempDir())
	g, err := NewGeneration(dir, owns)
	if err != nil {
		t.Fatal(err)
	}
	write(t, filepath.Join(g.Dir(), "out_a.csv"), "new a\n")
	if err := g.Commit("train", nil); err != nil {
		t.Fatal(err)
	}
	if err := Verify(dir, owns); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		do   func()
		msg  string
	}{
		{"changed", func() { write(t, filepath.Join(dir, "out_a.csv"), "old a\n") }, "a mix of two runs"},
		{"not listed", func() { write(t, filepath.Join(dir, "out_z.csv"), "z\n") }, "not in the manifest"},
		{"missing", func() { os.Remove(filepath.Join(dir, "out_a.csv")) }, "listed in the manifest"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			orig, _ := os.ReadFile(filepath.Join(dir, "out_a.csv"))
			defer func() {
				os.Remove(filepath.Join(dir, "out_z.csv"))
				os.WriteFile(filepath.Join(dir, "out_a.csv"), orig, 0o644)
			}()
			tc.do()
			if err := Verify(dir, owns); err == nil || !strings.Contains(err.Error(), tc.msg) {
				t.Errorf("%v, want %q", err, tc.msg)
			}
		})
	}
}

// TestGenerationAbort: an aborted generation leaves the folder as it was.
func TestGenerationAbort(t *testing.T) {
	root := t.TempDir()
	dir := unitFolder(t, root)
	before := names(t, dir)
	g, err := NewGeneration(dir, owns)
	if err != nil {
		t.Fatal(err)
	}
	write(t, filepath.Join(g.Dir(), "out_a.csv"), "new a\n")
	g.Abort()
	if got := names(t, dir); !slices.Equal(got, before) {
		t.Errorf("after abort: %v, want %v", got, before)
	}
	if got := names(t, root); !slices.Equal(got, []string{"10.0.0.1"}) {
		t.Errorf("beside the unit folder: %v", got)
	}
	if b, _ := os.ReadFile(filepath.Join(dir, "out_a.csv")); string(b) != "old a\n" {
		t.Errorf("out_a.csv %q", b)
	}
}

// TestGenerationOfLinkedFolder: a unit folder that is a symbolic link is
// refused, and nothing is made or removed beside its target (outside the
// data folder); a data folder that is a link is fine, and its generations
// stay in it.
func TestGenerationOfLinkedFolder(t *testing.T) {
	root, elsewhere := t.TempDir(), t.TempDir()
	target := unitFolder(t, elsewhere)
	link := filepath.Join(root, "10.0.0.1")
	if err := os.Symlink(target, link); err != nil {
		t.Skip("no symbolic links here:", err)
	}
	if g, err := NewGeneration(link, owns); !errors.Is(err, ErrUnitLink) || !strings.Contains(err.Error(), target) {
		t.Errorf("NewGeneration of a linked unit folder: %v, want ErrUnitLink naming the target", err)
		if err == nil {
			g.Abort()
		}
	}
	if got := names(t, elsewhere); !slices.Equal(got, []string{"10.0.0.1"}) {
		t.Errorf("beside the target: %v", got)
	}
	if got := names(t, root); !slices.Equal(got, []string{"10.0.0.1"}) {
		t.Errorf("beside the link: %v", got)
	}

	linkedRoot := filepath.Join(t.TempDir(), "data")
	if err := os.Symlink(elsewhere, linkedRoot); err != nil {
		t.Fatal(err)
	}
	g, err := NewGeneration(filepath.Join(linkedRoot, "10.0.0.1"), owns)
	if err != nil {
		t.Fatal(err)
	}
	write(t, filepath.Join(g.Dir(), "out_a.csv"), "new a\n")
	if err := g.Commit("run", nil); err != nil || g.Leftover() != nil {
		t.Fatal(err, g.Leftover())
	}
	if b, _ := os.ReadFile(filepath.Join(target, "out_a.csv")); string(b) != "new a\n" {
		t.Errorf("through the linked data folder: %q", b)
	}
	if got := names(t, elsewhere); !slices.Equal(got, []string{"10.0.0.1"}) {
		t.Errorf("in the data folder after the commit: %v", got)
	}
}

// TestGenerationKeepsMode: the unit folder keeps its mode (and a user's
// read-only sub-folder its own) across commits.
func TestGenerationKeepsMode(t *testing.T) {
	dir := unitFolder(t, t.TempDir())
	if err := os.Chmod(dir, 0o750); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(filepath.Join(dir, "notes"), 0o555); err != nil {
		t.Fatal(err)
	}
	defer os.Chmod(filepath.Join(dir, "notes"), 0o755)
	for range 2 {
		g, err := NewGeneration(dir, owns)
		if err != nil {
			t.Fatal(err)
		}
		write(t, filepath.Join(g.Dir(), "out_a.csv"), "new a\n")
		if err := g.Commit("run", nil); err != nil || g.Leftover() != nil {
			t.Fatal(err, g.Leftover())
		}
		for path, want := range map[string]os.FileMode{dir: 0o750, filepath.Join(dir, "notes"): 0o555} {
			if st, err := os.Stat(path); err != nil || st.Mode().Perm() != want {
				t.Errorf("%s: mode %v (%v), want %v", path, st.Mode().Perm(), err, want)
			}
		}
	}
	if got := names(t, filepath.Dir(dir)); !slices.Equal(got, []string{"10.0.0.1"}) {
		t.Errorf("beside the unit folder: %v", got)
	}
}

// TestRecover: what killed commands leave is rolled back (a generation not
// switched in, an old one switched out, temporary files) or, when the unit
// folder is missing between two renames, rolled forward.
func TestRecover(t *testing.T) {
	root := t.TempDir()
	dir := unitFolder(t, root)

	// A generation being written when its command was killed.
	g, err := NewGeneration(dir, owns)
	if err != nil {
		t.Fatal(err)
	}
	write(t, filepath.Join(g.Dir(), "out_a.csv"), "half")
	// Temporary files of atomic writes, in the root and the unit folder.
	write(t, filepath.Join(root, ".summary.csv8674665223082153551"), "x")
	write(t, filepath.Join(dir, ".out_b.csv123"), "x")
	// A user's hidden file that is not ours.
	write(t, filepath.Join(dir, ".keep"), "x")

	// A second unit, killed between the two renames of a switch: its
	// folder is gone, its complete new generation is beside it.
	dir2 := filepath.Join(root, "10.0.0.2")
	write(t, filepath.Join(dir2, "in.csv"), "flows\n")
	g2, err := NewGeneration(dir2, owns)
	if err != nil {
		t.Fatal(err)
	}
	write(t, filepath.Join(g2.Dir(), "out_a.csv"), "new\n")
	m, _ := g2.manifest("run", nil)
	writeManifest(t, g2.Dir(), m)
	old := filepath.Join(root, ".10.0.0.2.old-"+g2.Dir()[len(g2.Dir())-16:])
	if err := os.Rename(dir2, old); err != nil {
		t.Fatal(err)
	}

	if problems, err := Recover(root); err != nil || problems != nil {
		t.Fatal(err, problems)
	}
	if got := names(t, root); !slices.Equal(got, []string{"10.0.0.1", "10.0.0.2"}) {
		t.Errorf("root after recovery: %v", got)
	}
	if got := names(t, dir); !slices.Equal(got, []string{".keep", "10.0.0.1_monitor_data.csv", "notes", "out_a.csv", "out_b.csv"}) {
		t.Errorf("unit folder after recovery: %v", got)
	}
	if b, _ := os.ReadFile(filepath.Join(dir, "out_a.csv")); string(b) != "old a\n" {
		t.Errorf("the killed generation leaked: %q", b)
	}
	if err := Verify(dir2, owns); err != nil {
		t.Errorf("the generation rolled forward: %v", err)
	}
}

func writeManifest(t *testing.T, dir string, m Manifest) {
	t.Helper()
	b, err := json.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	write(t, filepath.Join(dir, ManifestFile), string(b))
}
