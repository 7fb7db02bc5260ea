package layout

import (
	"errors"

	"golang.org/x/sys/unix"
)

// exchange switches the folders gen and live in one step (renameat2 with
// RENAME_EXCHANGE): live then holds the new generation, and the path gen
// the old one, which it returns. File systems that cannot exchange get
// exchangeApart.
func exchange(gen, live string) (string, error) {
	err := unix.Renameat2(unix.AT_FDCWD, gen, unix.AT_FDCWD, live, unix.RENAME_EXCHANGE)
	switch {
	case err == nil:
		return gen, nil
	case errors.Is(err, unix.EINVAL), errors.Is(err, unix.ENOSYS), errors.Is(err, unix.EOPNOTSUPP):
		return exchangeApart(gen, live)
	}
	return "", err
}
