package ingest

import (
	"net/netip"
	"slices"
	"testing"
)

// TestServicesLeaveOutMulticastAndBroadcast: --services auto does not make
// services of multicast, broadcast or unspecified addresses, however busy;
// a .255 address that sends flows is a host.
func TestServicesLeaveOutMulticastAndBroadcast(t *testing.T) {
	cr := ServiceCriteria{MinFlows: 10, MinPeers: 2, TopPorts: 1, PortShare: 0.9}
	busy := func(sent int) *hostStats { // qualifies on every criterion
		return &hostStats{flows: 100 + sent, inbound: 100,
			peers: map[netip.Addr]struct{}{netip.MustParseAddr("10.0.0.1"): {}, netip.MustParseAddr("10.0.0.2"): {}},
			ports: map[uint16]int{137: 100}}
	}
	st := &captureStats{hosts: map[netip.Addr]*hostStats{}}
	for _, tc := range []struct {
		addr string
		sent int
		want bool
	}{
		{"10.1.2.3", 0, true},
		{"192.168.95.255", 0, false},   // a /24's broadcast: only receives
		{"192.168.95.255", 0, false},   // (again, to be sure of the map)
		{"74.125.232.255", 5, true},    // a host in a larger network: it sends
		{"10.1.1.0", 0, true},          // .0 is an ordinary host in a /23
		{"255.255.255.255", 3, false},  // limited broadcast, even "sending"
		{"224.0.0.251", 0, false},      // mDNS
		{"239.255.255.250", 0, false},  // SSDP
		{"ff02::fb", 0, false},         // IPv6 mDNS
		{"::ffff:224.0.0.1", 0, false}, // IPv4-mapped multicast
		{"::ffff:10.9.9.255", 0, false},
		{"0.0.0.0", 0, false},
		{"::", 0, false},
		{"2001:db8::ff", 0, true},
		{"2001:db8::255", 0, true}, // IPv6 has no broadcast
	} {
		a := netip.MustParseAddr(tc.addr)
		st.hosts[a] = busy(tc.sent)
		got := slices.Contains(st.services(cr), a)
		if got != tc.want {
			t.Errorf("%s (sent %d): service %v, want %v", tc.addr, tc.sent, got, tc.want)
		}
		delete(st.hosts, a)
	}
}
