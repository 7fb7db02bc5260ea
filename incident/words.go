package incident

import (
	"fmt"
	"net/netip"
	"strconv"

	"github.com/netflow-monitor/monitor/flows"
)

// isOutside reports whether an address is outside the networks hosts
// share (not private, loopback, link-local or multicast).
func isOutside(a netip.Addr) bool {
	return a.IsValid() && a.IsGlobalUnicast() && !a.IsPrivate()
}

// connWords names a connection: "to 192.0.2.14:443 (HTTPS)", "from
// 10.0.0.9:22 (SSH)".
func connWords(c flows.Connection) string {
	dir := "to"
	if c.Direction == flows.Inbound {
		dir = "from"
	}
	s := fmt.Sprintf("%s %s", dir, netip.AddrPortFrom(c.Peer, c.Port))
	if n := flows.PortName(c.Port); n != "" {
		s += " (" + n + ")"
	}
	return s
}

// portWords names a port by its service, or its number.
func portWords(p uint16) string {
	if n := flows.PortName(p); n != "" {
		return n
	}
	return "port " + strconv.Itoa(int(p))
}

// bytesWords prints bytes as people read them.
func bytesWords(b uint64) string {
	v, units := float64(b), []string{"B", "kB", "MB", "GB", "TB"}
	i := 0
	for v >= 1000 && i < len(units)-1 {
		v /= 1000
		i++
	}
	if i == 0 {
		return fmt.Sprintf("%d B", b)
	}
	return strconv.FormatFloat(v, 'f', 1, 64) + " " + units[i]
}

// atLeast prints a count of what c's kept root causes have: "at least
// 4,096" when c counted others it did not keep (see MaxCauses).
func atLeast(c *Incident, n int) string {
	if c.Others > 0 {
		return "at least " + thousands(n)
	}
	return thousands(n)
}

// thousands prints n with a comma between thousands: 1,057.
func thousands(n int) string {
	s := strconv.Itoa(n)
	for i := len(s) - 3; i > 0; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	return s
}
