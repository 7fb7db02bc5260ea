package htmlreport

import (
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

// table is a ;-separated report file read whole: its header's names
// (trimmed) and its rows.
type table struct {
	name   string // the file's name in messages
	header []string
	rows   [][]string
}

// readTable reads a ;-separated file with a header, as the run writes its
// reports, from root/name. Every row must have the header's number of
// fields. Errors name the file by name (relative to the run's folder), so
// that the page does not depend on where the folder is.
func readTable(root, name string) (*table, error) {
	f, err := os.Open(filepath.Join(root, name))
	if err != nil {
		var pe *fs.PathError
		if errors.As(err, &pe) {
			err = pe.Err
		}
		return nil, fmt.Errorf("%s: %w", filepath.ToSlash(name), err)
	}
	defer f.Close()
	r := csv.NewReader(f)
	r.Comma = ';'
	r.TrimLeadingSpace = true // the predictions files separate with "; "
	r.ReuseRecord = false
	header, err := r.Read()
	if errors.Is(err, io.EOF) {
		return nil, fmt.Errorf("%s: empty file", filepath.ToSlash(name))
	}
	if err != nil {
		return nil, fmt.Errorf("%s: %w", filepath.ToSlash(name), err)
	}
	t := &table{name: filepath.ToSlash(name), header: make([]string, len(header))}
	for i, h := range header {
		t.header[i] = strings.TrimSpace(strings.TrimPrefix(h, "\ufeff"))
	}
	for {
		rec, err := r.Read()
		if errors.Is(err, io.EOF) {
			return t, nil
		}
		if err != nil {
			return nil, fmt.Errorf("%s: %w", t.name, err)
		}
		t.rows = append(t.rows, rec)
	}
}

// col returns the position of the named column, -1 when absent.
func (t *table) col(name string) int {
	for i, h := range t.header {
		if strings.EqualFold(h, name) {
			return i
		}
	}
	return -1
}

// need returns the positions of the named columns, or an error naming the
// first one missing.
func (t *table) need(names ...string) ([]int, error) {
	out := make([]int, len(names))
	for i, n := range names {
		if out[i] = t.col(n); out[i] < 0 {
			return nil, fmt.Errorf("%s: no column %q", t.name, n)
		}
	}
	return out, nil
}

// get returns row's field at column i, "" for a column that is absent.
func get(row []string, i int) string {
	if i < 0 || i >= len(row) {
		return ""
	}
	return strings.TrimSpace(row[i])
}
