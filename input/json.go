package input

import (
	"bytes"
	"errors"
	"fmt"
	"unicode/utf8"

	jsonv2 "github.com/go-json-experiment/json"
	"github.com/go-json-experiment/json/jsontext"
)

// DecodeJSON decodes the JSON value b into v strictly: member names match
// exactly, an unknown or repeated member, invalid UTF-8 and trailing data
// are errors. Every JSON input of the project (models, encoders, group
// files) is read through it, with json/v2 (github.com/go-json-experiment/
// json, the module encoding/json/v2 comes from), which reads large models
// several times faster than encoding/json (see docs/internals.md). Files
// are written with encoding/json; v2 reads them back exactly.
func DecodeJSON(b []byte, v any) error {
	return jsonv2.Unmarshal(b, v, jsonv2.RejectUnknownMembers(true))
}

// JSONError wraps an error from decoding the JSON file path (content b) in
// an *Error, with the line where the decoder located the problem and, for
// a value of the wrong kind, the member it was in (a JSON pointer).
func JSONError(path string, b []byte, err error) error {
	fe := &Error{File: path, Err: cutMessage(err)}
	var syn *jsontext.SyntacticError
	var sem *jsonv2.SemanticError
	switch {
	case errors.As(err, &syn):
		fe.Line = lineOf(b, syn.ByteOffset)
	case errors.As(err, &sem):
		fe.Line = lineOf(b, sem.ByteOffset)
		fe.Field = string(sem.JSONPointer)
	case errors.Is(err, ErrVersion):
		fe.Field = "version"
	}
	return fe
}

// ShiftOffsets moves the byte offsets of the JSON errors in err's chain by
// base: offsets into a value embedded in a file (decoded on its own)
// become offsets into the file, so that JSONError finds the file's line.
func ShiftOffsets(err error, base int64) {
	var syn *jsontext.SyntacticError
	if errors.As(err, &syn) {
		syn.ByteOffset += base
	}
	var sem *jsonv2.SemanticError
	if errors.As(err, &sem) {
		sem.ByteOffset += base
	}
}

// maxMessage bounds the text of a decoder's error kept in an *Error:
// json/v2 quotes member names whole ("unknown object member name ..."),
// and a file can hold a name of any length.
const maxMessage = 256

// cutMessage returns err, or when its text is longer than maxMessage an
// error that unwraps to it and says the start of the text and its length.
func cutMessage(err error) error {
	msg := err.Error()
	if len(msg) <= maxMessage {
		return err
	}
	cut := maxMessage
	for cut > 0 && !utf8.RuneStart(msg[cut]) {
		cut--
	}
	return &cutError{msg: fmt.Sprintf("%s… (%d bytes)", msg[:cut], len(msg)), err: err}
}

// cutError is an error whose text is cut; it unwraps to the whole one.
type cutError struct {
	msg string
	err error
}

func (e *cutError) Error() string { return e.msg }
func (e *cutError) Unwrap() error { return e.err }

func lineOf(b []byte, off int64) int {
	if off > int64(len(b)) {
		off = int64(len(b))
	}
	return bytes.Count(b[:off], []byte{'\n'}) + 1
}

// ErrVersion is wrapped by the error of a versioned file (see CheckHead)
// whose version this program does not read; JSONError names its "version"
// member.
var ErrVersion = errors.New("unsupported version")

// Head is the identity a versioned JSON file starts with.
type Head struct {
	Format  string `json:"format"`
	Version int    `json:"version"`
}

// Check refuses a head of another format than format or another version
// than version; remedy says what the user can do about an old file
// ("train again").
func (h Head) Check(format string, version int, remedy string) error {
	if h.Format != format {
		return fmt.Errorf("format %s: not a %s file (was it written by another program?)", Quote(h.Format), format)
	}
	if h.Version != version {
		return fmt.Errorf("%w of %s: the file is version %d, this program reads version %d; %s", ErrVersion, format, h.Version, version, remedy)
	}
	return nil
}

// ReadJSONFile reads the JSON file path (a regular file: see ReadFile) and
// decodes its bytes with decode. Errors name the file and, where the
// decoder places them, the line and the member; what names the file's
// kind in an error reading it ("load model: open ...").
func ReadJSONFile(path, what string, decode func(b []byte) error) error {
	b, err := ReadFile(path)
	if err != nil {
		return fmt.Errorf("%s: %w", what, err)
	}
	if err := decode(b); err != nil {
		return JSONError(path, b, err)
	}
	return nil
}
