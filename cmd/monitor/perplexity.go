package main

import (
	"fmt"
	"math"

	"github.com/netflow-monitor/monitor/learner"
	"github.com/spf13/cobra"
)

func newPerplexityCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "perplexity SOLUTION PREDICTIONS.csv",
		Short: "PAutomaC score of a predictions CSV: prints optimum, candidate perplexity and their ratio",
		Args:  cobra.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			truth, err := learner.ReadSolution(args[0])
			if err != nil {
				return err
			}
			sums, err := learner.ReadPredictionSums(args[1])
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
}
