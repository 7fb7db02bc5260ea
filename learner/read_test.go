package learner

import (
	"bytes"
	"compress/gzip"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/netflow-monitor/monitor/input"
)

func TestReadTraces(t *testing.T) {
	tests := []struct {
		name, format, in string
		alphabet         []string
		traces           [][]int32
		labels           []string
	}{
		{"pautomac ints", FormatPAutomaC, "3 4\n2 0 3\n0\n1 1\n", []string{"0", "1", "2", "3"}, [][]int32{{0, 3}, {}, {1}}, nil},
		{"abbadingo ints", FormatAbbadingo, "2 2\n1 3 0 1 1\n0 1 0\n", []string{"0", "1"}, [][]int32{{0, 1, 1}, {0}}, []string{"1", "0"}},
		{"strings by first appearance", FormatPAutomaC, "2 3\n2 dns http\n3 http tls dns\n", []string{"dns", "http", "tls"}, [][]int32{{0, 1}, {1, 2, 0}}, nil},
		{"tabs and blank lines", FormatPAutomaC, "\n1 2\n2\t1 0\n\n", []string{"0", "1"}, [][]int32{{1, 0}}, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			d, err := ParseTraces(strings.NewReader(tc.in), "x", tc.format, nil, ReadOptions{})
			if err != nil {
				t.Fatal(err)
			}
			if got := d.Alphabet.Names(); strings.Join(got, ",") != strings.Join(tc.alphabet, ",") {
				t.Errorf("alphabet %v, want %v", got, tc.alphabet)
			}
			if d.Len() != len(tc.traces) {
				t.Fatalf("%d traces, want %d", d.Len(), len(tc.traces))
			}
			for i, w := range tc.traces {
				if !equalInt32(d.Trace(i), w) {
					t.Errorf("trace %d = %v, want %v", i, d.Trace(i), w)
				}
			}
			if strings.Join(d.Labels, ",") != strings.Join(tc.labels, ",") {
				t.Errorf("labels %v, want %v", d.Labels, tc.labels)
			}
		})
	}
}

