package model

import (
	"encoding/json"
	"math"
	"math/rand/v2"
	"net/netip"
	"strconv"
	"strings"
	"testing"

	"github.com/netflow-monitor/monitor/flows"
	"github.com/netflow-monitor/monitor/input"
)

// obs is one training flow of a test's novelty.
type obs struct {
	dir   flows.Direction
	proto flows.Protocol
	port  uint16
	peer  string
	bytes uint64
	dur   float64
}

func (o obs) features() flows.Features {
	return flows.Features{Dir: o.dir, Proto: o.proto, DstPort: o.port, Bytes: o.bytes, Duration: o.dur}
}

// noveltyOf counts the flows and returns their novelty.
func noveltyOf(fl []obs) *Novelty {
	c := NewNoveltyCounter()
	for _, o := range fl {
		x := o.features()
		c.Add(KeyOf(&x), netip.MustParseAddr(o.peer), o.bytes, o.dur)
	}
	return c.Novelty()
}

// repeat returns n flows made by f(i).
func repeat(n int, f func(i int) obs) []obs {
	out := make([]obs, n)
	for i := range out {
		out[i] = f(i)
	}
	return out
}

const (
	in, out       = flows.Inbound, flows.Outbound
	tcp, udp, icm = flows.ProtoTCP, flows.ProtoUDP, flows.ProtoICMP
)

// device is a small, regular device: NTP to 15 servers, 7 of them once, and
// DNS to its gateway, all outbound UDP (the Torii capture's training).
func device() []obs {
	fl := repeat(135, func(i int) obs { return obs{out, udp, 53, "192.168.100.1", 80 + uint64(i%40), 0.01} })
	fl = append(fl, repeat(428, func(i int) obs {
		return obs{out, udp, 123, "203.0.113." + strconv.Itoa(1+i%8), 76, 0.1}
	})...)
	for i := range 7 {
		fl = append(fl, obs{out, udp, 123, "198.51.100." + strconv.Itoa(1+i), 76, 0.1})
	}
	return fl
}

// workstation meets new web servers, in networks new to it, all the time.
func workstation() []obs {
	fl := repeat(2000, func(i int) obs {
		return obs{out, tcp, 443, strconv.Itoa(20+i/250) + "." + strconv.Itoa(i%250) + ".0.1", 5000 + uint64(i), 1}
	})
	return append(fl, repeat(300, func(i int) obs { return obs{out, udp, 53, "10.0.0.53", 90, 0.01} })...)
}

// database answers its services (10.1.0.0/24, always the same two) and
// pods that come and go (10.2.7.0/24, each seen once or twice).
func database() []obs {
	fl := repeat(1000, func(i int) obs { return obs{in, tcp, 5432, "10.1.0." + strconv.Itoa(11+i%2), 4000, 0.5} })
	return append(fl, repeat(300, func(i int) obs { return obs{in, tcp, 5432, "10.2.7." + strconv.Itoa(i/2*2%250), 4000, 0.5} })...)
}

func TestGoodTuring(t *testing.T) {
	tests := []struct {
		n1, n int
		want  float64
	}{
		{0, 0, 0.5}, // nothing seen: capped at 1/2
		{0, 1, 1.0 / 3},
		{1, 1, 0.5}, // (1+1)/(1+2) = 2/3, capped
		{0, 98, 0.01},
		{9, 98, 0.1},
		{98, 98, 0.5},
	}
	for _, tc := range tests {
		if got := GoodTuring(tc.n1, tc.n); math.Abs(got-tc.want) > 1e-12 {
			t.Errorf("GoodTuring(%d, %d) = %v, want %v", tc.n1, tc.n, got, tc.want)
		}
	}
}

