package main

import (
	"fmt"
	"math"

	"github.com/netflow-monitor/monitor/learner"
	"github.com/spf13/cobra"
)

func newPerplexityCmd() *cobra.Command {
	var read learner.ReadOptions
	cmd := &cobra.Command{
		Use:   "perplexity SOLUTION PREDICTIONS.csv",
		Short: "PAutomaC score of a predictions CSV: prints optimum, candidate perplexity and their ratio",
		Example: `  monitor predict --model model.json 1.pautomac.test -o predictions.csv
  monitor perplexity 1.pautomac_solution.txt predictions.csv`,
		Args: exactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := checkMaxLine(read.MaxLine); err != nil {
				return err
			}
			truth, err := learner.ReadSolution(cmd.Context(), args[0])
			if err != nil {
				return err
			}
			sums, err := learner.ReadPredictionSums(cmd.Context(), args[1], read)
			if err != nil {
				return err
			}
			logTruth := make([]float64, len(truth))
			for i, t := range truth {
				logTruth[i] = math.Log(t)
			}
			opt, err := learner.Perplexity(truth, logTruth)
			if err != nil {
				return err
			}
			pp, err := learner.Perplexity(truth, sums)
			if err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "%.6f %.6f %.6f\n", opt, pp, pp/opt)
			return nil
		},
	}
	maxLineFlag(cmd, &read.MaxLine)
	return cmd
}
