//go:build unix

package input

import (
	"fmt"
	"os"
	"syscall"
)

// openRegular opens path without blocking whatever it is, then checks the
// file it got (not the path, which may have been replaced meanwhile) and
// refuses one that is not regular. A stat of the path first refuses most
// of them without opening them at all: opening some devices has effects
// (a tape rewinds), and a socket cannot be opened.
func openRegular(path string) (*os.File, error) {
	st, err := os.Stat(path)
	if err != nil {
		return nil, err
	}
	if err := checkRegular(path, st.Mode()); err != nil {
		return nil, err
	}
	// O_NONBLOCK: a named pipe put in the path's place since the stat
	// opens at once instead of waiting for a writer. O_NOCTTY: a terminal
	// put there does not become the process's controlling terminal.
	f, err := os.OpenFile(path, os.O_RDONLY|syscall.O_NONBLOCK|syscall.O_NOCTTY, 0)
	if err != nil {
		return nil, err
	}
	if st, err = f.Stat(); err != nil {
		f.Close()
		return nil, err
	}
	if err := checkRegular(path, st.Mode()); err != nil {
		f.Close()
		return nil, err
	}
	// Reads of a regular file ignore O_NONBLOCK on the systems Go runs on,
	// but it is cleared so that the descriptor is an ordinary one.
	if err := setBlocking(f); err != nil {
		f.Close()
		return nil, fmt.Errorf("open %s: %w", path, err)
	}
	return f, nil
}

// setBlocking clears O_NONBLOCK on f's descriptor.
func setBlocking(f *os.File) error {
	rc, err := f.SyscallConn()
	if err != nil {
		return err
	}
	var serr error
	if err := rc.Control(func(fd uintptr) { serr = syscall.SetNonblock(int(fd), false) }); err != nil {
		return err
	}
	return serr
}
