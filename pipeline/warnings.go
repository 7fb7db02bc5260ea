package pipeline

import "fmt"

// minTrustedWindows is how many training windows that share no flow a
// threshold needs: mean − 7σ of n independent window scores has a
// standard error of about σ·√((1 + 7²/2)/n), which stays within ±1σ at 95 %
// from about n = 100. Overlapping windows count window/stride times.
const minTrustedWindows = 100

// trainingWarnings says what a user should know about a unit's training:
// labelled malicious flows among its training flows (the model learns them
// as normal), and too few training windows for its threshold to be
// trusted.
func trainingWarnings(c *Config, enc *encoded, windows int) []string {
	var out []string
	if l := enc.labels; l.malicious > 0 {
		n := enc.info.Flows
		out = append(out, fmt.Sprintf("%d of its %d training flows (%.1f %%; %.1f %% of the %d labelled benign or malicious) are labelled malicious: the model learns them as normal",
			l.malicious, n, 100*float64(l.malicious)/float64(n), 100*float64(l.malicious)/float64(l.labelled), l.labelled))
	}
	if least := minTrustedWindows * c.Window / c.Stride; windows < least {
		out = append(out, fmt.Sprintf("%d training windows, fewer than %d (%d windows that share no flow): its threshold is not to be trusted; train on a longer period",
			windows, least, minTrustedWindows))
	}
	return out
}
