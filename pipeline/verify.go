package pipeline

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"time"

	"github.com/netflow-monitor/monitor/atomicfile"
	"github.com/netflow-monitor/monitor/layout"
	"github.com/netflow-monitor/monitor/outputs"
)

// Check is the state of one unit folder, as Verify finds it.
type Check struct {
	Folder  string // the unit folder
	Command string // the command whose outputs it holds ("" when none)
	Files   int    // outputs listed in its manifest
	// Leftovers are what a killed command left there (temporary files,
	// generations being written): harmless, and removed by the next
	// command that writes the folder.
	Leftovers []string
	Err       error // why the folder is not one complete set of outputs
}

// Verify checks every unit folder under the train and monitor roots (the
// ones that exist): each must hold exactly the outputs its manifest lists
// (layout.Verify), or none at all; a unit folder that commands refuse (a
// symbolic link, see layout.ErrUnitLink) fails. It reads only, and needs
// no lock: a folder switched to a new generation while it is read (by a
// command writing alongside) is read again, so that what it checks is one
// generation, the one before or the one after.
func Verify(c Config) ([]Check, error) {
	var out []Check
	for _, root := range []struct {
		path  string
		table []outputs.Output
	}{{c.TrainRoot, outputs.Train(c.outputs())}, {c.MonitorRoot, outputs.Run(c.outputs())}} {
		if _, err := os.Stat(root.path); errors.Is(err, fs.ErrNotExist) {
			continue
		}
		units, skipped, err := layout.Discover(root.path)
		if err != nil {
			return out, err
		}
		rootLeft := leftovers(root.path)
		for _, u := range units {
			dir := layout.Dir(root.path, u)
			ch := checkUnit(dir, outputs.Owns(root.table))
			ch.Leftovers = append(ch.Leftovers, rootLeft...)
			rootLeft = nil
			out = append(out, ch)
		}
		for _, s := range skipped {
			if errors.Is(s.Reason, layout.ErrUnitLink) {
				out = append(out, Check{Folder: filepath.Join(root.path, s.Name), Err: s.Reason})
			}
		}
	}
	return out, nil
}

// switchRetries bounds how often checkUnit reads a folder again that was
// switched while it read it.
const switchRetries = 20

// checkUnit checks one unit folder, again if it was switched meanwhile.
func checkUnit(dir string, owns func(string) bool) Check {
	var ch Check
	for range switchRetries {
		before, berr := os.Stat(dir)
		ch = Check{Folder: dir, Leftovers: leftovers(dir)}
		m, err := layout.ReadManifest(dir)
		switch {
		case errors.Is(err, fs.ErrNotExist):
			ch.Err = unlisted(dir, owns)
		case err != nil:
			ch.Err = err
		default:
			ch.Command, ch.Files = m.Command, len(m.Files)
			ch.Err = layout.Verify(dir, owns)
		}
		after, aerr := os.Stat(dir)
		if berr == nil && aerr == nil && os.SameFile(before, after) {
			return ch
		}
		time.Sleep(10 * time.Millisecond) // a switch, or a folder between two renames
	}
	return ch
}

// unlisted reports outputs in a folder without a manifest.
func unlisted(dir string, owns func(string) bool) error {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return err
	}
	for _, e := range entries {
		if owns(e.Name()) {
			return errors.New(filepath.Join(dir, e.Name()) + ": an output, but the folder has no manifest (written by an older version or by hand?)")
		}
	}
	return nil
}

// leftovers lists what killed commands left in a folder: temporary files,
// and generation folders beside it or, in a data root, in it.
func leftovers(dir string) []string {
	var out []string
	entries, _ := os.ReadDir(dir)
	for _, e := range entries {
		if atomicfile.IsTemp(e.Name()) || layout.IsGenerationName(e.Name()) {
			out = append(out, filepath.Join(dir, e.Name()))
		}
	}
	return out
}
