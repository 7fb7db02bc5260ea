package flows

import (
	"io"
	"slices"
	"strings"
)

// argus reads Argus bidirectional flows as ra prints them with -c ","
// (CTU-13's .binetflow files): StartTime, Dur, Proto, SrcAddr, Sport, Dir,
// DstAddr, Dport, State, sTos, dTos, TotPkts, TotBytes, SrcBytes[, Label].
// Columns are found by name. Ports may be hexadecimal or empty;
// they are read for TCP, UDP and SCTP and cleared for other protocols
// (Argus puts ICMP type and code, or an ESP SPI, there). Times like
// 2011/08/16 10:01:46.972101, or epoch seconds (ra -u), are UTC. Argus
// management records (Proto "man") and non-IP records (arp, rarp,
// ipx/spx, llc, stp: their addresses are MAC or absent) are not IP flows
// and are left out by design.
type argus struct{}

func (argus) Name() string { return "argus" }

func (argus) Detect(line string) bool {
	h := splitHeader(line, ',')
	return slices.Contains(h, "StartTime") && slices.Contains(h, "SrcAddr") && slices.Contains(h, "DstAddr")
}

func (argus) NewDecoder(r io.Reader, file string, opts DecodeOptions) (Decoder, error) {
	return newCSVDecoder(r, file, ',', &argusRows{}, opts)
}

// argusNotIP names the Proto values of Argus records that are not IP flows.
var argusNotIP = map[string]string{
	"man": "Argus management", "arp": "ARP", "rarp": "RARP", "ipx/spx": "IPX/SPX",
	"llc": "LLC", "stp": "STP", "lldp": "LLDP",
}

type argusRows struct {
	ts, dur, proto, src, sport, dst, dport, pkts, bytes, label int
	n                                                          int
	labels                                                     interner
}

func (a *argusRows) columns(h []string) error {
	ci := indexHeader(h)
	c, err := ci.need("StartTime", "Dur", "Proto", "SrcAddr", "Sport", "DstAddr", "Dport", "TotPkts", "TotBytes")
	if err != nil {
		return err
	}
	a.ts, a.dur, a.proto, a.src, a.sport, a.dst, a.dport, a.pkts, a.bytes = c[0], c[1], c[2], c[3], c[4], c[5], c[6], c[7], c[8]
	o, err := ci.optional("Label")
	if err != nil {
		return err
	}
	a.label = o[0]
	a.n = maxOf(append(c, a.label)...) + 1
	return nil
}

func (a *argusRows) width() int { return a.n }

func (a *argusRows) decode(r []string, f *Flow) (string, error) {
	if kind, ok := argusNotIP[strings.ToLower(strings.TrimSpace(r[a.proto]))]; ok {
		return "", dropRow(kind)
	}
	var err error
	if f.Start, err = parseTime(r[a.ts]); err != nil {
		return "StartTime", err
	}
	if f.Duration, err = parseSeconds(r[a.dur]); err != nil {
		return "Dur", err
	}
	if f.Proto, err = parseProto(r[a.proto]); err != nil {
		return "Proto", err
	}
	if f.Src, err = parseAddr(r[a.src]); err != nil {
		return "SrcAddr", err
	}
	if f.Dst, err = parseAddr(r[a.dst]); err != nil {
		return "DstAddr", err
	}
	if field, err := parsePorts(f, r[a.sport], r[a.dport], "Sport", "Dport"); err != nil {
		return field, err
	}
	if f.Packets, err = parseCount(r[a.pkts]); err != nil {
		return "TotPkts", err
	}
	if f.Bytes, err = parseCount(r[a.bytes]); err != nil {
		return "TotBytes", err
	}
	if a.label >= 0 {
		f.Label = a.labels.get(r[a.label])
	}
	return "", nil
}
