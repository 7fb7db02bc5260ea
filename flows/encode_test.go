package flows

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"
)

// synthetic returns flows in three well-separated size groups, with a mix
// of protocols, directions, durations and ports.
func synthetic(n int, seed uint64) ([]Flow, []Direction) {
	rng := rand.New(rand.NewPCG(seed, 1))
	fl := make([]Flow, n)
	dirs := make([]Direction, n)
	for i := range fl {
		g := i % 3
		base := []uint64{100, 10_000, 1_000_000}[g]
		fl[i] = Flow{
			Start: int64(i) * 1e9, Duration: float64(rng.IntN(100)) / 10,
			Src: addr("10.0.0.1"), Dst: addr("10.0.0.2"),
			SrcPort: uint16(40000 + rng.IntN(1000)), DstPort: []uint16{443, 53, 8080}[g], Proto: []Protocol{ProtoTCP, ProtoUDP, ProtoTCP}[g],
			Bytes: base + uint64(rng.IntN(int(base/10)+1)), Packets: base/100 + 1 + uint64(rng.IntN(3)),
		}
		dirs[i] = Direction(rng.IntN(2))
	}
	return fl, dirs
}

func TestEncoderDeterministicAndRoundTrip(t *testing.T) {
	fl, dirs := synthetic(5000, 1)
	for _, name := range EncoderNames() {
		for _, pc := range []bool{false, true} {
			t.Run(fmt.Sprint(name, pc), func(t *testing.T) {
				a, err := FitEncoder(name, features(fl, dirs), EncoderOptions{PortClass: pc})
				if err != nil {
					t.Fatal(err)
				}
				b, _ := FitEncoder(name, features(fl, dirs), EncoderOptions{PortClass: pc})
				ja, _ := MarshalEncoder(a)
				jb, _ := MarshalEncoder(b)
				if !bytes.Equal(ja, jb) {
					t.Fatal("two fits of the same flows differ")
				}
				back, err := UnmarshalEncoder(ja)
				if err != nil {
					t.Fatal(err)
				}
				seen := map[string]bool{}
				for i := range fl {
					s := a.Encode(ptr(fl[i].Features(dirs[i])))
					if s < 0 || s != back.Encode(ptr(fl[i].Features(dirs[i]))) {
						t.Fatalf("flow %d: %d in memory, %d loaded (training flows must all be known)", i, s, back.Encode(ptr(fl[i].Features(dirs[i]))))
					}
					seen[a.SymbolName(s)] = true
				}
				if len(seen) != a.AlphabetSize() {
					t.Errorf("%d distinct names for %d symbols", len(seen), a.AlphabetSize())
				}
			})
		}
	}
}

func TestKMeansFindsClusters(t *testing.T) {
	fl, dirs := synthetic(6000, 2)
	e, _ := FitEncoder("encode", features(fl, dirs), EncoderOptions{})
	if k := len(e.(*kmeansEncoder).Centers); k != 3 {
		t.Errorf("silhouette chose %d clusters for three well-separated groups", k)
	}
}

// TestOutOfRange: values beyond the training range go to the nearest
// cluster or bin; a protocol never seen maps to "other"; a combination
// never seen is Unknown.
func TestOutOfRange(t *testing.T) {
	fl, dirs := synthetic(3000, 3)
	e, _ := FitEncoder("encode", features(fl, dirs), EncoderOptions{})
	small := Flow{Proto: ProtoTCP, DstPort: 443, Bytes: 1, Packets: 1, Duration: 0}
	huge := Flow{Proto: ProtoTCP, DstPort: 8080, Bytes: 1 << 40, Packets: 1 << 30, Duration: 1e6}
	for _, f := range []Flow{small, huge} {
		name := e.SymbolName(e.Encode(ptr(f.Features(Outbound))))
		if !strings.Contains(name, "/tcp/") {
			t.Errorf("%+v encodes as %q", f, name)
		}
	}
	if n := e.SymbolName(e.Encode(ptr(small.Features(Outbound)))); !strings.Contains(n, "/s00/") {
		t.Errorf("a tiny flow should fall in the smallest cluster, got %q", n)
	}
	if n := e.SymbolName(e.Encode(ptr(huge.Features(Outbound)))); !strings.Contains(n, "/d4") {
		t.Errorf("a very long flow should fall in the last duration bin, got %q", n)
	}
	gre := Flow{Proto: 47, Bytes: 100, Packets: 1}
	if s := e.Encode(ptr(gre.Features(Outbound))); s != Unknown {
		t.Errorf("an unseen protocol's combination is %d (%s), want Unknown", s, e.SymbolName(s))
	}
}

