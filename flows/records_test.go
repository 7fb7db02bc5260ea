package flows

import (
	"encoding/csv"
	"errors"
	"io"
	"slices"
	"strings"
	"testing"
)

// readAllBoth reads s with recordReader and with encoding/csv (as the
// decoders configured it before) and returns both results.
func readAllBoth(s string, comma rune) (ours, theirs [][]string, oursErr, theirsErr error, oursLine, theirsLine int) {
	rr := newRecordReader(strings.NewReader(s), comma)
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
	for _, s := range tests {
		ours, theirs, oe, te, ol, tl := readAllBoth(s, ',')
		if !slices.EqualFunc(ours, theirs, slices.Equal) || (oe == nil) != (te == nil) || ol != tl {
			t.Errorf("%q:\n ours   %q err %v line %d\n theirs %q err %v line %d", s, ours, oe, ol, theirs, te, tl)
		}
		var ope, tpe *csv.ParseError
		if errors.As(oe, &ope) && errors.As(te, &tpe) && ope.Line != tpe.Line {
			t.Errorf("%q: error on line %d, encoding/csv says %d", s, ope.Line, tpe.Line)
		}
	}
	tsv := "a\tb\n\"x\ty\"\t2\n"
	ours, theirs, _, _, _, _ := readAllBoth(tsv, '\t')
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
		ours, theirs, oe, te, _, _ := readAllBoth(s, ',')
		if (oe == nil) != (te == nil) {
			t.Fatalf("%q: error %v, encoding/csv %v", s, oe, te)
		}
		if !slices.EqualFunc(ours, theirs, slices.Equal) {
			t.Fatalf("%q:\n ours   %q\n theirs %q", s, ours, theirs)
		}
		var ope, tpe *csv.ParseError
		if errors.As(oe, &ope) && errors.As(te, &tpe) && ope.Line != tpe.Line {
			t.Fatalf("%q: error on line %d, encoding/csv says %d", s, ope.Line, tpe.Line)
		}
	})
}
