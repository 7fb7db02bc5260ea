package layout

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"
)

// LockFile is the advisory lock file at the top of a data folder.
const LockFile = ".monitor.lock"

// LockMode says how a command uses a data folder: it reads it (Shared:
// other readers may too) or writes it (Exclusive: nobody else).
type LockMode int

// Lock modes.
const (
	Shared LockMode = iota
	Exclusive
)

// ErrLocked is wrapped by the error of a lock that another command holds.
var ErrLocked = errors.New("data folder in use")

// Lock is a command's hold on a data folder: an advisory lock on the
// folder's LockFile (flock on Unix, LockFileEx on Windows). The operating
// system releases it when the process ends, however it ends, so a lock
// never outlives its holder.
type Lock struct {
	root string
	f    *os.File
}

// Holder is what a lock file says of the command that took it last.
type Holder struct {
	PID     int
	Command string
	Since   time.Time
}

// LockFolder takes a lock on the data folder root for the command
// described by command (its command line, for other commands' messages).
// A writer (Exclusive) creates the folder if needed (not its parent: a
// mistyped path is not made), and must be able to write into it (see
// Writable). A reader (Shared) needs to read the folder only: it takes
// its lock through a lock file opened for reading when it cannot write
// one, and without a lock file (a folder no writer has used) it gets a
// nil Lock and no error, as it does for a folder that does not exist:
// there is nothing to protect. When another command holds a conflicting
// lock, LockFolder tries again until wait has passed (0: not at all) or
// ctx is done, then fails with an error that wraps ErrLocked and names
// the holder.
func LockFolder(ctx context.Context, root string, mode LockMode, wait time.Duration, command string) (*Lock, error) {
	path := filepath.Join(root, LockFile)
	var f *os.File
	if mode == Exclusive {
		if err := os.Mkdir(root, 0o755); err != nil && !errors.Is(err, fs.ErrExist) {
			if errors.Is(err, fs.ErrNotExist) {
				return nil, fmt.Errorf("%s: its parent folder %s does not exist", root, filepath.Dir(filepath.Clean(root)))
			}
			return nil, fmt.Errorf("lock %s: %w", root, err)
		}
		if st, err := os.Stat(root); err != nil || !st.IsDir() {
			return nil, fmt.Errorf("%s: not a folder", root)
		}
		if err := Writable(root); err != nil {
			return nil, fmt.Errorf("%w: nothing in it was changed", err)
		}
		var err error
		if f, err = os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o644); err != nil {
			return nil, fmt.Errorf("lock %s: %w", root, err)
		}
	} else {
		if _, err := os.Stat(root); errors.Is(err, fs.ErrNotExist) {
			return nil, nil
		}
		var err error
		if f, err = os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o644); err != nil {
			// A reader without write access: the lock file as it is.
			f, err = os.Open(path)
			if errors.Is(err, fs.ErrNotExist) {
				return nil, nil
			}
			if err != nil {
				return nil, fmt.Errorf("lock %s: %w", root, err)
			}
		}
	}
	if err := waitLock(ctx, f, mode == Exclusive, wait, func() error { return lockedError(root, path, wait) }); err != nil {
		return nil, err
	}
	l := &Lock{root: root, f: f}
	l.record(command)
	return l, nil
}

// LockPath takes an exclusive lock on the file at path (made when it is
// absent), waiting up to wait: a short hold for reading and replacing
// files beside it (the triage files of a monitor folder) that must not
// wait for the folder's own lock, which run and watch hold for long.
func LockPath(ctx context.Context, path string, wait time.Duration) (*Lock, error) {
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o644)
	if err != nil {
		return nil, fmt.Errorf("lock: %w", err)
	}
	if err := waitLock(ctx, f, true, wait, func() error { return fmt.Errorf("%s: %w (another command is changing it)", path, ErrLocked) }); err != nil {
		return nil, err
	}
	return &Lock{root: filepath.Dir(path), f: f}, nil
}

// waitLock takes the lock of f, trying again until wait has passed or ctx
// is done; on failure f is closed and the error is locked's.
func waitLock(ctx context.Context, f *os.File, exclusive bool, wait time.Duration, locked func() error) error {
	path := f.Name()
	deadline := time.Now().Add(wait)
	for {
		ok, err := tryLock(f, exclusive)
		if err != nil {
			f.Close()
			return fmt.Errorf("lock %s: %w", path, err)
		}
		if ok {
			return nil
		}
		if !time.Now().Before(deadline) {
			f.Close()
			return locked()
		}
		select {
		case <-ctx.Done():
			f.Close()
			return fmt.Errorf("waiting for %s: %w", filepath.Dir(path), ctx.Err())
		case <-time.After(min(100*time.Millisecond, time.Until(deadline))):
		}
	}
}

