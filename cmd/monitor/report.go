package main

import (
	"fmt"
	"path/filepath"

	"github.com/netflow-monitor/monitor/htmlreport"
	"github.com/spf13/cobra"
)

func newReportCmd() *cobra.Command {
	monitorRoot := "monitor_data"
	var locks folderLocks
	cmd := &cobra.Command{
		Use:   "report",
		Short: "Write the run's HTML report (monitor_data/report.html)",
		Example: `  monitor report --monitor-data monitor_data
  xdg-open monitor_data/report.html`,
		Long: `report writes one self-contained HTML page of the last run (run and all
write it too): the summary of every monitored host, each host's plot,
incidents and top connections, and the alarm windows they come from. It
reads only the run's files in the monitor folder, and loads nothing from
elsewhere when opened.`,
		Args: noArgs("give the monitor data folder with --monitor-data DIR; see --help"),
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := existingFolder("--monitor-data", monitorRoot); err != nil {
				return err
			}
			release, err := locks.take(cmd, writes(monitorRoot))
			if err != nil {
				return err
			}
			defer release()
			if err := htmlreport.Write(monitorRoot, htmlreport.Options{}); err != nil {
				return err
			}
			fmt.Fprintln(cmd.OutOrStdout(), filepath.Join(monitorRoot, htmlreport.File))
			return nil
		},
	}
	f := cmd.Flags()
	f.StringVar(&monitorRoot, "monitor-data", monitorRoot, "monitor data folder")
	locks.bind(f)
	return cmd
}
