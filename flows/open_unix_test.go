//go:build unix

package flows

import (
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
)

// TestReadAllFromPipe: a named pipe is read once, by the decoder; counting
// its lines first would drain it.
func TestReadAllFromPipe(t *testing.T) {
	path := filepath.Join(t.TempDir(), "flows.csv")
	if err := syscall.Mkfifo(path, 0o600); err != nil {
		t.Skipf("mkfifo: %v", err)
	}
	const rows = 2000
	content := "timestamp,src_ip,dst_ip,src_port,dst_port,protocol,bytes,packets,duration\n" +
		strings.Repeat("2024-01-01T00:00:00Z,10.0.0.1,10.0.0.2,40000,443,tcp,100,2,0.5\n", rows)
	done := make(chan error, 1)
	go func() {
		f, err := os.OpenFile(path, os.O_WRONLY, 0)
		if err != nil {
			done <- err
			return
		}
		_, err = f.WriteString(content)
		f.Close()
		done <- err
	}()
	fl, _, err := ReadAll(path, "", DecodeOptions{})
	if werr := <-done; werr != nil {
		t.Fatalf("writing the pipe: %v", werr)
	}
	if err != nil {
		t.Fatalf("ReadAll: %v", err)
	}
	if len(fl) != rows {
		t.Errorf("%d flows from the pipe, want %d", len(fl), rows)
	}
}
