//go:build windows

package atomicfile

import (
	"errors"
	"os"
	"path/filepath"
)

// pending is a temporary file next to path, renamed over it when
// committed.
type pending struct {
	path string
	done bool
}

func create(path string) (*Pending, error) {
	f, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+"*.tmp")
	if err != nil {
		return nil, err
	}
	return &Pending{File: f, pending: pending{path: path}}, nil
}

// CloseAtomicallyReplace syncs and closes the file and renames it over
// its destination.
func (p *Pending) CloseAtomicallyReplace() error {
	if err := p.File.Sync(); err != nil {
		return err
	}
	if err := p.File.Close(); err != nil {
		return err
	}
	if err := os.Rename(p.File.Name(), p.path); err != nil {
		return err
	}
	p.done = true
	return nil
}

// Cleanup closes and removes the file unless it was committed.
func (p *Pending) Cleanup() error {
	if p.done {
		return nil
	}
	cerr := p.File.Close()
	if err := os.Remove(p.File.Name()); err != nil && !errors.Is(err, os.ErrNotExist) {
		return err
	}
	if cerr != nil && !errors.Is(cerr, os.ErrClosed) {
		return cerr
	}
	return nil
}
