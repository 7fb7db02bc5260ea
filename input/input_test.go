package input

import (
	"errors"
	"fmt"
	"io"
	"strings"
	"testing"
)

func TestErrorFormat(t *testing.T) {
	cause := errors.New("bad value")
	tests := []struct {
		err  *Error
		want string
	}{
		{&Error{File: "a.csv", Line: 12, Field: "bytes", Err: cause}, `a.csv:12: field "bytes": bad value`},
		{&Error{File: "a.csv", Line: 3, Err: cause}, `a.csv:3: bad value`},
		{&Error{File: "a.csv", Field: "timestamp", Err: cause}, `a.csv: field "timestamp": bad value`},
		{&Error{File: "a.csv", Err: cause}, `a.csv: bad value`},
		{&Error{File: "a.csv", Line: 1, Field: strings.Repeat("n", 1000), Err: cause}, `a.csv:1: field "` + strings.Repeat("n", QuoteMax) + `…" (1000 bytes): bad value`},
	}
	for _, tc := range tests {
		if got := tc.err.Error(); got != tc.want {
			t.Errorf("got %q, want %q", got, tc.want)
		}
		if !errors.Is(tc.err, cause) {
			t.Errorf("%v does not unwrap to its cause", tc.err)
		}
	}
	if err := ReadError("x.gz", 7, io.ErrUnexpectedEOF); !strings.Contains(err.Error(), "x.gz:7: reading: the data ends early") || !errors.Is(err, io.ErrUnexpectedEOF) {
		t.Errorf("truncated stream: %v", err)
	}
}

// TestDecodeJSON: strict decoding, and errors that give the file's line
// and the member.
func TestDecodeJSON(t *testing.T) {
	type doc struct {
		Name  string `json:"name"`
		Count int    `json:"count"`
	}
	tests := []struct {
		name, text string
		line       int
		field, msg string
	}{
		{"good", "{\n\"name\": \"x\",\n\"count\": 3\n}", 0, "", ""},
		{"unknown member", "{\n\"name\": \"x\",\n\"extra\": 3\n}", 3, "/extra", `unknown object member name "extra"`},
		{"repeated member", "{\n\"name\": \"x\",\n\"name\": \"y\"\n}", 3, "", `duplicate object member name "name"`},
		{"wrong type", "{\n\"name\": \"x\",\n\"count\": \"3\"\n}", 3, "/count", "count"},
		{"syntax", "{\n\"name\": \"x\",,\n}", 2, "", "invalid character"},
		{"trailing data", "{}\n{}", 2, "", ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var d doc
			err := DecodeJSON([]byte(tc.text), &d)
			if tc.line == 0 {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			if err == nil {
				t.Fatal("no error")
			}
			var fe *Error
			if !errors.As(JSONError("f.json", []byte(tc.text), err), &fe) {
				t.Fatal("JSONError did not give an *Error")
			}
			if fe.File != "f.json" || fe.Line != tc.line || fe.Field != tc.field || !strings.Contains(fe.Error(), tc.msg) {
				t.Errorf("got %v (line %d, field %q), want line %d, field %q, %q", fe, fe.Line, fe.Field, tc.line, tc.field, tc.msg)
			}
		})
	}
}

func TestHeadCheck(t *testing.T) {
	h := Head{Format: "thing", Version: 1}
	if err := h.Check("thing", 1, "redo it"); err != nil {
		t.Error(err)
	}
	if err := h.Check("other", 1, "redo it"); err == nil || !strings.Contains(err.Error(), `format "thing": not a other file`) {
		t.Errorf("other format: %v", err)
	}
	err := h.Check("thing", 2, "redo it")
	if !errors.Is(err, ErrVersion) || !strings.Contains(err.Error(), "version 1, this program reads version 2; redo it") {
		t.Errorf("other version: %v", err)
	}
	if fe := JSONError("f.json", nil, fmt.Errorf("head: %w", err)).(*Error); fe.Field != "version" {
		t.Errorf("a version error names field %q, want version", fe.Field)
	}
}

// TestJSONErrorCut: a decoder's error that quotes a huge member name is
// cut, and still unwraps to the decoder's error.
func TestJSONErrorCut(t *testing.T) {
	type doc struct {
		Name string `json:"name"`
	}
	huge := strings.Repeat("k", 5_000_000)
	for _, text := range []string{`{"` + huge + `":1}`, `{"format":"` + huge + `"}`} {
		var d doc
		err := DecodeJSON([]byte(text), &d)
		if strings.HasPrefix(text, `{"format"`) {
			var h Head
			_ = DecodeJSON([]byte(text), &h)
			err = h.Check("thing", 0, "redo it")
		}
		fe := JSONError("f.json", []byte(text), err)
		if len(fe.Error()) > 600 || !errors.Is(fe, err) {
			t.Errorf("%d bytes: %.300s", len(fe.Error()), fe)
		}
	}
}
