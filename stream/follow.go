package stream

import (
	"context"
	"errors"
	"io"
	"os"
	"time"
)

// followReader reads a file as it grows, as tail -F does: at its end it
// waits for more, and it ends (io.EOF) once the path names another file
// (rotation) or the file was truncated (copytruncate), so that the caller
// reads the new one from its start with a new decoder (a new file has its
// own header).
type followReader struct {
	ctx  context.Context
	f    *os.File
	path string
	poll time.Duration
	off  int64
	fp   *uint32 // set to the file's fingerprint once it has a KiB
}

func (r *followReader) Read(p []byte) (int, error) {
	for {
		n, err := r.f.Read(p)
		if n > 0 {
			r.off += int64(n)
			if *r.fp == 0 && r.off >= 1024 {
				*r.fp, _ = fingerprint(r.f.Name())
			}
			return n, nil
		}
		if err != nil && !errors.Is(err, io.EOF) {
			return 0, err
		}
		if r.replaced() {
			return 0, io.EOF
		}
		select {
		case <-r.ctx.Done():
			return 0, r.ctx.Err()
		case <-time.After(r.poll):
		}
	}
}

// replaced reports whether the path now names another file, or the file
// shrank below what was read. A path with no file yet (between a rename
// and a create) is waited for.
func (r *followReader) replaced() bool {
	cur, err := r.f.Stat()
	if err != nil {
		return true
	}
	if cur.Size() < r.off {
		return true
	}
	now, err := os.Stat(r.path)
	if err != nil {
		return false
	}
	if os.SameFile(cur, now) {
		return false
	}
	// Rotated: what was written to the old file before the switch is
	// read first.
	return cur.Size() <= r.off
}
