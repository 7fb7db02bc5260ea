package simulate

import (
	"fmt"
	"math"
	"net/netip"

	"github.com/netflow-monitor/monitor/flows"
)

// Role is one service of the simulated network.
type Role struct {
	Name string
	Addr netip.Addr
	// Port is the port the service listens on; 0 for a pure client.
	Port uint16
}

// Roles returns the eight roles of a cell of the simulated network, as the
// first cell has them (10.1.0.10-17), in the order in which
// Config.Services takes them.
func Roles() []Role {
	r := func(name, ip string, port uint16) Role {
		return Role{Name: name, Addr: netip.MustParseAddr(ip), Port: port}
	}
	return []Role{
		r("frontend", "10.1.0.10", 443),
		r("api", "10.1.0.11", 8080),
		r("auth", "10.1.0.12", 8443),
		r("db", "10.1.0.13", 5432),
		r("cache", "10.1.0.14", 6379),
		r("mq", "10.1.0.15", 5672),
		r("worker", "10.1.0.16", 0),
		r("search", "10.1.0.17", 9200),
	}
}

// cellSize is the number of services of a cell: one of each role.
const cellSize = 8

// Services returns the first n services of the simulated network (at most
// MaxServices): cell c (from 0) holds the eight roles at 10.1.c.10-17,
// named as in Roles in the first cell and with the cell's number after
// (api-2, api-3, ...) in the others.
func Services(n int) []Role {
	var out []Role
	for i := range min(n, MaxServices) {
		out = append(out, service(i/cellSize, i%cellSize))
	}
	return out
}

// service returns role i of cell c.
func service(c, i int) Role {
	r := Roles()[i]
	if c > 0 {
		r.Name = fmt.Sprintf("%s-%d", r.Name, c+1)
		r.Addr = netip.AddrFrom4([4]byte{10, 1, byte(c), byte(10 + i)})
	}
	return r
}

// cellLoad is the share of user traffic of cell c against the first:
// tenants, regions or shards are not equally busy, so the services of a
// large network differ in size (Zipf-like, 1/(c+1)^0.7: the 13th cell
// has a sixth of the first's requests).
func cellLoad(c int) float64 { return math.Pow(float64(c+1), -0.7) }

// Role indexes, in the order of Roles.
const (
	rFrontend = iota
	rAPI
	rAuth
	rDB
	rCache
	rMQ
	rWorker
	rSearch
)

// host is one address of the network; service is its index in Services
// (cell·8 + role), or -1.
type host struct {
	addr    netip.Addr
	service int
}

// endpoint names a host (>= 0) or a pool of hosts, one picked per flow
// (-1 - pool index).
type endpoint int

// Pools.
const (
	poolIngress endpoint = -1 - iota
	poolDNS
	poolPods
)

// sizeModel draws a connection type's bytes, packets and duration: bytes
// lognormal around a median, packets from the bytes at a mean packet size,
// and a lognormal duration that follows the size by durScale (0: not at all,
// 1: proportionally).
type sizeModel struct {
	bytes, bytesSigma float64 // median bytes, log standard deviation
	pkt               float64 // mean bytes per packet
	minPkts           int     // packets of an empty exchange (handshake, teardown)
	dur, durSigma     float64 // median seconds, log standard deviation
	durScale          float64
	fail              float64 // share of failed connections (TCP only)
}

// tcp and udp build size models with the usual packet overheads.
func tcp(bytes, bytesSigma, pkt, dur, durSigma, durScale float64) sizeModel {
	return sizeModel{bytes, bytesSigma, pkt, 5, dur, durSigma, durScale, 0.002}
}

func udp(bytes, bytesSigma, pkt, dur, durSigma float64) sizeModel {
	return sizeModel{bytes, bytesSigma, pkt, 0, dur, durSigma, 0, 0}
}

// longLived is a flow record of a persistent connection cut by the
// exporter's active timeout: about a minute long whatever its size.
func longLived(bytes, bytesSigma, pkt float64) sizeModel {
	return sizeModel{bytes, bytesSigma, pkt, 2, 59.8, 0.002, 0, 0}
}

// hop is one flow of an event. A root hop (parent -1) starts when the
// previous root hop ends (the first at the event's time); a child starts
// during its parent, after its earlier siblings, and its parent lasts until
// the child is done.
type hop struct {
	parent   int
	src, dst endpoint
	port     uint16
	proto    flows.Protocol
	size     sizeModel
}

// law is how a stream's events are spread over time.
type law uint8

const (
	// lawPoisson: a Poisson process following the stream's curve.
	lawPoisson law = iota
	// lawPeriodic: a fixed interval with a little jitter.
	lawPeriodic
	// lawList: precomputed flows (the anomalies).
	lawList
)

