package flows

import (
	"strconv"
	"strings"
	"testing"
	"time"
)

// TestParseNumbers: ports, counts and protocols, through the digit fast
// path and the full rules behind it.
func TestParseNumbers(t *testing.T) {
	tests := []struct {
		in       string
		port     uint16
		portErr  bool
		count    uint64
		countErr bool
		proto    Protocol
		protoOK  bool
	}{
		{in: "0", port: 0, count: 0, proto: 0, protoOK: true},
		{in: "80", port: 80, count: 80, proto: 80, protoOK: true},
		{in: "00080", port: 80, count: 80, proto: 80, protoOK: true},
		{in: "65535", port: 65535, count: 65535},
		{in: "65536", portErr: true, count: 65536},
		{in: " 443 ", port: 443, count: 443},
		{in: "", port: 0, count: 0},
		{in: "-", port: 0, count: 0},
		{in: "0x0303", port: 0x303, countErr: true},
		{in: "12.0", portErr: true, count: 12},
		{in: "12.5", portErr: true, countErr: true},
		{in: "+5", portErr: true, count: 5},
		{in: "-5", portErr: true, countErr: true},
		{in: "1234567890123456789", portErr: true, count: 1234567890123456789},
		{in: "18446744073709551615", portErr: true, count: 18446744073709551615},
		{in: "18446744073709551616", portErr: true, countErr: true},
		{in: "tcp", portErr: true, countErr: true, proto: ProtoTCP, protoOK: true},
		{in: "UDP", portErr: true, countErr: true, proto: ProtoUDP, protoOK: true},
		{in: " icmp", portErr: true, countErr: true, proto: ProtoICMP, protoOK: true},
		{in: "ipv6-icmp", portErr: true, countErr: true, proto: ProtoICMPv6, protoOK: true},
	}
	for _, tc := range tests {
		t.Run(tc.in, func(t *testing.T) {
			p, err := parsePort(tc.in)
			if (err != nil) != tc.portErr || (err == nil && p != tc.port) {
				t.Errorf("parsePort = %d, %v; want %d, error %v", p, err, tc.port, tc.portErr)
			}
			c, err := parseCount(tc.in)
			if (err != nil) != tc.countErr || (err == nil && c != tc.count) {
				t.Errorf("parseCount = %d, %v; want %d, error %v", c, err, tc.count, tc.countErr)
			}
			pr, ok := ParseProtocol(tc.in)
			if ok != tc.protoOK || (ok && pr != tc.proto) {
				t.Errorf("ParseProtocol = %d, %v; want %d, %v", pr, ok, tc.proto, tc.protoOK)
			}
		})
	}
}

// TestParseTime: the accepted forms in Unix nanoseconds, and the refused
// ones, including times whose nanoseconds do not fit in an int64.
func TestParseTime(t *testing.T) {
	tests := []struct {
		in      string
		want    int64
		wantErr string // a part of the message; "" when s parses
	}{
		{in: "1700000000", want: 1700000000e9},
		{in: "1700000000.25", want: 1700000000250000000},
		{in: "0.000000001", want: 1},
		{in: "2023-11-14T22:13:20Z", want: 1700000000e9},
		{in: "2023-11-14 22:13:20.25", want: 1700000000250000000},
		{in: "2023/11/14 22:13:20.123456789123", want: 1700000000123456789},
		{in: "2023-11-14T23:13:20+01:00", want: 1700000000e9},
		{in: "1969-12-31T23:59:59.5Z", want: -5e8},
		{in: "1678-01-01T00:00:00Z", want: -9214560000e9},
		{in: "2262-04-11T23:47:15.999999999Z", want: 9223372035999999999},
		{in: " 2023-11-14T22:13:20Z ", want: 1700000000e9},
		{in: "2262-04-11T23:47:16Z", wantErr: "out of range"},
		{in: "9999-12-31T23:59:59Z", wantErr: "out of range"},
		{in: "1600-01-01T00:00:00Z", wantErr: "out of range"},
		{in: "99999999999", wantErr: "out of range"},
		{in: "9223372036.9", wantErr: "out of range"},
		{in: "2023-02-29T00:00:00Z", wantErr: "not a time"},
		{in: "1.7e9", wantErr: "not a time"},
		{in: "2023-11-14T22:13:20+1", wantErr: "not a time"},
		{in: "2023-11-14T22:13:20+99:99", wantErr: "not a time"},
		{in: "2023-11-14T22:13:20+24:00", wantErr: "not a time"},
		{in: "2023-11-14T22:13:20-23:59", want: 1700000000e9 + 86340e9},
		{in: "", wantErr: "not a time"},
	}
	for _, tc := range tests {
		t.Run(tc.in, func(t *testing.T) {
			got, err := parseTime(tc.in)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Errorf("parseTime = %d, %v; want an error saying %q", got, err, tc.wantErr)
				}
				return
			}
			if err != nil || got != tc.want {
				t.Errorf("parseTime = %d, %v; want %d", got, err, tc.want)
			}
		})
	}
}

// FuzzParseTime: whatever parseTime accepts, time.Parse reads as the same
// instant when it reads it too (RFC 3339); and nothing it accepts
// overflows (a time time.Parse reads outside 1677-2262 is refused).
func FuzzParseTime(f *testing.F) {
	for _, s := range []string{"2023-11-14T22:13:20Z", "2023-11-14T22:13:20.123456789+05:30", "1700000000.5",
		"2262-04-11T23:47:16Z", "0001-01-01T00:00:00Z", "2011/08/16 10:01:46.972101", "99999999999", "1969-12-31T23:59:59.999Z"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		ns, err := parseTime(s)
		ref, rerr := time.Parse(time.RFC3339Nano, strings.TrimSpace(s))
		if rerr != nil {
			return
		}
		inRange := ref.Unix() >= -maxUnixSeconds && ref.Unix() <= maxUnixSeconds
		switch {
		case err == nil && !inRange:
			t.Fatalf("%q: accepted as %d, but it is out of range", s, ns)
		case err == nil && ns != ref.UnixNano():
			t.Fatalf("%q: %d, time.Parse %d", s, ns, ref.UnixNano())
		}
	})
}

// FuzzParseDigits: the fast path agrees with strconv wherever it answers.
func FuzzParseDigits(f *testing.F) {
	for _, s := range []string{"0", "65535", "1234567890123456789", "12345678901234567890", "", "1a", " 1"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		v, ok := parseDigits(s)
		if !ok {
			if len(s) > 0 && len(s) <= 19 && strings.Trim(s, "0123456789") == "" {
				t.Fatalf("%q: refused", s)
			}
			return
		}
		want, err := strconv.ParseUint(s, 10, 64)
		if err != nil || want != v || s[0] == '+' {
			t.Fatalf("%q: %d, strconv %d, %v", s, v, want, err)
		}
	})
}
