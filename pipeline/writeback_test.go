package pipeline

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"
)

// TestWriteBehind: the bytes reach the file unchanged, and write-back is
// started for whole chunks as they fill, never for the unwritten tail.
func TestWriteBehind(t *testing.T) {
	tests := []struct {
		name    string
		writes  []int
		started int64
	}{
		{"nothing", nil, 0},
		{"under a chunk", []int{100, writebackChunk - 101}, 0},
		{"one chunk exactly", []int{writebackChunk}, writebackChunk},
		{"across chunks", []int{writebackChunk / 2, writebackChunk, 10}, writebackChunk * 3 / 2},
		{"large write", []int{3*writebackChunk + 5}, 3*writebackChunk + 5},
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
			if w.written != int64(want.Len()) || w.started != tc.started {
				t.Errorf("written %d started %d, want %d and %d", w.written, w.started, want.Len(), tc.started)
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