func TestPortClasses(t *testing.T) {
	fl, dirs := synthetic(3000, 4)
	e, _ := FitEncoder("quantile", features(fl, dirs), EncoderOptions{PortClass: true})
	sp := e.(*quantileEncoder).space
	tests := []struct {
		f    Flow
		want int
	}{
		{Flow{Proto: ProtoTCP, DstPort: 443}, 4 + 1}, // service ports sorted: 53, 443, 8080
		{Flow{Proto: ProtoTCP, DstPort: 25}, 1},      // well-known
		{Flow{Proto: ProtoTCP, DstPort: 5678}, 2},    // registered
		{Flow{Proto: ProtoUDP, DstPort: 60000}, 3},   // ephemeral
		{Flow{Proto: ProtoICMP}, 0},                  // none
	}
	for _, tc := range tests {
		if got := sp.portClass(ptr(tc.f.Features(Outbound))); got != tc.want {
			t.Errorf("port class of %d/%v = %d, want %d", tc.f.DstPort, tc.f.Proto, got, tc.want)
		}
	}
}

func TestFitDegenerate(t *testing.T) {
	one := []Flow{{Proto: ProtoTCP, Bytes: 10, Packets: 1}}
	for _, name := range EncoderNames() {
		e, err := FitEncoder(name, features(one, []Direction{Outbound}), EncoderOptions{PortClass: true})
		if err != nil || e.AlphabetSize() != 1 || e.Encode(ptr(one[0].Features(Outbound))) != 0 {
			t.Errorf("%s on one flow: %v, %v", name, e, err)
		}
		same := []Flow{one[0], one[0], one[0]}
		if _, err := FitEncoder(name, features(same, []Direction{0, 0, 0}), EncoderOptions{}); err != nil {
			t.Errorf("%s on identical flows: %v", name, err)
		}
	}
	if _, err := FitEncoder("encode", features(nil, nil), EncoderOptions{}); err == nil {
		t.Error("fitting on no flows succeeded")
	}
	if _, err := FitEncoder("bogus", features(one, []Direction{0}), EncoderOptions{}); err == nil {
		t.Error("unknown encoder accepted")
	}
}

func TestUnmarshalEncoderErrors(t *testing.T) {
	fl, dirs := synthetic(300, 5)
	e, _ := FitEncoder("encode", features(fl, dirs), EncoderOptions{})
	good, _ := MarshalEncoder(e)
	tests := map[string]string{
		"corrupt":       `{"kind":`,
		"other version": strings.Replace(string(good), `"version":1`, `"version":9`, 1),
		"other kind":    strings.Replace(string(good), `"kind":"encode"`, `"kind":"magic"`, 1),
		"no symbols":    `{"kind":"quantile","version":1,"size_classes":1,"symbols":[]}`,
		"bad centers":   strings.Replace(string(good), `"size_classes":`, `"size_classes":999,"x":`, 1),
	}
	for name, in := range tests {
		if _, err := UnmarshalEncoder([]byte(in)); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}

func FuzzUnmarshalEncoder(f *testing.F) {
	fl, dirs := synthetic(300, 6)
	for _, name := range EncoderNames() {
		e, _ := FitEncoder(name, features(fl, dirs), EncoderOptions{PortClass: true})
		b, _ := MarshalEncoder(e)
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		e, err := UnmarshalEncoder(b)
		if err != nil {
			return
		}
		for i := range fl[:20] {
			s := e.Encode(ptr(fl[i].Features(dirs[i])))
			if s < Unknown || int(s) >= e.AlphabetSize() {
				t.Fatalf("symbol %d outside the alphabet of %d", s, e.AlphabetSize())
			}
			_ = e.SymbolName(s)
		}
	})
}

