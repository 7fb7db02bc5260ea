package main

import (
	"fmt"
	"os"
	"os/user"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/netflow-monitor/monitor/triage"
	"github.com/spf13/cobra"
)

// whoAmI is the default of --by: the user running the command.
func whoAmI() string {
	if u, err := user.Current(); err == nil && u.Username != "" {
		return u.Username
	}
	return os.Getenv("USER")
}

func newTagCmd() *cobra.Command {
	monitorRoot := "monitor_data"
	var comment, by string
	var remove bool
	cmd := &cobra.Command{
		Use:   "tag INCIDENT confirmed|expected|false-positive",
		Short: "Tag an incident of the last run: confirmed, expected or false-positive, with a comment and who",
		Long: `tag records an analyst's verdict on an incident in the monitor folder's
tags.csv: INCIDENT is its id (the id column of incidents.csv, or its first 8
characters or more, as the report shows it). The report, watch's alerts and
serve show the tag. An incident tagged expected or false-positive is
learned as normal by the next train: its host's flows from its first to its
last root-cause flow join that host's training (see monitor train --help),
so that the next run no longer flags it. Tagging again replaces the tag;
--remove takes it away.`,
		Example: `  monitor tag 5f0c6a56 expected --comment "the backup agent's nightly upload" --by alice
  monitor tag 5f0c6a56-2a57-5c3e-9d4f-0b7f3b1b9a10 confirmed --comment "C&C, host isolated"
  monitor tag 5f0c6a56 --remove
  # learn the expected incidents, then look again
  monitor train && monitor run`,
		Args: func(cmd *cobra.Command, args []string) error {
			if remove {
				return exactArgs(1)(cmd, args)
			}
			return exactArgs(2)(cmd, args)
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := existingFolder("--monitor-data", monitorRoot); err != nil {
				return err
			}
			in, err := triage.Find(monitorRoot, args[0])
			if err != nil {
				return err
			}
			out := cmd.OutOrStdout()
			what := fmt.Sprintf("%s (%s: %s)", short(in.ID), in.Unit, in.Summary)
			if remove {
				removed, err := triage.RemoveTag(cmd.Context(), monitorRoot, in.ID)
				if err != nil {
					return err
				}
				if !removed {
					fmt.Fprintf(out, "%s was not tagged\n", what)
					return nil
				}
				fmt.Fprintf(out, "untagged %s\n", what)
				return nil
			}
			label, err := triage.ParseLabel(args[1])
			if err != nil {
				return err
			}
			t, err := in.TagOf(label, comment, by, time.Now())
			if err != nil {
				return err
			}
			if err := triage.SetTag(cmd.Context(), monitorRoot, t); err != nil {
				return err
			}
			fmt.Fprintf(out, "tagged %s %s by %s\n", what, label, by)
			if label.Learned() {
				fmt.Fprintf(out, "the next train learns its flows as %s's normal traffic\n", in.Unit)
			}
			return nil
		},
	}
	f := cmd.Flags()
	f.StringVar(&monitorRoot, "monitor-data", monitorRoot, "monitor data folder of the run")
	f.StringVar(&comment, "comment", "", "why: what the analyst found")
	f.StringVar(&by, "by", whoAmI(), "who tags it")
	f.BoolVar(&remove, "remove", false, "remove the incident's tag")
	return cmd
}

// short is an id as the report shows it.
func short(id string) string { return id[:min(8, len(id))] }

func newSilenceCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "silence",
		Short: "Silence incidents that are known: add, list, expire",
		Long: `A silence mutes the incidents its matchers all match while it is active, as
Alertmanager's silences do: matchers on unit, kind, direction, peer and port
(field=value, field!=value, field=~regexp, field!~regexp; regular
expressions match the whole value), from a start to an end. A silenced
incident is still found and counted: run prints it as silenced, the report
lists it under silenced incidents, and watch's alerts carry the ids of the
silences that mute it. Silences are kept in the monitor folder's
silences.csv.`,
		Example: `  monitor silence add kind="port scan" peer=10.1.0.10 --expires 168h --comment "weekly vulnerability scan" --by alice
  monitor silence add unit=~'10\.1\.0\.1[45]' kind=beaconing --until 2024-02-01T00:00:00Z
  monitor silence list
  monitor silence expire 0b1e4c7d`,
	}
	cmd.AddCommand(newSilenceAddCmd(), newSilenceListCmd(), newSilenceExpireCmd())
	return cmd
}