// curveKind is a stream's rate curve over the time of day.
type curveKind uint8

const (
	curveFlat   curveKind = iota
	curveDay              // user traffic: quiet at night, busy in the day
	curveBackup           // 02:00-02:45 every day
	curveReport           // 03:00-03:30 every day
	numCurves
)

// streamSpec is a connection type (or a call chain) and its rhythm.
type streamSpec struct {
	name  string
	law   law
	curve curveKind
	// rate is the mean number of events per second before scaling (for
	// periodic streams, one over the interval); perNight, when set, is the
	// fixed number of events per batch window instead.
	rate     float64
	perNight int
	// jitter is a periodic stream's jitter as a share of its interval
	// (below 0.5, so that events keep their order).
	jitter float64
	// persistent streams keep one source port: one long-lived connection.
	persistent bool
	hops       []hop
}

// network is the simulated network: its hosts and pools and the traffic
// streams between them.
type network struct {
	hosts []host
	pools [numPools][]endpoint
	specs []streamSpec
	// svc holds, per cell, the host of each role.
	svc [][cellSize]endpoint
}

const numPools = 3

func (n *network) add(ip string, service int) endpoint {
	n.hosts = append(n.hosts, host{addr: netip.MustParseAddr(ip), service: service})
	return endpoint(len(n.hosts) - 1)
}

// addHost adds an address that is not a service (an anomaly's peer).
func (n *network) addHost(a netip.Addr) endpoint {
	for i, h := range n.hosts {
		if h.addr == a {
			return endpoint(i)
		}
	}
	n.hosts = append(n.hosts, host{addr: a, service: -1})
	return endpoint(len(n.hosts) - 1)
}

func (n *network) pool(p endpoint) []endpoint { return n.pools[-1-p] }

// newNetwork builds the network of the given number of cells and its
// normal traffic. Service i is host i in the first cell.
func newNetwork(cells int) *network {
	n := &network{svc: make([][cellSize]endpoint, cells)}
	for i := range cellSize {
		n.svc[0][i] = n.add(service(0, i).Addr.String(), i)
	}
	for i := range 4 {
		n.pools[-1-poolIngress] = append(n.pools[-1-poolIngress], n.add(fmt.Sprintf("10.0.1.%d", 11+i), -1))
	}
	n.pools[-1-poolDNS] = []endpoint{n.add("10.0.0.53", -1), n.add("10.0.0.54", -1)}
	for i := 10; i <= 250; i++ {
		n.pools[-1-poolPods] = append(n.pools[-1-poolPods], n.add(fmt.Sprintf("10.2.7.%d", i), -1))
	}
	sh := shared{
		ntp:      n.add("10.0.0.123", -1),
		scraper:  n.add("10.0.2.10", -1),
		prober:   n.add("10.0.2.11", -1),
		backup:   n.add("10.0.3.20", -1),
		replicas: make([][4]endpoint, cells),
	}
	replicas := func(c int) [4]endpoint {
		var r [4]endpoint
		for i, last := range []byte{23, 24, 25, 27} {
			r[i] = n.add(netip.AddrFrom4([4]byte{10, 1, byte(c), last}).String(), -1)
		}
		return r
	}
	sh.replicas[0] = replicas(0)
	sh.payments, sh.idp, sh.smtp = n.add("203.0.113.10", -1), n.add("203.0.113.20", -1), n.add("203.0.113.30", -1)
	for c := 1; c < cells; c++ {
		for i := range cellSize {
			n.svc[c][i] = n.add(service(c, i).Addr.String(), c*cellSize+i)
		}
		sh.replicas[c] = replicas(c)
	}
	for c := range cells {
		n.cellTraffic(c, &sh)
	}
	return n
}

// shared are the hosts that every cell's traffic reaches: infrastructure
// and external providers, and each cell's replicas (database, cache,
// queue and search peers at 10.1.c.23-25 and .27).
type shared struct {
	ntp, scraper, prober, backup, payments, idp, smtp endpoint
	replicas                                          [][4]endpoint
}

