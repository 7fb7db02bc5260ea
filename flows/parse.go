package flows

import (
	"errors"
	"fmt"
	"math"
	"net/netip"
	"strconv"
	"strings"
	"time"

	"github.com/netflow-monitor/monitor/input"
)

// Field parsers shared by the readers. They return plain errors; the
// decoder wraps them in an *input.Error with file, line and field.

var errEmpty = errors.New("empty")

func parseAddr(s string) (netip.Addr, error) {
	a, err := netip.ParseAddr(strings.TrimSpace(s))
	if err != nil {
		return netip.Addr{}, fmt.Errorf("%w: %s is not an IP address", ErrBadValue, input.Quote(s))
	}
	if a.Zone() != "" {
		// A zone names an interface of the host that printed it; flows
		// are between addresses.
		return netip.Addr{}, fmt.Errorf("%w: %s is an address with a zone; give the address alone", ErrBadValue, input.Quote(s))
	}
	return a.Unmap(), nil
}

// parsePort accepts a decimal port, a hexadecimal one ("0x0303", as Argus
// prints ICMP type and code), or an empty field (no port: 0).
func parsePort(s string) (uint16, error) {
	if v, ok := parseDigits(s); ok && v <= 0xffff {
		return uint16(v), nil
	}
	s = strings.TrimSpace(s)
	if s == "" || s == "-" {
		return 0, nil
	}
	digits, base := s, 10
	if strings.HasPrefix(s, "0x") || strings.HasPrefix(s, "0X") {
		digits, base = s[2:], 16
	}
	v, err := strconv.ParseUint(digits, base, 16)
	if err != nil {
		return 0, fmt.Errorf("%w: %s is not a port", ErrBadValue, input.Quote(s))
	}
	return uint16(v), nil
}

func parseCount(s string) (uint64, error) {
	if v, ok := parseDigits(s); ok {
		return v, nil
	}
	s = strings.TrimSpace(s)
	if s == "" || s == "-" {
		return 0, nil
	}
	v, err := strconv.ParseUint(s, 10, 64)
	if err != nil {
		// Some exporters print counts as floats ("12.0").
		f, ferr := strconv.ParseFloat(s, 64)
		if ferr != nil || f < 0 || f != float64(uint64(f)) {
			return 0, fmt.Errorf("%w: %s is not a count", ErrBadValue, input.Quote(s))
		}
		return uint64(f), nil
	}
	return v, nil
}

// parseDigits reads s when it is 1 to 19 decimal digits and nothing else,
// the form nearly every port and count field has; the parsers fall back to
// their full rules (spaces, "-", hexadecimal, floats, errors) otherwise.
// Nineteen digits cannot overflow a uint64.
func parseDigits(s string) (uint64, bool) {
	if len(s) == 0 || len(s) > 19 {
		return 0, false
	}
	var v uint64
	for i := 0; i < len(s); i++ {
		d := s[i] - '0'
		if d > 9 {
			return 0, false
		}
		v = v*10 + uint64(d)
	}
	return v, true
}

func parseSeconds(s string) (float64, error) {
	s = strings.TrimSpace(s)
	if s == "" || s == "-" {
		return 0, nil
	}
	v, err := strconv.ParseFloat(s, 64)
	if err != nil || v < 0 || v != v || v > 1e12 {
		return 0, fmt.Errorf("%w: %s is not a duration in seconds", ErrBadValue, input.Quote(s))
	}
	return v, nil
}

func parseProto(s string) (Protocol, error) {
	p, ok := ParseProtocol(s)
	if !ok {
		return 0, fmt.Errorf("%w: %s is not a protocol", ErrBadValue, input.Quote(s))
	}
	return p, nil
}

// parseTime reads a timestamp in Unix nanoseconds, UTC. It accepts
//   - epoch seconds with an optional fraction: 1313488906.972101
//   - date and time: 2011-08-16T10:01:46.972101Z, 2011-08-16 10:01:46,
//     2011/08/16 10:01:46.972101, with an optional zone (Z or ±hh:mm);
//     times without a zone are taken as UTC.
//
// Times whose Unix nanoseconds do not fit in an int64 (before 1677-09-21,
// after 2262-04-11) are refused.
func parseTime(s string) (int64, error) {
	s = strings.TrimSpace(s)
	sec, nanos, ok := parseEpoch(s)
	if !ok {
		sec, nanos, ok = parseDateTime(s)
	}
	if !ok {
		return 0, fmt.Errorf("%w: %s is not a time (want RFC 3339, \"2006/01/02 15:04:05.000000\" or epoch seconds)", ErrBadValue, input.Quote(s))
	}
	if sec < -maxUnixSeconds || sec > maxUnixSeconds {
		return 0, fmt.Errorf("%w: %s is out of range (from 1677-09-21 to 2262-04-11)", ErrBadValue, input.Quote(s))
	}
	return sec*1e9 + nanos, nil
}

