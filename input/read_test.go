package input

import (
	"context"
	"errors"
	"fmt"
	"io"
	"runtime"
	"strings"
	"testing"
	"testing/iotest"
	"time"
)

// endless yields the same byte forever, as /dev/zero does, slowly enough
// that a reader spends its time waiting on it.
type endless struct{ delay time.Duration }

func (e endless) Read(p []byte) (int, error) {
	time.Sleep(e.delay)
	for i := range p {
		p[i] = 'x'
	}
	return len(p), nil
}

// TestWithContextStopsReading: a reader over a source that never ends
// returns the context's error promptly once it is cancelled, and reads as
// usual before.
func TestWithContextStopsReading(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	r := WithContext(ctx, endless{delay: time.Millisecond})
	buf := make([]byte, 16)
	if n, err := r.Read(buf); n != 16 || err != nil {
		t.Fatalf("before cancel: %d, %v", n, err)
	}
	done := make(chan error, 1)
	go func() {
		// A reader that would run forever: Scanner looks for a line end.
		sc := NewScanner(r, "endless", 1<<30)
		for sc.Scan() {
		}
		done <- sc.Err()
	}()
	time.Sleep(20 * time.Millisecond)
	start := time.Now()
	cancel()
	select {
	case err := <-done:
		if !errors.Is(err, context.Canceled) || !strings.HasPrefix(err.Error(), "endless:1: reading: context canceled") {
			t.Errorf("error %v, want endless:1 context canceled", err)
		}
		if d := time.Since(start); d > 500*time.Millisecond {
			t.Errorf("stopped %v after the cancel", d)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("still reading 5 s after the cancel")
	}
	if n, err := r.Read(buf); n != 0 || !errors.Is(err, context.Canceled) {
		t.Errorf("after cancel: %d, %v", n, err)
	}
	if WithContext(context.Background(), strings.NewReader("")) == nil {
		t.Error("nil reader")
	}
}

func TestScanner(t *testing.T) {
	long := strings.Repeat("a", 10)
	tests := []struct {
		name, in string
		max      int
		lines    []string
		err      string // "" for none
		errLine  int
	}{
		{"lines", "a\nb\r\n\nc", 10, []string{"a", "b", "", "c"}, "", 0},
		{"at the limit", long + "\n" + long + "\r\n" + long, 10, []string{long, long, long}, "", 0},
		{"over the limit", "x\n" + long + "b\ny\n", 10, []string{"x"}, "f:2: line too long: more than 10 bytes", 2},
		{"last line over", "x\n" + long + "b", 10, []string{"x"}, "f:2: line too long", 2},
		{"far over", "x\n" + strings.Repeat("z", 1<<20), 10, []string{"x"}, "f:2: line too long", 2},
		{"default limit", strings.Repeat("z", DefaultMaxLine) + "\n" + strings.Repeat("z", DefaultMaxLine+1), 0, []string{strings.Repeat("z", DefaultMaxLine)}, fmt.Sprintf("f:2: line too long: more than %d bytes", DefaultMaxLine), 2},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			sc := NewScanner(iotest.HalfReader(strings.NewReader(tc.in)), "f", tc.max)
			var got []string
			for sc.Scan() {
				got = append(got, sc.Text())
				if sc.Line() != len(got) {
					t.Errorf("Line %d at line %d", sc.Line(), len(got))
				}
			}
			if strings.Join(got, "|") != strings.Join(tc.lines, "|") {
				t.Errorf("lines %q, want %q", got, tc.lines)
			}
			err := sc.Err()
			if tc.err == "" {
				if err != nil {
					t.Errorf("error %v", err)
				}
				return
			}
			var fe *Error
			if !errors.As(err, &fe) || fe.Line != tc.errLine || !strings.HasPrefix(err.Error(), tc.err) || !errors.Is(err, ErrLineTooLong) {
				t.Errorf("error %v, want line %d %q", err, tc.errLine, tc.err)
			}
		})
	}
}

// TestScannerBrokenStream: a line that a broken stream cut short is
// reported as the break, at its line.
func TestScannerBrokenStream(t *testing.T) {
	for _, in := range []string{"a\nb\npartial", "a\nb\n"} {
		r := io.MultiReader(strings.NewReader(in), iotest.ErrReader(io.ErrUnexpectedEOF))
		sc := NewScanner(r, "f.gz", 0)
		n := 0
		for sc.Scan() {
			n++
		}
		err := sc.Err()
		if n != 2 || !errors.Is(err, io.ErrUnexpectedEOF) || !strings.HasPrefix(err.Error(), "f.gz:3: reading: the data ends early") {
			t.Errorf("%q: %d lines, %v", in, n, err)
		}
	}
}

// TestScannerBoundedMemory: a huge line costs the limit, not its length.
func TestScannerBoundedMemory(t *testing.T) {
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	sc := NewScanner(io.LimitReader(endless{}, 100<<20), "f", 0)
	for sc.Scan() {
	}
	runtime.ReadMemStats(&after)
	if !errors.Is(sc.Err(), ErrLineTooLong) {
		t.Fatalf("error %v", sc.Err())
	}
	if alloc := after.TotalAlloc - before.TotalAlloc; alloc > 8*DefaultMaxLine {
		t.Errorf("allocated %d bytes for a 100 MB line", alloc)
	}
}

func TestQuote(t *testing.T) {
	tests := []struct{ in, want string }{
		{"", `""`},
		{"10.0.0.x", `"10.0.0.x"`},
		{"a\tb\"c", `"a\tb\"c"`},
		{strings.Repeat("a", QuoteMax), `"` + strings.Repeat("a", QuoteMax) + `"`},
		{strings.Repeat("a", QuoteMax+1), `"` + strings.Repeat("a", QuoteMax) + `…" (65 bytes)`},
		{strings.Repeat("é", 100), `"` + strings.Repeat("é", QuoteMax) + `…" (200 bytes)`},
		{strings.Repeat("\xff", 100), `"` + strings.Repeat(`\xff`, QuoteMax) + `…" (100 bytes)`},
	}
	for _, tc := range tests {
		if got := Quote(tc.in); got != tc.want {
			t.Errorf("Quote(%.20q) = %s, want %s", tc.in, got, tc.want)
		}
		if got := Quote([]byte(tc.in)); got != tc.want {
			t.Errorf("Quote([]byte(%.20q)) = %s, want %s", tc.in, got, tc.want)
		}
	}
	huge := strings.Repeat(",", 5_000_000)
	if got := Quote(huge); len(got) > 100 || !strings.HasSuffix(got, `…" (5000000 bytes)`) {
		t.Errorf("Quote of 5 MB: %q", got)
	}
}
