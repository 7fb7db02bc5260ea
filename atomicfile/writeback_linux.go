package atomicfile

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

// dropWritten waits until the byte range of f is on disk and drops it from
// the page cache (sync_file_range, then posix_fadvise DONTNEED). Also a
// hint: on an error the range stays cached.
func dropWritten(f *os.File, off, n int64) {
	fd := int(f.Fd())
	if unix.SyncFileRange(fd, off, n, unix.SYNC_FILE_RANGE_WAIT_BEFORE|unix.SYNC_FILE_RANGE_WRITE|unix.SYNC_FILE_RANGE_WAIT_AFTER) == nil {
		_ = unix.Fadvise(fd, off, n, unix.FADV_DONTNEED)
	}
}
