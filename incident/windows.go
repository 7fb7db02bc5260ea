package incident

import (
	"strconv"
	"strings"
)

// MaxRuns bounds the runs of consecutive windows an incident lists (see
// WindowList): an incident of a million windows in a thousand pieces keeps
// the first MaxRuns pieces and counts the windows of the others.
const MaxRuns = 256

// WindowList is an incident's anomalous windows by their numbers (from 1,
// the rows of the predictions file), ascending, as runs of consecutive
// numbers. The first MaxRuns runs are listed; the windows of later runs
// are counted only (Unlisted), so that the list of an incident of any
// length takes bounded memory, in checkpoints too.
type WindowList struct {
	N    int      // windows
	Runs [][2]int `json:",omitempty"` // the listed runs: first and last window of each
	Last int      // the last window
	// Unlisted counts the windows of runs past the first MaxRuns.
	Unlisted int `json:",omitempty"`
}

// Add appends window i, which comes after the last one.
func (l *WindowList) Add(i int) {
	l.N++
	switch n := len(l.Runs); {
	case l.Unlisted == 0 && n > 0 && l.Runs[n-1][1] == i-1:
		l.Runs[n-1][1] = i
	case l.Unlisted == 0 && n < MaxRuns:
		l.Runs = append(l.Runs, [2]int{i, i})
	default:
		l.Unlisted++
	}
	l.Last = i
}

// First returns the first window (0 when there is none).
func (l *WindowList) First() int {
	if len(l.Runs) == 0 {
		return 0
	}
	return l.Runs[0][0]
}

// String prints the windows as incidents.csv does, runs of consecutive
// ones as ranges: "34-38 41-42 131"; past MaxRuns runs, "34-38 41-42 and
// 1,234 more windows up to 99999".
func (l *WindowList) String() string {
	var b strings.Builder
	for _, r := range l.Runs {
		if b.Len() > 0 {
			b.WriteByte(' ')
		}
		b.WriteString(strconv.Itoa(r[0]))
		if r[1] > r[0] {
			b.WriteString("-" + strconv.Itoa(r[1]))
		}
	}
	if l.Unlisted > 0 {
		b.WriteString(" and " + thousands(l.Unlisted) + " more windows up to " + strconv.Itoa(l.Last))
	}
	return b.String()
}

func (l *WindowList) clone() WindowList {
	c := *l
	c.Runs = append([][2]int(nil), l.Runs...)
	return c
}
