package stream

import (
	"errors"
	"fmt"
	"net"
	"net/netip"
	"net/url"
	"strconv"
	"strings"
)

// KafkaURL is a Kafka source or sink: kafka://host:port[,host:port]/topic
// with, for a consumer, ?group=NAME (its consumer group).
type KafkaURL struct {
	Brokers []string // host:port, in the order given
	Topic   string
	Group   string
}

// IsKafkaURL reports whether s names Kafka (starts with kafka://).
func IsKafkaURL(s string) bool { return strings.HasPrefix(strings.ToLower(s), "kafka://") }

// ErrKafkaURL is the cause of every malformed Kafka URL.
var ErrKafkaURL = errors.New("bad Kafka URL (want kafka://host:port[,host:port]/topic?group=NAME)")

// ParseKafkaURL parses a Kafka URL. A broker without a port gets 9092.
// The topic and group must be valid Kafka names (letters, digits, '.',
// '_', '-', at most 249 characters); the group is optional here and
// required by consumers.
func ParseKafkaURL(s string) (KafkaURL, error) {
	bad := func(format string, args ...any) (KafkaURL, error) {
		return KafkaURL{}, fmt.Errorf("%q: %w: %s", s, ErrKafkaURL, fmt.Sprintf(format, args...))
	}
	if !IsKafkaURL(s) {
		return bad("not kafka://")
	}
	rest := s[len("kafka://"):]
	hosts, path, ok := strings.Cut(rest, "/")
	if !ok {
		return bad("no topic")
	}
	path, query, _ := strings.Cut(path, "?")
	var u KafkaURL
	for _, h := range strings.Split(hosts, ",") {
		if h == "" {
			return bad("an empty broker")
		}
		host, port, err := net.SplitHostPort(h)
		if err != nil {
			if strings.Contains(h, ":") && !strings.HasPrefix(h, "[") && strings.Count(h, ":") == 1 {
				return bad("broker %q: %v", h, err)
			}
			host, port = strings.Trim(h, "[]"), "9092"
		}
		if err := hostName(host); err != nil {
			return bad("broker %q: %v", h, err)
		}
		if n, err := strconv.Atoi(port); err != nil || n < 1 || n > 65535 {
			return bad("broker %q: port %q", h, port)
		}
		u.Brokers = append(u.Brokers, net.JoinHostPort(host, port))
	}
	topic, err := url.PathUnescape(path)
	if err != nil {
		return bad("topic: %v", err)
	}
	if err := kafkaName(topic); err != nil {
		return bad("topic %v", err)
	}
	u.Topic = topic
	q, err := url.ParseQuery(query)
	if err != nil {
		return bad("query: %v", err)
	}
	for k, v := range q {
		if k != "group" {
			return bad("unknown parameter %q", k)
		}
		if len(v) != 1 {
			return bad("group given %d times", len(v))
		}
		if err := kafkaName(v[0]); err != nil {
			return bad("group %v", err)
		}
		u.Group = v[0]
	}
	return u, nil
}

// hostName checks a broker's host: an IP address or a DNS name.
func hostName(h string) error {
	if strings.Contains(h, ":") {
		if a, err := netip.ParseAddr(h); err != nil || a.Zone() != "" {
			return fmt.Errorf("host %q: not an IPv6 address", h)
		}
		return nil
	}
	if h == "" || len(h) > 253 {
		return fmt.Errorf("host %q: empty or too long", h)
	}
	for _, r := range h {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '.' || r == '-' || r == '_') {
			return fmt.Errorf("host %q: not a host name", h)
		}
	}
	return nil
}

// kafkaName checks a topic or group name as Kafka does.
func kafkaName(s string) error {
	if s == "" || s == "." || s == ".." || len(s) > 249 {
		return fmt.Errorf("%q: empty, '.', '..' or longer than 249 characters", s)
	}
	for _, r := range s {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '.' || r == '_' || r == '-') {
			return fmt.Errorf("%q: only letters, digits, '.', '_' and '-'", s)
		}
	}
	return nil
}

// String returns the URL in its canonical form.
func (u KafkaURL) String() string {
	s := "kafka://" + strings.Join(u.Brokers, ",") + "/" + u.Topic
	if u.Group != "" {
		s += "?group=" + u.Group
	}
	return s
}
