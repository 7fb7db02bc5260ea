package simulate

import (
	"errors"
	"fmt"
	"net/netip"
	"slices"
	"strings"
	"time"
)

// Kind is a kind of injected anomaly.
type Kind string

// The anomaly kinds, in their canonical order.
const (
	Exfiltration Kind = "exfiltration"
	PortScan     Kind = "port-scan"
	Beaconing    Kind = "beaconing"
	UnusualPort  Kind = "unusual-port"
)

// NormalLabel is the label of normal flows.
const NormalLabel = "normal"

// GroundTruthFile is the name of the ground-truth CSV at the top of the
// monitor folder.
const GroundTruthFile = "injected_anomalies.csv"

// Kinds returns every anomaly kind, in canonical order.
func Kinds() []Kind { return []Kind{Exfiltration, PortScan, Beaconing, UnusualPort} }

// Label returns the label of the kind's flows, "anomaly:<kind>".
func (k Kind) Label() string { return "anomaly:" + string(k) }

// ParseKinds parses a comma-separated list of kinds, or "all", or "none"
// (or an empty string) for none. The result is deduplicated and in
// canonical order, so that the order of the list does not change the
// output.
func ParseKinds(s string) ([]Kind, error) {
	s = strings.TrimSpace(s)
	switch strings.ToLower(s) {
	case "all":
		return Kinds(), nil
	case "", "none":
		return []Kind{}, nil
	}
	seen := map[Kind]bool{}
	for _, part := range strings.Split(s, ",") {
		k := Kind(strings.ToLower(strings.TrimSpace(part)))
		if !slices.Contains(Kinds(), k) {
			return nil, fmt.Errorf("unknown anomaly kind %q (want all, none, or a list of %s)", part, kindList())
		}
		seen[k] = true
	}
	var out []Kind
	for _, k := range Kinds() {
		if seen[k] {
			out = append(out, k)
		}
	}
	return out, nil
}

func kindList() string {
	var names []string
	for _, k := range Kinds() {
		names = append(names, string(k))
	}
	return strings.Join(names, ", ")
}

// Config says what to generate and where. Fields left at their zero value
// take the default of DefaultConfig, except Seed (0 is a seed like any
// other), Anomalies (nil or empty: none), Force, and the two roots, which
// are required.
type Config struct {
	// Seed fixes every random choice: the same Config gives byte-identical
	// output.
	Seed uint64
	// Services is how many services get flow files, 1 to MaxServices, taken
	// in the order of Services (default 6: frontend to mq of the first
	// cell).
	Services int
	// Flows is the exact number of distinct flows over all services
	// (default 30000, the shipped example). A flow between two simulated services is one flow
	// but a row in each of their files.
	Flows int
	// Start is the start of the training period (default Monday
	// 2024-01-01 00:00 UTC); it is used in UTC, to the microsecond.
	Start time.Time
	// Train and Monitor are the lengths of the training period and of the
	// monitoring period that follows it (default 5 and 2 days; each at
	// least an hour).
	Train, Monitor time.Duration
	// Anomalies are the kinds injected into the monitoring period.
	Anomalies []Kind
	// PerKind is how many times each kind is injected (default 2).
	PerKind int
	// TrainRoot and MonitorRoot are the train and monitor data folders.
	TrainRoot, MonitorRoot string
	// Force replaces existing data: every service and group folder under
	// both roots (flow files, models, reports) and the ground-truth file.
	// Without it, Generate refuses to write where such data exists, with an
	// error that wraps ErrExists.
	Force bool
	// Progress, when set, is called from Generate's goroutine now and then
	// with the flows generated so far and the total.
	Progress func(done, total int)
}

// MaxServices is the number of services in the largest simulated
// network: 32 cells of eight.
const MaxServices = 32 * cellSize

// ErrExists is wrapped by the error Generate returns when an output folder
// already holds data and Config.Force is not set.
var ErrExists = errors.New("output folder already holds data")

