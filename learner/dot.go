package learner

import (
	"bufio"
	"fmt"
	"io"
	"strconv"
	"strings"
)

// DOTOptions tune WriteDOT.
type DOTOptions struct {
	// Full draws every state. By default only the red core is drawn, and
	// each sink subtree (often thousands of rarely seen prefix-tree states)
	// is one box with its traffic.
	Full bool
	// SymbolName renders a symbol for labels; nil uses the alphabet's names.
	SymbolName func(int32) string
	// Notes mark states: a state with a note is drawn in orange, the note
	// under its name (a root-cause state and its alarms, say).
	Notes map[int]string
}

// WriteDOT writes the automaton for Graphviz: states with their end
// probability and traffic, transitions labelled with symbol, probability
// and count. Red states are filled; sinks are grey.
func (m *Model) WriteDOT(w io.Writer, o DOTOptions) error {
	name := o.SymbolName
	if name == nil {
		name = m.alphabet.Name
	}
	bw := bufio.NewWriter(w)
	fmt.Fprintln(bw, "digraph automaton {")
	fmt.Fprintln(bw, "  rankdir=LR;")
	fmt.Fprintln(bw, `  node [shape=circle, fontname="Helvetica", fontsize=10];`)
	fmt.Fprintln(bw, `  edge [fontname="Helvetica", fontsize=9];`)
	fmt.Fprintln(bw, `  start [shape=point];`)
	fmt.Fprintln(bw, "  start -> q0;")
	for q := 0; q < m.NumStates(); q++ {
		if !o.Full && !m.red[q] {
			continue
		}
		paths, final := m.Counts(q)
		label := fmt.Sprintf("q%d\\n%d seen", q, paths+final)
		if m.opts.FinalProb {
			label += fmt.Sprintf("\\nend %.2g", m.EndProb(q))
		}
		style := `style=filled, fillcolor="#f4cccc"`
		if !m.red[q] {
			style = `style=filled, fillcolor="#eeeeee", color="#999999"`
		}
		if note, ok := o.Notes[q]; ok {
			label += "\\n" + dotEscape(note)
			style = `style="filled,bold", fillcolor="#f6b26b", color="#b45f06", penwidth=2`
		}
		fmt.Fprintf(bw, "  q%d [label=\"%s\", %s];\n", q, label, style)
		for _, t := range m.Transitions(q) {
			target := "q" + strconv.Itoa(t.To)
			if !o.Full && !m.red[t.To] {
				target = fmt.Sprintf("sink%d_%d", q, t.Symbol)
				fmt.Fprintf(bw, "  %s [shape=box, style=\"dashed\", color=\"#999999\", label=\"sink\\n%d traces\"];\n", target, t.Count)
			}
			fmt.Fprintf(bw, "  q%d -> %s [label=\"%s\\np=%.2g n=%d\"];\n", q, target, dotEscape(name(t.Symbol)), t.Prob, t.Count)
		}
	}
	fmt.Fprintln(bw, "}")
	if err := bw.Flush(); err != nil {
		return fmt.Errorf("write dot: %w", err)
	}
	return nil
}

// dotEscape makes a string safe inside a double-quoted DOT label.
func dotEscape(s string) string {
	r := strings.NewReplacer(`\`, `\\`, `"`, `\"`, "\n", `\n`)
	return r.Replace(s)
}
