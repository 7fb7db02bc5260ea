//go:build !linux

package atomicfile

import "os"

// startWriteback does nothing where sync_file_range does not exist; the
// fsync before the rename commits the file alone.
func startWriteback(*os.File, int64, int64) {}

// dropWritten does nothing there either: written pages stay cached.
func dropWritten(*os.File, int64, int64) {}
