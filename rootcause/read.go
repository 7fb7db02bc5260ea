package rootcause

import (
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
)

// StateSummary is what a host's reports say of one root-cause state.
type StateSummary struct {
	State  int32
	Alarms int    // anomalous windows whose root cause is in the state
	Top    string // the most flagged connection: "outbound 192.0.2.14:443 (49)"
}

// ReadStates reads the root-cause reports that WriteReports left in dir
// and summarises each state, most alarms first.
func ReadStates(dir string) ([]StateSummary, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, fmt.Errorf("reports: %w", err)
	}
	// A state's prediction report may hold only its first alarms: the
	// others are counted in LeftOutFile.
	left := map[string]int{}
	if rows, err := readRows(filepath.Join(dir, LeftOutFile)); err == nil {
		for _, r := range rows[min(1, len(rows)):] {
			if len(r) >= 4 {
				n, _ := strconv.Atoi(r[3])
				left[r[0]] = n
			}
		}
	} else if !errors.Is(err, os.ErrNotExist) {
		return nil, err
	}
	var out []StateSummary
	for _, e := range entries {
		var state int32
		if _, err := fmt.Sscanf(e.Name(), "root_cause_%d_prediction_info.csv", &state); err != nil || !IsReportFile(e.Name()) {
			continue
		}
		rows, err := readRows(filepath.Join(dir, e.Name()))
		if err != nil {
			return nil, err
		}
		s := StateSummary{State: state, Alarms: max(len(rows)-1, 0) + left[e.Name()]}
		conns, err := readRows(filepath.Join(dir, fmt.Sprintf("root_cause_%d_connection_info.csv", state)))
		if err != nil && !errors.Is(err, os.ErrNotExist) {
			return nil, err
		}
		if len(conns) > 1 && len(conns[1]) >= 4 {
			c := conns[1]
			s.Top = fmt.Sprintf("%s %s:%s (%s)", c[0], c[1], c[2], c[3])
		}
		out = append(out, s)
	}
	slices.SortFunc(out, func(a, b StateSummary) int {
		if a.Alarms != b.Alarms {
			return b.Alarms - a.Alarms
		}
		return int(a.State) - int(b.State)
	})
	return out, nil
}

// readRows reads a ';'-separated report.
func readRows(path string) ([][]string, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	r := csv.NewReader(f)
	r.Comma = ';'
	r.FieldsPerRecord = -1
	var rows [][]string
	for {
		rec, err := r.Read()
		if errors.Is(err, io.EOF) {
			return rows, nil
		}
		if err != nil {
			return nil, fmt.Errorf("%s: %w", path, err)
		}
		rows = append(rows, rec)
	}
}

// Note is the label of a state in a drawing of the automaton.
func (s StateSummary) Note() string {
	n := strconv.Itoa(s.Alarms) + " alarm"
	if s.Alarms != 1 {
		n += "s"
	}
	if s.Top != "" {
		n += ": " + strings.TrimSpace(s.Top)
	}
	return "root cause of " + n
}
