package flows

import (
	"bufio"
	"encoding/csv"
	"errors"
	"io"
	"slices"
	"strings"
	"testing"

	"github.com/netflow-monitor/monitor/input"
)

// readAllBoth reads s with recordReader and with encoding/csv (as the
// decoders configured it before) and returns both results. bufSize, when
// not 0, is the size of recordReader's read buffer: small ones make lines
// span chunks and exceed the buffer.
func readAllBoth(s string, comma rune, bufSize int) (ours, theirs [][]string, oursErr, theirsErr error, oursLine, theirsLine int) {
	var in io.Reader = strings.NewReader(s)
	if bufSize > 0 {
		in = bufio.NewReaderSize(in, bufSize)
	}
	rr := newRecordReader(in, comma, 0)
	for {
		rec, err := rr.Read()
		if err != nil {
			if !errors.Is(err, io.EOF) {
				oursErr = err
			}
			break
		}
		ours = append(ours, slices.Clone(rec))
		oursLine = rr.line
	}
	cr := csv.NewReader(strings.NewReader(s))
	cr.Comma = comma
	cr.FieldsPerRecord = -1
	cr.ReuseRecord = true
	for {
		rec, err := cr.Read()
		if err != nil {
			if !errors.Is(err, io.EOF) {
				theirsErr = err
			}
			break
		}
		theirs = append(theirs, slices.Clone(rec))
		theirsLine, _ = cr.FieldPos(0)
	}
	return
}

func TestRecordReaderMatchesEncodingCSV(t *testing.T) {
	tests := []string{
		"a,b,c\n1,2,3\n",
		"a,b\r\n1,2\r\n\r\n\n3,4", // CRLF, empty lines, no final newline
		"a,\"b,c\",d\n1,2,3\n",    // quoted comma
		"a,\"b\nc\",d\n1,2,3\n",   // quoted newline: a record over two lines
		"a,\"b\"\"c\",d\n",        // escaped quote
		"a,b\"c,d\n",              // bare quote: an error on line 1
		"x\n\"open\n1,2\n",        // unterminated quote
		"a\tb\n1\t2\n",            // another separator is one field here
		",,\n,\n",
		"a,b\n\r\n1,2\r",
		"",
		"\n\n",
	}
	long := strings.Repeat("x", 40)
	tests = append(tests,
		long+","+long+"\n1,2\n"+long+"\n",   // lines longer than a 16-byte buffer
		"a,\""+long+"\n"+long+"\",b\n1,2\n", // a quoted field over a long line break
		"1,2\n"+long) // a long last line without a newline
	for _, bufSize := range []int{0, 16} {
		for _, s := range tests {
			ours, theirs, oe, te, ol, tl := readAllBoth(s, ',', bufSize)
			if !slices.EqualFunc(ours, theirs, slices.Equal) || (oe == nil) != (te == nil) || ol != tl {
				t.Errorf("buffer %d, %q:\n ours   %q err %v line %d\n theirs %q err %v line %d", bufSize, s, ours, oe, ol, theirs, te, tl)
			}
			var ope, tpe *csv.ParseError
			if errors.As(oe, &ope) && errors.As(te, &tpe) && ope.Line != tpe.Line {
				t.Errorf("buffer %d, %q: error on line %d, encoding/csv says %d", bufSize, s, ope.Line, tpe.Line)
			}
		}
	}
	tsv := "a\tb\n\"x\ty\"\t2\n"
	ours, theirs, _, _, _, _ := readAllBoth(tsv, '\t', 0)
	if !slices.EqualFunc(ours, theirs, slices.Equal) {
		t.Errorf("tab-separated: ours %q, encoding/csv %q", ours, theirs)
	}
}

