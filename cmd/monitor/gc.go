package main

import (
	"os"
	"runtime/debug"
)

// learningGCPercent is the heap growth, in percent of the live heap, at
// which the garbage collector runs while models are learned (Go's default
// is 100).
const learningGCPercent = 25

// learningGC makes the garbage collector run at learningGCPercent while a
// model is learned, unless the user set GOGC, and returns the function that
// restores the previous setting.
//
// A learning heap is mostly a few large arrays that live until the model is
// built (the prefix tree, about 50 bytes a node); at Go's default the
// runtime lets garbage grow to their size again before it collects, and
// that sets the peak memory of training. Learning allocates slowly, so
// collecting earlier costs little time; 25 lowers the peak the most before
// collections start to cost (measurements in docs/internals.md).
//
// With a memory budget (--max-memory, limit > 0) the runtime's soft memory
// limit is set to it too, unless the user set GOMEMLIMIT: near the budget
// the collector runs as often as it must rather than let garbage take the
// process past it.
func learningGC(limit int64) (restore func()) {
	restore = func() {}
	if _, set := os.LookupEnv("GOGC"); !set {
		old := debug.SetGCPercent(learningGCPercent)
		restore = func() { debug.SetGCPercent(old) }
	}
	if _, set := os.LookupEnv("GOMEMLIMIT"); limit > 0 && !set {
		old, gc := debug.SetMemoryLimit(limit), restore
		restore = func() { debug.SetMemoryLimit(old); gc() }
	}
	return restore
}
