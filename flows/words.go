package flows

import (
	"fmt"
	"math"
	"strconv"
	"strings"
)

// wellKnown names the ports an operator knows by name.
var wellKnown = map[uint16]string{
	20: "FTP data", 21: "FTP", 22: "SSH", 23: "Telnet", 25: "SMTP", 53: "DNS", 67: "DHCP", 68: "DHCP",
	80: "HTTP", 110: "POP3", 123: "NTP", 137: "NetBIOS", 138: "NetBIOS", 139: "NetBIOS", 143: "IMAP",
	161: "SNMP", 389: "LDAP", 443: "HTTPS", 445: "SMB", 465: "SMTPS", 514: "syslog", 587: "SMTP submission",
	636: "LDAPS", 993: "IMAPS", 995: "POP3S", 1433: "MS SQL", 1883: "MQTT", 3306: "MySQL", 3389: "RDP",
	5060: "SIP", 5432: "PostgreSQL", 5672: "AMQP", 5900: "VNC", 6379: "Redis", 6667: "IRC", 8080: "HTTP alt",
	8443: "HTTPS alt", 9092: "Kafka", 11211: "memcached", 27017: "MongoDB",
}

// PortName returns the name of a well-known service port ("SMTP"), or "".
func PortName(port uint16) string { return wellKnown[port] }

// portWords describes a flow's destination port: the number, its name when
// it has one, and its class in the encoder.
func (s *space) portWords(x *Features) string {
	if !x.Proto.HasPorts() {
		return ""
	}
	p := strconv.Itoa(int(x.DstPort))
	var notes []string
	if n := PortName(x.DstPort); n != "" {
		notes = append(notes, n)
	}
	if c := s.portClass(x); s.PortClass && c > 0 {
		notes = append(notes, portClassWords(c))
	}
	if len(notes) > 0 {
		p += " (" + strings.Join(notes, ", ") + ")"
	}
	return p
}

// durationWords describes the duration bin of d: "0.2–1 s", "< 0.2 s",
// ">= 30 s".
func (s *space) durationWords(d float64) string {
	if len(s.DurEdges) == 0 {
		return strconv.FormatFloat(d, 'g', 3, 64) + " s"
	}
	return s.binWords(s.durBin(d))
}

// words puts a flow's description together from its parts.
func (s *space) words(x *Features, size string) string {
	parts := []string{dirName(x.Dir), x.Proto.String()}
	if p := s.portWords(x); p != "" {
		parts = append(parts, p)
	}
	return strings.Join(parts, " ") + ", " + size + ", " + s.durationWords(x.Duration)
}

// HumanBytes prints a byte count as people read it: "860 B", "1.2 kB",
// "48 MB".
func HumanBytes(b float64) string {
	units := []string{"B", "kB", "MB", "GB", "TB"}
	i := 0
	for b >= 1000 && i < len(units)-1 {
		b /= 1000
		i++
	}
	if i == 0 || b >= 100 {
		return fmt.Sprintf("%.0f %s", b, units[i])
	}
	return fmt.Sprintf("%.2g %s", b, units[i])
}

// HumanDuration prints seconds as people read them: "0 s", "350 µs",
// "2.5 s", "14 min", "12 h", "3.1 days".
func HumanDuration(sec float64) string {
	units := []struct {
		name string
		secs float64
	}{{"days", 86400}, {"h", 3600}, {"min", 60}, {"s", 1}, {"ms", 1e-3}, {"µs", 1e-6}}
	if sec == 0 || math.IsNaN(sec) || math.IsInf(sec, 0) {
		return strconv.FormatFloat(sec, 'g', 3, 64) + " s"
	}
	u := units[len(units)-1]
	for _, v := range units {
		if math.Abs(sec) >= v.secs {
			u = v
			break
		}
	}
	v, digits := sec/u.secs, 0
	if math.Abs(v) < 10 {
		digits = 1
	}
	return strings.TrimSuffix(strconv.FormatFloat(v, 'f', digits, 64), ".0") + " " + u.name
}

// codeWords describes the flows of a code in words; size describes a size
// class.
func (s *space) codeWords(c int, size func(int) string) string {
	p := s.split(c)
	words := []string{dirName(p.dir), s.protoName(p, "other protocol")}
	switch {
	case !s.PortClass || p.port == 0:
	case p.port < 4:
		words = append(words, portClassWords(p.port)+" port")
	default:
		port := s.Ports[p.port-4]
		name := strconv.Itoa(int(port))
		if n := PortName(port); n != "" {
			name += " (" + n + ")"
		}
		words = append(words, name)
	}
	return strings.Join(words, " ") + ", " + size(p.size) + ", " + s.binWords(p.dur)
}

// portClassWords names port classes 1 to 3, and a service port of the
// training (4 and on).
func portClassWords(c int) string {
	switch c {
	case 1:
		return "well-known"
	case 2:
		return "registered"
	case 3:
		return "ephemeral"
	}
	return "a service port of the training"
}

// binWords describes duration bin i.
func (s *space) binWords(i int) string {
	sec := func(v float64) string { return strconv.FormatFloat(v, 'g', 3, 64) }
	switch {
	case len(s.DurEdges) == 0:
		return "any duration"
	case i == 0:
		return "< " + sec(s.DurEdges[0]) + " s"
	case i == len(s.DurEdges):
		return ">= " + sec(s.DurEdges[i-1]) + " s"
	}
	return sec(s.DurEdges[i-1]) + "–" + sec(s.DurEdges[i]) + " s"
}

// describe describes symbol id, or says it is unknown.
func (s *space) describe(id int32, size func(int) string) string {
	if id < 0 || int(id) >= len(s.Codes) {
		return "never seen in training"
	}
	return s.codeWords(int(s.Codes[id]), size)
}
