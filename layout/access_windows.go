//go:build windows

package layout

import (
	"errors"

	"golang.org/x/sys/windows"
)

// access reports whether this process may write into the folder dir. On
// Windows a folder's read-only attribute does not stop writes into it and
// access is decided by ACLs when a file is created: writes fail then, and
// the generation aborts as it does on any error.
func access(string) error { return nil }

// noRoom reports whether err says the disk takes no more writes.
func noRoom(err error) bool {
	return errors.Is(err, windows.ERROR_DISK_FULL) || errors.Is(err, windows.ERROR_HANDLE_DISK_FULL) || errors.Is(err, windows.ERROR_WRITE_PROTECT)
}