func newSilenceAddCmd() *cobra.Command {
	monitorRoot := "monitor_data"
	var comment, by, until string
	var expires time.Duration
	cmd := &cobra.Command{
		Use:   "add MATCHER... (--expires DURATION | --until TIME)",
		Short: "Add a silence: incidents that all its matchers match are silenced until it ends",
		Example: `  monitor silence add kind="port scan" peer=10.1.0.10 --expires 168h --comment "weekly vulnerability scan"
  monitor silence add unit=10.1.0.12 port=443 --until 2024-02-01T00:00:00Z`,
		Args: minArgs(1, "matcher"),
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := existingFolder("--monitor-data", monitorRoot); err != nil {
				return err
			}
			s := triage.Silence{Starts: time.Now(), By: by, Comment: comment}
			seen := map[string]bool{}
			for _, a := range args {
				m, err := triage.ParseMatcher(a)
				if err != nil {
					return err
				}
				if seen[m.Name] {
					return fmt.Errorf("%s: %s is matched twice; a silence has one matcher per field", a, m.Name)
				}
				seen[m.Name] = true
				s.Matchers = append(s.Matchers, m)
			}
			switch {
			case until != "" && expires != 0:
				return fmt.Errorf("give --expires or --until, not both")
			case until != "":
				t, err := time.Parse(time.RFC3339, until)
				if err != nil {
					return fmt.Errorf("--until %q: not a time like 2024-02-01T00:00:00Z", until)
				}
				s.Ends = t
			case expires > 0:
				s.Ends = s.Starts.Add(expires)
			default:
				return fmt.Errorf("give how long the silence lasts: --expires 24h, or --until 2024-02-01T00:00:00Z")
			}
			if !s.Ends.After(s.Starts) {
				return fmt.Errorf("the silence would end (%s) before it starts (%s)", s.Ends.UTC().Format(time.RFC3339), s.Starts.UTC().Format(time.RFC3339))
			}
			s, err := triage.AddSilence(cmd.Context(), monitorRoot, s)
			if err != nil {
				return err
			}
			st, err := triage.Load(monitorRoot)
			if err != nil {
				return err
			}
			ins, _, err := triage.ReadIncidents(monitorRoot, st, time.Now())
			if err != nil {
				return err
			}
			n := 0
			for _, in := range ins {
				if s.Matches(in.Subject()) {
					n++
				}
			}
			fmt.Fprintf(cmd.OutOrStdout(), "silence %s (%s) until %s: it matches %s of the last run\n",
				s.ID, s.MatcherText(), s.Ends.Format(time.RFC3339), count(n, "incident"))
			return nil
		},
	}
	f := cmd.Flags()
	f.StringVar(&monitorRoot, "monitor-data", monitorRoot, "monitor data folder")
	f.DurationVar(&expires, "expires", 0, "how long from now the silence lasts (e.g. 2h, 168h)")
	f.StringVar(&until, "until", "", "when the silence ends (RFC 3339)")
	f.StringVar(&comment, "comment", "", "why")
	f.StringVar(&by, "by", whoAmI(), "who silences")
	return cmd
}

func newSilenceListCmd() *cobra.Command {
	monitorRoot := "monitor_data"
	var all bool
	cmd := &cobra.Command{
		Use:     "list",
		Short:   "List the silences that are active or pending (--all: expired ones too)",
		Example: `  monitor silence list --monitor-data monitor_data --all`,
		Args:    noArgs("give the monitor data folder with --monitor-data DIR"),
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := existingFolder("--monitor-data", monitorRoot); err != nil {
				return err
			}
			st, err := triage.Load(monitorRoot)
			if err != nil {
				return err
			}
			now := time.Now()
			w := tabwriter.NewWriter(cmd.OutOrStdout(), 0, 4, 2, ' ', 0)
			fmt.Fprintln(w, "ID\tSTATE\tMATCHERS\tSTARTS\tENDS\tBY\tCOMMENT")
			for _, s := range st.Silences {
				state := s.State(now)
				if state == "expired" && !all {
					continue
				}
				fmt.Fprintf(w, "%s\t%s\t%s\t%s\t%s\t%s\t%s\n", s.ID, state, s.MatcherText(), s.Starts.Format(time.RFC3339), s.Ends.Format(time.RFC3339), s.By, s.Comment)
			}
			return w.Flush()
		},
	}
	f := cmd.Flags()
	f.StringVar(&monitorRoot, "monitor-data", monitorRoot, "monitor data folder")
	f.BoolVar(&all, "all", false, "expired silences too")
	return cmd
}

func newSilenceExpireCmd() *cobra.Command {
	monitorRoot := "monitor_data"
	cmd := &cobra.Command{
		Use:     "expire SILENCE...",
		Short:   "End silences now (by id, or its first 8 characters or more)",
		Example: `  monitor silence expire 0b1e4c7d`,
		Args:    minArgs(1, "silence id"),
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := existingFolder("--monitor-data", monitorRoot); err != nil {
				return err
			}
			st, err := triage.Load(monitorRoot)
			if err != nil {
				return err
			}
			for _, a := range args {
				id, err := silenceID(st, a)
				if err != nil {
					return err
				}
				s, err := triage.ExpireSilence(cmd.Context(), monitorRoot, id, time.Now())
				if err != nil {
					return err
				}
				fmt.Fprintf(cmd.OutOrStdout(), "silence %s (%s) ended %s\n", s.ID, s.MatcherText(), s.Ends.Format(time.RFC3339))
			}
			return nil
		},
	}
	cmd.Flags().StringVar(&monitorRoot, "monitor-data", monitorRoot, "monitor data folder")
	return cmd
}

// silenceID finds the silence a full id or a prefix of 8 characters or
// more names.
func silenceID(st *triage.Store, id string) (string, error) {
	var found []string
	for _, s := range st.Silences {
		if s.ID == id || len(id) >= 8 && strings.HasPrefix(s.ID, id) {
			found = append(found, s.ID)
		}
	}
	switch len(found) {
	case 1:
		return found[0], nil
	case 0:
		return "", fmt.Errorf("silence %s: %w (monitor silence list --all lists them)", id, triage.ErrNoSilence)
	}
	return "", fmt.Errorf("%s names %d silences: give more of the id", id, len(found))
}
