//go:build !windows

package layout

import (
	"errors"

	"golang.org/x/sys/unix"
)

// access reports whether this process may write into the folder dir
// (create, rename and remove its entries: write and search permission),
// as the kernel decides for its effective user: nil, or the system's
// error (EACCES, EROFS for a read-only mount).
func access(dir string) error {
	return unix.Faccessat(unix.AT_FDCWD, dir, unix.W_OK|unix.X_OK, unix.AT_EACCESS)
}

// noRoom reports whether err says the file system takes no more writes:
// it is full, over the user's quota, or read-only.
func noRoom(err error) bool {
	return errors.Is(err, unix.ENOSPC) || errors.Is(err, unix.EDQUOT) || errors.Is(err, unix.EROFS)
}
