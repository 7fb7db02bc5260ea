package layout

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/netflow-monitor/monitor/atomicfile"
)

// Recover finishes or rolls back what killed commands left in the data
// folder root, and removes their temporary files. Call it holding the
// folder's exclusive lock (so that no command is writing there).
//
// A unit folder is never left incomplete: a generation (see Generation)
// that was not switched in is removed (rolled back), and so is an old one
// that was switched out. Only where folders cannot be exchanged in one
// step can a command killed between its two renames leave the unit folder
// missing and its complete new generation beside it: that one is put in
// place (rolled forward). Temporary files of atomic writes (see
// atomicfile.IsTemp) are removed from root and from every unit folder.
func Recover(root string) error {
	entries, err := os.ReadDir(root)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("recover %s: %w", root, err)
	}
	var errs []error
	for _, e := range entries {
		name := e.Name()
		path := filepath.Join(root, name)
		switch {
		case generationName.MatchString(name):
			errs = append(errs, recoverGeneration(path))
		case atomicfile.IsTemp(name):
			errs = append(errs, removeIfThere(path))
		case isDir(root, e):
			errs = append(errs, recoverUnit(path))
		}
	}
	return errors.Join(errs...)
}

// recoverGeneration deals with one generation folder left beside a unit
// folder.
func recoverGeneration(path string) error {
	m := generationName.FindStringSubmatch(filepath.Base(path))
	live := filepath.Join(filepath.Dir(path), m[1])
	if _, err := os.Lstat(live); errors.Is(err, fs.ErrNotExist) && m[2] == "gen" {
		if _, err := ReadManifest(path); err == nil {
			if err := os.Rename(path, live); err != nil {
				return fmt.Errorf("recover %s: %w", live, err)
			}
			return nil
		}
	}
	if err := os.RemoveAll(path); err != nil {
		return fmt.Errorf("recover: remove %s: %w", path, err)
	}
	return nil
}

// recoverUnit removes a unit folder's temporary files and, when the folder
// is a symbolic link, the generations left beside its target.
func recoverUnit(dir string) error {
	var errs []error
	if real, err := filepath.EvalSymlinks(dir); err == nil && real != filepath.Clean(dir) {
		parent, base := filepath.Dir(real), filepath.Base(real)
		if siblings, err := os.ReadDir(parent); err == nil {
			for _, s := range siblings {
				if m := generationName.FindStringSubmatch(s.Name()); m != nil && m[1] == base {
					errs = append(errs, recoverGeneration(filepath.Join(parent, s.Name())))
				}
			}
		}
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		return errors.Join(append(errs, err)...)
	}
	for _, e := range entries {
		if atomicfile.IsTemp(e.Name()) {
			errs = append(errs, removeIfThere(filepath.Join(dir, e.Name())))
		}
	}
	return errors.Join(errs...)
}

func removeIfThere(path string) error {
	if err := os.Remove(path); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("recover: remove %s: %w", path, err)
	}
	return nil
}
