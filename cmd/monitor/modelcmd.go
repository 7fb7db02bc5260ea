package main

import (
	"os"

	jsonv2 "github.com/go-json-experiment/json"

	"github.com/netflow-monitor/monitor/atomicfile"
	"github.com/netflow-monitor/monitor/input"
	"github.com/netflow-monitor/monitor/learner"
	"github.com/netflow-monitor/monitor/model"
	"github.com/spf13/cobra"
)

func newModelCmd() *cobra.Command {
	cmd := &cobra.Command{Use: "model", Short: "Inspect and export learned models"}
	var out string
	var full bool
	dot := &cobra.Command{
		Use:   "dot MODEL.json [-o FILE.dot]",
		Short: "Write a model's automaton for Graphviz (stdout without -o); MODEL is learn's or train's model.json",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			m, err := loadAutomaton(args[0])
			if err != nil {
				return err
			}
			o := learner.DOTOptions{Full: full}
			if out == "" {
				return m.WriteDOT(cmd.OutOrStdout(), o)
			}
			return atomicfile.Write(out, func(f *os.File) error { return m.WriteDOT(f, o) })
		},
	}
	dot.Flags().StringVarP(&out, "output", "o", "", "file to write (default stdout)")
	dot.Flags().BoolVar(&full, "full", false, "draw sink states too")
	cmd.AddCommand(dot)
	return cmd
}

// loadAutomaton loads a learner model file, or the automaton of a service
// model (train's model.json).
func loadAutomaton(path string) (*learner.Model, error) {
	b, err := input.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var head input.Head
	if jsonv2.Unmarshal(b, &head) == nil && head.Format == model.Format {
		m, err := model.Load(path)
		if err != nil {
			return nil, err
		}
		return m.Automaton, nil
	}
	return learner.LoadModel(path)
}
