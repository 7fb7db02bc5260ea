// Package simulate generates the flows of a small microservice network with
// labelled, injected anomalies, written in the project's train/monitor
// folder layout, so that the monitor can be trained, run and evaluated on
// data whose ground truth is known.
//
// # Network
//
// The network is made of cells of eight services, one of each role; the
// first cell lives in 10.1.0.0/24, always in this order (the first
// Config.Services services get flow files; the others of their cells still
// exist as peers):
//
//	frontend 10.1.0.10:443   api    10.1.0.11:8080   auth   10.1.0.12:8443
//	db       10.1.0.13:5432  cache  10.1.0.14:6379   mq     10.1.0.15:5672
//	worker   10.1.0.16       search 10.1.0.17:9200
//
// Beyond eight services, cell c (from 0) repeats the roles at 10.1.c.10-17
// (api-2 is 10.1.1.11) with replicas of its own at 10.1.c.23-27, as a
// company runs one stack per tenant, region or shard: up to MaxServices
// (32 cells). Cells are not equally busy: cell c has 1/(c+1)^0.7 of the
// first's user requests (the 13th a sixth), so a large network has units
// of many sizes; the infrastructure, the report pods and the external
// providers are shared.
//
// Their peers are four ingress (load balancer) nodes 10.0.1.11-14, DNS
// resolvers 10.0.0.53-54, an NTP server 10.0.0.123, a metrics scraper
// 10.0.2.10 and a health prober 10.0.2.11, a backup server 10.0.3.20, the
// database, cache, queue and search replicas 10.1.0.23-27, short-lived
// report-job pods in 10.2.7.0/24, and three external providers in
// 203.0.113.0/24 (payments, identity provider, mail relay).
//
// # Normal traffic
//
// User requests arrive as Poisson processes whose rate follows a daily
// curve (quiet at night, busy from late morning to the afternoon). Each
// request is a call chain: ingress → frontend, then frontend → api → cache,
// on a cache miss api → db, logins through auth, authenticated calls that
// verify a token with auth, searches, publications to the queue, payments
// through an external provider. Workers take jobs from the queue and write
// to the database or send mail. Around these, periodic traffic: load
// balancer health checks, metrics scrapes, health probes, DNS lookups,
// NTP, long-lived replication and queue connections exported every active
// timeout, write-ahead-log archiving, a nightly database backup (02:00)
// and a nightly report job (03:00) from fresh pods. Every connection type
// has its own lognormal bytes, packets-per-byte and duration, the duration
// partly following the size; a small share of TCP connections fail (one to
// three packets, refused or timed out).
//
// Config.Flows is the exact number of distinct flows generated. The mix is
// fixed and the span is Config.Train + Config.Monitor; rates scale so that
// the flows fill the span. The nightly batch jobs and the anomalies have a
// fixed size and do not scale.
//
// # Anomalies
//
// Only the monitoring period holds anomalies. Each selected kind is
// injected Config.PerKind times, each time by another service where one is
// available (and, in a network of several cells, in cells spread over
// them), at a random time in its own slice of the monitoring period:
//
//   - exfiltration: 12-24 large outbound transfers (8-60 MB, throttled to
//     0.1-0.4 MB/s, so minutes long) to an unknown external host in
//     198.51.100.0/24, port 443;
//   - port-scan: 150-300 probes, each to another port (common service
//     ports and random ones below 10000) of one internal host, from one
//     source port: closed ports answer with a reset (2 packets), open ones
//     complete the handshake, filtered ones retransmit the SYN;
//   - beaconing: 48-72 small outbound flows (about 500 bytes) to an unknown
//     host in 192.0.2.0/24 on port 443 at a fixed interval (5 minutes, or
//     less when the period is short) with under 1 % jitter;
//   - unusual-port: a service connecting where it never does, e.g. the
//     frontend querying the database on 5432 directly (bulk result sets),
//     or the api opening SSH sessions (port 22) to the database host.
//
// # Output
//
// For every simulated service, layout.TrainFile and layout.MonitorFile hold
// every flow the service sends or receives, sorted by start time, in the
// project's flow CSV (flows.CSVWriter). A flow between two simulated
// services appears in both files. flow_id is the flow's number in the
// global time order (1, 2, ...), the same in both files. The label column
// is "normal" for normal flows and "anomaly:<kind>" for injected ones
// (anomaly:exfiltration, anomaly:port-scan, anomaly:beaconing,
// anomaly:unusual-port).
//
// The ground truth, GroundTruthFile at the top of the monitor folder, is a
// ';'-separated CSV with one row per injection and simulated service it
// touches:
//
//	service;kind;direction;peer;port;first_time;last_time;flows;instance
//
// direction and peer are as seen from the service; port is the destination
// port, or "*" for a port scan; the times are the first and last flow start
// (RFC 3339, UTC, as in the flow files); flows counts the labelled flows in
// the service's monitor file; instance numbers the injection, so that the
// two rows of an injection between two simulated services can be paired.
//
// # Determinism
//
// The output is a function of the Config alone: every traffic stream has
// its own random source (math/rand/v2 PCG seeded with Config.Seed and the
// stream's name), streams are merged by start time with ties broken in a
// fixed order, and no map is iterated. The same Config gives byte-identical
// files.
package simulate
