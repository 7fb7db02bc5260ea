package main

import "github.com/spf13/cobra"

// newRootCmd builds the command tree. Each command lives in its own file;
// they wire packages together and hold no logic of their own.
func newRootCmd() *cobra.Command {
	root := &cobra.Command{
		Use:   "monitor",
		Short: "NetFlow root-cause monitor built on a passive automaton learner",
		Long: `monitor learns, for every service, a probabilistic automaton of the flows it
sends and receives, flags monitored flow windows that the automaton finds
unlikely (below mean - 7 sigma of the training scores), and explains each
alarm by the connection behind it: direction, peer, port, and since when.`,
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	root.AddCommand(
		newLearnCmd(),
		newPredictCmd(),
		newModelCmd(),
		newPerplexityCmd(),
		newTrainCmd(),
		newRunCmd(),
		newAllCmd(),
		newSplitCmd(),
		newEvaluateCmd(),
		newSimulateCmd(),
	)
	return root
}
