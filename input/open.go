package input

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"os"
)

// ErrNotRegular is wrapped by the error of Open (and ReadFile) on a path
// that is not a regular file: a named pipe, a device, a socket or a
// directory.
var ErrNotRegular = errors.New("not a regular file")

// Open opens the file path for reading as data. Only a regular file, or a
// symbolic link to one, is opened: a named pipe would block until a writer
// comes, and a device such as /dev/zero or /dev/urandom never ends, so
// either would hang a command or fill its memory. Anything else is refused
// with an *Error naming the file and what it is, wrapping ErrNotRegular,
// and no blocking open is ever made of it. A file that cannot be opened
// is an *Error naming it with the system's reason ("no such file or
// directory", "permission denied"), which errors.Is still tells apart
// (fs.ErrNotExist, fs.ErrPermission); Go's "stat" or "open" is left out.
func Open(path string) (*os.File, error) {
	f, err := openRegular(path)
	var pe *fs.PathError
	if errors.As(err, &pe) && pe.Path == path {
		return nil, &Error{File: path, Err: pe.Err}
	}
	return f, err
}

// ReadFile reads the whole file path, as os.ReadFile does, after opening
// it with Open: it refuses what is not a regular file.
func ReadFile(path string) ([]byte, error) {
	f, err := Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var buf bytes.Buffer
	if st, err := f.Stat(); err == nil && st.Size() < 1<<40 {
		buf.Grow(int(st.Size()) + bytes.MinRead) // one read more sees the end
	}
	if _, err := buf.ReadFrom(f); err != nil {
		return nil, fmt.Errorf("read %s: %w", path, err)
	}
	return buf.Bytes(), nil
}

// checkRegular refuses the mode of a file that is not regular, naming
// what it is.
func checkRegular(path string, mode fs.FileMode) error {
	if mode.IsRegular() {
		return nil
	}
	return &Error{File: path, Err: fmt.Errorf("is a %s, %w", kindOf(mode), ErrNotRegular)}
}

// kindOf names the kind of file a mode that is not regular describes.
func kindOf(mode fs.FileMode) string {
	switch {
	case mode&fs.ModeNamedPipe != 0:
		return "named pipe"
	case mode&fs.ModeSocket != 0:
		return "socket"
	case mode&fs.ModeCharDevice != 0:
		return "character device"
	case mode&fs.ModeDevice != 0:
		return "block device"
	case mode.IsDir():
		return "directory"
	}
	return "special file"
}
