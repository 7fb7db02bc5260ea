package main

import (
	"fmt"
	"os"

	"github.com/netflow-monitor/monitor/atomicfile"
	"github.com/netflow-monitor/monitor/learner"
	"github.com/spf13/cobra"
)

// learnerFlags binds the learner's options to kebab-case flags, with the
// values in *o as defaults.
func learnerFlags(cmd *cobra.Command, o *learner.Options) {
	d := *o
	f := cmd.Flags()
	f.StringVar(&o.Heuristic, "heuristic", d.Heuristic, fmt.Sprintf("merge heuristic: %v", learner.Heuristics()))
	f.IntVar(&o.StateCount, "state-count", d.StateCount, "states seen fewer times are not tested")
	f.IntVar(&o.SymbolCount, "symbol-count", d.SymbolCount, "outcomes seen fewer times are pooled in the tests")
	f.IntVar(&o.SinkCount, "sink-count", d.SinkCount, "blue states seen fewer times become sinks and are not merged")
	f.Float64Var(&o.Correction, "correction", d.Correction, "additive smoothing of counts (> 0)")
	f.BoolVar(&o.FinalProb, "finalprob", d.FinalProb, "model the end-of-trace probability")
	f.BoolVar(&o.LargestBlue, "largest-blue", d.LargestBlue, "try only the most frequent blue state in each step")
	f.BoolVar(&o.MergeRoot, "merge-root", d.MergeRoot, "allow merges into the root state")
	f.Float64Var(&o.Confidence, "confidence", d.Confidence, "significance of the test: p-value threshold (likelihoodratio) or alpha (alergia)")
	f.BoolVar(&o.CoreScoring, "core-scoring", d.CoreScoring, "score with the red core only: transitions into sinks continue from the core (see README)")
	f.IntVar(&o.MergeCandidates, "merge-candidates", d.MergeCandidates, "red states tested in full per learning step after the first-pair screen; 0 tests every red state (exhaustive, slower on large data; see README Scale)")
}

func newLearnCmd() *cobra.Command {
	var (
		opts        learner.Options
		read        learner.ReadOptions
		format, out string
		dotOut      string
		dotFull     bool
	)
	cmd := &cobra.Command{
		Use:   "learn TRAINFILE -o MODEL.json",
		Short: "Learn a probabilistic automaton from a trace file (Abbadingo or PAutomaC format)",
		Example: `  # learn a PAutomaC problem with the likelihood-ratio test
  monitor learn 1.pautomac.train -o model.json
  # ALERGIA instead, from an Abbadingo file
  monitor learn train.abbadingo --heuristic alergia -o model.json`,
		Args: exactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if out == "" {
				return fmt.Errorf("learn: -o MODEL.json is required")
			}
			if err := opts.Validate(); err != nil {
				return fmt.Errorf("learn: %w", err)
			}
			if err := checkMaxLine(read.MaxLine); err != nil {
				return err
			}
			d, err := learner.ReadTraces(cmd.Context(), args[0], format, nil, read)
			if err != nil {
				return err
			}
			restore := learningGC(0)
			m, err := learner.Learn(cmd.Context(), d, opts, nil)
			restore()
			if err != nil {
				return fmt.Errorf("learn %s: %w", args[0], err)
			}
			if err := m.Save(out); err != nil {
				return err
			}
			if dotOut != "" {
				if err := atomicfile.Write(dotOut, func(f *os.File) error {
					return m.WriteDOT(f, learner.DOTOptions{Full: dotFull})
				}); err != nil {
					return err
				}
			}
			fmt.Fprintf(cmd.OutOrStdout(), "learned %d states (%d red) from %d traces\n", m.NumStates(), m.NumRed(), d.Len())
			return nil
		},
	}
	cmd.Flags().StringVar(&format, "format", learner.FormatAbbadingo, "trace file format: abbadingo or pautomac")
	cmd.Flags().StringVarP(&out, "output", "o", "", "model file to write (JSON)")
	cmd.Flags().StringVar(&dotOut, "dot", "", "also write the automaton for Graphviz to this file")
	cmd.Flags().BoolVar(&dotFull, "dot-full", false, "draw sink states too in --dot")
	maxLineFlag(cmd, &read.MaxLine)
	opts = learner.DefaultOptions()
	learnerFlags(cmd, &opts)
	return cmd
}