func TestKeyString(t *testing.T) {
	tests := []struct {
		x    flows.Features
		want string
	}{
		{flows.Features{Dir: out, Proto: tcp, DstPort: 443}, "out/tcp/443"},
		{flows.Features{Dir: in, Proto: udp, DstPort: 0}, "in/udp/0"},
		{flows.Features{Dir: out, Proto: udp, DstPort: 49152}, "out/udp/49152+"},
		{flows.Features{Dir: out, Proto: tcp, DstPort: 65535}, "out/tcp/49152+"},
		{flows.Features{Dir: in, Proto: icm, DstPort: 771}, "in/icmp"},
		{flows.Features{Dir: out, Proto: 47}, "out/47"},
	}
	for _, tc := range tests {
		k := KeyOf(&tc.x)
		if got := k.String(); got != tc.want {
			t.Errorf("KeyOf(%+v) = %s, want %s", tc.x, got, tc.want)
		}
		if back, err := ParseKey(k.String()); err != nil || back != k {
			t.Errorf("ParseKey(%s) = %+v, %v", k, back, err)
		}
	}
	for _, bad := range []string{"", "out", "up/tcp/80", "out/xyz/80", "out/tcp/80/1", "out/tcp/65536", "out/tcp/50000", "in/icmp/8", "out/tcp/-1"} {
		if _, err := ParseKey(bad); err == nil {
			t.Errorf("ParseKey(%q) accepted", bad)
		}
	}
}

// TestNoveltyParts checks each part of the cost at each level of the key,
// against its estimate at 0, 1 and many observations.
func TestNoveltyParts(t *testing.T) {
	dev := noveltyOf(device())
	ws := noveltyOf(workstation())
	db := noveltyOf(database())
	one := noveltyOf([]obs{{out, tcp, 443, "198.51.100.1", 1000, 1}})
	tests := []struct {
		name  string
		n     *Novelty
		flow  obs
		facts Facts // Cost is checked separately
		cost  float64
	}{
		{"seen: nothing new", dev, obs{out, udp, 53, "192.168.100.1", 100, 0.01}, Facts{}, 0},
		{"new peer of a network with one peer", dev, obs{out, udp, 53, "192.168.100.2", 100, 0.01},
			Facts{NewPeer: true}, gtCost(0, 135)},
		{"new peer of a network never seen there", dev, obs{out, udp, 53, "8.8.8.8", 100, 0.01},
			Facts{NewPeer: true}, gtCost(0, 135)},
		{"new peer of a network of new peers", dev, obs{out, udp, 123, "198.51.100.99", 76, 0.1},
			Facts{NewPeer: true}, gtCost(7, 7)},
		{"new port of a seen protocol, seen peer", dev, obs{out, udp, 5353, "192.168.100.1", 100, 0.01},
			Facts{NewPort: true}, gtCost(0, 570)},
		{"new port and new peer: at least any port's new network", dev, obs{out, udp, 5353, "192.0.2.9", 100, 0.01},
			Facts{NewPort: true, NewPeer: true}, gtCost(0, 570) + gtCost(0, 435)},
		{"new protocol, port and peer (the C&C)", dev, obs{out, tcp, 443, "66.85.157.90", 100, 0.01},
			Facts{NewProtocol: true, NewPort: true, NewPeer: true}, gtCost(0, 570) + gtCost(0, 570) + gtCost(0, 435)},
		{"a direction never seen: nothing to compare with", dev, obs{in, icm, 0, "192.168.100.1", 5672, 366},
			Facts{NewProtocol: true}, gtCost(0, 0)},
		{"workstation: new web server in a new network costs little", ws, obs{out, tcp, 443, "203.0.113.7", 6000, 1},
			Facts{NewPeer: true}, gtCost(2000, 2000)},
		{"workstation: new DNS server costs a lot", ws, obs{out, udp, 53, "8.8.8.8", 90, 0.01},
			Facts{NewPeer: true}, gtCost(0, 300)},
		{"database: a new pod costs little", db, obs{in, tcp, 5432, "10.2.7.251", 4000, 0.5},
			Facts{NewPeer: true}, gtCost(0, 300)},
		{"database: a new host among its services costs a lot", db, obs{in, tcp, 5432, "10.1.0.10", 4000, 0.5},
			Facts{NewPeer: true}, gtCost(0, 1000)},
		{"one flow seen: a new peer of its network", one, obs{out, tcp, 443, "198.51.100.2", 1000, 1},
			Facts{NewPeer: true}, gtCost(1, 1)},
		{"one flow seen: a new port", one, obs{out, tcp, 80, "198.51.100.1", 1000, 1},
			Facts{NewPort: true}, gtCost(1, 1)},
		{"one flow seen: a new protocol", one, obs{out, udp, 53, "198.51.100.1", 1000, 1},
			Facts{NewProtocol: true, NewPort: true}, gtCost(1, 1) + gtCost(1, 1)},
		{"one flow seen: larger, weighed by 1/1001", one, obs{out, tcp, 443, "198.51.100.1", 10000, 1},
			Facts{Larger: true}, math.Log(10) / 1001},
		{"larger than any of the protocol's", ws, obs{out, udp, 53, "10.0.0.53", 900, 0.01},
			Facts{Larger: true}, 300.0 / 1300 * math.Log(10)},
		{"longer than any of the protocol's", ws, obs{out, udp, 53, "10.0.0.53", 90, 0.1},
			Facts{Longer: true}, 300.0 / 1300 * math.Log(10)},
		{"new protocol, larger than any of its direction's", ws, obs{out, 47, 0, "10.0.0.53", 70000, 1},
			Facts{NewProtocol: true, Larger: true}, gtCost(0, 2300) + 2300.0/3300*math.Log(70000.0/6999)},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			x := tc.flow.features()
			f := tc.n.Facts(&x, netip.MustParseAddr(tc.flow.peer))
			cost := f.Cost
			f.Cost = 0
			if f != tc.facts {
				t.Errorf("facts %+v, want %+v", f, tc.facts)
			}
			if math.Abs(cost-tc.cost) > 1e-9 {
				t.Errorf("cost %.6f, want %.6f", cost, tc.cost)
			}
		})
	}
	// The contrast: a new web server of a workstation is cheap, a
	// new peer, port and protocol of a two-port device is dear.
	web, cc := ws.Cost(&flows.Features{Dir: out, Proto: tcp, DstPort: 443, Bytes: 6000, Duration: 1}, netip.MustParseAddr("203.0.113.7")),
		dev.Cost(&flows.Features{Dir: out, Proto: tcp, DstPort: 443, Bytes: 160, Duration: 0.01}, netip.MustParseAddr("66.85.157.90"))
	if !(web < 1 && cc > 15) {
		t.Errorf("new web server %.2f, C&C %.2f: want < 1 and > 15", web, cc)
	}
	var nilNovelty *Novelty
	if c := nilNovelty.Cost(&flows.Features{Dir: out, Proto: tcp}, netip.MustParseAddr("1.2.3.4")); c != 0 {
		t.Errorf("nil novelty costs %v", c)
	}
}

