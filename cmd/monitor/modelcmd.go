package main

import (
	"io"
	"os"

	"github.com/netflow-monitor/monitor/learner"
	"github.com/spf13/cobra"
)

func newModelCmd() *cobra.Command {
	cmd := &cobra.Command{Use: "model", Short: "Inspect and export learned models"}
	var out string
	var full bool
	dot := &cobra.Command{
		Use:   "dot MODEL.json [-o FILE.dot]",
		Short: "Write a model's automaton for Graphviz (stdout without -o)",
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
			return writeFileAtomic(out, func(w io.Writer) error { return m.WriteDOT(w, o) })
		},
	}
	dot.Flags().StringVarP(&out, "output", "o", "", "file to write (default stdout)")
	dot.Flags().BoolVar(&full, "full", false, "draw sink states too")
	cmd.AddCommand(dot)
	return cmd
}

// loadAutomaton loads a learner model file.
func loadAutomaton(path string) (*learner.Model, error) {
	if _, err := os.Stat(path); err != nil {
		return nil, err
	}
	return learner.LoadModel(path)
}
