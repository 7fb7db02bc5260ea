package flows

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"slices"
	"sort"
	"strings"

	jsonv2 "github.com/go-json-experiment/json"
	"github.com/netflow-monitor/monitor/input"
)

// Encoder maps a flow, seen from a host, to a symbol. It is fitted on the
// training flows only and applied unchanged when monitoring: values outside
// the training range fall in the nearest cluster or bin, and a combination
// never seen in training encodes as Unknown.
type Encoder interface {
	// Kind is the name of the encoder's kind (see Encoders).
	Kind() string
	// Encode returns the symbol of a flow's features: an id in
	// [0, AlphabetSize()), or Unknown.
	Encode(x *Features) int32
	// AlphabetSize is the number of symbols seen in training.
	AlphabetSize() int
	// FlowName is the name of the symbol of a flow's features, also when
	// that symbol was never seen in training (and Encode gives Unknown).
	FlowName(x *Features) string
	// Words describes a flow's features in words, as an operator reads
	// them: "out tcp 25 (well-known), size class 3 of 7 (~1.2 kB), 0.2–1 s".
	Words(x *Features) string
	// Describe says in words what flows a symbol stands for: "out tcp
	// well-known port, size class 3 of 7 (~1.2 kB, 8 packets), 0.2–1 s".
	Describe(sym int32) string
	// SymbolName is a readable name, like "out/tcp/s07/d2" (direction,
	// protocol, size class, duration bin[, port class]).
	SymbolName(sym int32) string
}

// Unknown is the symbol of a flow whose combination of features was never
// seen in training.
const Unknown int32 = -1

// EncoderOptions tune fitting. Zero values take the defaults. PortClass,
// DurationBins and Seed apply to every encoder; KMin, KMax and Restarts to
// "encode" only, Bins to "quantile" only (see Encoders).
type EncoderOptions struct {
	// PortClass adds the destination port's class to each symbol: the port
	// itself when it is one of the service ports of the training flows
	// (carrying at least 1 % of them, at most 16), else its IANA range:
	// well-known (< 1024), registered (< 49152) or ephemeral; "none" for
	// protocols without ports.
	PortClass bool `json:"port_class"`
	// KMin and KMax bound the number of size clusters (encode); the best by
	// silhouette is kept. Default 2 and 35 (ENCODE used 35).
	KMin int `json:"k_min"`
	// KMax: see KMin.
	KMax int `json:"k_max"`
	// Restarts of k-means for each k (encode). Default 3.
	Restarts int `json:"restarts"`
	// DurationBins are percentile bins of the duration. Default 5.
	DurationBins int `json:"duration_bins"`
	// Bins are the quantile encoder's bins per feature. Default 5.
	Bins int `json:"bins"`
	// Seed of k-means. Default 1.
	Seed uint64 `json:"seed"`
}

func (o EncoderOptions) withDefaults() EncoderOptions {
	def := func(v *int, d int) {
		if *v <= 0 {
			*v = d
		}
	}
	def(&o.KMin, 2)
	def(&o.KMax, 35)
	def(&o.Restarts, 3)
	def(&o.DurationBins, 5)
	def(&o.Bins, 5)
	if o.Seed == 0 {
		o.Seed = 1
	}
	if o.KMax < o.KMin {
		o.KMax = o.KMin
	}
	return o
}

// EncoderKind is one kind of encoder: its name, what it does, how to fit
// one on training flows and how to read a fitted one back from the JSON
// MarshalEncoder wrote. Encoders lists them; adding an encoder is one file
// with its type and fit function, and one line there.
type EncoderKind struct {
	// Name is the encoder's --encoder name and its "kind" in model files.
	Name string
	// Doc says in a few words how it encodes a flow, for --help.
	Doc string
	// Fit fits the encoder on the features of training flows, in
	// segments (one per host), at least one flow in all. opt has its
	// defaults set.
	Fit func(segs [][]Features, opt EncoderOptions) Encoder
	// decode reads a fitted encoder's JSON (its head included) strictly.
	decode func(b []byte) (Encoder, error)
}

// Encoders returns the encoder kinds, the default first.
func Encoders() []EncoderKind {
	return []EncoderKind{
		{Name: "encode", Doc: "bytes and packets clustered by k-means (k by silhouette), duration in percentile bins",
			Fit: fitKMeans, decode: decodeEncoder[kmeansEncoder]},
		{Name: "quantile", Doc: "bytes, packets and duration each in quantile bins",
			Fit: fitQuantile, decode: decodeEncoder[quantileEncoder]},
	}
}

