package flows

import (
	"errors"
	"fmt"
	"slices"
)

// quantileEncoder is the plain alternative: bytes, packets and duration
// each in quantile bins of the training flows, with protocol and direction
// (and optionally port class).
type quantileEncoder struct {
	space        `json:",inline"`
	BytesEdges   []float64 `json:"bytes_edges"`
	PacketsEdges []float64 `json:"packets_edges"`
}

func (e *quantileEncoder) Kind() string      { return "quantile" }
func (e *quantileEncoder) AlphabetSize() int { return len(e.Codes) }

func bin(edges []float64, v float64) int {
	i, _ := slices.BinarySearch(edges, v)
	for i < len(edges) && v >= edges[i] {
		i++
	}
	return i
}

func (e *quantileEncoder) sizeClass(f *Features) int {
	return bin(e.BytesEdges, float64(f.Bytes))*(len(e.PacketsEdges)+1) + bin(e.PacketsEdges, float64(f.Packets))
}

func (e *quantileEncoder) Encode(f *Features) int32 { return e.encode(f, e.sizeClass(f)) }

func (e *quantileEncoder) SymbolName(sym int32) string { return e.name(sym, e.sizeName) }

func (e *quantileEncoder) FlowName(x *Features) string {
	return e.flowName(x, e.sizeClass(x), e.sizeName)
}

func (e *quantileEncoder) sizeName(s int) string {
	np := len(e.PacketsEdges) + 1
	return fmt.Sprintf("b%dp%d", s/np, s%np)
}

func (e *quantileEncoder) Describe(sym int32) string { return e.describe(sym, e.sizeWords) }

// sizeWords describes size class c by its bytes and packets bins.
func (e *quantileEncoder) sizeWords(c int) string {
	np := len(e.PacketsEdges) + 1
	return fmt.Sprintf("bytes bin %d of %d, packets bin %d of %d", c/np, len(e.BytesEdges)+1, c%np, np)
}

// Words gives the flow's bytes and packets with their bins.
func (e *quantileEncoder) Words(x *Features) string {
	size := fmt.Sprintf("%s in bytes bin %d of %d, %d packets in bin %d of %d", HumanBytes(float64(x.Bytes)),
		bin(e.BytesEdges, float64(x.Bytes)), len(e.BytesEdges)+1, x.Packets, bin(e.PacketsEdges, float64(x.Packets)), len(e.PacketsEdges)+1)
	return e.words(x, size)
}

func fitQuantile(segs [][]Features, opt EncoderOptions) Encoder {
	e := &quantileEncoder{space: fitSpace(segs, opt)}
	n := count(segs)
	b := make([]float64, 0, n)
	p := make([]float64, 0, n)
	for _, seg := range segs {
		for i := range seg {
			b, p = append(b, float64(seg[i].Bytes)), append(p, float64(seg[i].Packets))
		}
	}
	e.BytesEdges = quantileEdges(b, opt.Bins)
	e.PacketsEdges = quantileEdges(p, opt.Bins)
	e.NSize = (len(e.BytesEdges) + 1) * (len(e.PacketsEdges) + 1)
	e.fit(segs, e.sizeClass)
	return e
}

func (e *quantileEncoder) check() error {
	for _, edges := range [][]float64{e.BytesEdges, e.PacketsEdges} {
		if !slices.IsSorted(edges) || hasNaN(edges) || len(edges) > 1024 {
			return errors.New("bytes_edges and packets_edges must be sorted numbers")
		}
	}
	if e.NSize != (len(e.BytesEdges)+1)*(len(e.PacketsEdges)+1) {
		return fmt.Errorf("size_classes %d does not match the edges", e.NSize)
	}
	if err := e.space.validate(); err != nil {
		return err
	}
	e.index()
	return nil
}