// record writes who holds the lock into the file, for the messages of
// commands that find it taken. It is a courtesy: an error is ignored.
func (l *Lock) record(command string) {
	line := fmt.Sprintf("%d %s %s\n", os.Getpid(), time.Now().UTC().Format(time.RFC3339), oneLine(command))
	if err := l.f.Truncate(0); err == nil {
		_, _ = l.f.WriteAt([]byte(line), 0)
	}
}

// oneLine keeps a command line on one line, at most 200 bytes.
func oneLine(s string) string {
	s = strings.Map(func(r rune) rune {
		if r == '\n' || r == '\r' {
			return ' '
		}
		return r
	}, s)
	if len(s) > 200 {
		s = s[:200] + "..."
	}
	return s
}

// ReadHolder reads what the lock file of root says of its last holder.
func ReadHolder(root string) (Holder, error) {
	b, err := os.ReadFile(filepath.Join(root, LockFile))
	if err != nil {
		return Holder{}, err
	}
	var h Holder
	var since, rest string
	line, _, _ := strings.Cut(string(b), "\n")
	if _, err := fmt.Sscanf(line, "%d %s", &h.PID, &since); err != nil {
		return Holder{}, fmt.Errorf("lock file: %q: %w", line, err)
	}
	h.Since, _ = time.Parse(time.RFC3339, since)
	if i := strings.Index(line, since); i >= 0 {
		rest = strings.TrimSpace(line[i+len(since):])
	}
	h.Command = rest
	return h, nil
}

func lockedError(root, path string, wait time.Duration) error {
	who := "another command"
	if h, err := ReadHolder(root); err == nil && h.PID > 0 {
		who = fmt.Sprintf("process %d (%s), since %s", h.PID, h.Command, h.Since.Format(time.RFC3339))
	}
	waited := "pass --wait DURATION to wait for it"
	if wait > 0 {
		waited = fmt.Sprintf("waited %s", wait)
	}
	return fmt.Errorf("%w: %s is used by %s; %s (lock file %s)", ErrLocked, root, who, waited, path)
}

// Unlock releases the lock. A nil Lock is fine.
func (l *Lock) Unlock() error {
	if l == nil || l.f == nil {
		return nil
	}
	err := unlock(l.f)
	if cerr := l.f.Close(); err == nil {
		err = cerr
	}
	l.f = nil
	return err
}

// Locks are the locks a command holds, released together.
type Locks []*Lock

// Unlock releases every lock, the last taken first.
func (ls Locks) Unlock() error {
	var errs []error
	for i := len(ls) - 1; i >= 0; i-- {
		errs = append(errs, ls[i].Unlock())
	}
	return errors.Join(errs...)
}

// FolderUse is one data folder a command uses, and how.
type FolderUse struct {
	Root string
	Mode LockMode
}

// LockFolders takes the locks of a command on its folders, always in the
// order of their cleaned absolute paths, so that two commands never wait
// for each other in a cycle; a folder named twice is locked once, in the
// stronger mode. Every folder locked to be written is then recovered (see
// Recover): the command starts from complete unit folders, without what
// killed commands left; what cannot be cleaned up is given to warn (nil:
// not reported) and does not stop the command. On an error the locks
// already taken are released.
func LockFolders(ctx context.Context, uses []FolderUse, wait time.Duration, command string, warn func(error)) (Locks, error) {
	byPath := map[string]FolderUse{}
	var paths []string
	for _, u := range uses {
		p, err := filepath.Abs(u.Root)
		if err != nil {
			return nil, err
		}
		if real, err := filepath.EvalSymlinks(p); err == nil {
			p = real
		}
		if old, ok := byPath[p]; ok {
			if u.Mode == Exclusive {
				old.Mode = Exclusive
			}
			byPath[p] = old
			continue
		}
		byPath[p] = u
		paths = append(paths, p)
	}
	slices.Sort(paths)
	var ls Locks
	for _, p := range paths {
		u := byPath[p]
		l, err := LockFolder(ctx, u.Root, u.Mode, wait, command)
		if err != nil {
			_ = ls.Unlock()
			return nil, err
		}
		ls = append(ls, l)
		if u.Mode == Exclusive {
			problems, err := Recover(u.Root)
			if err != nil {
				_ = ls.Unlock()
				return nil, err
			}
			for _, p := range problems {
				if warn != nil {
					warn(p)
				}
			}
		}
	}
	return ls, nil
}
