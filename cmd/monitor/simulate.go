package main

import (
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/netflow-monitor/monitor/simulate"
	"github.com/spf13/cobra"
)

func newSimulateCmd() *cobra.Command {
	cfg := simulate.DefaultConfig()
	var anomalies string
	var quiet bool
	var locks folderLocks
	var roles []string
	for _, r := range simulate.Roles() {
		roles = append(roles, fmt.Sprintf("%s %s", r.Name, r.Addr))
	}
	cmd := &cobra.Command{
		Use:   "simulate",
		Short: "Generate microservice flows with labelled injected anomalies into the train and monitor folders",
		Example: `  # the shipped example, byte for byte
  monitor simulate --train-data train_data --monitor-data monitor_data
  # a bigger network: 1 million flows
  monitor simulate --flows 1000000 --seed 7 --train-data T --monitor-data M`,
		Long: `simulate generates the flows of a small microservice network: user requests
that arrive at a daily rhythm and fan out from the frontend to the api, auth,
database, cache and queue, worker jobs, health checks, metrics scrapes, DNS,
NTP, replication and nightly batch jobs. The first five days train, the last
two are monitored, and the monitored flows carry injected anomalies:
exfiltration, port-scan, beaconing and unusual-port, each twice.

For every service it writes train_data/<ip>/<ip>_train_data.csv and
monitor_data/<ip>/<ip>_monitor_data.csv (every flow the service sends or
receives, sorted by time; label "normal" or "anomaly:<kind>") and the ground
truth monitor_data/injected_anomalies.csv (';'-separated: service; kind;
direction; peer; port; first_time; last_time; flows; instance).

--services N simulates the first N of: ` + strings.Join(roles, ", ") + `;
beyond eight, further cells of the same eight roles in 10.1.C.0/24 (api-2 at
10.1.1.11, ...), each with its own replicas, less busy than the one before
(a network of 100 services is twelve cells and a half, up to ` + fmt.Sprint(simulate.MaxServices) + `).
--flows is the exact number of distinct flows; a flow between two simulated
services is a row in both files. The same flags give byte-identical files.`,
		Args: noArgs(bothFolders),
		RunE: func(cmd *cobra.Command, _ []string) error {
			if cfg.Flows < 1 {
				return fmt.Errorf("--flows %d: must be positive", cfg.Flows)
			}
			if cfg.Services < 1 || cfg.Services > simulate.MaxServices {
				return fmt.Errorf("--services %d: must be 1 to %d", cfg.Services, simulate.MaxServices)
			}
			kinds, err := simulate.ParseKinds(anomalies)
			if err != nil {
				return fmt.Errorf("--anomalies: %w", err)
			}
			cfg.Anomalies = kinds
			if err := outputFolders(cfg.TrainRoot, cfg.MonitorRoot); err != nil {
				return err
			}
			release, err := locks.take(cmd, writes(cfg.TrainRoot), writes(cfg.MonitorRoot))
			if err != nil {
				return err
			}
			defer release()
			b := newBar(cmd.ErrOrStderr(), "simulate", quiet)
			if b.on() {
				cfg.Progress = b.Set
			}
			sum, err := simulate.Generate(cmd.Context(), cfg)
			b.finish()
			if errors.Is(err, simulate.ErrExists) {
				return fmt.Errorf("%w; pass --force to replace it", err)
			}
			if err != nil {
				return err
			}
			printSimulation(cmd.OutOrStdout(), &sum)
			return nil
		},
	}
	f := cmd.Flags()
	f.StringVar(&cfg.TrainRoot, "train-data", cfg.TrainRoot, "train data folder to write (one sub-folder per service)")
	f.StringVar(&cfg.MonitorRoot, "monitor-data", cfg.MonitorRoot, "monitor data folder to write (one sub-folder per service, and the ground truth)")
	f.IntVar(&cfg.Flows, "flows", cfg.Flows, "distinct flows over all services")
	f.Uint64Var(&cfg.Seed, "seed", cfg.Seed, "random seed")
	f.IntVar(&cfg.Services, "services", cfg.Services, fmt.Sprintf("number of services to simulate (1-%d; eight per cell)", simulate.MaxServices))
	f.StringVar(&anomalies, "anomalies", "all", "anomaly kinds to inject: all, none, or a comma list of exfiltration, port-scan, beaconing, unusual-port")
	f.BoolVarP(&quiet, "quiet", "q", false, "no progress bar")
	locks.bind(f)
	f.BoolVar(&cfg.Force, "force", false, "replace existing data: every service and group folder under both folders, and the ground truth")
	return cmd
}

// printSimulation reports what simulate wrote.
func printSimulation(w io.Writer, s *simulate.Summary) {
	fmt.Fprintf(w, "simulated %d flows: %d training (%s to %s), %d monitored (to %s), %d of them injected\n",
		s.Flows, s.TrainFlows, s.Start.Format(time.RFC3339), s.TrainEnd.Format(time.RFC3339),
		s.MonitorFlows, s.End.Format(time.RFC3339), s.AnomalousFlows)
	for _, v := range s.Services {
		fmt.Fprintf(w, "%-9s %-10s %8d train rows %8d monitor rows %6d anomalous\n",
			v.Role, v.Addr, v.TrainRows, v.MonitorRows, v.AnomalousRows)
	}
	for _, in := range s.Injections {
		dir, port := "inbound from", "*"
		if in.Outbound {
			dir = "outbound to"
		}
		if in.Port != 0 {
			port = fmt.Sprint(in.Port)
		}
		fmt.Fprintf(w, "anomaly %2d %-12s %-10s %-12s %-14s port %-5s %s  %4d flows\n",
			in.Instance, in.Kind, in.Service, dir, in.Peer, port, in.First.Format(time.RFC3339), in.Flows)
	}
	fmt.Fprintf(w, "ground truth: %s\n", s.GroundTruth)
}
