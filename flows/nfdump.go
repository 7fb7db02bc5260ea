package flows

import (
	"io"
	"strings"
)

// nfdump reads "nfdump -o csv" output (nfdump 1.6/1.7): ts, te, td, sa, da,
// sp, dp, pr, flg, fwd, stos, ipkt, ibyt, opkt, obyt, ... found by name.
// Bytes and packets are input plus output counters. Ports of protocols without
// ports are cleared (nfdump encodes ICMP type and code in dp). The "Summary" block nfdump appends
// ends the flows.
type nfdump struct{}

func (nfdump) Name() string { return "nfdump" }

func (nfdump) Detect(line string) bool {
	return strings.HasPrefix(strings.TrimSpace(line), "ts,te,td,sa,da")
}

func (nfdump) NewDecoder(r io.Reader, file string, opts DecodeOptions) (Decoder, error) {
	return newCSVDecoder(r, file, ',', &nfdumpRows{}, opts)
}

type nfdumpRows struct {
	ts, td, sa, da, sp, dp, pr, ipkt, ibyt, opkt, obyt int
	n                                                  int
}

func (n *nfdumpRows) columns(h []string) error {
	ci := indexHeader(h)
	c, err := ci.need("ts", "td", "sa", "da", "sp", "dp", "pr", "ipkt", "ibyt")
	if err != nil {
		return err
	}
	n.ts, n.td, n.sa, n.da, n.sp, n.dp, n.pr, n.ipkt, n.ibyt = c[0], c[1], c[2], c[3], c[4], c[5], c[6], c[7], c[8]
	o, err := ci.optional("opkt", "obyt")
	if err != nil {
		return err
	}
	n.opkt, n.obyt = o[0], o[1]
	n.n = maxOf(append(c, n.opkt, n.obyt)...) + 1
	return nil
}

func (n *nfdumpRows) width() int { return n.n }

func (n *nfdumpRows) decode(r []string, f *Flow) (string, error) {
	var err error
	if f.Start, err = parseTime(r[n.ts]); err != nil {
		return "ts", err
	}
	if f.Duration, err = parseSeconds(r[n.td]); err != nil {
		return "td", err
	}
	if f.Src, err = parseAddr(r[n.sa]); err != nil {
		return "sa", err
	}
	if f.Dst, err = parseAddr(r[n.da]); err != nil {
		return "da", err
	}
	if f.Proto, err = parseProto(r[n.pr]); err != nil {
		return "pr", err
	}
	if field, err := parsePorts(f, r[n.sp], r[n.dp], "sp", "dp"); err != nil {
		return field, err
	}
	if f.Packets, err = parseCount(r[n.ipkt]); err != nil {
		return "ipkt", err
	}
	if f.Bytes, err = parseCount(r[n.ibyt]); err != nil {
		return "ibyt", err
	}
	if n.opkt >= 0 {
		v, err := parseCount(r[n.opkt])
		if err != nil {
			return "opkt", err
		}
		f.Packets += v
	}
	if n.obyt >= 0 {
		v, err := parseCount(r[n.obyt])
		if err != nil {
			return "obyt", err
		}
		f.Bytes += v
	}
	return "", nil
}

// isEnd recognises the "Summary" block nfdump appends after the flows.
func (n *nfdumpRows) isEnd(rec []string) bool { return strings.TrimSpace(rec[0]) == "Summary" }
