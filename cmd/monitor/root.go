package main

import (
	"fmt"
	"os"
	"runtime/pprof"

	"github.com/spf13/cobra"
)

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
		Version:       version(),
	}
	root.SetFlagErrorFunc(flagError)
	var configPath string
	root.PersistentFlags().StringVar(&configPath, "config", "", "YAML file of flag values (see monitor.yaml); flags on the command line win")
	// Profiling, for developers: go tool pprof monitor cpu.prof (or
	// mem.prof, with -sample_index=alloc_space for where memory went).
	var cpuProfile, memProfile string
	var cpuFile *os.File
	root.PersistentFlags().StringVar(&cpuProfile, "cpuprofile", "", "write a CPU profile to this file")
	root.PersistentFlags().StringVar(&memProfile, "memprofile", "", "write a heap profile to this file at the end")
	_ = root.PersistentFlags().MarkHidden("cpuprofile")
	_ = root.PersistentFlags().MarkHidden("memprofile")
	root.PersistentPreRunE = func(cmd *cobra.Command, _ []string) error {
		if configPath != "" {
			if err := applyConfig(cmd, configPath); err != nil {
				return err
			}
		}
		if cpuProfile == "" {
			return nil
		}
		f, err := os.Create(cpuProfile)
		if err != nil {
			return fmt.Errorf("--cpuprofile: %w", err)
		}
		cpuFile = f
		return pprof.StartCPUProfile(f)
	}
	root.PersistentPostRunE = func(*cobra.Command, []string) error {
		if memProfile != "" {
			if err := writeHeapProfile(memProfile); err != nil {
				return fmt.Errorf("--memprofile: %w", err)
			}
		}
		if cpuFile == nil {
			return nil
		}
		pprof.StopCPUProfile()
		return cpuFile.Close()
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
		newVerifyCmd(),
		newReportCmd(),
		newTagCmd(),
		newSilenceCmd(),
		// Services: they run until stopped, and a stop by Ctrl-C or
		// SIGTERM is their normal end (exit 0, see main).
		stopsBySignal(newWatchCmd()),
		stopsBySignal(newRouteCmd()),
		stopsBySignal(newServeCmd()),
	)
	if err := completeValues(root); err != nil {
		panic(err) // a flag registered twice: a programming error
	}
	return root
}

// writeHeapProfile writes the heap profile (allocations since the start
// and what is live now) to path.
func writeHeapProfile(path string) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	if err := pprof.Lookup("heap").WriteTo(f, 0); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}
