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
//
// Recovery never stops a command: what cannot be removed or put in place
// (a folder made read-only meanwhile) is left as it is and returned as a
// problem, one per leftover, for the command to report; a unit folder
// that cannot be read is left to its unit, which fails with that error.
// Only a root that cannot be listed is an error. Nothing outside root is
// touched: symbolic links are not followed.
func Recover(root string) (problems []error, err error) {
	entries, err := os.ReadDir(root)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("recover %s: %w", root, err)
	}
	for _, e := range entries {
		name := e.Name()
		path := filepath.Join(root, name)
		var perr error
		switch {
		case generationName.MatchString(name):
			perr = recoverGeneration(path)
		case atomicfile.IsTemp(name):
			perr = removeIfThere(path)
		case e.IsDir():
			perr = recoverUnit(path)
		}
		if perr != nil {
			problems = append(problems, perr)
		}
	}
	return problems, nil
}

// recoverGeneration deals with one generation folder left beside a unit
// folder.
func recoverGeneration(path string) error {
	m := generationName.FindStringSubmatch(filepath.Base(path))
	live := filepath.Join(filepath.Dir(path), m[1])
	if _, err := os.Lstat(live); errors.Is(err, fs.ErrNotExist) && m[2] == "gen" {
		if _, err := ReadManifest(path); err == nil {
			if err := os.Rename(path, live); err != nil {
				return fmt.Errorf("put the complete outputs %s in place as %s: %w", path, live, err)
			}
			return nil
		}
	}
	return removeGeneration(path)
}

// recoverUnit removes a unit folder's temporary files.
func recoverUnit(dir string) error {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil // the unit fails with it when its turn comes
	}
	var errs []error
	for _, e := range entries {
		if atomicfile.IsTemp(e.Name()) {
			errs = append(errs, removeIfThere(filepath.Join(dir, e.Name())))
		}
	}
	return errors.Join(errs...)
}

func removeIfThere(path string) error {
	if err := os.Remove(path); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("remove %s, left by an earlier command: %w; remove it by hand", path, err)
	}
	return nil
}

// removeGeneration removes a generation folder that is no longer wanted:
// one never switched in, or the previous outputs switched out (whose
// other files live on, as hard links, in the unit folder). A folder in it
// that its user made read-only is made writable first: everything in a
// generation folder is the command's own copy. Symbolic links in it are
// removed, never followed.
func removeGeneration(path string) error {
	err := os.RemoveAll(path)
	if err == nil || !errors.Is(err, fs.ErrPermission) {
		if err != nil {
			return fmt.Errorf("remove %s, left by an earlier command: %w; remove it by hand", path, err)
		}
		return nil
	}
	_ = filepath.WalkDir(path, func(p string, d fs.DirEntry, werr error) error {
		if werr == nil && d.IsDir() {
			_ = os.Chmod(p, 0o700)
		}
		return nil
	})
	if err := os.RemoveAll(path); err != nil {
		return fmt.Errorf("remove %s, left by an earlier command: %w; remove it by hand", path, err)
	}
	return nil
}
