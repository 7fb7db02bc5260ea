package flows

import (
	"bytes"
	"compress/gzip"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestRowCapacity: ReadAll's room for flows is the line count of a plain
// file (never less than its rows) and a guess from the size of a gzip one.
func TestRowCapacity(t *testing.T) {
	const header = "timestamp,src_ip,dst_ip,src_port,dst_port,protocol,bytes,packets,duration\n"
	row := "2024-01-01T00:00:00Z,10.0.0.1,10.0.0.2,40000,443,tcp,100,2,0.5\n"
	gz := func(s string) string {
		var b bytes.Buffer
		w := gzip.NewWriter(&b)
		w.Write([]byte(s))
		w.Close()
		return b.String()
	}
	big := header + strings.Repeat(row, 5000)
	tests := []struct {
		name    string
		content string
		want    int
		rows    int
	}{
		{"header only", header, 1, 0},
		{"three rows", header + strings.Repeat(row, 3), 4, 3},
		{"no final newline", header + row + strings.TrimSuffix(row, "\n"), 3, 2},
		{"blank lines", header + row + "\n\n" + row, 5, 2},
		{"crlf", strings.ReplaceAll(header+row+row, "\n", "\r\n"), 3, 2},
		{"empty", "", 0, -1},
		{"gzip", gz(big), len(gz(big))/gzipBytesPerRowGuess + 1, 5000},
	}
	dir := t.TempDir()
	for i, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			path := filepath.Join(dir, strings.Repeat("f", i+1)+".csv")
			if err := os.WriteFile(path, []byte(tc.content), 0o644); err != nil {
				t.Fatal(err)
			}
			f, err := os.Open(path)
			if err != nil {
				t.Fatal(err)
			}
			got := rowCapacity(t.Context(), f)
			if off, err := f.Seek(0, io.SeekCurrent); err != nil || off != 0 {
				t.Errorf("offset after counting %d (%v), want 0", off, err)
			}
			f.Close()
			if got != tc.want {
				t.Errorf("rowCapacity = %d, want %d", got, tc.want)
			}
			if tc.rows < 0 {
				return
			}
			fl, _, err := ReadAll(t.Context(), path, "", DecodeOptions{})
			if err != nil {
				t.Fatalf("ReadAll: %v", err)
			}
			if len(fl) != tc.rows {
				t.Errorf("%d flows, want %d", len(fl), tc.rows)
			}
			if tc.name != "gzip" && cap(fl) != tc.want {
				t.Errorf("cap %d, want the line count %d", cap(fl), tc.want)
			}
		})
	}
	if _, _, err := ReadAll(t.Context(), filepath.Join(dir, "missing.csv"), "", DecodeOptions{}); err == nil || !strings.Contains(err.Error(), "open flows") {
		t.Errorf("missing file: %v, want an open error", err)
	}
}
