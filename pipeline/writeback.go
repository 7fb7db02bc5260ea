package pipeline

import (
	"io"
	"os"
)

// writebackChunk is how much of a large output is written before its
// write-back to disk is started.
const writebackChunk = 8 << 20

// writeBehind passes writes to f and, every writebackChunk bytes, asks the
// kernel to start writing them to disk (startWriteback). The fsync that
// commits the file then waits only for the tail, instead of for the whole
// file after the last byte: the predictions of a large service are tens of
// megabytes, and a worker waiting in fsync leaves its core idle.
type writeBehind struct {
	f       *os.File
	written int64 // bytes written
	started int64 // bytes whose write-back has been started
}

func (w *writeBehind) Write(p []byte) (int, error) {
	n, err := w.f.Write(p)
	w.written += int64(n)
	if w.written-w.started >= writebackChunk {
		startWriteback(w.f, w.started, w.written-w.started)
		w.started = w.written
	}
	return n, err
}

var _ io.Writer = (*writeBehind)(nil)