// EncoderNames lists the encoders FitEncoder knows, the default first.
func EncoderNames() []string {
	var out []string
	for _, k := range Encoders() {
		out = append(out, k.Name)
	}
	return out
}

// encoderKind returns the named kind.
func encoderKind(name string) (EncoderKind, error) {
	for _, k := range Encoders() {
		if k.Name == name {
			return k, nil
		}
	}
	return EncoderKind{}, fmt.Errorf("encoder %q: want one of %s", name, strings.Join(EncoderNames(), ", "))
}

// FitEncoder fits the named encoder ("" is the default) on the features of
// training flows, given in segments (one per host, say; the result is the
// same as for one segment holding them all).
func FitEncoder(name string, segs [][]Features, opt EncoderOptions) (Encoder, error) {
	if name == "" {
		name = Encoders()[0].Name
	}
	k, err := encoderKind(name)
	if err != nil {
		return nil, err
	}
	if count(segs) == 0 {
		return nil, errors.New("fit encoder: no training flows")
	}
	return k.Fit(segs, opt.withDefaults()), nil
}

// ---- the shared symbol space -------------------------------------------

// space combines protocol, direction, size class, duration bin and port
// class into one code, and maps the codes seen in training to dense ids.
type space struct {
	Protocols protocolList `json:"protocols"` // training protocols; index len() is "other"
	Ports     []uint16     `json:"ports"`     // service ports (with port classes)
	PortClass bool         `json:"port_class"`
	NSize     int          `json:"size_classes"`
	DurEdges  []float64    `json:"duration_edges"` // bin i: values < edges[i]
	Codes     []int32      `json:"symbols"`        // codes seen in training, sorted; the id is the index

	lookup []int32 // code -> id, -1
}

// protocolList is a list of protocol numbers, written in JSON as base64
// of its bytes: the form encoding/json gives a slice of a byte type, which
// model files have always had.
type protocolList []Protocol

// MarshalJSON writes the list as a base64 string.
func (l protocolList) MarshalJSON() ([]byte, error) {
	b := make([]byte, len(l))
	for i, p := range l {
		b[i] = byte(p)
	}
	return json.Marshal(b)
}

// UnmarshalJSON reads a base64 string (or null).
func (l *protocolList) UnmarshalJSON(data []byte) error {
	var b []byte
	if err := jsonv2.Unmarshal(data, &b); err != nil {
		return err
	}
	*l = make(protocolList, len(b))
	for i, x := range b {
		(*l)[i] = Protocol(x)
	}
	return nil
}

func (s *space) nProto() int { return len(s.Protocols) + 1 }
func (s *space) nDur() int   { return len(s.DurEdges) + 1 }
func (s *space) nPort() int {
	if !s.PortClass {
		return 1
	}
	return len(s.Ports) + 4
}
func (s *space) size() int { return s.nProto() * 2 * s.NSize * s.nDur() * s.nPort() }

func (s *space) protoIndex(p Protocol) int {
	for i, q := range s.Protocols {
		if q == p {
			return i
		}
	}
	return len(s.Protocols)
}

// portClass: 0 none, 1 well-known, 2 registered, 3 ephemeral, 4+i the
// service port Ports[i].
func (s *space) portClass(f *Features) int {
	if !s.PortClass {
		return 0
	}
	if !f.Proto.HasPorts() {
		return 0
	}
	for i, p := range s.Ports {
		if p == f.DstPort {
			return 4 + i
		}
	}
	switch {
	case f.DstPort < 1024:
		return 1
	case f.DstPort < 49152:
		return 2
	}
	return 3
}

func (s *space) durBin(d float64) int {
	i, _ := slices.BinarySearch(s.DurEdges, d)
	// values equal to an edge belong to the bin above it
	for i < len(s.DurEdges) && d >= s.DurEdges[i] {
		i++
	}
	return i
}

func (s *space) code(f *Features, sizeClass int) int {
	c := s.protoIndex(f.Proto)
	c = c*2 + int(f.Dir)
	c = c*s.NSize + sizeClass
	c = c*s.nDur() + s.durBin(f.Duration)
	return c*s.nPort() + s.portClass(f)
}

