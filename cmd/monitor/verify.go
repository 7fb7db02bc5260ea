package main

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/netflow-monitor/monitor/layout"
	"github.com/netflow-monitor/monitor/pipeline"
	"github.com/spf13/cobra"
)

func newVerifyCmd() *cobra.Command {
	c := pipeline.DefaultConfig()
	var locks folderLocks
	cmd := &cobra.Command{
		Use:   "verify",
		Short: "Check that every unit folder holds one complete set of outputs",
		Example: `  monitor verify --train-data train_data --monitor-data monitor_data
  # wait for a running train or run to finish first
  monitor verify --monitor-data monitor_data --wait 10m`,
		Long: `verify checks every unit folder under the train and monitor folders: the
outputs of train and run are written as one set, listed with their sizes
and CRC-32C in the folder's manifest.json; verify reads them back and
fails if a folder holds files of two runs, a file that is not the one its
manifest lists, or outputs without a manifest. It also lists what killed
commands left (temporary files, unfinished generations), which the next
command writing the folder removes.

It only reads, and needs only read access. It runs alongside a command
that writes the folders (watch, train, run): a unit folder switched to new
outputs while it is read is read again. With --wait it waits for such a
command to finish first.`,
		Args: noArgs(bothFolders),
		RunE: func(cmd *cobra.Command, _ []string) error {
			roots, err := verifyRoots(cmd, c.TrainRoot, c.MonitorRoot)
			if err != nil {
				return err
			}
			busy, release, err := verifyLocks(cmd, &locks, roots)
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
					fmt.Fprintf(out, "ok     %s: %s of %s\n", ch.Folder, count(ch.Files, "output"), ch.Command)
				}
				for _, l := range ch.Leftovers {
					if who, ok := busy[rootOf(l, roots)]; ok {
						fmt.Fprintf(out, "       being written by %s: %s\n", who, l)
					} else {
						fmt.Fprintf(out, "       left by a killed command: %s\n", l)
					}
				}
			}
			if failed > 0 {
				return fmt.Errorf("verify: %d of %s are not one complete set of outputs", failed, count(len(checks), "unit folder"))
			}
			return nil
		},
	}
	f := cmd.Flags()
	f.StringVar(&c.TrainRoot, "train-data", c.TrainRoot, "train data folder")
	f.StringVar(&c.MonitorRoot, "monitor-data", c.MonitorRoot, "monitor data folder")
	f.DurationVar(&locks.wait, "wait", 0, "wait up to this long (e.g. 30s, 10m) for commands writing the folders to finish, instead of verifying alongside them")
	return cmd
}

// verifyRoots returns the folders verify checks: a folder named on the
// command line must exist; a default one that does not is said so and
// left out; with neither, there is nothing to verify, which is an error.
func verifyRoots(cmd *cobra.Command, train, monitor string) ([]string, error) {
	var roots []string
	for _, r := range []struct{ flag, path string }{{"--train-data", train}, {"--monitor-data", monitor}} {
		err := existingFolder(r.flag, r.path)
		switch {
		case err == nil:
			roots = append(roots, r.path)
		case cmd.Flags().Changed(r.flag[2:]):
			return nil, err
		default:
			if _, serr := os.Stat(r.path); serr == nil {
				return nil, err // there, but not a folder
			}
			fmt.Fprintf(cmd.ErrOrStderr(), "note: %s does not exist: nothing to verify there\n", r.path)
		}
	}
	if len(roots) == 0 {
		return nil, fmt.Errorf("nothing to verify: neither %s nor %s exists (give them with --train-data and --monitor-data)", train, monitor)
	}
	if len(roots) == 2 {
		if err := separateFolders(train, monitor); err != nil {
			return nil, err
		}
	}
	return roots, nil
}

// verifyLocks takes a reader's lock on each root. Without --wait, a root
// that a writer holds is verified alongside it (busy names the writer);
// with --wait, verify waits for the writers as other commands do.
func verifyLocks(cmd *cobra.Command, locks *folderLocks, roots []string) (busy map[string]string, release func(), err error) {
	if locks.wait > 0 {
		var uses []layout.FolderUse
		for _, r := range roots {
			uses = append(uses, reads(r))
		}
		release, err := locks.take(cmd, uses...)
		return nil, release, err
	}
	busy = map[string]string{}
	var held layout.Locks
	for _, r := range roots {
		l, err := layout.LockFolder(cmd.Context(), r, layout.Shared, 0, strings.Join(os.Args, " "))
		if errors.Is(err, layout.ErrLocked) {
			who := "another command"
			if h, herr := layout.ReadHolder(r); herr == nil && h.PID > 0 {
				who = fmt.Sprintf("process %d (%s, since %s)", h.PID, h.Command, h.Since.Format(time.RFC3339))
			}
			busy[r] = who
			fmt.Fprintf(cmd.ErrOrStderr(), "note: %s is being written by %s: verifying alongside it\n", r, who)
			continue
		}
		if err != nil {
			_ = held.Unlock()
			return nil, nil, err
		}
		held = append(held, l)
	}
	return busy, func() { _ = held.Unlock() }, nil
}

// rootOf returns which of roots a path is in (a leftover in a root, or in
// a unit folder of it), or "".
func rootOf(path string, roots []string) string {
	for _, r := range roots {
		if d := filepath.Dir(path); d == filepath.Clean(r) || filepath.Dir(d) == filepath.Clean(r) {
			return r
		}
	}
	return ""
}
