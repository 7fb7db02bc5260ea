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
// that set the peak memory of training. Learning allocates slowly, so
// collecting earlier costs little: on 1 M simulated flows
// (scripts/bench-pipeline) peak RSS 309 MB at 100 -> 238-291 MB at 50,
// time the same within noise (145-153 s). On the two largest services of
// that network trained at once (live heap 181 MB while they learn):
// 269 MB, 12 collections at 50; 241 MB, 30 collections at 25, both 122 s;
// 226 MB, 58 collections at 10, but 143 s.
func learningGC() (restore func()) {
	if _, set := os.LookupEnv("GOGC"); set {
		return func() {}
	}
	old := debug.SetGCPercent(learningGCPercent)
	return func() { debug.SetGCPercent(old) }
}
