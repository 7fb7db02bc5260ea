package input

import (
	"strconv"
	"unicode/utf8"
)

// QuoteMax is the number of characters of a value that Quote shows.
const QuoteMax = 64

// Quote formats a value from an input file for an error message, as %q
// does, but cuts one longer than QuoteMax characters to its first
// QuoteMax, followed by "…" and its length in bytes:
//
//	"aaaaaaaa…" (200000000 bytes)
//
// so that a huge value cannot make a huge message (on the terminal, in
// summary.csv). Every reader quotes data values through it.
func Quote[T ~string | ~[]byte](v T) string {
	i, n := 0, 0
	for ; i < len(v) && n < QuoteMax; n++ {
		_, size := utf8.DecodeRuneInString(string(v[i:min(i+utf8.UTFMax, len(v))]))
		i += size
	}
	if i == len(v) {
		return strconv.Quote(string(v))
	}
	q := strconv.Quote(string(v[:i]))
	return q[:len(q)-1] + "…\" (" + strconv.Itoa(len(v)) + " bytes)"
}
