package flows

import "testing"

// BenchmarkGoflow2 decodes one goflow2 JSON line as goflow2 -format=json
// writes it (the message a Kafka record carries).
func BenchmarkGoflow2(b *testing.B) {
	line := []byte(`{"type":"IPFIX","time_received_ns":1704507265765455124,"sequence_num":2,"sampling_rate":0,"sampler_address":"192.0.2.1","time_flow_start_ns":1704507265265455123,"time_flow_end_ns":1704507265765455124,"bytes":1500,"packets":3,"src_addr":"10.0.0.5","dst_addr":"198.51.100.7","etype":"IPv4","proto":"TCP","src_port":51000,"dst_port":443,"in_if":1,"out_if":2,"src_mac":"00:00:00:00:00:00","dst_mac":"00:00:00:00:00:00"}`)
	var f Flow
	for b.Loop() {
		if _, err := decodeGoflow2(line, &f); err != nil {
			b.Fatal(err)
		}
	}
}