func TestReadTracesFixedAlphabet(t *testing.T) {
	alpha, _ := NewAlphabet([]string{"a", "b"})
	d, err := ParseTraces(strings.NewReader("1 3\n3 b z a\n"), "x", FormatPAutomaC, alpha, ReadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if want := []int32{1, Unknown, 0}; !equalInt32(d.Trace(0), want) {
		t.Errorf("trace %v, want %v", d.Trace(0), want)
	}
}

func TestReadTracesGzip(t *testing.T) {
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	zw.Write([]byte("2 2\n1 0\n2 1 1\n"))
	zw.Close()
	dir := t.TempDir()
	path := filepath.Join(dir, "t.gz")
	os.WriteFile(path, buf.Bytes(), 0o644)
	d, err := ReadTraces(t.Context(), path, FormatPAutomaC, nil, ReadOptions{})
	if err != nil || d.Len() != 2 {
		t.Fatalf("gzip: %v, %v", d, err)
	}
	// Truncated gzip: an error naming the file, no dataset.
	trunc := filepath.Join(dir, "trunc.gz")
	os.WriteFile(trunc, buf.Bytes()[:buf.Len()-6], 0o644)
	if _, err := ReadTraces(t.Context(), trunc, FormatPAutomaC, nil, ReadOptions{}); err == nil || !strings.Contains(err.Error(), trunc) {
		t.Errorf("truncated gzip: error %v, want one naming %s", err, trunc)
	}
	// Cut in the middle of a line: the break is the cause, not a line
	// shorter than its length says.
	var long strings.Builder
	long.WriteString("400 3\n")
	for i := range 400 {
		fmt.Fprintf(&long, "4 %d 1 2 %d\n", i%3, (i/3)%3)
	}
	buf.Reset()
	zw = gzip.NewWriter(&buf)
	zw.Write([]byte(long.String()))
	zw.Close()
	os.WriteFile(trunc, buf.Bytes()[:buf.Len()/2], 0o644)
	_, err = ReadTraces(t.Context(), trunc, FormatPAutomaC, nil, ReadOptions{})
	var fe *input.Error
	if !errors.As(err, &fe) || fe.Line < 2 || !strings.Contains(err.Error(), "ends early") {
		t.Errorf("gzip cut mid-line: %v, want the line and \"ends early\"", err)
	}
}

func TestReadTracesErrors(t *testing.T) {
	tests := []struct {
		name, format, in string
		line             int
		field, msg       string
	}{
		{"empty file", FormatPAutomaC, "", 0, "", "empty file"},
		{"blank file", FormatPAutomaC, "\n\n", 0, "", "empty file"},
		{"header fields", FormatPAutomaC, "3\n", 1, "header", "got 1 fields"},
		{"header count", FormatPAutomaC, "x 2\n", 1, "count", "not a non-negative integer"},
		{"header alphabet", FormatPAutomaC, "1 -2\n1 0\n", 1, "alphabet size", "not a non-negative integer"},
		{"fewer traces", FormatPAutomaC, "3 2\n1 0\n1 1\n", 1, "count", "declares 3 traces, but the file has 2"},
		{"more traces", FormatPAutomaC, "1 2\n1 0\n1 1\n", 3, "count", "has more"},
		{"length disagrees", FormatPAutomaC, "1 2\n3 0 1\n", 2, "length", "says 3 symbols, the line has 2"},
		{"length non-numeric", FormatPAutomaC, "1 2\nab 0 1\n", 2, "length", "not a non-negative integer"},
		{"abbadingo missing length", FormatAbbadingo, "1 2\n1\n", 2, "length", "missing"},
		{"symbol beyond alphabet", FormatPAutomaC, "1 2\n2 0 2\n", 2, "symbol 2", "outside the declared alphabet"},
		{"too many distinct", FormatPAutomaC, "1 2\n3 a b c\n", 2, "symbol 3", "beyond the declared alphabet"},
		{"negative symbol", FormatAbbadingo, "2 2\n1 2 0 -1\n0 1 1\n", 2, "symbol 2", "negative symbol number"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := ParseTraces(strings.NewReader(tc.in), "f.txt", tc.format, nil, ReadOptions{})
			var fe *input.Error
			if !errors.As(err, &fe) {
				t.Fatalf("error %v, want a *input.Error", err)
			}
			if fe.File != "f.txt" || fe.Line != tc.line || fe.Field != tc.field || !strings.Contains(fe.Err.Error(), tc.msg) {
				t.Errorf("got file %q line %d field %q: %v; want line %d field %q containing %q", fe.File, fe.Line, fe.Field, fe.Err, tc.line, tc.field, tc.msg)
			}
		})
	}
	if _, err := ParseTraces(strings.NewReader("1 1\n0\n"), "f", "csv", nil, ReadOptions{}); err == nil {
		t.Error("unknown format accepted")
	}
}

func TestLoadModelErrors(t *testing.T) {
	m := mustLearn(t, geometric(), DefaultOptions())
	good, _ := m.MarshalJSON()
	tests := []struct {
		name    string
		content string
		line    int
		msg     string
	}{
		{"corrupt json", "{\n\"format\": \n", 3, "unexpected EOF"},
		{"not json", "hello", 1, "invalid character"},
		{"other version", strings.Replace(string(good), `"version":1`, `"version":2`, 1), 0, "version 2"},
		{"other format", strings.Replace(string(good), ModelFormat, "flexfringe", 1), 0, "not a"},
		{"bad target", strings.Replace(string(good), `"to":1`, `"to":7`, 1), 0, "target 7"},
		{"bad symbol", strings.Replace(string(good), `"symbol":"0"`, `"symbol":"z"`, 1), 0, "not in the alphabet"},
		{"counts disagree", strings.Replace(string(good), `"paths":512`, `"paths":500`, 1), 0, "paths 500"},
		{"bad options", strings.Replace(string(good), `"correction":1`, `"correction":0`, 1), 0, "correction"},
		{"unknown field", strings.Replace(string(good), `"format"`, `"extra":1,"format"`, 1), 1, `unknown object member name "extra"`},
		{"repeated field", strings.Replace(string(good), `"format"`, `"core":false,"core":false,"format"`, 1), 1, `duplicate object member name "core"`},
		{"wrong type", strings.Replace(string(good), `"paths":512`, `"paths":"512"`, 1), 1, `field "/states/0/paths": json: `}, // json/v2 says "cannot" or "unable to", at random
		{"wrong type, named", strings.Replace(string(good), `"paths":512`, `"paths":"512"`, 1), 1, `unmarshal JSON string into Go int32`},
	}
	dir := t.TempDir()
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			path := filepath.Join(dir, "model.json")
			os.WriteFile(path, []byte(tc.content), 0o644)
			_, err := LoadModel(path)
			var fe *input.Error
			if !errors.As(err, &fe) {
				t.Fatalf("error %v, want a *input.Error", err)
			}
			if fe.File != path || fe.Line != tc.line || !strings.Contains(err.Error(), tc.msg) {
				t.Errorf("got %v (line %d), want line %d and %q", err, fe.Line, tc.line, tc.msg)
			}
		})
	}
	if _, err := LoadModel(filepath.Join(dir, "missing.json")); err == nil {
		t.Error("missing file loaded")
	}
}

