package layout

import (
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"slices"

	"github.com/netflow-monitor/monitor/atomicfile"
	"github.com/netflow-monitor/monitor/input"
)

// ManifestFile lists, in a unit folder, the outputs of the command that
// wrote its current generation (see Generation).
const ManifestFile = "manifest.json"

// Manifest identity.
const (
	manifestFormat  = "netflow-monitor outputs"
	manifestVersion = 1
)

// Manifest is the content of ManifestFile: which command wrote the unit
// folder's outputs, and each output's size and CRC-32C, so that anyone can
// check that the folder holds one complete set (Verify).
type Manifest struct {
	Format  string    `json:"format"`
	Version int       `json:"version"`
	Command string    `json:"command"`
	Files   []FileSum `json:"files"`
}

// FileSum is one output of a manifest.
type FileSum struct {
	Name   string `json:"name"`
	Size   int64  `json:"size"`
	CRC32C string `json:"crc32c"` // 8 hex digits
}

// castagnoli is CRC-32C's table (computed in hardware where there is
// some); it is only read.
var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// NewCRC returns a CRC-32C hash, for writers that sum an output as they
// write it (see Generation.Commit).
func NewCRC() interface {
	io.Writer
	Sum32() uint32
} {
	return crc32.New(castagnoli)
}

// Sum returns the FileSum of name from its size and CRC-32C.
func Sum(name string, size int64, crc uint32) FileSum {
	return FileSum{Name: name, Size: size, CRC32C: fmt.Sprintf("%08x", crc)}
}

// generationName matches the folders a Generation makes beside a unit
// folder: ".<base>.gen-<id>" for a new one, ".<base>.old-<id>" for the old
// one on its way out.
var generationName = regexp.MustCompile(`^\.(.+)\.(gen|old)-[0-9a-f]{16}$`)

// Generation is the next set of outputs of a unit folder, written beside
// it and switched in with one rename, so that the folder always holds one
// complete set: the previous one or the new one, whenever its writer is
// killed. The generation starts as a new folder next to the unit folder
// holding hard links to everything of the unit folder that is not an
// output (its flow file, group.json, anything a user put there); the
// command writes its outputs into Dir; Commit writes the manifest and
// exchanges the two folders in one step (renameat2 RENAME_EXCHANGE on
// Linux; elsewhere two renames, whose gap Recover closes).
type Generation struct {
	real    string          // the unit folder (a symbolic link to the data folder resolved)
	mode    fs.FileMode     // the unit folder's mode, which the new one gets
	dir     string          // the new generation
	carried map[string]bool // names carried over from the unit folder
	owned   func(string) bool
	done    bool
	left    error // the previous generation, when it could not be removed
	// swap switches the generation in: exchange, or exchangeApart in
	// tests of the systems that have no exchange.
	swap func(gen, live string) (string, error)
}

// NewGeneration starts the next generation of the unit folder dir; owned
// says which names of the folder are outputs (the files the command
// replaces: they are not carried over, so outputs the command does not
// write again are gone once it commits).
//
// The unit folder must be a folder (not a symbolic link, see
// ErrUnitLink; its data folder may be one) that this process can read
// and write (see Writable): a folder a user made read-only, or took away,
// fails here, before anything is written, and keeps its outputs.
func NewGeneration(dir string, owned func(name string) bool) (*Generation, error) {
	st, err := os.Lstat(dir)
	switch {
	case err != nil:
		return nil, fmt.Errorf("unit folder: %w", err)
	case st.Mode()&fs.ModeSymlink != 0:
		target, _ := os.Readlink(dir)
		return nil, fmt.Errorf("%s: %w (to %s): its outputs are not written", dir, ErrUnitLink, target)
	case !st.IsDir():
		return nil, fmt.Errorf("%s: not a folder", dir)
	}
	real, err := filepath.EvalSymlinks(dir)
	if err != nil {
		return nil, fmt.Errorf("unit folder: %w", err)
	}
	if err := Writable(real); err != nil {
		return nil, err
	}
	entries, err := os.ReadDir(real)
	if err != nil {
		return nil, fmt.Errorf("unit folder: %w", err)
	}
	id := make([]byte, 8)
	if _, err := rand.Read(id); err != nil {
		return nil, err
	}
	g := &Generation{
		real:    real,
		mode:    st.Mode() & (fs.ModePerm | fs.ModeSetgid | fs.ModeSticky),
		dir:     filepath.Join(filepath.Dir(real), "."+filepath.Base(real)+".gen-"+hex.EncodeToString(id)),
		carried: map[string]bool{},
		owned:   owned,
		swap:    exchange,
	}
	// Made for this process alone while it is written; it gets the unit
	// folder's mode when it is switched in.
	if err := os.Mkdir(g.dir, 0o700); err != nil {
		return nil, fmt.Errorf("new generation of %s: %w", dir, err)
	}
	for _, e := range entries {
		name := e.Name()
		if owned(name) || name == ManifestFile || atomicfile.IsTemp(name) {
			continue
		}
		if err = carry(filepath.Join(real, name), filepath.Join(g.dir, name)); err != nil {
			break
		}
		g.carried[name] = true
	}
	if err != nil {
		g.Abort()
		return nil, fmt.Errorf("new generation of %s: %w", dir, err)
	}
	return g, nil
}

