package atomicfile

import (
	"errors"
	"os"
	"path/filepath"
)

// createRenamed makes a pending file without renameio: a temporary file
// next to path, synced, closed and renamed over path when committed. It is
// Windows' implementation; it builds everywhere so that it is tested
// everywhere.
func createRenamed(path string) (*Pending, error) {
	f, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+"*.tmp")
	if err != nil {
		return nil, err
	}
	if err := f.Chmod(Mode); err != nil && !errors.Is(err, errors.ErrUnsupported) {
		f.Close()
		os.Remove(f.Name())
		return nil, err
	}
	done := false
	commit := func() error {
		if err := f.Sync(); err != nil {
			return err
		}
		if err := f.Close(); err != nil {
			return err
		}
		if err := os.Rename(f.Name(), path); err != nil {
			return err
		}
		done = true
		return nil
	}
	cleanup := func() error {
		if done {
			return nil
		}
		cerr := f.Close()
		if err := os.Remove(f.Name()); err != nil && !errors.Is(err, os.ErrNotExist) {
			return err
		}
		if cerr != nil && !errors.Is(cerr, os.ErrClosed) {
			return cerr
		}
		return nil
	}
	return &Pending{File: f, commit: commit, cleanup: cleanup}, nil
}
