//go:build windows

package atomicfile

// create makes a temporary file renamed with os.Rename: renameio does not
// build on Windows.
func create(path string) (*Pending, error) { return createRenamed(path) }
