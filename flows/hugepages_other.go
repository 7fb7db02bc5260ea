//go:build !linux

package flows

// adviseHugePages does nothing where madvise(MADV_HUGEPAGE) does not exist.
func adviseHugePages[T any]([]T) {}
