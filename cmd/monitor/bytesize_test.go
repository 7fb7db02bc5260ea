package main

import "testing"

func TestByteSize(t *testing.T) {
	tests := []struct {
		in   string
		want int64
		ok   bool
	}{
		{"0", 0, true}, {"512", 512, true}, {"64KiB", 64 << 10, true}, {"4GiB", 4 << 30, true},
		{"4gib", 4 << 30, true}, {"1.5G", 3 << 29, true}, {"500MB", 500e6, true}, {"2 M", 2 << 20, true},
		{"100B", 100, true}, {"", 0, false}, {"lots", 0, false}, {"-1G", 0, false}, {"1e30", 0, false},
	}
	for _, tc := range tests {
		var b byteSize
		err := b.Set(tc.in)
		if (err == nil) != tc.ok || (tc.ok && int64(b) != tc.want) {
			t.Errorf("%q: %d, %v; want %d, ok %v", tc.in, b, err, tc.want, tc.ok)
		}
	}
}
