package atomicfile

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
//
// The chunk before the one just started is by then on disk (or is waited
// for) and is dropped from the page cache (dropWritten), so that a large
// output recycles a few chunks' worth of cache pages instead of taking a
// new page for every 4 KiB: on a machine whose page cache is full, fresh
// pages cost more than writing them (see docs/internals.md).
type writeBehind struct {
	f       *os.File
	written int64 // bytes written
	started int64 // bytes whose write-back has been started
	dropped int64 // bytes dropped from the page cache
}

func (w *writeBehind) Write(p []byte) (int, error) {
	n, err := w.f.Write(p)
	w.written += int64(n)
	if w.written-w.started >= writebackChunk {
		startWriteback(w.f, w.started, w.written-w.started)
		if w.started > 0 {
			dropWritten(w.f, w.dropped, w.started-w.dropped)
			w.dropped = w.started
		}
		w.started = w.written
	}
	return n, err
}

var _ io.Writer = (*writeBehind)(nil)

// WriteStream writes path atomically (see Write) through fill, for large
// outputs written front to back (predictions files are hundreds of MB):
// their write-back to disk is started as they are written, and what is on
// disk leaves the page cache.
func WriteStream(path string, fill func(w io.Writer) error) error {
	return Write(path, func(f *os.File) error { return fill(&writeBehind{f: f}) })
}

// WriteBehind returns a writer to p whose write-back to disk is started as
// it is written, for large outputs written front to back (see
// WriteStream).
func (p *Pending) WriteBehind() io.Writer { return &writeBehind{f: p.File} }
