package main

import "testing"

func TestTimes(t *testing.T) {
	for _, tc := range []struct {
		n    int
		want string
	}{{0, "0 times"}, {1, "1 time"}, {2, "2 times"}, {96, "96 times"}} {
		if got := times(tc.n); got != tc.want {
			t.Errorf("times(%d) = %q, want %q", tc.n, got, tc.want)
		}
	}
}
