package layout

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

// ErrNotWritable is wrapped by the error of a folder that this process
// cannot write into (see Writable).
var ErrNotWritable = errors.New("not writable")

// Writable returns nil when this process may create, rename and remove
// entries in the folder dir, and otherwise an error naming the folder
// and its mode that wraps ErrNotWritable. Commands ask before they write,
// so that a folder a user made read-only fails as such, with nothing of
// it changed, rather than halfway through a switch of its outputs.
func Writable(dir string) error {
	err := access(dir)
	if err == nil {
		return nil
	}
	mode := ""
	if st, serr := os.Stat(dir); serr == nil {
		mode = " (" + st.Mode().String() + ")"
	}
	return fmt.Errorf("%s: %w%s: %v", dir, ErrNotWritable, mode, err)
}

// CannotWrite reports whether err is one of a folder that cannot be
// written: not writable (ErrNotWritable, a permission), or on a file
// system that is full, over quota or read-only. A command that fails a
// unit with such an error leaves the unit's folder as it was: it could
// not be changed as one set.
func CannotWrite(err error) bool {
	return errors.Is(err, ErrNotWritable) || errors.Is(err, fs.ErrPermission) || noRoom(err)
}

// SeparateRoots returns an error unless the train and monitor data
// folders are two folders, neither inside the other, however they are
// named: relative paths, "..", symbolic links, and for folders that
// exist, another path to the same folder. One folder for both would hold
// the outputs of train and of run under one manifest per unit, each
// command replacing the other's.
func SeparateRoots(train, monitor string) error {
	t, err := resolve(train)
	if err != nil {
		return err
	}
	m, err := resolve(monitor)
	if err != nil {
		return err
	}
	same := t == m
	if !same {
		ts, terr := os.Stat(t)
		ms, merr := os.Stat(m)
		same = terr == nil && merr == nil && os.SameFile(ts, ms)
	}
	switch {
	case same:
		return fmt.Errorf("the train data folder %s and the monitor data folder %s are one folder (%s): give each its own folder", train, monitor, t)
	case within(m, t):
		return fmt.Errorf("the monitor data folder %s is inside the train data folder %s: give each its own folder, neither inside the other", monitor, train)
	case within(t, m):
		return fmt.Errorf("the train data folder %s is inside the monitor data folder %s: give each its own folder, neither inside the other", train, monitor)
	}
	return nil
}

// resolve returns the absolute path of p with the symbolic links of its
// longest existing part resolved; what does not exist yet is appended.
func resolve(p string) (string, error) {
	abs, err := filepath.Abs(p)
	if err != nil {
		return "", err
	}
	var rest []string
	for dir := abs; ; {
		real, err := filepath.EvalSymlinks(dir)
		if err == nil {
			return filepath.Join(append([]string{real}, rest...)...), nil
		}
		if !errors.Is(err, fs.ErrNotExist) {
			return "", err
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return abs, nil
		}
		rest = append([]string{filepath.Base(dir)}, rest...)
		dir = parent
	}
}

// within reports whether the cleaned absolute path p is strictly inside
// the folder dir.
func within(p, dir string) bool {
	rel, err := filepath.Rel(dir, p)
	return err == nil && rel != "." && rel != ".." && !strings.HasPrefix(rel, ".."+string(filepath.Separator)) && !filepath.IsAbs(rel)
}