// carry puts src's entry at dst in the new generation: a hard link to a
// file (a copy where the file system has none), the same symbolic link, a
// folder carried entry by entry (and given its mode once filled, so that
// a read-only one can be).
func carry(src, dst string) error {
	st, err := os.Lstat(src)
	if err != nil {
		return err
	}
	switch m := st.Mode(); {
	case m.IsRegular():
		if err := os.Link(src, dst); err == nil {
			return nil
		}
		return copyFile(src, dst, m.Perm())
	case m&fs.ModeSymlink != 0:
		target, err := os.Readlink(src)
		if err != nil {
			return err
		}
		return os.Symlink(target, dst)
	case m.IsDir():
		if err := os.Mkdir(dst, 0o700); err != nil {
			return err
		}
		entries, err := os.ReadDir(src)
		if err != nil {
			return err
		}
		for _, e := range entries {
			if err := carry(filepath.Join(src, e.Name()), filepath.Join(dst, e.Name())); err != nil {
				return err
			}
		}
		return os.Chmod(dst, m&(fs.ModePerm|fs.ModeSetgid|fs.ModeSticky))
	}
	return fmt.Errorf("%s: not a file, link or folder; move it out of the unit folder", src)
}

func copyFile(src, dst string, perm fs.FileMode) error {
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.OpenFile(dst, os.O_WRONLY|os.O_CREATE|os.O_EXCL, perm)
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		return err
	}
	return out.Close()
}

// Dir returns the folder the outputs are written into.
func (g *Generation) Dir() string { return g.dir }

// Commit writes the manifest of the command's outputs (every entry of Dir
// not carried over; sums gives those whose writer summed them as it wrote,
// the others are read back), makes the generation durable, gives it the
// unit folder's mode and switches it in. The old generation is then
// removed; if that fails, the commit still stands (the unit folder holds
// the new outputs, complete) and Leftover says where the old one is.
func (g *Generation) Commit(command string, sums []FileSum) error {
	if g.done {
		return errors.New("generation already committed or aborted")
	}
	m, err := g.manifest(command, sums)
	if err != nil {
		g.Abort()
		return err
	}
	b, err := json.MarshalIndent(m, "", "  ")
	if err == nil {
		err = atomicfile.WriteBytes(filepath.Join(g.dir, ManifestFile), append(b, '\n'))
	}
	if err == nil {
		err = os.Chmod(g.dir, g.mode)
	}
	if err == nil {
		err = syncDir(g.dir)
	}
	if err != nil {
		g.Abort()
		return fmt.Errorf("commit %s: %w", g.real, err)
	}
	old, err := g.swap(g.dir, g.real)
	if err != nil {
		g.Abort()
		return fmt.Errorf("commit %s: %w", g.real, err)
	}
	g.done = true
	_ = syncDir(filepath.Dir(g.real))
	g.restoreLate(old)
	if err := removeGeneration(old); err != nil {
		g.left = fmt.Errorf("%s has the new outputs, but its previous ones stay beside it: %w", g.real, err)
	}
	return nil
}

// Leftover returns, after a Commit, why the previous generation is still
// beside the unit folder (it could not be removed; the next command that
// writes the data folder tries again), or nil.
func (g *Generation) Leftover() error { return g.left }

// restoreLate moves back into the unit folder what appeared in it after
// the generation started (and so was not carried over): nothing of ours,
// as commands hold the folder's lock, but a user's file must not be lost.
func (g *Generation) restoreLate(old string) {
	entries, err := os.ReadDir(old)
	if err != nil {
		return
	}
	for _, e := range entries {
		name := e.Name()
		if g.carried[name] || g.owned(name) || name == ManifestFile || atomicfile.IsTemp(name) {
			continue
		}
		if _, err := os.Lstat(filepath.Join(g.real, name)); errors.Is(err, fs.ErrNotExist) {
			_ = os.Rename(filepath.Join(old, name), filepath.Join(g.real, name))
		}
	}
}