// maxUnixSeconds bounds the seconds of a time whose Unix nanoseconds fit
// in an int64 with any fraction added (2262-04-11).
const maxUnixSeconds = math.MaxInt64/1_000_000_000 - 1

// parseEpoch reads epoch seconds with an optional fraction of up to nine
// digits, as seconds and nanoseconds.
func parseEpoch(s string) (sec, nanos int64, ok bool) {
	whole, frac, _ := strings.Cut(s, ".")
	if whole == "" || len(whole) > 11 || len(frac) > 9 {
		return 0, 0, false
	}
	for _, c := range whole {
		if c < '0' || c > '9' {
			return 0, 0, false
		}
		sec = sec*10 + int64(c-'0')
	}
	for i := 0; i < 9; i++ {
		nanos *= 10
		if i < len(frac) {
			c := frac[i]
			if c < '0' || c > '9' {
				return 0, 0, false
			}
			nanos += int64(c - '0')
		}
	}
	return sec, nanos, true
}

func digits(s string, n int) (int, bool) {
	if len(s) < n {
		return 0, false
	}
	v := 0
	for i := 0; i < n; i++ {
		c := s[i]
		if c < '0' || c > '9' {
			return 0, false
		}
		v = v*10 + int(c-'0')
	}
	return v, true
}

// parseDateTime reads a date and time (see parseTime) as Unix seconds and
// nanoseconds.
func parseDateTime(s string) (sec, nanos int64, ok bool) {
	if len(s) < 19 {
		return 0, 0, false
	}
	sep := s[4]
	if (sep != '-' && sep != '/') || s[7] != sep || (s[10] != 'T' && s[10] != ' ') || s[13] != ':' || s[16] != ':' {
		return 0, 0, false
	}
	y, ok1 := digits(s, 4)
	mo, ok2 := digits(s[5:], 2)
	d, ok3 := digits(s[8:], 2)
	h, ok4 := digits(s[11:], 2)
	mi, ok5 := digits(s[14:], 2)
	se, ok6 := digits(s[17:], 2)
	if !(ok1 && ok2 && ok3 && ok4 && ok5 && ok6) || mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || se > 60 {
		return 0, 0, false
	}
	rest := s[19:]
	ns := 0
	if len(rest) > 0 && rest[0] == '.' {
		i := 1
		for ; i < len(rest) && rest[i] >= '0' && rest[i] <= '9'; i++ {
			if i <= 9 {
				ns = ns*10 + int(rest[i]-'0')
			}
		}
		if i == 1 {
			return 0, 0, false
		}
		for k := i; k <= 9; k++ {
			ns *= 10
		}
		rest = rest[i:]
	}
	offset := 0
	switch {
	case rest == "" || rest == "Z" || rest == "z":
	case len(rest) == 6 && (rest[0] == '+' || rest[0] == '-') && rest[3] == ':':
		oh, ok1 := digits(rest[1:], 2)
		om, ok2 := digits(rest[4:], 2)
		if !ok1 || !ok2 || oh > 23 || om > 59 { // as time.Parse
			return 0, 0, false
		}
		offset = oh*3600 + om*60
		if rest[0] == '-' {
			offset = -offset
		}
	default:
		return 0, 0, false
	}
	t := time.Date(y, time.Month(mo), d, h, mi, se, 0, time.UTC)
	if t.Day() != d { // 31 February and the like
		return 0, 0, false
	}
	return t.Unix() - int64(offset), int64(ns), true
}

// interner shares the strings of a column with few distinct values
// (labels), so that a million flows do not keep a million copies.
type interner struct{ m map[string]string }

// get returns s, shared with earlier equal values; a copy, as s may share
// the memory of a whole chunk of its file (see recordReader).
func (in *interner) get(s string) string {
	if v, ok := in.m[s]; ok {
		return v
	}
	if in.m == nil {
		in.m = map[string]string{}
	}
	s = strings.Clone(s)
	if len(in.m) < 1<<16 {
		in.m[s] = s
	}
	return s
}

// HasPorts reports whether flows of protocol p have ports. Collectors put
// other things in the port fields of other protocols (ICMP type and code,
// an ESP SPI); readers clear them.
func (p Protocol) HasPorts() bool {
	return p == ProtoTCP || p == ProtoUDP || p == ProtoSCTP || p == 33 /* DCCP */ || p == 136 /* UDP-Lite */
}

// parsePorts fills f's ports from their fields once f.Proto is known: for
// protocols without ports they are left 0 and not parsed.
func parsePorts(f *Flow, src, dst, srcName, dstName string) (string, error) {
	if !f.Proto.HasPorts() {
		return "", nil
	}
	var err error
	if f.SrcPort, err = parsePort(src); err != nil {
		return srcName, err
	}
	if f.DstPort, err = parsePort(dst); err != nil {
		return dstName, err
	}
	return "", nil
}