// TestNoveltyMonotone is the property: a flow whose protocol, port or peer
// is never seen never costs less than the same flow with a seen one, on
// random trainings; and no cost is negative or not finite.
func TestNoveltyMonotone(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	protos := []flows.Protocol{tcp, udp, icm}
	pick := func(n int) int { return r.IntN(n) }
	for trial := range 300 {
		var fl []obs
		size := 1 + pick(400)
		ports, peers := 1+pick(12), 1+pick(40)
		for range size {
			fl = append(fl, obs{flows.Direction(pick(2)), protos[pick(len(protos))], uint16(1 + pick(ports)),
				"10.0." + strconv.Itoa(pick(2)) + "." + strconv.Itoa(1+pick(peers)), uint64(pick(5000)), float64(pick(100)) / 10})
		}
		n := noveltyOf(fl)
		cost := func(o obs) float64 {
			x := o.features()
			c := n.Cost(&x, netip.MustParseAddr(o.peer))
			if c < 0 || math.IsNaN(c) || math.IsInf(c, 0) {
				t.Fatalf("trial %d: cost %v of %+v", trial, c, o)
			}
			return c
		}
		for range 50 {
			seen := fl[pick(len(fl))]
			seen.bytes, seen.dur = uint64(pick(20000)), float64(pick(1000))/10
			base := cost(seen)
			newPeer, newPort, newProto := seen, seen, seen
			newPeer.peer = "192.0.2." + strconv.Itoa(1+pick(200))
			newPort.port = uint16(1000 + pick(1000))
			newProto.proto, newProto.port = 132, uint16(1000+pick(1000)) // SCTP, never in training
			for name, o := range map[string]obs{"peer": newPeer, "port": newPort, "protocol": newProto} {
				if name == "port" && !o.proto.HasPorts() {
					continue
				}
				if c := cost(o); c < base-1e-9 {
					t.Fatalf("trial %d: a new %s costs %.4f, the seen flow %+v %.4f", trial, name, c, seen, base)
				}
			}
		}
	}
}