func (g *Generation) manifest(command string, sums []FileSum) (Manifest, error) {
	m := Manifest{Format: manifestFormat, Version: manifestVersion, Command: command, Files: []FileSum{}}
	entries, err := os.ReadDir(g.dir)
	if err != nil {
		return m, err
	}
	for _, e := range entries {
		name := e.Name()
		if g.carried[name] || name == ManifestFile {
			continue
		}
		if i := slices.IndexFunc(sums, func(s FileSum) bool { return s.Name == name }); i >= 0 {
			m.Files = append(m.Files, sums[i])
			continue
		}
		s, err := sumFile(filepath.Join(g.dir, name))
		if err != nil {
			return m, err
		}
		m.Files = append(m.Files, s)
	}
	return m, nil
}

// sumFile reads a file and returns its FileSum.
func sumFile(path string) (FileSum, error) {
	f, err := os.Open(path)
	if err != nil {
		return FileSum{}, err
	}
	defer f.Close()
	h := NewCRC()
	n, err := io.Copy(h, f)
	if err != nil {
		return FileSum{}, fmt.Errorf("%s: %w", path, err)
	}
	return Sum(filepath.Base(path), n, h.Sum32()), nil
}

// Abort removes the generation, leaving the unit folder as it was.
func (g *Generation) Abort() {
	if g.done {
		return
	}
	g.done = true
	_ = removeGeneration(g.dir)
}

// syncDir makes a folder's entries durable.
func syncDir(dir string) error {
	f, err := os.Open(dir)
	if err != nil {
		return err
	}
	err = f.Sync()
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if errors.Is(err, errors.ErrUnsupported) {
		return nil // folders cannot be synced on some systems (Windows)
	}
	return err
}

// exchangeApart switches the folders gen and live where they cannot be
// exchanged in one step: live is renamed aside, then gen into its place.
// A command killed between the two leaves live missing and gen complete,
// which Recover puts in place. It returns where the old generation is.
func exchangeApart(gen, live string) (string, error) {
	m := generationName.FindStringSubmatch(filepath.Base(gen))
	if m == nil {
		return "", fmt.Errorf("%s: not a generation folder", gen)
	}
	old := filepath.Join(filepath.Dir(live), "."+m[1]+".old-"+gen[len(gen)-16:])
	if err := os.Rename(live, old); err != nil {
		return "", err
	}
	if err := os.Rename(gen, live); err != nil {
		// Put the old one back: the unit folder must not vanish.
		if rerr := os.Rename(old, live); rerr != nil {
			return "", errors.Join(err, rerr)
		}
		return "", err
	}
	return old, nil
}

// ReadManifest reads the manifest of a unit folder.
func ReadManifest(dir string) (Manifest, error) {
	var m Manifest
	err := input.ReadJSONFile(filepath.Join(dir, ManifestFile), "read manifest", func(b []byte) error { return input.DecodeJSON(b, &m) })
	if err != nil {
		return m, err
	}
	if err := (input.Head{Format: m.Format, Version: m.Version}).Check(manifestFormat, manifestVersion, "run the command again"); err != nil {
		return m, fmt.Errorf("%s: %w", filepath.Join(dir, ManifestFile), err)
	}
	return m, nil
}

// Verify checks that the unit folder dir holds exactly the outputs its
// manifest lists, each of its size and CRC-32C, and no other file that
// owned claims: one complete generation of one command.
func Verify(dir string, owned func(string) bool) error {
	m, err := ReadManifest(dir)
	if err != nil {
		return err
	}
	listed := map[string]bool{}
	for _, want := range m.Files {
		listed[want.Name] = true
		got, err := sumFile(filepath.Join(dir, want.Name))
		if err != nil {
			return fmt.Errorf("%s: %s listed in the manifest: %w", dir, want.Name, err)
		}
		if got != want {
			return fmt.Errorf("%s: %s is %d bytes, CRC-32C %s; the manifest of %s says %d bytes, %s: a mix of two runs", dir, want.Name, got.Size, got.CRC32C, m.Command, want.Size, want.CRC32C)
		}
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		return err
	}
	for _, e := range entries {
		if name := e.Name(); owned(name) && !listed[name] {
			return fmt.Errorf("%s: %s is not in the manifest of %s: left from another run", dir, name, m.Command)
		}
	}
	return nil
}

// IsGenerationName reports whether a name is that of a generation folder
// (see Generation) that a unit folder's parent holds while it is written.
func IsGenerationName(name string) bool { return generationName.MatchString(name) }
