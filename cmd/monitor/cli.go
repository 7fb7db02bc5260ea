package main

import (
	"errors"
	"fmt"
	"runtime/debug"
	"strconv"
	"strings"

	"github.com/netflow-monitor/monitor/evaluation"
	"github.com/netflow-monitor/monitor/flows"
	"github.com/netflow-monitor/monitor/input"
	"github.com/netflow-monitor/monitor/learner"
	"github.com/netflow-monitor/monitor/plots"
	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
)

// version returns the program's version from its build information: the
// module version (a tag, or "(devel)" for a build from a checkout), and the
// VCS revision and time it was built from, "+modified" when the tree had
// changes.
func version() string {
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		return "unknown"
	}
	v := bi.Main.Version
	if v == "" {
		v = "(devel)"
	}
	var rev, at, dirty string
	for _, s := range bi.Settings {
		switch s.Key {
		case "vcs.revision":
			rev = s.Value
		case "vcs.time":
			at = s.Value
		case "vcs.modified":
			if s.Value == "true" {
				dirty = "+modified"
			}
		}
	}
	if rev != "" {
		v += fmt.Sprintf(" (revision %.12s%s, %s)", rev, dirty, at)
	}
	return v + ", " + bi.GoVersion
}

// noArgs is the Args check of commands that work on the data folders:
// they take no positional arguments, and a path given as one is named
// with the flag it belongs to.
func noArgs(folders string) cobra.PositionalArgs {
	return func(cmd *cobra.Command, args []string) error {
		if len(args) == 0 {
			return nil
		}
		return fmt.Errorf("%q takes no arguments (got %q): %s", cmd.CommandPath(), strings.Join(args, " "), folders)
	}
}

// exactArgs is the Args check of a command that takes n positional
// arguments (files): a wrong count is said in words, with the command's
// usage line, rather than cobra's "accepts 1 arg(s), received 0".
func exactArgs(n int) cobra.PositionalArgs {
	return func(cmd *cobra.Command, args []string) error {
		if len(args) == n {
			return nil
		}
		return fmt.Errorf("%s takes %s, got %d: %s (see --help)", subcommand(cmd), count(n, "argument"), len(args), usage(cmd))
	}
}

// minArgs is the Args check of a command that takes at least n
// positional arguments, each a what ("flow file").
func minArgs(n int, what string) cobra.PositionalArgs {
	return func(cmd *cobra.Command, args []string) error {
		if len(args) >= n {
			return nil
		}
		return fmt.Errorf("%s needs at least %s: %s (see --help)", subcommand(cmd), count(n, what), usage(cmd))
	}
}

// subcommand is a command's path without the program's name ("model dot").
func subcommand(cmd *cobra.Command) string {
	return strings.TrimPrefix(cmd.CommandPath(), cmd.Root().Name()+" ")
}

// usage is a command's usage line without cobra's " [flags]".
func usage(cmd *cobra.Command) string { return strings.TrimSuffix(cmd.UseLine(), " [flags]") }

// Hints for noArgs.
const (
	trainFolders = "give the train data folder with --train-data DIR (one sub-folder per service); see --help"
	bothFolders  = "give the folders with --train-data DIR and --monitor-data DIR (one sub-folder per service); see --help"
)

// flagError words a flag error for users and adds where to look: a bad
// value says what the flag wants (not strconv's "parsing ...: invalid
// syntax"), an unknown flag the command's flag nearest to it: within two
// edits, or one it begins.
func flagError(cmd *cobra.Command, err error) error {
	var iv *pflag.InvalidValueError
	if errors.As(err, &iv) {
		return fmt.Errorf("--%s %s: %s (see %s --help)", iv.GetFlag().Name, input.Quote(iv.GetValue()), valueProblem(iv.GetFlag(), iv.Unwrap()), cmd.CommandPath())
	}
	name, ok := strings.CutPrefix(err.Error(), "unknown flag: --")
	if !ok {
		return fmt.Errorf("%w (see %s --help)", err, cmd.CommandPath())
	}
	best, dist := "", 3
	cmd.Flags().VisitAll(func(f *pflag.Flag) {
		if f.Hidden {
			return
		}
		d := editDistance(name, f.Name)
		if len(name) >= 3 && strings.HasPrefix(f.Name, name) {
			d = min(d, 2)
		}
		if d < dist {
			best, dist = f.Name, d
		}
	})
	if best == "" {
		return fmt.Errorf("%w (see %s --help)", err, cmd.CommandPath())
	}
	return fmt.Errorf("%w (did you mean --%s?)", err, best)
}

// valueProblem says in words what is wrong with a value given to flag f,
// whose parser failed with cause: the kind of value it wants for the
// standard kinds (whose parsers speak of strconv), else cause, which the
// project's own flag types word for users.
func valueProblem(f *pflag.Flag, cause error) string {
	var ne *strconv.NumError
	numeric := errors.As(cause, &ne)
	switch typ := f.Value.Type(); {
	case numeric && errors.Is(ne.Err, strconv.ErrRange):
		return "out of range"
	case typ == "bool":
		return "want true or false"
	case typ == "duration":
		return "want a duration like 30s, 10m or 1h30m"
	case numeric && strings.HasPrefix(typ, "float"):
		return "not a number"
	case numeric && strings.HasPrefix(typ, "uint"):
		return "want a whole number >= 0"
	case numeric:
		return "want a whole number"
	case cause == nil:
		return "not a valid value"
	}
	return cause.Error()
}

// editDistance is the Levenshtein distance of two names.
func editDistance(a, b string) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}

// completeValues registers shell completions of the flags whose values
// come from a table: flow and trace formats, encoders, heuristics,
// evaluation detectors.
func completeValues(root *cobra.Command) error {
	fixed := func(vals ...string) cobra.CompletionFunc {
		return cobra.FixedCompletions(vals, cobra.ShellCompDirectiveNoFileComp)
	}
	var errs []error
	var walk func(c *cobra.Command)
	walk = func(c *cobra.Command) {
		table := map[string]cobra.CompletionFunc{
			"encoder":     fixed(flows.EncoderNames()...),
			"heuristic":   fixed(learner.Heuristics()...),
			"detector":    fixed(evaluation.DetectorNames()...),
			"format":      fixed(append([]string{"auto"}, flows.FormatNames()...)...),
			"plot-format": fixed(string(plots.PNG), string(plots.SVG)),
		}
		if c.Name() == "learn" || c.Name() == "predict" {
			table["format"] = fixed(learner.FormatAbbadingo, learner.FormatPAutomaC)
		}
		for name, fn := range table {
			if c.Flags().Lookup(name) != nil {
				errs = append(errs, c.RegisterFlagCompletionFunc(name, fn))
			}
		}
		for _, sub := range c.Commands() {
			walk(sub)
		}
	}
	walk(root)
	return errors.Join(errs...)
}

// plotFormat is the --plot-format flag's value.
type plotFormat plots.Format

func (p *plotFormat) String() string {
	if *p == "" {
		return string(plots.PNG)
	}
	return string(*p)
}

func (p *plotFormat) Type() string { return "format" }

func (p *plotFormat) Set(s string) error {
	f, err := plots.ParseFormat(s)
	if err != nil {
		return err
	}
	*p = plotFormat(f)
	return nil
}

// bindPlotFormat adds --plot-format to a command's flags.
func bindPlotFormat(f *pflag.FlagSet, p *plots.Format) {
	f.Var((*plotFormat)(p), "plot-format", "format of the plots: png or svg")
}
