//go:build unix

package input

import (
	"errors"
	"net"
	"os"
	"path/filepath"
	"syscall"
	"testing"
	"time"
)

// TestOpenRefusesSpecialFiles: a named pipe (with no writer: opening it
// for reading would block), a device and a socket, directly or through a
// symbolic link, are refused at once and by name.
func TestOpenRefusesSpecialFiles(t *testing.T) {
	dir := t.TempDir()
	fifo := filepath.Join(dir, "fifo.csv")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Fatalf("mkfifo: %v", err)
	}
	sock := filepath.Join(dir, "s.sock")
	l, err := net.Listen("unix", sock)
	if err != nil {
		t.Fatalf("listen: %v", err)
	}
	defer l.Close()
	fifoLink := filepath.Join(dir, "link.csv")
	if err := os.Symlink(fifo, fifoLink); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		path, kind string
	}{
		{fifo, "named pipe"},
		{fifoLink, "named pipe"},
		{sock, "socket"},
		{"/dev/zero", "character device"},
		{"/dev/null", "character device"},
	}
	for _, tc := range tests {
		t.Run(tc.kind+" "+filepath.Base(tc.path), func(t *testing.T) {
			if _, err := os.Lstat(tc.path); err != nil {
				t.Skipf("%s: %v", tc.path, err)
			}
			start := time.Now()
			for name, open := range map[string]func(string) error{
				"Open":     func(p string) error { _, err := Open(p); return err },
				"ReadFile": func(p string) error { _, err := ReadFile(p); return err },
			} {
				err := open(tc.path)
				want := tc.path + ": is a " + tc.kind + ", not a regular file"
				if !errors.Is(err, ErrNotRegular) || err.Error() != want {
					t.Errorf("%s: %v, want %q", name, err, want)
				}
			}
			if d := time.Since(start); d > time.Second {
				t.Errorf("took %v", d)
			}
		})
	}
}

// TestOpenBlockingDescriptor: the descriptor of a regular file is left
// blocking, as os.Open leaves it.
func TestOpenBlockingDescriptor(t *testing.T) {
	path := filepath.Join(t.TempDir(), "f")
	if err := os.WriteFile(path, []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
	f, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	rc, err := f.SyscallConn()
	if err != nil {
		t.Fatal(err)
	}
	var flags int
	var ferr error
	if err := rc.Control(func(fd uintptr) {
		r, _, e := syscall.Syscall(syscall.SYS_FCNTL, fd, syscall.F_GETFL, 0)
		flags = int(r)
		if e != 0 {
			ferr = e
		}
	}); err != nil || ferr != nil {
		t.Fatal(err, ferr)
	}
	if flags&syscall.O_NONBLOCK != 0 {
		t.Error("the descriptor is left non-blocking")
	}
}