func BenchmarkEncode(b *testing.B) {
	fl, dirs := synthetic(100_000, 7)
	e, _ := FitEncoder("encode", features(fl, dirs), EncoderOptions{PortClass: true})
	b.ReportAllocs()
	for b.Loop() {
		for i := range fl {
			e.Encode(ptr(fl[i].Features(dirs[i])))
		}
	}
	b.ReportMetric(float64(len(fl)*b.N)/b.Elapsed().Seconds(), "flows/s")
}

func BenchmarkFitEncoder1M(b *testing.B) {
	fl, dirs := synthetic(1_000_000, 8)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := FitEncoder("encode", features(fl, dirs), EncoderOptions{PortClass: true}); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkReadArgusCTU13(b *testing.B) {
	const path = "../../shared/data/ctu13/capture20110816.binetflow.gz"
	b.ReportAllocs()
	for b.Loop() {
		fl, _, err := ReadAll(b.Context(), path, "argus", DecodeOptions{})
		if err != nil {
			b.Skipf("CTU-13: %v", err)
		}
		b.ReportMetric(float64(len(fl))/b.Elapsed().Seconds()*float64(b.N), "flows/s")
	}
}

// features gives the features of flows seen in directions dirs, as one
// segment.
func features(fl []Flow, dirs []Direction) [][]Features {
	xs := make([]Features, len(fl))
	for i := range fl {
		xs[i] = fl[i].Features(dirs[i])
	}
	return [][]Features{xs}
}

func ptr[T any](v T) *T { return &v }

// TestFlowNamesAndWords: a training flow's FlowName is its symbol's name;
// a flow whose symbol was never seen is still named by what it was; Words
// gives direction, protocol, port with its name and class, size and
// duration range.
func TestFlowNamesAndWords(t *testing.T) {
	fl, dirs := synthetic(3000, 3)
	for _, name := range EncoderNames() {
		t.Run(name, func(t *testing.T) {
			e, err := FitEncoder(name, features(fl, dirs), EncoderOptions{PortClass: true})
			if err != nil {
				t.Fatal(err)
			}
			for i := range 200 {
				x := fl[i].Features(dirs[i])
				if got, want := e.FlowName(&x), e.SymbolName(e.Encode(&x)); got != want {
					t.Fatalf("flow %d: FlowName %q, symbol %q", i, got, want)
				}
			}
			gre := Flow{Proto: 47, Bytes: 100, Packets: 1, Duration: 0.5}
			x := gre.Features(Outbound)
			if e.Encode(&x) != Unknown || !strings.HasPrefix(e.FlowName(&x), "out/47/") {
				t.Errorf("an unseen flow is named %q", e.FlowName(&x))
			}
			smtp := Flow{Proto: ProtoTCP, DstPort: 25, Bytes: 2000, Packets: 9, Duration: 0.4}
			x = smtp.Features(Outbound)
			w := e.Words(&x)
			for _, part := range []string{"out tcp 25 (SMTP, well-known)", "2 kB", " s"} {
				if !strings.Contains(w, part) {
					t.Errorf("Words %q lacks %q", w, part)
				}
			}
		})
	}
}

func TestHumanWords(t *testing.T) {
	for _, tc := range []struct {
		got, want string
	}{
		{HumanBytes(860), "860 B"},
		{HumanBytes(1234), "1.2 kB"},
		{HumanBytes(505998), "506 kB"},
		{HumanBytes(48e6), "48 MB"},
		{HumanDuration(0), "0 s"},
		{HumanDuration(0.00035), "350 µs"},
		{HumanDuration(0.1), "100 ms"},
		{HumanDuration(2.5), "2.5 s"},
		{HumanDuration(3), "3 s"},
		{HumanDuration(366.1), "6.1 min"},
		{HumanDuration(43200), "12 h"},
		{HumanDuration(3.1 * 86400), "3.1 days"},
		{HumanDuration(2e-9), "0 µs"},
	} {
		if tc.got != tc.want {
			t.Errorf("got %q, want %q", tc.got, tc.want)
		}
	}
}
