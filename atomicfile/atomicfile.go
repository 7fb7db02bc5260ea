// Package atomicfile writes the files that monitor produces (models,
// predictions, reports, plots) atomically: into a temporary file in the
// destination's folder, renamed over the destination only once complete.
// A reader sees the old file or the whole new one, and a failed or
// cancelled write leaves nothing behind.
package atomicfile

import (
	"fmt"
	"os"
	"strings"
)

// Mode is the permission of the files written.
const Mode = 0o644

// Pending is a temporary file that becomes its destination when committed
// with CloseAtomicallyReplace. Cleanup removes it unless it was committed;
// defer it.
//
// On Unix systems it is github.com/google/renameio's pending file (written,
// synced, renamed over the destination). renameio does not build on
// Windows, where Pending is a temporary file renamed with os.Rename
// (MoveFileEx replacing the destination): a crash leaves the old file or
// the new one, but the rename is not guaranteed atomic there.
type Pending struct {
	*os.File
	commit, cleanup func() error
}

// CloseAtomicallyReplace syncs and closes the file and renames it over
// its destination.
func (p *Pending) CloseAtomicallyReplace() error { return p.commit() }

// Cleanup closes and removes the file unless it was committed.
func (p *Pending) Cleanup() error { return p.cleanup() }

// Create opens a pending file that will become path. Write to it, defer
// its Cleanup (which removes it unless it was committed) and commit it
// with CloseAtomicallyReplace.
//
// The temporary file is created in path's folder, so the rename cannot
// cross file systems. (Left to choose, renameio probes $TMPDIR with a test
// file and a test rename on every call.)
func Create(path string) (*Pending, error) {
	p, err := create(path)
	if err != nil {
		return nil, fmt.Errorf("create %s: %w", path, err)
	}
	return p, nil
}

// Write writes path through fill, which gets the temporary file. path is
// replaced only when fill succeeds; fill's error is returned with path.
func Write(path string, fill func(f *os.File) error) error {
	t, err := Create(path)
	if err != nil {
		return err
	}
	defer t.Cleanup()
	if err := fill(t.File); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := t.CloseAtomicallyReplace(); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	return nil
}

// WriteBytes writes b to path.
func WriteBytes(path string, b []byte) error {
	return Write(path, func(f *os.File) error {
		_, err := f.Write(b)
		return err
	})
}

// tempExts are the extensions of the files the project writes: a
// temporary file of one of them is recognised by IsTemp.
var tempExts = []string{".csv", ".json", ".png", ".svg", ".html", ".dot", ".gz"}

// IsTemp reports whether a file name is that of a temporary file Create
// made for a destination in the same folder (".name.csv" followed by
// random digits, and ".tmp" on Windows): what a killed writer leaves.
func IsTemp(name string) bool {
	if len(name) < 2 || name[0] != '.' {
		return false
	}
	s := strings.TrimSuffix(name[1:], ".tmp")
	digits := len(s) - len(strings.TrimRight(s, "0123456789"))
	if digits == 0 {
		return false
	}
	s = s[:len(s)-digits]
	for _, ext := range tempExts {
		if len(s) > len(ext) && strings.HasSuffix(s, ext) {
			return true
		}
	}
	return false
}
