// Package layout is the on-disk contract of the per-service data folders:
//
//	train_data/<service-ip>/<service-ip>_train_data.csv
//	monitor_data/<service-ip>/<service-ip>_monitor_data.csv
//
// and, for a role shared by several hosts, a group folder named after the
// group holding <name>_train_data.csv and group.json (its members).
//
// Folder names come from data (an IP, a group name) and are validated here
// before they become paths: an IP must parse with net/netip and is used in
// its canonical form, a group name must match GroupNamePattern.
package layout

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"net/netip"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"

	"github.com/netflow-monitor/monitor/input"
)

// File names inside a unit's folder.
const (
	trainSuffix   = "_train_data.csv"
	monitorSuffix = "_monitor_data.csv"
	// GroupFile lists a group's member hosts (JSON, see Group).
	GroupFile = "group.json"
	// ModelFile is a unit's model (see package model), in its train
	// folder.
	ModelFile = "model.json"
)

// groupName is what a group name may look like: a letter or digit first,
// then letters, digits, '.', '_' or '-', at most 64 characters. It cannot
// contain a path separator, "..", or anything a shell or Windows dislikes.
var groupName = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$`)

// GroupNamePattern is the pattern group names must match, for messages.
const GroupNamePattern = `^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$`

// ErrBadName reports a folder name that is neither an IP nor a group name.
var ErrBadName = errors.New("not an IP address or a valid group name")

// ErrBadGroup reports a folder that is meant as a group (it holds a
// group.json) whose group.json cannot be used. Unlike a folder with a
// stray name, it is an error of the data: commands that train groups fail
// on it.
var ErrBadGroup = errors.New("broken group folder")

// ValidateGroupName returns an error unless name is usable as a group
// folder name. Names that parse as IP addresses are refused, so that a
// group can never be mistaken for a service.
func ValidateGroupName(name string) error {
	if !groupName.MatchString(name) || strings.Contains(name, "..") {
		return fmt.Errorf("group name %s: must match %s", input.Quote(name), GroupNamePattern)
	}
	if _, err := netip.ParseAddr(name); err == nil {
		return fmt.Errorf("group name %s: looks like an IP address", input.Quote(name))
	}
	return nil
}

// ParseService parses a service folder name or a --service flag: an IP
// address without a zone. The canonical form (Addr.String) is what paths
// use. Its error quotes s (cut, see input.Quote) and says why in words:
// `"10.0.0.256": not an IP address (IPv4 field has value >255)`.
func ParseService(s string) (netip.Addr, error) {
	a, err := netip.ParseAddr(strings.TrimSpace(s))
	if err != nil {
		return netip.Addr{}, fmt.Errorf("%s: not an IP address%s", input.Quote(s), addrDetail(err))
	}
	if a.Zone() != "" {
		return netip.Addr{}, fmt.Errorf("%s: IPv6 zones are not allowed", input.Quote(s))
	}
	return a.Unmap(), nil
}

// addrDetail is what netip says is wrong with an address, without its
// `ParseAddr("...")` (which quotes the value whole, however long):
// " (IPv4 field has value >255)", or an example when it says no more
// than that it could not parse one.
func addrDetail(err error) string {
	msg := err.Error()
	if i := strings.Index(msg, "): "); strings.HasPrefix(msg, "ParseAddr(") && i >= 0 {
		msg = msg[i+3:]
	}
	if msg == "" || strings.HasPrefix(msg, "unable to parse IP") || len(msg) > 100 {
		return " (like 10.1.0.12 or 2001:db8::1)"
	}
	return " (" + msg + ")"
}

// Unit is one thing that gets a model: a service (one IP) or a group of
// hosts sharing a role.
type Unit struct {
	// Name is the folder name: the canonical IP, or the group name.
	Name string
	// Addr is the service address; invalid for groups.
	Addr netip.Addr
	// Members are the group's hosts, sorted; nil for services.
	Members []netip.Addr
}

// IsGroup reports whether the unit is a group.
func (u Unit) IsGroup() bool { return !u.Addr.IsValid() }

// Hosts returns the hosts whose flows form the unit's traces: the service
// itself, or the group's members.
func (u Unit) Hosts() []netip.Addr {
	if u.IsGroup() {
		return u.Members
	}
	return []netip.Addr{u.Addr}
}

// ServiceUnit returns the unit of one service address.
func ServiceUnit(a netip.Addr) Unit { return Unit{Name: a.String(), Addr: a} }

// Dir returns the unit's folder under root.
func Dir(root string, u Unit) string { return filepath.Join(root, u.Name) }

// TrainFile returns the unit's training flow file under the train root.
func TrainFile(root string, u Unit) string {
	return filepath.Join(root, u.Name, u.Name+trainSuffix)
}

// MonitorFile returns the unit's monitored flow file under the monitor root.
func MonitorFile(root string, u Unit) string {
	return filepath.Join(root, u.Name, u.Name+monitorSuffix)
}

// ModelPath returns the model file of the unit named name (a service IP
// or a group name) under the train root. A name that is neither is an
// error, before it can become a path.
func ModelPath(root, name string) (string, error) {
	u := Unit{Name: name}
	if a, err := ParseService(name); err == nil {
		u = ServiceUnit(a)
	} else if err := ValidateGroupName(name); err != nil {
		return "", fmt.Errorf("%s: neither a service IP nor a valid group name", input.Quote(name))
	}
	return filepath.Join(Dir(root, u), ModelFile), nil
}

// Group is the content of group.json.
type Group struct {
	Name    string   `json:"name"`
	Members []string `json:"members"`
}

// ReadGroup reads dir/group.json and validates the name and members.
func ReadGroup(dir string) (Unit, error) {
	path := filepath.Join(dir, GroupFile)
	var g Group
	if err := input.ReadJSONFile(path, "read group", func(b []byte) error { return input.DecodeJSON(b, &g) }); err != nil {
		return Unit{}, err
	}
	if err := ValidateGroupName(g.Name); err != nil {
		return Unit{}, fmt.Errorf("%s: %w", path, err)
	}
	if g.Name != filepath.Base(dir) {
		return Unit{}, fmt.Errorf("%s: group name %s does not match its folder %q", path, input.Quote(g.Name), filepath.Base(dir))
	}
	if len(g.Members) == 0 {
		return Unit{}, fmt.Errorf("%s: group %s has no members", path, input.Quote(g.Name))
	}
	u := Unit{Name: g.Name}
	for _, m := range g.Members {
		a, err := ParseService(m)
		if err != nil {
			return Unit{}, fmt.Errorf("%s: member: %w", path, err)
		}
		u.Members = append(u.Members, a)
	}
	sortAddrs(u.Members)
	return u, nil
}

// GroupJSON returns the group.json content of a group unit.
func GroupJSON(u Unit) ([]byte, error) {
	g := Group{Name: u.Name}
	for _, m := range u.Members {
		g.Members = append(g.Members, m.String())
	}
	b, err := json.MarshalIndent(g, "", "  ")
	if err != nil {
		return nil, fmt.Errorf("encode group %q: %w", u.Name, err)
	}
	return append(b, '\n'), nil
}

// ErrUnitLink is wrapped by the reason Discover gives for a unit folder
// that is a symbolic link: to a folder, to a file, to nothing, or in a
// loop. Unit folders must be folders of their own in their data folder: a
// command switches a unit's new outputs in by renaming a folder made
// beside it (see Generation), which for a link would be made beside its
// target, outside the data folder, and two links could share one target.
// The data folder itself may be a link.
var ErrUnitLink = errors.New("unit folder is a symbolic link")

// IsBroken reports whether a reason Discover gives for a folder it left
// out makes the folder a unit that fails (a group.json that cannot be
// used, a unit folder that is a link) rather than a stray folder.
func IsBroken(reason error) bool {
	return errors.Is(reason, ErrBadGroup) || errors.Is(reason, ErrUnitLink)
}

// Skipped is a folder Discover left out, and why.
type Skipped struct {
	Name   string
	Reason error
}

// Discover lists the units under root: every sub-folder whose name is an IP
// address (a service) or that holds a valid group.json (a group). Other
// folders are returned in skipped with the reason (ErrBadGroup for a
// group.json that cannot be used, ErrUnitLink for a symbolic link that
// would be a unit, see IsBroken); they are never used in a path. Hidden
// folders (a name starting with '.': generations being written, see
// Generation) are left out silently, and so are files other than those
// named like a service. Units are sorted: services by address, then
// groups by name.
func Discover(root string) (units []Unit, skipped []Skipped, err error) {
	entries, err := os.ReadDir(root)
	if err != nil {
		return nil, nil, fmt.Errorf("list data folder: %w", err)
	}
	var groups []Unit
	for _, e := range entries {
		name := e.Name()
		if strings.HasPrefix(name, ".") {
			continue // hidden: a generation being written, a tool's own
		}
		if e.Type()&fs.ModeSymlink != 0 {
			if s, ok := linkedUnit(root, name); ok {
				skipped = append(skipped, s)
			}
			continue
		}
		if !e.IsDir() {
			if _, perr := ParseService(name); perr == nil {
				skipped = append(skipped, Skipped{name, errors.New("a file, not a folder")})
			}
			continue // files beside the folders: summary.csv and the like
		}
		if a, perr := ParseService(name); perr == nil {
			if a.String() != name {
				skipped = append(skipped, Skipped{name, fmt.Errorf("not in canonical form (want %q)", a.String())})
				continue
			}
			units = append(units, ServiceUnit(a))
			continue
		}
		if ValidateGroupName(name) != nil {
			skipped = append(skipped, Skipped{name, ErrBadName})
			continue
		}
		g, gerr := ReadGroup(filepath.Join(root, name))
		if gerr != nil {
			if errors.Is(gerr, os.ErrNotExist) {
				gerr = ErrBadName
			} else {
				gerr = fmt.Errorf("%w: %w", ErrBadGroup, gerr)
			}
			skipped = append(skipped, Skipped{name, gerr})
			continue
		}
		groups = append(groups, g)
	}
	sort.Slice(units, func(i, j int) bool { return units[i].Addr.Less(units[j].Addr) })
	sort.Slice(groups, func(i, j int) bool { return groups[i].Name < groups[j].Name })
	return append(units, groups...), skipped, nil
}

// linkedUnit says why the symbolic link root/name is not used as a unit
// folder, when it would be one: a link named like a service (whatever it
// points to, or fails to), or a link to a folder that holds a group.json.
// Any other link to a folder is a folder with a stray name; a link to a
// file, or to nothing, named like no unit, is a file beside the folders.
func linkedUnit(root, name string) (Skipped, bool) {
	path := filepath.Join(root, name)
	target, err := os.Readlink(path)
	if err != nil {
		target = "?"
	}
	_, ipErr := ParseService(name)
	st, err := os.Stat(path)
	switch {
	case err == nil && st.IsDir():
		if ipErr != nil {
			if ValidateGroupName(name) != nil {
				return Skipped{name, ErrBadName}, true
			}
			if _, gerr := os.Lstat(filepath.Join(path, GroupFile)); gerr != nil {
				return Skipped{name, ErrBadName}, true
			}
		}
		return Skipped{name, fmt.Errorf("%w (to %s): unit folders must be folders of their own in the data folder, as a command switches a unit's new outputs in by renaming a folder made beside it; move the folder into the data folder, or link the whole data folder instead", ErrUnitLink, target)}, true
	case ipErr != nil:
		return Skipped{}, false
	case errors.Is(err, fs.ErrNotExist):
		return Skipped{name, fmt.Errorf("%w (to %s), which does not exist", ErrUnitLink, target)}, true
	case err != nil:
		var pe *fs.PathError
		if errors.As(err, &pe) {
			err = pe.Err // "too many levels of symbolic links" for a loop
		}
		return Skipped{name, fmt.Errorf("%w (to %s) that cannot be followed: %w", ErrUnitLink, target, err)}, true
	}
	return Skipped{name, fmt.Errorf("%w to a file (%s), not a folder", ErrUnitLink, target)}, true
}

func sortAddrs(a []netip.Addr) {
	sort.Slice(a, func(i, j int) bool { return a[i].Less(a[j]) })
}
