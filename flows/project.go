package flows

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/netflow-monitor/monitor/input"
)

// projectCSV is the project's own flow CSV (see CSVColumns and CSVWriter):
// columns found by name in any order; flow_id and label are optional. The
// separator is a comma (as CSVWriter writes), a semicolon (as the tool's
// reports are written, and spreadsheets export in many locales) or a tab,
// whichever the header is written with.
type projectCSV struct{}

func (projectCSV) Name() string { return "csv" }

// Detect takes a header with at least three of the required columns (in
// any letter case) for this format, so that a file that lacks one is
// reported by that column's name rather than as an unknown format. No other
// format uses these names.
func (projectCSV) Detect(line string) bool {
	_, n := projectSeparator(line)
	return n >= 3
}

func (projectCSV) NewDecoder(r io.Reader, file string, opts DecodeOptions) (Decoder, error) {
	// The header decides the separator: peek at it without consuming it.
	br, ok := r.(*bufio.Reader)
	if !ok {
		br = bufio.NewReaderSize(r, 1<<16)
	}
	b, _ := br.Peek(br.Size()) // a read error shows again when the header is read
	if i := strings.IndexByte(string(b), '\n'); i >= 0 {
		b = b[:i]
	}
	sep, _ := projectSeparator(string(b))
	return newCSVDecoder(br, file, sep, &projectRows{sep: sep}, opts)
}

// projectSeparators are the separators the project's CSV may use, in the
// order that breaks ties.
var projectSeparators = []rune{',', ';', '\t'}

// projectSeparator returns the separator that splits header into the most
// required column names (in any letter case), and how many it found; a
// comma when none finds any.
func projectSeparator(header string) (sep rune, found int) {
	sep = projectSeparators[0]
	for _, s := range projectSeparators {
		if !strings.ContainsRune(header, s) {
			continue
		}
		n := 0
		for _, c := range splitHeader(header, s) {
			if slices.Contains(csvColumns[:csvRequired], strings.ToLower(c)) {
				n++
			}
		}
		if n > found {
			sep, found = s, n
		}
	}
	return sep, found
}

// separatorName names a separator in messages.
func separatorName(sep rune) string {
	switch sep {
	case ';':
		return "semicolon"
	case '\t':
		return "tab"
	}
	return "comma"
}

type projectRows struct {
	ts, src, dst, sport, dport, proto, bytes, pkts, dur int
	id, label                                           int
	n                                                   int
	fields                                              int  // in the header
	sep                                                 rune // the separator
	labels                                              interner
}

// columns maps the header; names match in any letter case ("Timestamp").
func (p *projectRows) columns(h []string) error {
	lower := make([]string, len(h))
	for i, c := range h {
		lower[i] = strings.ToLower(c)
	}
	ci := indexHeader(lower)
	c, err := ci.need("timestamp", "src_ip", "dst_ip", "src_port", "dst_port", "protocol", "bytes", "packets", "duration")
	if err != nil {
		var pe *input.Error
		if len(h) == 1 && errors.As(err, &pe) {
			// Not split at all: the file has some other separator.
			pe.Err = fmt.Errorf("%w (the header is one column: separate the columns with a comma, a semicolon or a tab)", pe.Err)
		}
		return err
	}
	p.ts, p.src, p.dst, p.sport, p.dport, p.proto, p.bytes, p.pkts, p.dur = c[0], c[1], c[2], c[3], c[4], c[5], c[6], c[7], c[8]
	o, err := ci.optional("flow_id", "label")
	if err != nil {
		return err
	}
	p.id, p.label = o[0], o[1]
	p.n = maxOf(append(c, p.id, p.label)...) + 1
	p.fields = len(h)
	return nil
}

func (p *projectRows) width() int { return p.n }

func (p *projectRows) decode(r []string, f *Flow) (string, error) {
	if len(r) != p.fields {
		// An unquoted separator in a value shifts the fields after it; a
		// header with more names than the rows have values leaves a
		// column without data.
		return "", fmt.Errorf("%w: %d fields, the header has %d (quote a value that holds a %s)", ErrFieldCount, len(r), p.fields, separatorName(p.sep))
	}
	var err error
	if f.Start, err = parseTime(r[p.ts]); err != nil {
		return "timestamp", err
	}
	if f.Src, err = parseAddr(r[p.src]); err != nil {
		return "src_ip", err
	}
	if f.Dst, err = parseAddr(r[p.dst]); err != nil {
		return "dst_ip", err
	}
	if f.Proto, err = parseProto(r[p.proto]); err != nil {
		return "protocol", err
	}
	if f.Proto.HasPorts() {
		if err := present(r[p.sport]); err != nil {
			return "src_port", err
		}
		if err := present(r[p.dport]); err != nil {
			return "dst_port", err
		}
	} else {
		// A protocol without ports may leave them empty or carry its own
		// numbers there (ICMP type and code), which are not used; text that
		// is no number at all is still a broken row.
		if _, err := parsePort(r[p.sport]); err != nil {
			return "src_port", err
		}
		if _, err := parsePort(r[p.dport]); err != nil {
			return "dst_port", err
		}
	}
	if field, err := parsePorts(f, r[p.sport], r[p.dport], "src_port", "dst_port"); err != nil {
		return field, err
	}
	if err := present(r[p.bytes]); err != nil {
		return "bytes", err
	}
	if f.Bytes, err = parseCount(r[p.bytes]); err != nil {
		return "bytes", err
	}
	if err := present(r[p.pkts]); err != nil {
		return "packets", err
	}
	if f.Packets, err = parseCount(r[p.pkts]); err != nil {
		return "packets", err
	}
	if err := present(r[p.dur]); err != nil {
		return "duration", err
	}
	if f.Duration, err = parseSeconds(r[p.dur]); err != nil {
		return "duration", err
	}
	if p.id >= 0 {
		// A copy: the field shares the whole line's memory.
		f.ID = strings.Clone(r[p.id])
	}
	if p.label >= 0 {
		f.Label = p.labels.get(r[p.label])
	}
	return "", nil
}

// present refuses an empty (or "-") value. The shared parsers read those as
// 0, as collectors print them for "none" (Argus leaves an ICMP flow's ports
// empty, Zeek writes "-"); the project's CSV always has a number there.
func present(s string) error {
	if len(s) > 0 && s[0] >= '0' && s[0] <= '9' {
		return nil // the common case
	}
	if t := strings.TrimSpace(s); t == "" || t == "-" {
		return fmt.Errorf("%w: empty value", ErrBadValue)
	}
	return nil
}

// splitHeader splits a header line and trims its names.
func splitHeader(line string, sep rune) []string {
	line = strings.TrimPrefix(strings.TrimRight(line, "\r\n"), "\ufeff")
	parts := strings.Split(line, string(sep))
	for i := range parts {
		parts[i] = strings.Trim(strings.TrimSpace(parts[i]), `"`)
	}
	return parts
}