// DefaultConfig returns the defaults: seed 1, 6 services, 30000 flows (the example shipped in train_data and monitor_data),
// five days of training and two of monitoring from 2024-01-01, every
// anomaly kind twice, train_data and monitor_data.
func DefaultConfig() Config {
	return Config{
		Seed:        1,
		Services:    6,
		Flows:       30000,
		Start:       time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC),
		Train:       5 * 24 * time.Hour,
		Monitor:     2 * 24 * time.Hour,
		Anomalies:   Kinds(),
		PerKind:     2,
		TrainRoot:   "train_data",
		MonitorRoot: "monitor_data",
	}
}

// normalized fills defaults and validates.
func (c Config) normalized() (Config, error) {
	d := DefaultConfig()
	if c.Services == 0 {
		c.Services = d.Services
	}
	if c.Flows == 0 {
		c.Flows = d.Flows
	}
	if c.Start.IsZero() {
		c.Start = d.Start
	}
	c.Start = c.Start.UTC().Truncate(time.Microsecond)
	if c.Train == 0 {
		c.Train = d.Train
	}
	if c.Monitor == 0 {
		c.Monitor = d.Monitor
	}
	if c.PerKind == 0 {
		c.PerKind = d.PerKind
	}
	switch {
	case c.Services < 1 || c.Services > MaxServices:
		return c, fmt.Errorf("services %d: must be 1 to %d", c.Services, MaxServices)
	case c.Flows < 1:
		return c, fmt.Errorf("flows %d: must be positive", c.Flows)
	case c.Train < time.Hour || c.Monitor < time.Hour:
		return c, fmt.Errorf("train %v, monitor %v: each period must be at least an hour", c.Train, c.Monitor)
	case c.Train+c.Monitor > 366*24*time.Hour:
		return c, fmt.Errorf("train %v + monitor %v: at most a year", c.Train, c.Monitor)
	case c.PerKind < 1 || c.PerKind > 100:
		return c, fmt.Errorf("per-kind %d: must be 1 to 100", c.PerKind)
	case c.TrainRoot == "" || c.MonitorRoot == "":
		return c, errors.New("train and monitor folders are required")
	}
	kinds := []Kind{}
	for _, k := range Kinds() {
		if slices.Contains(c.Anomalies, k) {
			kinds = append(kinds, k)
		}
	}
	for _, k := range c.Anomalies {
		if !slices.Contains(Kinds(), k) {
			return c, fmt.Errorf("unknown anomaly kind %q", k)
		}
	}
	c.Anomalies = kinds
	return c, nil
}

// Summary is what Generate wrote.
type Summary struct {
	// Flows is the number of distinct flows; TrainFlows and MonitorFlows
	// split it by period, and AnomalousFlows counts the injected ones.
	Flows, TrainFlows, MonitorFlows, AnomalousFlows int
	// Start, TrainEnd and End delimit the two periods.
	Start, TrainEnd, End time.Time
	// Services are the simulated services, in the order of Roles.
	Services []ServiceSummary
	// Injections are the ground-truth rows, as written to GroundTruth.
	Injections []Injection
	// GroundTruth is the path of the ground-truth file.
	GroundTruth string
}

// ServiceSummary is one service's share of the output.
type ServiceSummary struct {
	Role string
	Addr netip.Addr
	// TrainFile and MonitorFile are the paths written.
	TrainFile, MonitorFile string
	// TrainRows and MonitorRows are the rows of the two files;
	// AnomalousRows the labelled rows of the monitor file.
	TrainRows, MonitorRows, AnomalousRows int
}

// Injection is one ground-truth row: an injected anomaly as seen from one
// simulated service.
type Injection struct {
	// Instance numbers the injection (from 1, in order of first flow); the
	// rows of an injection between two simulated services share it.
	Instance int
	Kind     Kind
	Service  netip.Addr
	// Outbound is true when the service starts the anomalous flows.
	Outbound bool
	Peer     netip.Addr
	// Port is the destination port, 0 for a port scan (many ports).
	Port        uint16
	First, Last time.Time
	Flows       int
}
