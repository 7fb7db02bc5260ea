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
func learningGC(limit int64) (restore func()) { return collectAt(learningGCPercent, limit) }

// watchGCPercent is the heap growth at which the collector runs in watch.
const watchGCPercent = 50

// watchGC makes the garbage collector run at watchGCPercent for as long as
// a watch runs, unless the user set GOGC, and returns the function that
// restores the previous setting. A watch is a service: what it keeps is
// bounded, and what it allocates as windows come is short-lived (alerts,
// descriptions, checkpoints), so at Go's default the heap's peak is twice
// what it keeps, and more when the machine is busy and the collector runs
// late; collecting earlier keeps its memory near what it keeps, for little
// time.
func watchGC() (restore func()) { return collectAt(watchGCPercent, 0) }

// collectAt sets the garbage collector's percent, unless the user set
// GOGC, and its soft memory limit to limit when limit > 0, unless the user
// set GOMEMLIMIT; it returns the function that restores both.
func collectAt(percent int, limit int64) (restore func()) {
	restore = func() {}
	if _, set := os.LookupEnv("GOGC"); !set {
		old := debug.SetGCPercent(percent)
		restore = func() { debug.SetGCPercent(old) }
	}
	if _, set := os.LookupEnv("GOMEMLIMIT"); limit > 0 && !set {
		old, gc := debug.SetMemoryLimit(limit), restore
		restore = func() { debug.SetMemoryLimit(old); gc() }
	}
	return restore
}
