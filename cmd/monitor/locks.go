package main

import (
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/netflow-monitor/monitor/layout"
	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
)

// folderLocks is a command's --wait flag and its hold on the data folders
// it uses (see layout.LockFolders): one writer per folder at a time.
type folderLocks struct {
	wait time.Duration
}

func (fl *folderLocks) bind(f *pflag.FlagSet) {
	f.DurationVar(&fl.wait, "wait", 0, "if another command is using the data folders, wait up to this long (e.g. 30s, 10m) instead of failing at once")
}

// take locks the folders for the command and returns the function that
// releases them. What killed commands left and cannot be removed is
// reported as a warning; it does not stop the command.
func (fl *folderLocks) take(cmd *cobra.Command, uses ...layout.FolderUse) (release func(), err error) {
	warn := func(err error) { fmt.Fprintf(cmd.ErrOrStderr(), "warning: %v\n", err) }
	ls, err := layout.LockFolders(cmd.Context(), uses, fl.wait, strings.Join(os.Args, " "), warn)
	if err != nil {
		return nil, err
	}
	return func() { _ = ls.Unlock() }, nil
}

func reads(root string) layout.FolderUse { return layout.FolderUse{Root: root, Mode: layout.Shared} }
func writes(root string) layout.FolderUse {
	return layout.FolderUse{Root: root, Mode: layout.Exclusive}
}
