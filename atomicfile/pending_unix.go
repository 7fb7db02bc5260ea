//go:build !windows

package atomicfile

import (
	"path/filepath"

	"github.com/google/renameio/v2"
)

// pending commits through renameio.
type pending struct{ p *renameio.PendingFile }

func create(path string) (*Pending, error) {
	p, err := renameio.NewPendingFile(path, renameio.WithTempDir(filepath.Dir(path)), renameio.WithPermissions(Mode))
	if err != nil {
		return nil, err
	}
	return &Pending{File: p.File, pending: pending{p}}, nil
}

// CloseAtomicallyReplace syncs and closes the file and renames it over
// its destination.
func (p *Pending) CloseAtomicallyReplace() error { return p.p.CloseAtomicallyReplace() }

// Cleanup closes and removes the file unless it was committed.
func (p *Pending) Cleanup() error { return p.p.Cleanup() }
