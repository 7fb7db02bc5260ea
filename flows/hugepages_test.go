package flows

import "testing"

// TestAdviseHugePages: the advice leaves slices of any size and alignment
// as they are, and usable.
func TestAdviseHugePages(t *testing.T) {
	tests := []struct {
		name     string
		len, cap int
		offset   int // sub-slice start, so that the array is not aligned
	}{
		{"nil", 0, 0, 0},
		{"small", 3, 10, 0},
		{"under two huge pages", 0, (2*hugePage - 1) / 128, 0},
		{"large", 0, 8 * hugePage / 128, 0},
		{"large, unaligned", 5, 8*hugePage/128 + 3, 3},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var s []Flow
			if tc.cap > 0 {
				s = make([]Flow, tc.len, tc.cap)[tc.offset:]
				for i := range s {
					s[i].Bytes = uint64(i)
				}
			}
			l, c := len(s), cap(s)
			adviseHugePages(s)
			if len(s) != l || cap(s) != c {
				t.Fatalf("len %d cap %d, want %d and %d", len(s), cap(s), l, c)
			}
			for i := range s {
				if s[i].Bytes != uint64(i) {
					t.Fatalf("flow %d changed: %d", i, s[i].Bytes)
				}
			}
			s = s[:cap(s)]
			for i := range s {
				s[i].Packets = uint64(i) + 1
			}
			for i := range s {
				if s[i].Packets != uint64(i)+1 {
					t.Fatalf("flow %d: packets %d, want %d", i, s[i].Packets, i+1)
				}
			}
		})
	}
}
