package atomicfile

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"
)

// TestWriteBehind: the bytes reach the file unchanged, write-back is
// started for whole chunks as they fill, never for the unwritten tail, and
// the chunk before the last one started is dropped from the cache.
func TestWriteBehind(t *testing.T) {
	const c = writebackChunk
	tests := []struct {
		name             string
		writes           []int
		started, dropped int64
	}{
		{"nothing", nil, 0, 0},
		{"under a chunk", []int{100, c - 101}, 0, 0},
		{"one chunk exactly", []int{c}, c, 0},
		{"across chunks", []int{c / 2, c, 10}, c * 3 / 2, 0},
		{"large write", []int{3*c + 5}, 3*c + 5, 0},
		{"many chunks", []int{c, c / 2, c / 2, c + 1, 7, c}, 4*c + 8, 3*c + 1},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "out")
			f, err := os.Create(path)
			if err != nil {
				t.Fatal(err)
			}
			defer f.Close()
			w := &writeBehind{f: f}
			var want bytes.Buffer
			for i, n := range tc.writes {
				p := bytes.Repeat([]byte{byte('a' + i)}, n)
				want.Write(p)
				if m, err := w.Write(p); err != nil || m != n {
					t.Fatalf("write %d: %d, %v", i, m, err)
				}
			}
			if w.written != int64(want.Len()) || w.started != tc.started || w.dropped != tc.dropped {
				t.Errorf("written %d started %d dropped %d, want %d, %d and %d", w.written, w.started, w.dropped, want.Len(), tc.started, tc.dropped)
			}
			got, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(got, want.Bytes()) {
				t.Errorf("file has %d bytes, not the %d written", len(got), want.Len())
			}
		})
	}
}