func TestReadPredictionSums(t *testing.T) {
	d := samplePDFA(1, 5, 4, 50)
	m := mustLearn(t, d, DefaultOptions())
	var buf bytes.Buffer
	pw, _ := NewPredictionWriter(&buf)
	var want []float64
	for i := 0; i < d.Len(); i++ {
		p := m.Score(d.Trace(i))
		want = append(want, p.Sum)
		pw.Write("", d.Trace(i), m.Alphabet().Name, p)
	}
	pw.Flush()
	path := filepath.Join(t.TempDir(), "p.csv")
	os.WriteFile(path, buf.Bytes(), 0o644)
	got, err := ReadPredictionSums(t.Context(), path, ReadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("row %d: %v, want %v (full precision round trip)", i, got[i], want[i])
		}
	}
	rows, err := ReadPredictions(t.Context(), path, ReadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	for i, r := range rows {
		p := m.Score(d.Trace(i))
		if r.Row != i+1 || r.Sum != p.Sum || !equalInt32(r.States, p.States) || len(r.Scores) != len(p.Scores) || r.Scores[len(r.Scores)-1] != p.Scores[len(p.Scores)-1] {
			t.Fatalf("row %d read back as %+v, want states %v sum %v", i, r, p.States, p.Sum)
		}
	}
	bad := filepath.Join(t.TempDir(), "bad.csv")
	os.WriteFile(bad, []byte(PredictHeader+"\n1; \"0 1 a\"; [0,x]; [-1,-2]; -3; -1.5; -2\n"), 0o644)
	var fe *input.Error
	if _, err := ReadPredictions(t.Context(), bad, ReadOptions{}); !errors.As(err, &fe) || fe.Line != 2 || fe.Field != "state sequence" {
		t.Errorf("bad state list: %v, want line 2 field state sequence", err)
	}
}

