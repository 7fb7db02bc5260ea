package input

import (
	"errors"
	"os"
	"path/filepath"
	"testing"
)

// TestOpenRegular: a regular file, and a symbolic link to one, are opened;
// a directory and a missing file are not.
func TestOpenRegular(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "flows.csv")
	if err := os.WriteFile(path, []byte("a,b\n1,2\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	link := filepath.Join(dir, "link.csv")
	if err := os.Symlink(path, link); err != nil {
		t.Logf("no symlink: %v", err)
		link = path
	}
	for _, p := range []string{path, link} {
		b, err := ReadFile(p)
		if err != nil || string(b) != "a,b\n1,2\n" {
			t.Errorf("ReadFile(%s) = %q, %v", p, b, err)
		}
	}
	if _, err := Open(filepath.Join(dir, "missing")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("missing file: %v, want a not-exist error", err)
	}
	_, err := Open(dir)
	var fe *Error
	if !errors.Is(err, ErrNotRegular) || !errors.As(err, &fe) || fe.File != dir || fe.Error() != dir+": is a directory, not a regular file" {
		t.Errorf("directory: %v", err)
	}
}
