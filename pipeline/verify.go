package pipeline

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"

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
// (layout.Verify), or none at all. It reads only.
func Verify(c Config) ([]Check, error) {
	var out []Check
	for _, root := range []struct {
		path  string
		table []outputs.Output
	}{{c.TrainRoot, outputs.Train(c.outputs())}, {c.MonitorRoot, outputs.Run(c.outputs())}} {
		if _, err := os.Stat(root.path); errors.Is(err, fs.ErrNotExist) {
			continue
		}
		units, _, err := layout.Discover(root.path)
		if err != nil {
			return out, err
		}
		rootLeft := leftovers(root.path)
		for _, u := range units {
			dir := layout.Dir(root.path, u)
			ch := Check{Folder: dir, Leftovers: append(leftovers(dir), rootLeft...)}
			rootLeft = nil
			owns := outputs.Owns(root.table)
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
			out = append(out, ch)
		}
	}
	return out, nil
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
