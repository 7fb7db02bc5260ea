package main

import (
	"fmt"
	"io"

	"github.com/google/renameio/v2"
)

// writeFileAtomic writes path through fill into a temporary file that
// replaces path only when fill succeeds, so no half-written file is left.
func writeFileAtomic(path string, fill func(io.Writer) error) error {
	t, err := renameio.NewPendingFile(path, renameio.WithPermissions(0o644))
	if err != nil {
		return fmt.Errorf("create %s: %w", path, err)
	}
	defer t.Cleanup()
	if err := fill(t); err != nil {
		return err
	}
	if err := t.CloseAtomicallyReplace(); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	return nil
}
