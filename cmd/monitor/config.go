package main

import (
	"fmt"
	"os"
	"slices"
	"strings"

	"github.com/netflow-monitor/monitor/input"
	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
	"go.yaml.in/yaml/v3"
)

// applyConfig sets the flags of cmd that the command line left unset from
// the YAML file path (see monitor.yaml): a top-level key sets the flag of
// that name in every command that has it; a key under a command's name
// ("train:", "run:") sets it for that command only, over a top-level one.
// A list sets a repeatable flag once per item. Keys that no command knows
// are errors naming the file and line.
func applyConfig(cmd *cobra.Command, path string) error {
	b, err := os.ReadFile(path)
	if err != nil {
		return fmt.Errorf("--config: %w", err)
	}
	var doc yaml.Node
	if err := yaml.Unmarshal(b, &doc); err != nil {
		return fmt.Errorf("--config %s: %w", path, err)
	}
	if len(doc.Content) == 0 {
		return nil // an empty file
	}
	top := doc.Content[0]
	if top.Kind != yaml.MappingNode {
		return fmt.Errorf("--config %s:%d: want a mapping of flag names to values", path, top.Line)
	}
	root := cmd.Root()
	commands := map[string]*cobra.Command{}
	for _, c := range root.Commands() {
		commands[c.Name()] = c
	}
	values := map[string]*yaml.Node{}  // flag -> value for this command
	fromTop := map[string]*yaml.Node{} // top-level values
	for i := 0; i+1 < len(top.Content); i += 2 {
		k, v := top.Content[i], top.Content[i+1]
		if sub, ok := commands[k.Value]; ok && v.Kind == yaml.MappingNode {
			for j := 0; j+1 < len(v.Content); j += 2 {
				sk, sv := v.Content[j], v.Content[j+1]
				if sub.Flags().Lookup(sk.Value) == nil {
					return fmt.Errorf("--config %s:%d: %q is not a flag of %q", path, sk.Line, sk.Value, sub.Name())
				}
				if sub == cmd {
					values[sk.Value] = sv
				}
			}
			continue
		}
		if !anyCommandHas(root, k.Value) {
			return fmt.Errorf("--config %s:%d: %q is neither a flag nor a command", path, k.Line, k.Value)
		}
		fromTop[k.Value] = v
	}
	for name, v := range fromTop {
		if _, set := values[name]; !set && cmd.Flags().Lookup(name) != nil {
			values[name] = v
		}
	}
	names := make([]string, 0, len(values))
	for name := range values {
		names = append(names, name)
	}
	slices.Sort(names)
	for _, name := range names {
		f := cmd.Flags().Lookup(name)
		if f.Changed || name == "config" {
			continue
		}
		if err := setFromYAML(f, values[name]); err != nil {
			return fmt.Errorf("--config %s:%d: %s: %s", path, values[name].Line, name, err)
		}
	}
	return nil
}

// anyCommandHas reports whether a command of the tree has the flag.
func anyCommandHas(c *cobra.Command, name string) bool {
	if c.Flags().Lookup(name) != nil || c.PersistentFlags().Lookup(name) != nil {
		return true
	}
	for _, sub := range c.Commands() {
		if anyCommandHas(sub, name) {
			return true
		}
	}
	return false
}

// setFromYAML sets a flag from a scalar, or from each item of a sequence
// for a repeatable flag.
func setFromYAML(f *pflag.Flag, v *yaml.Node) error {
	switch v.Kind {
	case yaml.ScalarNode:
		if err := f.Value.Set(v.Value); err != nil {
			return fmt.Errorf("%s: %s", input.Quote(v.Value), valueProblem(f, err))
		}
		return nil
	case yaml.SequenceNode:
		if _, ok := f.Value.(pflag.SliceValue); !ok && !strings.HasSuffix(f.Value.Type(), "Array") {
			return fmt.Errorf("takes one value, not a list")
		}
		for _, item := range v.Content {
			if item.Kind != yaml.ScalarNode {
				return fmt.Errorf("list items must be plain values")
			}
			if err := f.Value.Set(item.Value); err != nil {
				return fmt.Errorf("%s: %s", input.Quote(item.Value), valueProblem(f, err))
			}
		}
		return nil
	}
	return fmt.Errorf("want a value or a list of values")
}
