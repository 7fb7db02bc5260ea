package main

import (
	"os"
	"runtime/debug"
	"testing"
)

// TestLearningGC: learning collects at learningGCPercent, and watch at
// watchGCPercent, and each restores the setting after; a GOGC the user set
// is left alone.
func TestLearningGC(t *testing.T) {
	learning := func() func() { return learningGC(0) }
	tests := []struct {
		name   string
		set    func() (restore func())
		gogc   string // "" for unset
		during int
	}{
		{"learning, GOGC unset", learning, "", learningGCPercent},
		{"learning, GOGC set", learning, "150", 150},
		{"learning, GOGC off", learning, "off", -1},
		{"watch, GOGC unset", watchGC, "", watchGCPercent},
		{"watch, GOGC set", watchGC, "150", 150},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Setenv("GOGC", tc.gogc) // restored after the test
			if tc.gogc == "" {
				os.Unsetenv("GOGC")
			}
			// What the runtime would have read from the environment.
			before := 100
			switch tc.gogc {
			case "150":
				before = 150
			case "off":
				before = -1
			}
			prev := debug.SetGCPercent(before)
			defer debug.SetGCPercent(prev)

			restore := tc.set()
			if got := debug.SetGCPercent(tc.during); got != tc.during {
				t.Errorf("while learning: GC percent %d, want %d", got, tc.during)
			}
			restore()
			if got := debug.SetGCPercent(before); got != before {
				t.Errorf("after: GC percent %d, want %d restored", got, before)
			}
		})
	}
}

// TestLearningGCMemoryLimit: with a budget the soft memory limit is the
// budget while learning and restored after; without one, or with
// GOMEMLIMIT set, it is left alone.
func TestLearningGCMemoryLimit(t *testing.T) {
	tests := []struct {
		name     string
		limit    int64
		env      bool // GOMEMLIMIT set
		changeTo bool
	}{
		{"no budget", 0, false, false},
		{"budget", 2 << 30, false, true},
		{"budget, GOMEMLIMIT set", 2 << 30, true, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Setenv("GOMEMLIMIT", "3GiB")
			if !tc.env {
				os.Unsetenv("GOMEMLIMIT")
			}
			before := debug.SetMemoryLimit(-1) // reads the current limit
			restore := learningGC(tc.limit)
			during := debug.SetMemoryLimit(-1)
			restore()
			after := debug.SetMemoryLimit(-1)
			want := before
			if tc.changeTo {
				want = tc.limit
			}
			if during != want {
				t.Errorf("while learning: limit %d, want %d", during, want)
			}
			if after != before {
				t.Errorf("after: limit %d, want %d restored", after, before)
			}
		})
	}
}