// cellTraffic adds the normal traffic of cell c: its user requests (at
// the cell's load), jobs, replication, batch jobs and monitoring. The
// streams of the first cell have the names they had before there were
// cells; the others add the cell's number.
func (n *network) cellTraffic(c int, sh *shared) {
	svc := n.svc[c]
	suffix := ""
	if c > 0 {
		suffix = fmt.Sprintf("/cell%d", c+1)
	}
	load := cellLoad(c)
	var (
		ntp, scraper, prober, backup = sh.ntp, sh.scraper, sh.prober, sh.backup
		payments, idp, smtp          = sh.payments, sh.idp, sh.smtp
		dbReplica, cacheRepl         = sh.replicas[c][0], sh.replicas[c][1]
		mqPeer, esPeer               = sh.replicas[c][2], sh.replicas[c][3]
	)
	var (
		front, api, auth, db  = svc[rFrontend], svc[rAPI], svc[rAuth], svc[rDB]
		cache, mq, worker, es = svc[rCache], svc[rMQ], svc[rWorker], svc[rSearch]
	)
	const T, U = flows.ProtoTCP, flows.ProtoUDP

	// Connection types.
	var (
		webPage    = tcp(24e3, 0.9, 1100, 0.12, 0.5, 0.3)
		webSmall   = tcp(9e3, 0.6, 1000, 0.09, 0.5, 0.3)
		webLogin   = tcp(4e3, 0.4, 700, 0.25, 0.3, 0.2)
		webCheck   = tcp(7e3, 0.5, 900, 0.6, 0.3, 0.1)
		webAsset   = tcp(60e3, 1.2, 1300, 0.08, 0.6, 0.4)
		apiCall    = tcp(6e3, 0.7, 900, 0.03, 0.5, 0.2)
		authVerify = tcp(1.2e3, 0.3, 300, 0.004, 0.4, 0)
		authLogin  = tcp(2e3, 0.3, 400, 0.06, 0.3, 0)
		redisGet   = tcp(900, 0.5, 250, 0.0015, 0.5, 0.1)
		redisSet   = tcp(1.2e3, 0.4, 300, 0.0018, 0.5, 0.1)
		sqlQuery   = tcp(5e3, 1.0, 700, 0.008, 0.7, 0.3)
		sqlWrite   = tcp(3e3, 0.5, 600, 0.006, 0.5, 0.2)
		esQuery    = tcp(14e3, 0.8, 1000, 0.04, 0.5, 0.2)
		esBulk     = tcp(200e3, 0.7, 1400, 0.3, 0.5, 0.5)
		amqpPub    = tcp(2.5e3, 0.4, 500, 0.003, 0.5, 0)
		amqpFetch  = tcp(6e3, 0.8, 800, 0.02, 0.5, 0.2)
		payment    = tcp(5e3, 0.4, 800, 0.35, 0.3, 0.1)
		mail       = tcp(25e3, 0.9, 1200, 1.2, 0.4, 0.3)
		jwks       = tcp(3.5e3, 0.1, 900, 0.25, 0.2, 0)
		metrics    = tcp(16e3, 0.15, 1300, 0.02, 0.3, 0.2)
		lbHealth   = tcp(2.9e3, 0.05, 480, 0.004, 0.3, 0)
		dnsQuery   = udp(160, 0.25, 80, 0.0012, 0.6)
		ntpQuery   = udp(152, 0.02, 76, 0.0004, 0.3)
		walArchive = tcp(8e6, 0.35, 1448, 1.6, 0.3, 0.8)
		dbBackup   = tcp(180e6, 0.5, 1448, 45, 0.3, 0.9)
		report     = tcp(400e3, 1.0, 1300, 2.5, 0.5, 0.4)
		esPeerSync = tcp(2e3, 0.3, 300, 0.01, 0.4, 0)
	)
	// probe is a health check of a role on its own port.
	probe := [cellSize]sizeModel{
		tcp(2.8e3, 0.05, 480, 0.005, 0.3, 0), // frontend: TLS handshake and /healthz
		tcp(450, 0.05, 90, 0.002, 0.3, 0),    // api: GET /healthz
		tcp(2.8e3, 0.05, 480, 0.006, 0.3, 0), // auth: TLS and /healthz
		tcp(300, 0.05, 60, 0.003, 0.3, 0),    // db: pg_isready
		tcp(120, 0.05, 40, 0.001, 0.3, 0),    // cache: PING
		tcp(600, 0.05, 100, 0.004, 0.3, 0),   // mq: AMQP handshake
		{},                                   // worker: nothing listens
		tcp(1.5e3, 0.05, 300, 0.004, 0.3, 0), // search: GET /_cluster/health
	}

	h := func(parent int, src, dst endpoint, port uint16, proto flows.Protocol, size sizeModel) hop {
		return hop{parent, src, dst, port, proto, size}
	}
	chain := func(name string, rate float64, hops ...hop) {
		n.specs = append(n.specs, streamSpec{name: name + suffix, law: lawPoisson, curve: curveDay, rate: rate * load, hops: hops})
	}
	// User requests through the frontend.
	in := func(size sizeModel) hop { return h(-1, poolIngress, front, 443, T, size) }
	chain("page-cache-hit", 0.7, in(webPage),
		h(0, front, api, 8080, T, apiCall),
		h(1, api, cache, 6379, T, redisGet))
	chain("page-cache-miss", 0.3, in(webPage),
		h(0, front, api, 8080, T, apiCall),
		h(1, api, cache, 6379, T, redisGet),
		h(1, api, db, 5432, T, sqlQuery),
		h(1, api, cache, 6379, T, redisSet))
	chain("search", 0.15, in(webPage),
		h(0, front, api, 8080, T, apiCall),
		h(1, api, cache, 6379, T, redisGet),
		h(1, api, es, 9200, T, esQuery))
	chain("login", 0.06, in(webLogin),
		h(0, front, auth, 8443, T, authLogin),
		h(1, auth, db, 5432, T, sqlQuery),
		h(1, auth, cache, 6379, T, redisSet))
	chain("authed-call", 0.3, in(webSmall),
		h(0, front, api, 8080, T, apiCall),
		h(1, api, auth, 8443, T, authVerify),
		h(2, auth, cache, 6379, T, redisGet),
		h(1, api, db, 5432, T, sqlQuery))
	chain("authed-publish", 0.15, in(webSmall),
		h(0, front, api, 8080, T, apiCall),
		h(1, api, auth, 8443, T, authVerify),
		h(2, auth, cache, 6379, T, redisGet),
		h(1, api, db, 5432, T, sqlWrite),
		h(1, api, mq, 5672, T, amqpPub))
	chain("asset", 0.5, in(webAsset))
	chain("checkout", 0.015, in(webCheck),
		h(0, front, api, 8080, T, apiCall),
		h(1, api, auth, 8443, T, authVerify),
		h(1, api, payments, 443, T, payment),
		h(1, api, db, 5432, T, sqlWrite),
		h(1, api, mq, 5672, T, amqpPub))
	// Workers: fetch a batch of jobs, then write results or send mail.
	chain("job", 0.12,
		h(-1, worker, mq, 5672, T, amqpFetch),
		h(-1, worker, db, 5432, T, sqlWrite))
	chain("job-mail", 0.04,
		h(-1, worker, mq, 5672, T, amqpFetch),
		h(-1, worker, db, 5432, T, sqlQuery),
		h(-1, worker, smtp, 587, T, mail))
	chain("index", 0.02,
		h(-1, worker, db, 5432, T, sqlQuery),
		h(-1, worker, es, 9200, T, esBulk))

	periodic := func(name string, interval, jitter float64, persistent bool, hp hop) {
		n.specs = append(n.specs, streamSpec{name: name + suffix, law: lawPeriodic, rate: 1 / interval,
			jitter: jitter, persistent: persistent, hops: []hop{hp}})
	}
	batch := func(name string, curve curveKind, perNight int, hp hop) {
		n.specs = append(n.specs, streamSpec{name: name + suffix, law: lawPoisson, curve: curve, perNight: perNight, hops: []hop{hp}})
	}
	// Long-lived connections, one record per active timeout.
	periodic("db-replication", 60, 0.002, true, h(-1, db, dbReplica, 5432, T, longLived(250e3, 0.8, 1200)))
	periodic("cache-replication", 60, 0.002, true, h(-1, cache, cacheRepl, 6379, T, longLived(80e3, 0.7, 900)))
	periodic("mq-cluster", 60, 0.002, true, h(-1, mq, mqPeer, 25672, T, longLived(3e3, 0.3, 150)))
	periodic("mq-consumer", 60, 0.002, true, h(-1, worker, mq, 5672, T, longLived(40e3, 0.9, 600)))
	// Background jobs.
	periodic("wal-archive", 300, 0.05, false, h(-1, db, backup, 22, T, walArchive))
	periodic("jwks-refresh", 900, 0.01, false, h(-1, auth, idp, 443, T, jwks))
	periodic("search-peer", 30, 0.05, false, h(-1, es, esPeer, 9300, T, esPeerSync))
	batch("db-backup", curveBackup, 30, h(-1, db, backup, 22, T, dbBackup))
	batch("report", curveReport, 40, h(-1, poolPods, db, 5432, T, report))
	// Monitoring and infrastructure, per role.
	for i, r := range Roles() {
		s := svc[i]
		periodic("metrics/"+r.Name, 15, 0.01, false, h(-1, scraper, s, 9100, T, metrics))
		if r.Port != 0 {
			periodic("probe/"+r.Name, 30, 0.02, false, h(-1, prober, s, r.Port, T, probe[i]))
		}
		periodic("dns/"+r.Name, 20, 0.3, false, h(-1, s, poolDNS, 53, U, dnsQuery))
		periodic("ntp/"+r.Name, 1024, 0.02, false, h(-1, s, ntp, 123, U, ntpQuery))
	}
	for i, lb := range n.pool(poolIngress) {
		periodic(fmt.Sprintf("lb-health/%d", i), 20, 0.01, false, h(-1, lb, front, 443, T, lbHealth))
	}
}
