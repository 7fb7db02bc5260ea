package main

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/netflow-monitor/monitor/layout"
)

// A command's data folders are given by flags; before anything is locked
// or written, each is checked for what the command needs of it:
//
//   - an input (train's --train-data, run's both, evaluate's, report's
//     --monitor-data) must exist: a mistyped path is an error naming it,
//     never a new empty folder;
//   - an output (split's and simulate's folders) may be made, but only
//     the folder itself: its parent must exist;
//   - the train and monitor folders of one command must be two folders,
//     neither inside the other (layout.SeparateRoots).

// existingFolder returns an error unless path, the value of flag, is a
// folder that exists.
func existingFolder(flag, path string) error {
	st, err := os.Stat(path)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return fmt.Errorf("%s %s: no such folder (give the folder that holds one sub-folder per service; monitor split or monitor simulate makes one)", flag, path)
	case err != nil:
		return fmt.Errorf("%s %s: %w", flag, path, pathCause(err))
	case !st.IsDir():
		return fmt.Errorf("%s %s: not a folder", flag, path)
	}
	return nil
}

// outputFolder returns an error unless path, the value of flag, is a
// folder or can be made as one: its parent exists.
func outputFolder(flag, path string) error {
	st, err := os.Stat(path)
	if err == nil {
		if !st.IsDir() {
			return fmt.Errorf("%s %s: not a folder", flag, path)
		}
		return nil
	}
	if !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("%s %s: %w", flag, path, pathCause(err))
	}
	parent := filepath.Dir(filepath.Clean(path))
	if st, err := os.Stat(parent); err != nil || !st.IsDir() {
		return fmt.Errorf("%s %s: its parent folder %s does not exist (make it first; only the data folder itself is made)", flag, path, parent)
	}
	return nil
}

// inputFolders checks the train and monitor folders of a command that
// reads both: they exist, and they are two.
func inputFolders(train, monitor string) error {
	if err := existingFolder("--train-data", train); err != nil {
		return err
	}
	if err := existingFolder("--monitor-data", monitor); err != nil {
		return err
	}
	return separateFolders(train, monitor)
}

// outputFolders checks the train and monitor folders of a command that
// writes them (split, simulate): each is a folder or can be made, and
// they are two.
func outputFolders(train, monitor string) error {
	if err := outputFolder("--train-data", train); err != nil {
		return err
	}
	if err := outputFolder("--monitor-data", monitor); err != nil {
		return err
	}
	return separateFolders(train, monitor)
}

// separateFolders returns an error unless the train and monitor folders
// are two folders, neither inside the other.
func separateFolders(train, monitor string) error {
	if err := layout.SeparateRoots(train, monitor); err != nil {
		return fmt.Errorf("--train-data and --monitor-data: %w", err)
	}
	return nil
}

// pathCause is the system's reason in a path error ("permission
// denied"), without the operation and path it repeats.
func pathCause(err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}
