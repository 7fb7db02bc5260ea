package learner

import (
	"compress/gzip"
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/netflow-monitor/monitor/input"
)

type zeros struct{}

func (zeros) Read(p []byte) (int, error) {
	clear(p)
	return len(p), nil
}

// TestHostileTraceFiles: a line beyond the limit, a huge symbol and a gzip
// of zeros after a header are errors naming file and line, quick and in
// bounded memory, in the trace and predictions readers.
func TestHostileTraceFiles(t *testing.T) {
	const mib = 1 << 20
	write := func(parts ...string) func(t *testing.T, path string) {
		return func(t *testing.T, path string) {
			if err := os.WriteFile(path, []byte(strings.Join(parts, "")), 0o644); err != nil {
				t.Fatal(err)
			}
		}
	}
	gzipZeros := func(head string, n int64) func(t *testing.T, path string) {
		return func(t *testing.T, path string) {
			f, err := os.Create(path)
			if err != nil {
				t.Fatal(err)
			}
			defer f.Close()
			zw, _ := gzip.NewWriterLevel(f, gzip.BestCompression)
			zw.Write([]byte(head))
			if _, err := io.CopyN(zw, zeros{}, n); err != nil {
				t.Fatal(err)
			}
			if err := zw.Close(); err != nil {
				t.Fatal(err)
			}
		}
	}
	traces := func(o ReadOptions) func(ctx context.Context, path string) error {
		return func(ctx context.Context, path string) error {
			_, err := ReadTraces(ctx, path, FormatAbbadingo, nil, o)
			return err
		}
	}
	predictions := func(ctx context.Context, path string) error {
		_, err := ReadPredictions(ctx, path, ReadOptions{})
		return err
	}
	sums := func(ctx context.Context, path string) error {
		_, err := ReadPredictionSums(ctx, path, ReadOptions{})
		return err
	}
	tests := []struct {
		name  string
		write func(t *testing.T, path string)
		read  func(ctx context.Context, path string) error
		limit int // the line limit the reader has (0: the default)
		line  int
		text  string
		is    error
	}{
		{"traces: long line", write("2 2\n1 2 0 1\n1 3 ", strings.Repeat("0 ", mib)), traces(ReadOptions{}), 0,
			3, "line too long: more than 1048576 bytes", input.ErrLineTooLong},
		{"traces: 5 MB symbol, limit raised", write("1 1\n1 2 b ", strings.Repeat("a", 5_000_000), "\n"), traces(ReadOptions{MaxLine: 8 * mib}), 8 * mib,
			2, `field "symbol 2": "` + strings.Repeat("a", 64) + `…" (5000000 bytes) is a new symbol beyond the declared alphabet of 1 symbols`, nil},
		{"traces: 5 MB label, lower limit", write("1 2\n", strings.Repeat("1", 5_000), " 1 0\n"), traces(ReadOptions{MaxLine: 1000}), 1000,
			2, "more than 1000 bytes", input.ErrLineTooLong},
		{"traces: gzip of a header and 100 MB of zeros", gzipZeros("1 2\n", 100*mib), traces(ReadOptions{}), 0,
			2, "line too long", input.ErrLineTooLong},
		{"predictions: long row", write(PredictHeader, "\n1; \"0 1 a\"; [0]; [", strings.Repeat("-1,", mib), "-1]; -1; -1; -1\n"), predictions, 0,
			2, "line too long", input.ErrLineTooLong},
		{"prediction sums: zeros after the header", write(PredictHeader, "\n", strings.Repeat("\x00", 2*mib)), sums, 0,
			2, "line too long", input.ErrLineTooLong},
		{"predictions: 2 MB row number", write(PredictHeader, "\n", strings.Repeat("9", 2*mib), "; \"0 0\"; []; []; 0; 0; 0\n"), predictions, 0,
			2, "line too long", input.ErrLineTooLong},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "f.txt")
			tc.write(t, path)
			runtime.GC()
			var before, after runtime.MemStats
			runtime.ReadMemStats(&before)
			start := time.Now()
			err := tc.read(t.Context(), path)
			took := time.Since(start)
			runtime.ReadMemStats(&after)
			var fe *input.Error
			if !errors.As(err, &fe) || fe.File != path || fe.Line != tc.line || !strings.Contains(err.Error(), tc.text) || (tc.is != nil && !errors.Is(err, tc.is)) {
				t.Errorf("error %v; want an *input.Error naming %s, line %d, saying %q", err, path, tc.line, tc.text)
			}
			if err != nil && len(err.Error()) > 400 {
				t.Errorf("a message of %d bytes", len(err.Error()))
			}
			if took > timeBound() {
				t.Errorf("took %v", took)
			}
			alloc := after.TotalAlloc - before.TotalAlloc
			if limit := uint64(6*input.MaxLine(tc.limit) + 4<<20); alloc > limit {
				t.Errorf("allocated %d KB, more than %d KB", alloc>>10, limit>>10)
			}
			t.Logf("%v in %v, %d KB allocated", err, took, alloc>>10)
		})
	}
}

// timeBound is the time a hostile input may take to be refused: well under
// a second, wider with the race detector.
func timeBound() time.Duration {
	if raceDetector {
		return 5 * time.Second
	}
	return 500 * time.Millisecond
}

// TestReadTracesCancelled: a cancelled context stops reading a trace file.
func TestReadTracesCancelled(t *testing.T) {
	path := filepath.Join(t.TempDir(), "t.txt")
	os.WriteFile(path, []byte("2 2\n1 2 0 1\n1 1 0\n"), 0o644)
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	_, err := ReadTraces(ctx, path, FormatAbbadingo, nil, ReadOptions{})
	var fe *input.Error
	if !errors.Is(err, context.Canceled) || !errors.As(err, &fe) || fe.File != path {
		t.Errorf("error %v, want the file's context.Canceled", err)
	}
	for name, read := range map[string]func() error{
		"predictions":     func() error { _, err := ReadPredictions(ctx, path, ReadOptions{}); return err },
		"prediction sums": func() error { _, err := ReadPredictionSums(ctx, path, ReadOptions{}); return err },
		"solution":        func() error { _, err := ReadSolution(ctx, path); return err },
	} {
		if err := read(); !errors.Is(err, context.Canceled) {
			t.Errorf("%s: %v, want context.Canceled", name, err)
		}
	}
}
