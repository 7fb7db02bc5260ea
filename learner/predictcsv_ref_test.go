package learner

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/netflow-monitor/monitor/input"
)

// readPredictionsSplit is the plain reading ReadPredictions must agree
// with: a string per line, split at "; ", a slice per list.
func readPredictionsSplit(in io.Reader, path string) ([]PredictionRow, error) {
	var err error
	sc := bufio.NewScanner(in)
	sc.Buffer(make([]byte, 0, 1<<16), 1<<28)
	var rows []PredictionRow
	line := 0
	fail := func(field string, err error) error {
		return &input.Error{File: path, Line: line, Field: field, Err: err}
	}
	for sc.Scan() {
		line++
		text := sc.Text()
		if line == 1 {
			if strings.TrimSpace(text) != PredictHeader {
				return nil, fail("header", fmt.Errorf("not a predictions file: want %q", PredictHeader))
			}
			continue
		}
		if strings.TrimSpace(text) == "" {
			continue
		}
		// From the right: min; mean; sum; [scores]; [states]; the quoted
		// trace and the row number on the left.
		parts := strings.Split(text, "; ")
		if len(parts) < 7 {
			return nil, fail("", fmt.Errorf("%d fields, want 7", len(parts)))
		}
		n := len(parts)
		var r PredictionRow
		if r.Row, err = strconv.Atoi(strings.TrimSpace(parts[0])); err != nil {
			return nil, fail("row nr", fmt.Errorf("%s is not a number", input.Quote(parts[0])))
		}
		if r.Sum, err = strconv.ParseFloat(parts[n-3], 64); err != nil {
			return nil, fail("sum scores", fmt.Errorf("%s is not a number", input.Quote(parts[n-3])))
		}
		if r.Scores, err = parseListSplit(parts[n-4], func(s string) (float64, error) { return strconv.ParseFloat(s, 64) }); err != nil {
			return nil, fail("score sequence", err)
		}
		if r.States, err = parseListSplit(parts[n-5], func(s string) (int32, error) {
			v, err := strconv.ParseInt(s, 10, 32)
			return int32(v), err
		}); err != nil {
			return nil, fail("state sequence", err)
		}
		if len(r.States) != len(r.Scores) {
			return nil, fail("state sequence", fmt.Errorf("%d states for %d scores", len(r.States), len(r.Scores)))
		}
		rows = append(rows, r)
	}
	if err := sc.Err(); err != nil {
		return nil, &input.Error{File: path, Line: line + 1, Err: fmt.Errorf("reading: %w", err)}
	}
	if line == 0 {
		return nil, &input.Error{File: path, Err: errors.New("empty file")}
	}
	return rows, nil
}

// parseListSplit parses "[a,b,c]".
func parseListSplit[T any](s string, parse func(string) (T, error)) ([]T, error) {
	s = strings.TrimSpace(s)
	if len(s) < 2 || s[0] != '[' || s[len(s)-1] != ']' {
		return nil, fmt.Errorf("%s is not a [list]", input.Quote(s))
	}
	s = s[1 : len(s)-1]
	if s == "" {
		return nil, nil
	}
	items := strings.Split(s, ",")
	out := make([]T, len(items))
	for i, it := range items {
		v, err := parse(it)
		if err != nil {
			return nil, fmt.Errorf("item %d: %s is not a number", i+1, input.Quote(it))
		}
		out[i] = v
	}
	return out, nil
}
