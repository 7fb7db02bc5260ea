package main

import (
	"bytes"
	"context"
	"io/fs"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/netflow-monitor/monitor/layout"
)

// trainedExampleOnce holds the shipped example's two smallest services
// (10.1.0.12 and 10.1.0.15), trained and run once per test binary in a
// folder that TestMain removes; tests take copies (trainedPair).
var trainedExampleOnce struct {
	sync.Once
	dir string
	err string
}

// trainedPair copies the trained pair into a new folder of the test and
// returns its train and monitor folders.
func trainedPair(t *testing.T) (T, M string) {
	t.Helper()
	o := &trainedExampleOnce
	o.Do(func() {
		dir, err := os.MkdirTemp("", "monitor-trained-pair-")
		if err != nil {
			o.err = err.Error()
			return
		}
		o.dir = dir
		T, M := filepath.Join(dir, "T"), filepath.Join(dir, "M")
		for _, svc := range []string{"10.1.0.12", "10.1.0.15"} {
			for _, p := range [][2]string{{"train_data", T}, {"monitor_data", M}} {
				src := filepath.Join("..", "..", p[0], svc, svc+"_"+p[0]+".csv")
				b, err := os.ReadFile(src)
				if err == nil {
					err = os.MkdirAll(filepath.Join(p[1], svc), 0o755)
				}
				if err == nil {
					err = os.WriteFile(filepath.Join(p[1], svc, filepath.Base(src)), b, 0o644)
				}
				if err != nil {
					o.err = err.Error()
					return
				}
			}
		}
		if _, errOut, err := execute("all", "--train-data", T, "--monitor-data", M, "-q"); err != nil {
			o.err = err.Error() + "\n" + errOut
		}
	})
	if o.err != "" {
		t.Fatalf("training the example pair: %s", o.err)
	}
	dst := t.TempDir()
	copyAll(t, o.dir, dst)
	return filepath.Join(dst, "T"), filepath.Join(dst, "M")
}

// copyAll copies the folders and regular files under src to dst, with
// their modes, leaving out lock files.
func copyAll(t *testing.T, src, dst string) {
	t.Helper()
	err := filepath.WalkDir(src, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(src, path)
		target := filepath.Join(dst, rel)
		info, err := d.Info()
		if err != nil {
			return err
		}
		switch {
		case d.IsDir():
			return os.MkdirAll(target, info.Mode().Perm())
		case d.Name() == layout.LockFile:
			return nil
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		return os.WriteFile(target, b, info.Mode().Perm())
	})
	if err != nil {
		t.Fatal(err)
	}
}

// snapshot is what a tree holds: every entry's type, mode and, for a
// file, its content, by path relative to the tree (lock files left out:
// commands record themselves there).
type snapshot map[string]string

// takeSnapshot reads the tree under root (a missing root is empty).
func takeSnapshot(t *testing.T, root string) snapshot {
	t.Helper()
	s := snapshot{}
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.Name() == layout.LockFile {
			return nil
		}
		rel, _ := filepath.Rel(root, path)
		info, err := d.Info()
		if err != nil {
			return err
		}
		v := info.Mode().String()
		switch {
		case d.Type()&fs.ModeSymlink != 0:
			target, _ := os.Readlink(path)
			v += " -> " + target
		case info.Mode().IsRegular():
			b, err := os.ReadFile(path)
			if err != nil {
				return err
			}
			v += " " + string(b)
		}
		s[rel] = v
		return nil
	})
	if err != nil && !os.IsNotExist(err) {
		t.Fatal(err)
	}
	return s
}

// diffSnapshots lists the paths that differ between two snapshots.
func diffSnapshots(a, b snapshot) []string {
	var out []string
	for _, k := range slices.Sorted(maps.Keys(a)) {
		if bv, ok := b[k]; !ok {
			out = append(out, "- "+k)
		} else if a[k] != bv {
			out = append(out, "~ "+k)
		}
	}
	for _, k := range slices.Sorted(maps.Keys(b)) {
		if _, ok := a[k]; !ok {
			out = append(out, "+ "+k)
		}
	}
	return out
}

// executeIn runs a command line in-process with ctx.
func executeIn(ctx context.Context, args ...string) (string, string, error) {
	var out, errOut bytes.Buffer
	root := newRootCmd()
	root.SetArgs(args)
	root.SetOut(&out)
	root.SetErr(&errOut)
	err := root.ExecuteContext(ctx)
	return out.String(), errOut.String(), err
}

// hidden lists what a data folder holds besides its units and files: the
// generations and temporary files commands leave when they fail.
func hidden(t *testing.T, root string) []string {
	t.Helper()
	entries, err := os.ReadDir(root)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, e := range entries {
		if strings.HasPrefix(e.Name(), ".") && e.Name() != layout.LockFile {
			out = append(out, e.Name())
		}
	}
	return out
}
