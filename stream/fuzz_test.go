package stream

import (
	"bytes"
	"reflect"
	"testing"

	"github.com/netflow-monitor/monitor/flows"
	flowpb "github.com/netsampler/goflow2/v2/pb"
	"google.golang.org/protobuf/proto"
)

// FuzzGoflow2PB: any bytes decode to a flow or an error, never a panic;
// a flow decoded, encoded again, decodes to itself.
func FuzzGoflow2PB(f *testing.F) {
	raw, _ := proto.Marshal(pbMessage(testFlow()))
	f.Add(raw)
	f.Add(append([]byte{byte(len(raw))}, raw...))
	f.Add([]byte{})
	var m flowpb.FlowMessage
	f.Fuzz(func(t *testing.T, b []byte) {
		var fl flows.Flow
		if err := DecodeGoflow2PB(b, &m, &fl); err != nil {
			return
		}
		again, _ := proto.Marshal(pbMessage(fl))
		var fl2 flows.Flow
		if err := DecodeGoflow2PB(again, &m, &fl2); err != nil || fl2.Start != fl.Start || fl2.Src != fl.Src || fl2.Dst != fl.Dst ||
			fl2.DstPort != fl.DstPort || fl2.Bytes != fl.Bytes || fl2.Proto != fl.Proto {
			t.Fatalf("%+v re-encoded decodes to %+v, %v", fl, fl2, err)
		}
	})
}

// FuzzRouted: any bytes decode to a routed flow or an error; a decoded
// one encodes back to the same bytes.
func FuzzRouted(f *testing.F) {
	r := Routed{Flow: testFlow(), SourcePartition: 2, SourceOffset: 99}
	f.Add(AppendRouted(nil, &r))
	f.Add([]byte{1})
	f.Fuzz(func(t *testing.T, b []byte) {
		var r Routed
		if err := DecodeRouted(b, &r); err != nil {
			return
		}
		if again := AppendRouted(nil, &r); !bytes.Equal(again, b) {
			var r2 Routed
			if err := DecodeRouted(again, &r2); err != nil || !reflect.DeepEqual(r, r2) {
				t.Fatalf("%x decodes to %+v, which encodes to %x", b, r, again)
			}
		}
	})
}

// FuzzKafkaURL: any text parses or is refused; a parsed URL's canonical
// form parses to the same URL.
func FuzzKafkaURL(f *testing.F) {
	for _, s := range []string{"kafka://localhost:9092/flows?group=g", "kafka://a,b:1/t", "kafka://[::1]/t", "kafka://h/t?group=a&x=1"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		u, err := ParseKafkaURL(s)
		if err != nil {
			return
		}
		if len(u.Brokers) == 0 || u.Topic == "" {
			t.Fatalf("%q parsed to %+v", s, u)
		}
		u2, err := ParseKafkaURL(u.String())
		if err != nil || !reflect.DeepEqual(u, u2) {
			t.Fatalf("%q: %q parses to %+v, %v", s, u.String(), u2, err)
		}
	})
}