// fit records the codes of the training flows and builds the lookup.
func (s *space) fit(segs [][]Features, sizeOf func(*Features) int) {
	seen := map[int32]bool{}
	for _, seg := range segs {
		for i := range seg {
			seen[int32(s.code(&seg[i], sizeOf(&seg[i])))] = true
		}
	}
	s.Codes = make([]int32, 0, len(seen))
	for c := range seen {
		s.Codes = append(s.Codes, c)
	}
	slices.Sort(s.Codes)
	s.index()
}

func (s *space) index() {
	s.lookup = make([]int32, s.size())
	for i := range s.lookup {
		s.lookup[i] = -1
	}
	for id, c := range s.Codes {
		s.lookup[c] = int32(id)
	}
}

func (s *space) encode(f *Features, sizeClass int) int32 {
	return s.lookup[s.code(f, sizeClass)]
}

// name renders symbol id as direction/protocol/size/duration[/port].
func (s *space) name(id int32, sizeName func(int) string) string {
	if id < 0 || int(id) >= len(s.Codes) {
		return "unknown"
	}
	return s.codeName(int(s.Codes[id]), sizeName)
}

// flowName names a flow's features as its symbol would be named, with
// the flow's own protocol where the symbol space has "other".
func (s *space) flowName(x *Features, sizeClass int, sizeName func(int) string) string {
	name := s.codeName(s.code(x, sizeClass), sizeName)
	if s.protoIndex(x.Proto) == len(s.Protocols) {
		name = strings.Replace(name, "/other/", "/"+x.Proto.String()+"/", 1)
	}
	return name
}

// parts are the parts of a code: the index of its protocol (len(Protocols)
// for another one), direction, size class, duration bin and port class (0
// none, 1 well-known, 2 registered, 3 ephemeral, 4+i the service port
// Ports[i]).
type parts struct {
	proto, size, dur, port int
	dir                    Direction
}

// split takes a code apart.
func (s *space) split(c int) parts {
	var p parts
	p.port, c = c%s.nPort(), c/s.nPort()
	p.dur, c = c%s.nDur(), c/s.nDur()
	p.size, c = c%s.NSize, c/s.NSize
	p.dir, p.proto = Direction(c%2), c/2
	return p
}

// protoName names the protocol of parts, or other.
func (s *space) protoName(p parts, other string) string {
	if p.proto < len(s.Protocols) {
		return s.Protocols[p.proto].String()
	}
	return other
}

// dirName is "in" or "out".
func dirName(d Direction) string {
	if d == Outbound {
		return "out"
	}
	return "in"
}

// portClassNames name port classes 0 to 3 in symbol names.
var portClassNames = [4]string{"none", "wk", "reg", "eph"}

// codeName renders a code, seen in training or not.
func (s *space) codeName(c int, sizeName func(int) string) string {
	p := s.split(c)
	name := fmt.Sprintf("%s/%s/%s/d%d", dirName(p.dir), s.protoName(p, "other"), sizeName(p.size), p.dur)
	if s.PortClass {
		if p.port < 4 {
			name += "/p:" + portClassNames[p.port]
		} else {
			name += fmt.Sprintf("/p:%d", s.Ports[p.port-4])
		}
	}
	return name
}

// validate checks a decoded space.
func (s *space) validate() error {
	switch {
	case s.NSize < 1 || s.NSize > 1024:
		return fmt.Errorf("size_classes %d out of range", s.NSize)
	case len(s.Protocols) > 256 || len(s.Ports) > 1024 || len(s.DurEdges) > 1024:
		return errors.New("too many protocols, ports or duration edges")
	case !slices.IsSorted(s.DurEdges) || hasNaN(s.DurEdges):
		return errors.New("duration_edges must be sorted numbers")
	case len(s.Codes) == 0:
		return errors.New("no symbols")
	}
	if n := s.size(); n > 1<<24 {
		return fmt.Errorf("symbol space of %d too large", n)
	}
	for i, c := range s.Codes {
		if c < 0 || int(c) >= s.size() || (i > 0 && c <= s.Codes[i-1]) {
			return fmt.Errorf("symbols[%d] = %d: out of range or order", i, c)
		}
	}
	return nil
}

func hasNaN(xs []float64) bool {
	for _, x := range xs {
		if math.IsNaN(x) || math.IsInf(x, 0) {
			return true
		}
	}
	return false
}

