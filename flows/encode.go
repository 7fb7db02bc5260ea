package flows

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"slices"
	"sort"
	"strings"
)

// Encoder maps a flow, seen from a host, to a symbol. It is fitted on the
// training flows only and applied unchanged when monitoring: values outside
// the training range fall in the nearest cluster or bin, and a combination
// never seen in training encodes as Unknown.
type Encoder interface {
	// Name is the encoder's name: "encode" or "quantile".
	Name() string
	// Encode returns the symbol of f seen in direction d: an id in
	// [0, AlphabetSize()), or Unknown.
	Encode(f *Flow, d Direction) int32
	// AlphabetSize is the number of symbols seen in training.
	AlphabetSize() int
	// SymbolName is a readable name, like "out/tcp/s07/d2" (direction,
	// protocol, size class, duration bin[, port class]).
	SymbolName(sym int32) string
}

// Unknown is the symbol of a flow whose combination of features was never
// seen in training.
const Unknown int32 = -1

// EncoderOptions tune fitting. Zero values take the defaults.
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
	KMax int `json:"k_max"`
	// Restarts of k-means for each k. Default 3.
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

// EncoderNames lists the encoders FitEncoder knows.
func EncoderNames() []string { return []string{"encode", "quantile"} }

// FitEncoder fits the named encoder on training flows; dirs[i] is fl[i]'s
// direction as seen from its host.
func FitEncoder(name string, fl []Flow, dirs []Direction, opt EncoderOptions) (Encoder, error) {
	if len(fl) != len(dirs) {
		return nil, fmt.Errorf("fit encoder: %d flows, %d directions", len(fl), len(dirs))
	}
	if len(fl) == 0 {
		return nil, errors.New("fit encoder: no training flows")
	}
	opt = opt.withDefaults()
	switch name {
	case "encode", "":
		return fitKMeans(fl, dirs, opt), nil
	case "quantile":
		return fitQuantile(fl, dirs, opt), nil
	}
	return nil, fmt.Errorf("encoder %q: want one of %s", name, strings.Join(EncoderNames(), ", "))
}

// ---- the shared symbol space -------------------------------------------

// space combines protocol, direction, size class, duration bin and port
// class into one code, and maps the codes seen in training to dense ids.
type space struct {
	Protocols []Protocol `json:"protocols"` // training protocols; index len() is "other"
	Ports     []uint16   `json:"ports"`     // service ports (with port classes)
	PortClass bool       `json:"port_class"`
	NSize     int        `json:"size_classes"`
	DurEdges  []float64  `json:"duration_edges"` // bin i: values < edges[i]
	Codes     []int32    `json:"symbols"`        // codes seen in training, sorted; the id is the index

	lookup []int32 // code -> id, -1
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
func (s *space) portClass(f *Flow) int {
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

func (s *space) code(f *Flow, d Direction, sizeClass int) int {
	c := s.protoIndex(f.Proto)
	c = c*2 + int(d)
	c = c*s.NSize + sizeClass
	c = c*s.nDur() + s.durBin(f.Duration)
	return c*s.nPort() + s.portClass(f)
}

// fit records the codes of the training flows and builds the lookup.
func (s *space) fit(fl []Flow, dirs []Direction, sizeOf func(*Flow) int) {
	seen := map[int32]bool{}
	for i := range fl {
		seen[int32(s.code(&fl[i], dirs[i], sizeOf(&fl[i])))] = true
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

func (s *space) encode(f *Flow, d Direction, sizeClass int) int32 {
	return s.lookup[s.code(f, d, sizeClass)]
}

// name renders symbol id as direction/protocol/size/duration[/port].
func (s *space) name(id int32, sizeName func(int) string) string {
	if id < 0 || int(id) >= len(s.Codes) {
		return "unknown"
	}
	c := int(s.Codes[id])
	port := c % s.nPort()
	c /= s.nPort()
	dur := c % s.nDur()
	c /= s.nDur()
	size := c % s.NSize
	c /= s.NSize
	dir := Direction(c % 2)
	proto := "other"
	if p := c / 2; p < len(s.Protocols) {
		proto = s.Protocols[p].String()
	}
	d := "in"
	if dir == Outbound {
		d = "out"
	}
	name := fmt.Sprintf("%s/%s/%s/d%d", d, proto, sizeName(size), dur)
	if s.PortClass {
		switch {
		case port == 0:
			name += "/p:none"
		case port == 1:
			name += "/p:wk"
		case port == 2:
			name += "/p:reg"
		case port == 3:
			name += "/p:eph"
		default:
			name += fmt.Sprintf("/p:%d", s.Ports[port-4])
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
func fitSpace(fl []Flow, opt EncoderOptions) space {
	var s space
	protos := map[Protocol]bool{}
	ports := map[uint16]int{}
	durs := make([]float64, len(fl))
	for i := range fl {
		protos[fl[i].Proto] = true
		if fl[i].Proto.HasPorts() {
			ports[fl[i].DstPort]++
		}
		durs[i] = fl[i].Duration
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
		for p, n := range ports {
			if float64(n) >= 0.01*float64(len(fl)) {
				list = append(list, pc{p, n})
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

// MarshalEncoder encodes a fitted encoder as versioned JSON.
func MarshalEncoder(e Encoder) ([]byte, error) {
	switch v := e.(type) {
	case *kmeansEncoder:
		return json.Marshal(struct {
			encoderHead
			*kmeansEncoder
		}{encoderHead{"encode", EncoderVersion}, v})
	case *quantileEncoder:
		return json.Marshal(struct {
			encoderHead
			*quantileEncoder
		}{encoderHead{"quantile", EncoderVersion}, v})
	}
	return nil, fmt.Errorf("marshal encoder: unknown type %T", e)
}

// UnmarshalEncoder decodes and validates an encoder written by
// MarshalEncoder.
func UnmarshalEncoder(b []byte) (Encoder, error) {
	var h encoderHead
	if err := json.Unmarshal(b, &h); err != nil {
		return nil, fmt.Errorf("encoder: %w", err)
	}
	if h.Version != EncoderVersion {
		return nil, fmt.Errorf("encoder version %d: this program reads version %d", h.Version, EncoderVersion)
	}
	// The kind's own fields, with the head beside them as MarshalEncoder
	// writes them; any other member is an error.
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	var enc interface {
		Encoder
		check() error
	}
	var err error
	switch h.Kind {
	case "encode":
		e := &kmeansEncoder{}
		enc, err = e, dec.Decode(&struct {
			encoderHead
			*kmeansEncoder
		}{kmeansEncoder: e})
	case "quantile":
		e := &quantileEncoder{}
		enc, err = e, dec.Decode(&struct {
			encoderHead
			*quantileEncoder
		}{quantileEncoder: e})
	default:
		return nil, fmt.Errorf("encoder kind %q: want encode or quantile", h.Kind)
	}
	if err != nil {
		return nil, fmt.Errorf("encoder: %w", err)
	}
	if err := enc.check(); err != nil {
		return nil, fmt.Errorf("encoder: %w", err)
	}
	return enc, nil
}
