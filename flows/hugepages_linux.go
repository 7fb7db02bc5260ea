package flows

import (
	"unsafe"

	"golang.org/x/sys/unix"
)

// adviseHugePages asks the kernel to back the whole 2 MiB pages of s's
// backing array with transparent huge pages (madvise MADV_HUGEPAGE, which
// the default "madvise" THP mode waits for) before the array is first
// written. Filling a large fresh array otherwise takes one page fault per
// 4 KiB, and on virtual machines a fault costs microseconds. It is advice:
// an error changes nothing.
func adviseHugePages[T any](s []T) {
	n := uintptr(cap(s)) * unsafe.Sizeof(*new(T))
	if n < 2*hugePage {
		return
	}
	base := unsafe.Pointer(unsafe.SliceData(s[:cap(s)]))
	p := uintptr(base)
	start := (p + hugePage - 1) &^ (hugePage - 1)
	end := (p + n) &^ (hugePage - 1)
	if end <= start {
		return
	}
	_ = unix.Madvise(unsafe.Slice((*byte)(unsafe.Add(base, start-p)), end-start), unix.MADV_HUGEPAGE)
}