// fitSpace fits what both encoders share: protocols, service ports and
// duration bins.
func fitSpace(segs [][]Features, opt EncoderOptions) space {
	var s space
	protos := map[Protocol]bool{}
	ports := map[uint16]int{}
	n := count(segs)
	durs := make([]float64, 0, n)
	for _, seg := range segs {
		for i := range seg {
			protos[seg[i].Proto] = true
			if seg[i].Proto.HasPorts() {
				ports[seg[i].DstPort]++
			}
			durs = append(durs, seg[i].Duration)
		}
	}
	for p := range protos {
		s.Protocols = append(s.Protocols, p)
	}
	slices.Sort(s.Protocols)
	s.PortClass = opt.PortClass
	if opt.PortClass {
		type pc struct {
			port uint16
			n    int
		}
		var list []pc
		for p, c := range ports {
			if float64(c) >= 0.01*float64(n) {
				list = append(list, pc{p, c})
			}
		}
		sort.Slice(list, func(i, j int) bool {
			if list[i].n != list[j].n {
				return list[i].n > list[j].n
			}
			return list[i].port < list[j].port
		})
		for i := 0; i < len(list) && i < 16; i++ {
			s.Ports = append(s.Ports, list[i].port)
		}
		slices.Sort(s.Ports)
	}
	s.DurEdges = quantileEdges(durs, opt.DurationBins)
	return s
}

// quantileEdges returns the distinct inner quantile edges splitting values
// into (up to) bins bins. It sorts values in place.
func quantileEdges(values []float64, bins int) []float64 {
	slices.Sort(values)
	var edges []float64
	for b := 1; b < bins; b++ {
		v := values[(len(values)*b)/bins]
		if len(edges) == 0 || v > edges[len(edges)-1] {
			if v > values[0] {
				edges = append(edges, v)
			}
		}
	}
	return edges
}

// ---- JSON ----------------------------------------------------------------

// EncoderVersion is the version of the encoder JSON.
const EncoderVersion = 1

type encoderHead struct {
	Kind    string `json:"kind"`
	Version int    `json:"version"`
}

// MarshalEncoder encodes a fitted encoder as versioned JSON: its kind and
// version, then its own members.
func MarshalEncoder(e Encoder) ([]byte, error) {
	head, err := json.Marshal(encoderHead{e.Kind(), EncoderVersion})
	if err != nil {
		return nil, fmt.Errorf("marshal encoder: %w", err)
	}
	body, err := json.Marshal(e)
	if err != nil {
		return nil, fmt.Errorf("marshal encoder: %w", err)
	}
	if len(body) < 2 || body[0] != '{' {
		return nil, fmt.Errorf("marshal encoder %s: not a JSON object", e.Kind())
	}
	// {"kind":...,"version":1} and {...} become one object, head first.
	out := append(head[:len(head)-1:len(head)-1], ',')
	if body[1] == '}' {
		out = out[:len(out)-1]
	}
	return append(out, body[1:]...), nil
}

// UnmarshalEncoder decodes and validates an encoder written by
// MarshalEncoder. JSON errors carry their offsets into b (see
// input.JSONError).
func UnmarshalEncoder(b []byte) (Encoder, error) {
	// The head alone first (other members are left for the kind).
	var h encoderHead
	if err := jsonv2.Unmarshal(b, &h); err != nil {
		return nil, fmt.Errorf("encoder: %w", err)
	}
	if h.Version != EncoderVersion {
		return nil, fmt.Errorf("encoder version %d: this program reads version %d", h.Version, EncoderVersion)
	}
	k, err := encoderKind(h.Kind)
	if err != nil {
		return nil, fmt.Errorf("encoder kind %s: want one of %s", input.Quote(h.Kind), strings.Join(EncoderNames(), ", "))
	}
	enc, err := k.decode(b)
	if err != nil {
		return nil, fmt.Errorf("encoder: %w", err)
	}
	return enc, nil
}

// fittedEncoder is what decodeEncoder needs of an encoder type: it is an
// Encoder, and it checks and indexes itself once decoded.
type fittedEncoder interface {
	Encoder
	check() error
}

// decodeEncoder decodes b strictly into an encoder of type T: the head
// and T's own members, nothing else.
func decodeEncoder[T any, P interface {
	*T
	fittedEncoder
}](b []byte) (Encoder, error) {
	var v struct {
		encoderHead
		E T `json:",embed"`
	}
	if err := input.DecodeJSON(b, &v); err != nil {
		return nil, err
	}
	e := P(&v.E)
	if err := e.check(); err != nil {
		return nil, err
	}
	return e, nil
}

// count returns the number of features in segs.
func count(segs [][]Features) int {
	n := 0
	for _, seg := range segs {
		n += len(seg)
	}
	return n
}
