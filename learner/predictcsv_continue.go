package learner

import (
	"bufio"
	"io"
)

// ContinuePredictionWriter returns a writer that appends rows to a
// predictions file already holding its header and rows rows, numbering the
// next row rows+1: a live monitor that restarts from a checkpoint goes on
// with the file it was writing.
func ContinuePredictionWriter(w io.Writer, rows int) *PredictionWriter {
	return &PredictionWriter{w: bufio.NewWriterSize(w, 1<<16), row: rows, byBits: make(map[uint64]int32), recent: make([]recentScore, 1<<recentBits)}
}
