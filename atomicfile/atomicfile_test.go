package atomicfile

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestWrite: a successful write replaces the file; a failed one leaves the
// old file as it was and no temporary file behind; the temporary file is
// in the destination's folder whatever $TMPDIR says.
func TestWrite(t *testing.T) {
	boom := errors.New("boom")
	tests := []struct {
		name    string
		fill    func(f *os.File) error
		want    string // the file's content afterwards
		wantErr error
	}{
		{"replaced", func(f *os.File) error { _, err := f.WriteString("new"); return err }, "new", nil},
		{"fill fails after writing", func(f *os.File) error {
			if _, err := f.WriteString("half"); err != nil {
				return err
			}
			return boom
		}, "old", boom},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			t.Setenv("TMPDIR", filepath.Join(dir, "no such folder"))
			path := filepath.Join(dir, "out.csv")
			if err := os.WriteFile(path, []byte("old"), 0o600); err != nil {
				t.Fatal(err)
			}
			err := Write(path, func(f *os.File) error {
				if got := filepath.Dir(f.Name()); got != dir {
					t.Errorf("temporary file in %s, want %s", got, dir)
				}
				return tt.fill(f)
			})
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("error %v, want %v", err, tt.wantErr)
			}
			if err != nil && !strings.Contains(err.Error(), path) {
				t.Errorf("error %q does not name %s", err, path)
			}
			b, rerr := os.ReadFile(path)
			if rerr != nil {
				t.Fatal(rerr)
			}
			if string(b) != tt.want {
				t.Errorf("content %q, want %q", b, tt.want)
			}
			if st, err := os.Stat(path); err == nil && tt.wantErr == nil && st.Mode().Perm() != Mode {
				t.Errorf("mode %v, want %v", st.Mode().Perm(), os.FileMode(Mode))
			}
			entries, _ := os.ReadDir(dir)
			if len(entries) != 1 {
				names := []string{}
				for _, e := range entries {
					names = append(names, e.Name())
				}
				t.Errorf("folder holds %v, want only out.csv", names)
			}
		})
	}
}

func TestWriteBytes(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "model.json")
	if err := WriteBytes(path, []byte("{}\n")); err != nil {
		t.Fatal(err)
	}
	if b, err := os.ReadFile(path); err != nil || string(b) != "{}\n" {
		t.Errorf("read %q, %v", b, err)
	}
	missing := filepath.Join(dir, "missing", "model.json")
	err := WriteBytes(missing, []byte("x"))
	if err == nil || !strings.Contains(err.Error(), missing) {
		t.Errorf("error %v, want one naming %s", err, missing)
	}
}

// TestCreateCleanup: a pending file that is not committed leaves nothing.
func TestCreateCleanup(t *testing.T) {
	dir := t.TempDir()
	p, err := Create(filepath.Join(dir, "report.csv"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := p.WriteString("partial"); err != nil {
		t.Fatal(err)
	}
	if err := p.Cleanup(); err != nil {
		t.Fatal(err)
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 0 {
		t.Errorf("%d files left", len(entries))
	}
}

// TestPendingImplementations runs both implementations through the same
// cases: renameio's (Unix) and the rename one (Windows, tested here too).
func TestPendingImplementations(t *testing.T) {
	impls := []struct {
		name   string
		create func(string) (*Pending, error)
	}{
		{"Create", Create},
		{"renamed", createRenamed},
	}
	cases := []struct {
		name   string
		commit bool
		want   string // the destination's content afterwards
	}{
		{"committed", true, "new"},
		{"not committed", false, "old"},
	}
	for _, impl := range impls {
		for _, tc := range cases {
			t.Run(impl.name+"/"+tc.name, func(t *testing.T) {
				dir := t.TempDir()
				path := filepath.Join(dir, "out.csv")
				if err := os.WriteFile(path, []byte("old"), 0o600); err != nil {
					t.Fatal(err)
				}
				p, err := impl.create(path)
				if err != nil {
					t.Fatal(err)
				}
				if got := filepath.Dir(p.Name()); got != dir {
					t.Errorf("temporary file in %s, want %s", got, dir)
				}
				if _, err := p.WriteString("new"); err != nil {
					t.Fatal(err)
				}
				if tc.commit {
					if err := p.CloseAtomicallyReplace(); err != nil {
						t.Fatal(err)
					}
				}
				// Cleanup is deferred by callers: after a commit it keeps
				// the file, and twice is harmless.
				for range 2 {
					if err := p.Cleanup(); err != nil {
						t.Errorf("Cleanup: %v", err)
					}
				}
				b, err := os.ReadFile(path)
				if err != nil || string(b) != tc.want {
					t.Errorf("destination holds %q (%v), want %q", b, err, tc.want)
				}
				if st, err := os.Stat(path); err == nil && tc.commit && st.Mode().Perm() != Mode {
					t.Errorf("mode %v, want %v", st.Mode().Perm(), os.FileMode(Mode))
				}
				if entries, _ := os.ReadDir(dir); len(entries) != 1 {
					t.Errorf("%d files in the folder, want only out.csv", len(entries))
				}
			})
		}
	}
}