// FuzzRecordReader: on any input recordReader returns the records
// encoding/csv returns, up to the first error, and errors where it does.
func FuzzRecordReader(f *testing.F) {
	for _, s := range []string{"a,b\n1,2\n", "a,\"b\nc\"\n", "a,b\"c\n", "\"\"\"\",x\r\n"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		for _, bufSize := range []int{0, 16} {
			ours, theirs, oe, te, _, _ := readAllBoth(s, ',', bufSize)
			if (oe == nil) != (te == nil) {
				t.Fatalf("buffer %d, %q: error %v, encoding/csv %v", bufSize, s, oe, te)
			}
			if !slices.EqualFunc(ours, theirs, slices.Equal) {
				t.Fatalf("buffer %d, %q:\n ours   %q\n theirs %q", bufSize, s, ours, theirs)
			}
			var ope, tpe *csv.ParseError
			if errors.As(oe, &ope) && errors.As(te, &tpe) && ope.Line != tpe.Line {
				t.Fatalf("buffer %d, %q: error on line %d, encoding/csv says %d", bufSize, s, ope.Line, tpe.Line)
			}
		}
	})
}

func TestQuoteErrorField(t *testing.T) {
	tests := []struct {
		text string
		want int
	}{
		{"a,b,c\n", -1},
		{`a,"b,""x""",c` + "\n", -1},
		{"a,\"b\nstill b\",c\n", -1},
		{`a,b"x,c` + "\n", 1},
		{`a,"b"x,c` + "\n", 1},
		{`a,b,"c` + "\nmore\n", 2},
		{`"a""`, 0},
	}
	for _, tc := range tests {
		if got := quoteErrorField(tc.text, ','); got != tc.want {
			t.Errorf("quoteErrorField(%q) = %d, want %d", tc.text, got, tc.want)
		}
	}
}

// TestRecordReaderLimit: a line of max bytes is read, line ending aside;
// one byte more is an error at its line, whether the line fits the read
// buffer or not; a quoted record over several lines is held to max bytes
// in all.
func TestRecordReaderLimit(t *testing.T) {
	const max = 20
	at, over := strings.Repeat("x", max), strings.Repeat("x", max+1)
	tests := []struct {
		name, in string
		records  int // read before the error
		line     int // of the error; 0 for none
		record   bool
	}{
		{"at the limit", at + "\n" + at + "\r\n" + at, 3, 0, false},
		{"over the limit", "a\n" + over + "\nb\n", 1, 2, false},
		{"over the limit, CRLF", "a\r\n" + over + "\r\n", 1, 2, false},
		{"last line over", "a\n\n" + over, 1, 3, false},
		{"far over", "a\n" + strings.Repeat("y", 5000), 1, 2, false},
		{"quoted record at the limit", "a\n\"" + strings.Repeat("x\n", 9) + "\"\nb\n", 3, 0, false},
		{"quoted record over", "a\n\"" + strings.Repeat("x\n", 10) + "\"\nb\n", 1, 2, true},
		{"unclosed quote", "a\nb,\"c\n" + strings.Repeat("d\n", 1000), 1, 2, true},
	}
	for _, tc := range tests {
		for _, bufSize := range []int{0, 16} {
			var in io.Reader = strings.NewReader(tc.in)
			if bufSize > 0 {
				in = bufio.NewReaderSize(in, bufSize)
			}
			rr := newRecordReader(in, ',', max)
			n := 0
			var err error
			for {
				if _, err = rr.Read(); err != nil {
					break
				}
				n++
			}
			if errors.Is(err, io.EOF) {
				err = nil
			}
			var fe *input.Error
			switch {
			case tc.line == 0 && err != nil:
				t.Errorf("%s, buffer %d: %v", tc.name, bufSize, err)
			case tc.line != 0 && (!errors.As(err, &fe) || fe.Line != tc.line || !errors.Is(err, input.ErrLineTooLong) || strings.Contains(err.Error(), "quoted record") != tc.record):
				t.Errorf("%s, buffer %d: error %v, want line %d too long", tc.name, bufSize, err, tc.line)
			case n != tc.records:
				t.Errorf("%s, buffer %d: %d records before the end, want %d", tc.name, bufSize, n, tc.records)
			}
			if _, again := rr.Read(); tc.line != 0 && again != err {
				t.Errorf("%s, buffer %d: read after the error gave %v", tc.name, bufSize, again)
			}
		}
	}
}
