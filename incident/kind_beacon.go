package incident

import (
	"fmt"
	"math"
	"slices"
	"time"
)

// A beacon needs beaconFlows flows for its period to mean anything, and
// beaconRegular of the gaps between them within beaconJitter of a whole
// number of periods (a flow that was not a root cause leaves a gap of two
// periods), as a share of the period.
const (
	beaconFlows   = 4
	beaconJitter  = 0.1
	beaconRegular = 0.8
)

// beaconing is one connection whose root-cause flows come at a steady
// period: a bot calling home.
func beaconing() Kind {
	return Kind{Name: "beaconing", Next: func(s Subject) string {
		return "Find the process on " + s.Host + " calling " + s.Peer + ":" + s.Port + " (ss -tp, EDR); look up " + s.Peer + "'s reputation and block it at the egress unless it is a known agent or update check."
	}, Describe: func(c *Incident) (Description, bool) {
		conn, fs := subject(c)
		period, spread, ok := beacon(fs)
		if !ok {
			return Description{}, false
		}
		d := connDescription(conn)
		d.Summary = fmt.Sprintf("beaconing %s every %s", connWords(conn), period)
		d.Detail = fmt.Sprintf("%d flows, period %s ± %s", len(fs), period, spread) + novelty(fs[0]) + others(c, fs)
		return d, true
	}}
}

// beacon reports whether flows (in time order) come at a steady period,
// the period taken as the lower quartile of the gaps between them. It
// returns the period and the spread of the regular gaps around it.
func beacon(fs []*Cause) (period, spread time.Duration, ok bool) {
	if len(fs) < beaconFlows {
		return 0, 0, false
	}
	gaps := make([]float64, 0, len(fs)-1)
	for i := 1; i < len(fs); i++ {
		gaps = append(gaps, float64(fs[i].Start-fs[i-1].Start))
	}
	sorted := slices.Sorted(slices.Values(gaps))
	p := sorted[len(sorted)/4]
	if p <= 0 {
		return 0, 0, false
	}
	var per []float64 // each regular gap over its number of periods
	for _, g := range gaps {
		k := math.Round(g / p)
		if k >= 1 && math.Abs(g-k*p) <= beaconJitter*p {
			per = append(per, g/k)
		}
	}
	if float64(len(per)) < beaconRegular*float64(len(gaps)) {
		return 0, 0, false
	}
	var sum, sq float64
	for _, v := range per {
		sum += v
		sq += v * v
	}
	mean := sum / float64(len(per))
	sd := math.Sqrt(math.Max(sq/float64(len(per))-mean*mean, 0))
	return time.Duration(mean).Round(time.Second), time.Duration(sd).Round(time.Second), true
}
