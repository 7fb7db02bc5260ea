package main

import (
	"fmt"

	"github.com/netflow-monitor/monitor/pipeline"
	"github.com/spf13/cobra"
)

func newVerifyCmd() *cobra.Command {
	c := pipeline.DefaultConfig()
	var locks folderLocks
	cmd := &cobra.Command{
		Use:   "verify",
		Short: "Check that every unit folder holds one complete set of outputs",
		Long: `verify checks every unit folder under the train and monitor folders: the
outputs of train and run are written as one set, listed with their sizes
and CRC-32C in the folder's manifest.json; verify reads them back and
fails if a folder holds files of two runs, a file that is not the one its
manifest lists, or outputs without a manifest. It also lists what killed
commands left (temporary files, unfinished generations), which the next
command writing the folder removes. It only reads.`,
		Args: noArgs(bothFolders),
		RunE: func(cmd *cobra.Command, _ []string) error {
			release, err := locks.take(cmd, reads(c.TrainRoot), reads(c.MonitorRoot))
			if err != nil {
				return err
			}
			defer release()
			checks, err := pipeline.Verify(c)
			if err != nil {
				return err
			}
			out := cmd.OutOrStdout()
			failed := 0
			for _, ch := range checks {
				switch {
				case ch.Err != nil:
					failed++
					fmt.Fprintf(out, "FAILED %s: %v\n", ch.Folder, ch.Err)
				case ch.Command == "":
					fmt.Fprintf(out, "ok     %s: no outputs\n", ch.Folder)
				default:
					fmt.Fprintf(out, "ok     %s: %d outputs of %s\n", ch.Folder, ch.Files, ch.Command)
				}
				for _, l := range ch.Leftovers {
					fmt.Fprintf(out, "       left by a killed command: %s\n", l)
				}
			}
			if failed > 0 {
				return fmt.Errorf("verify: %d of %d unit folders are not one complete set of outputs", failed, len(checks))
			}
			return nil
		},
	}
	f := cmd.Flags()
	f.StringVar(&c.TrainRoot, "train-data", c.TrainRoot, "train data folder")
	f.StringVar(&c.MonitorRoot, "monitor-data", c.MonitorRoot, "monitor data folder")
	locks.bind(f)
	return cmd
}
