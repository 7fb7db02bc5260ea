package flows

import (
	"bufio"
	"encoding/csv"
	"errors"
	"io"
	"slices"
	"strings"
	"testing"
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
	rr := newRecordReader(in, comma)
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
