package main

import (
	"os"

	jsonv2 "github.com/go-json-experiment/json"

	"github.com/netflow-monitor/monitor/atomicfile"
	"github.com/netflow-monitor/monitor/flows"
	"github.com/netflow-monitor/monitor/input"
	"github.com/netflow-monitor/monitor/learner"
	"github.com/netflow-monitor/monitor/model"
	"github.com/netflow-monitor/monitor/rootcause"
	"github.com/spf13/cobra"
)

func newModelCmd() *cobra.Command {
	cmd := &cobra.Command{Use: "model", Short: "Inspect and export learned models"}
	var out, run string
	var full bool
	dot := &cobra.Command{
		Use:   "dot MODEL.json [-o FILE.dot] [--run MONITOR_FOLDER]",
		Short: "Write a model's automaton for Graphviz (stdout without -o); MODEL is learn's or train's model.json",
		Example: `  # a service's automaton, with the states its alarms were read in marked
  monitor model dot train_data/10.1.0.12/model.json --run monitor_data/10.1.0.12 -o auth.dot
  dot -Tsvg auth.dot -o auth.svg`,
		Long: `dot writes the automaton of a model for Graphviz (dot -Tsvg). For a
service model (train's model.json), transitions are labelled with what their
flows are, in words; --run FOLDER (a host's monitor folder after run) marks
the states that root causes were read in, with their alarms and top
connection.`,
		Args: exactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			m, enc, err := loadAutomaton(args[0])
			if err != nil {
				return err
			}
			o := learner.DOTOptions{Full: full}
			if enc != nil {
				o.SymbolName = enc.Describe
			}
			if run != "" {
				states, err := rootcause.ReadStates(run)
				if err != nil {
					return err
				}
				o.Notes = map[int]string{}
				for _, s := range states {
					o.Notes[int(s.State)] = s.Note()
				}
			}
			if out == "" {
				return m.WriteDOT(cmd.OutOrStdout(), o)
			}
			return atomicfile.Write(out, func(f *os.File) error { return m.WriteDOT(f, o) })
		},
	}
	dot.Flags().StringVarP(&out, "output", "o", "", "file to write (default stdout)")
	dot.Flags().BoolVar(&full, "full", false, "draw sink states too")
	dot.Flags().StringVar(&run, "run", "", "a host's monitor folder: mark the states its root causes were read in")
	cmd.AddCommand(dot)
	return cmd
}

// loadAutomaton loads a learner model file, or the automaton and encoder
// of a service model (train's model.json; the encoder is nil otherwise).
func loadAutomaton(path string) (*learner.Model, flows.Encoder, error) {
	b, err := input.ReadFile(path)
	if err != nil {
		return nil, nil, err
	}
	var head input.Head
	if jsonv2.Unmarshal(b, &head) == nil && head.Format == model.Format {
		m, err := model.Load(path)
		if err != nil {
			return nil, nil, err
		}
		return m.Automaton, m.Encoder, nil
	}
	m, err := learner.LoadModel(path)
	return m, nil, err
}