func TestNoveltyExplain(t *testing.T) {
	dev := noveltyOf(device())
	x := flows.Features{Dir: out, Proto: tcp, DstPort: 443, Bytes: 505998, Duration: 40000}
	got := strings.Join(dev.Explain(&x, netip.MustParseAddr("66.85.157.90"), "this host"), "; ")
	want := "first TCP connection of this host; new peer 66.85.157.90 on 443 (this host contacted 16 peers in training, all on UDP); " +
		"506 kB, largest outbound flow in training 119 B; duration 11 h, longest outbound flow in training 100 ms"
	if got != want {
		t.Errorf("Explain:\n got %s\nwant %s", got, want)
	}
	x = flows.Features{Dir: out, Proto: udp, DstPort: 5353, Bytes: 90, Duration: 0.01}
	if got := dev.Explain(&x, netip.MustParseAddr("192.168.100.1"), "group iot"); len(got) != 1 ||
		got[0] != "first outbound UDP flow to port 5353 (group iot used 2 outbound UDP ports in training)" {
		t.Errorf("new port: %q", got)
	}
	x = flows.Features{Dir: out, Proto: udp, DstPort: 53, Bytes: 90, Duration: 0.01}
	if got := dev.Explain(&x, netip.MustParseAddr("192.168.100.1"), "this host"); got != nil {
		t.Errorf("nothing new: %q", got)
	}
}

// TestNoveltyJSON: the counts go to JSON and back, the rates derived
// again; counts that do not agree are refused by name.
func TestNoveltyJSON(t *testing.T) {
	n := noveltyOf(device())
	b, err := json.Marshal(n)
	if err != nil {
		t.Fatal(err)
	}
	var back Novelty
	if err := input.DecodeJSON(b, &back); err != nil {
		t.Fatal(err)
	}
	b2, _ := json.Marshal(&back)
	if string(b) != string(b2) {
		t.Errorf("JSON round trip:\n%s\n%s", b, b2)
	}
	x := flows.Features{Dir: out, Proto: tcp, DstPort: 443, Bytes: 160}
	if a, c := n.Cost(&x, netip.MustParseAddr("66.85.157.90")), back.Cost(&x, netip.MustParseAddr("66.85.157.90")); a != c {
		t.Errorf("cost %v before, %v after", a, c)
	}
	for _, tc := range []struct{ from, to, want string }{
		{`"flows":570`, `"flows":571`, "the protocols hold 570 flows, not 571"},
		{`"out/udp/53"`, `"out/udp"`, "not a direction/protocol/port key"},
		{`"192.168.100.1"`, `"gateway"`, `"gateway" is not an IP address`},
		{`"max_duration":0.1`, `"max_duration":-1`, "protocols out/udp"},
		{`"new_peers":7`, `"new_peers":9999`, "networks out/udp/123 198.51.100.0/24"},
		{`"out/udp/123 198.51.100.0/24"`, `"out/udp/123 198.51.100.7/24"`, "not a place and a network"},
		{`"peers":{`, `"peers":{"10.9.9.9":0,`, "peers 10.9.9.9: 0 flows"},
	} {
		bad := strings.Replace(string(b), tc.from, tc.to, 1)
		if bad == string(b) {
			t.Fatalf("%s not in %s", tc.from, b)
		}
		var v Novelty
		if err := input.DecodeJSON([]byte(bad), &v); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s -> %s: %v, want %q", tc.from, tc.to, err, tc.want)
		}
	}
}
