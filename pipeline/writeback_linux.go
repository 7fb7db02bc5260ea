package pipeline

import (
	"os"

	"golang.org/x/sys/unix"
)

// startWriteback starts writing the byte range of f to disk without waiting
// for it (sync_file_range with SYNC_FILE_RANGE_WRITE). It is a hint: an
// error changes nothing, the fsync before the rename still commits the file.
func startWriteback(f *os.File, off, n int64) {
	_ = unix.SyncFileRange(int(f.Fd()), off, n, unix.SYNC_FILE_RANGE_WRITE)
}
