//go:build !windows

package atomicfile

import (
	"path/filepath"

	"github.com/google/renameio/v2"
)

// create makes a renameio pending file.
func create(path string) (*Pending, error) {
	p, err := renameio.NewPendingFile(path, renameio.WithTempDir(filepath.Dir(path)), renameio.WithPermissions(Mode))
	if err != nil {
		return nil, err
	}
	return &Pending{File: p.File, commit: p.CloseAtomicallyReplace, cleanup: p.Cleanup}, nil
}