// TestPredictionWriterRoundTrip writes many rows whose scores collide in
// the writer's score cache, some longer than the room a row is built in
// and some longer than the whole write buffer, the last with more distinct
// scores than the cache holds, and reads them back exactly.
func TestPredictionWriterRoundTrip(t *testing.T) {
	path := filepath.Join(t.TempDir(), "p.csv")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	pw, err := NewPredictionWriter(f)
	if err != nil {
		t.Fatal(err)
	}
	r := rand.New(rand.NewPCG(1, 2))
	var want [][]float64
	var wantStates [][]int32
	var wantSums []float64
	for i := range 3000 {
		n := 3
		switch {
		case i == 2999:
			n = maxCachedScores + 20_000 // beyond the cache's bound
		case i%700 == 5:
			n = 6000 // ~150 kB
		case i%90 == 7:
			n = 300 // ~7 kB
		}
		p := &Prediction{States: make([]int32, n), Scores: make([]float64, n)}
		trace := make([]int32, n)
		for j := range trace {
			trace[j], p.States[j] = int32((i+j)%3), int32(j)
		}
		for j := range p.Scores {
			if r.IntN(2) == 0 {
				p.Scores[j] = -float64(r.IntN(50)) / 7 // repeats: cache hits
			} else {
				p.Scores[j] = -r.Float64() * 20 // distinct: collisions
			}
			p.Sum += p.Scores[j]
		}
		p.Mean, p.Min = p.Sum/float64(n), slices.Min(p.Scores)
		if err := pw.Write("", trace, func(s int32) string { return fmt.Sprint("s", s) }, p); err != nil {
			t.Fatal(err)
		}
		want = append(want, p.Scores)
		wantStates = append(wantStates, p.States)
		wantSums = append(wantSums, p.Sum)
	}
	if err := pw.Flush(); err != nil {
		t.Fatal(err)
	}
	f.Close()
	// The last row, of 150,000 scores, is longer than the default limit.
	_, err = ReadPredictions(t.Context(), path, ReadOptions{})
	var fe *input.Error
	if !errors.As(err, &fe) || fe.Line != 3001 || !errors.Is(err, input.ErrLineTooLong) {
		t.Errorf("a row beyond the default limit: %v, want line 3001 too long", err)
	}
	rows, err := ReadPredictions(t.Context(), path, ReadOptions{MaxLine: 8 << 20})
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != len(want) {
		t.Fatalf("%d rows, want %d", len(rows), len(want))
	}
	for i, row := range rows {
		if !slices.Equal(row.Scores, want[i]) {
			t.Fatalf("row %d: scores %v, want %v", i+1, row.Scores, want[i])
		}
		if row.Row != i+1 || !slices.Equal(row.States, wantStates[i]) || row.Sum != wantSums[i] {
			t.Fatalf("row %d read back as row %d, %d states, sum %v", i+1, row.Row, len(row.States), row.Sum)
		}
	}
}

// TestPredictionWriterSourceCache writes the predictions of two models
// (one without end probabilities, from other data) in turns through one
// writer, which caches score texts by their source in the model, and
// through one that only has the scores: the files must be identical.
// Traces include symbols the models never saw and symbols out of their
// alphabet.
func TestPredictionWriterSourceCache(t *testing.T) {
	final := mustLearn(t, samplePDFA(3, 12, 6, 3000), DefaultOptions())
	o := DefaultOptions()
	o.FinalProb = false
	plain := mustLearn(t, samplePDFA(5, 12, 6, 3000), o)
	if !final.Options().FinalProb || plain.NumStates() == final.NumStates() {
		t.Fatalf("want two different models, one with end probabilities: %d and %d states", plain.NumStates(), final.NumStates())
	}
	test := samplePDFA(4, 12, 8, 400) // symbols 6 and 7 unseen
	test.Add([]int32{Unknown, 0, 1, 99})
	test.Add(nil)

	var cached, reference bytes.Buffer
	pc, err := NewPredictionWriter(&cached)
	if err != nil {
		t.Fatal(err)
	}
	pr, err := NewPredictionWriter(&reference)
	if err != nil {
		t.Fatal(err)
	}
	name := func(s int32) string { return fmt.Sprint("s", s) }
	var p Prediction
	for i := 0; i < test.Len(); i++ {
		m := plain
		if i%3 == 1 {
			m = final
		}
		m.ScoreInto(test.Trace(i), &p)
		if err := pc.Write("", test.Trace(i), name, &p); err != nil {
			t.Fatal(err)
		}
		bare := Prediction{States: p.States, Scores: p.Scores, Sum: p.Sum, Mean: p.Mean, Min: p.Min}
		if err := pr.Write("", test.Trace(i), name, &bare); err != nil {
			t.Fatal(err)
		}
	}
	if err := pc.Flush(); err != nil {
		t.Fatal(err)
	}
	if err := pr.Flush(); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(cached.Bytes(), reference.Bytes()) {
		a, b := strings.Split(cached.String(), "\n"), strings.Split(reference.String(), "\n")
		for i := range min(len(a), len(b)) {
			if a[i] != b[i] {
				t.Fatalf("line %d:\n cached    %s\n reference %s", i+1, a[i], b[i])
			}
		}
		t.Fatalf("%d lines, reference %d", len(a), len(b))
	}
	if n := strings.Count(cached.String(), "\n"); n != test.Len()+1 {
		t.Fatalf("%d lines, want %d", n, test.Len()+1)
	}
}
