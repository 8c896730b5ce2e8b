package order

import (
	"testing"
	"time"

	"github.com/cancelsync/cancelsync/platform"
	"github.com/cancelsync/cancelsync/platform/selfservice"
)

// benchDoc is the stored order the benchmarks start from, as
// ordertest.BenchDoc builds it: "o-1" after its snapshot, its self-service
// adapter, and a buyer's request for it.
func benchDoc(tb testing.TB) (*Doc, *platform.Adapter, platform.Event) {
	tb.Helper()
	ad := &platform.Adapter{ID: "bench-self", Platform: "selfservice", Rules: selfservice.Policy{}}
	now := time.Now().UTC()
	doc := &Doc{}
	tr := &Transition{Doc: doc, OrderID: "o-1", Adapter: ad, OrderWait: time.Minute, Now: now}
	tr.ApplyDelivery("w-snap", now, snapshot("o-1", platform.StatusPaid, placed))
	return doc, ad, request("o-1", "cr-1", platform.Buyer)
}

// The formats the benchmarks compare.
var benchFormats = []struct {
	name   string
	format int
}{{"json", FormatJSON}, {"compact", FormatCompact}}

func benchEncoded(b *testing.B, doc *Doc, format int) []byte {
	b.Helper()
	raw, err := doc.AppendEncoded(nil, format)
	if err != nil {
		b.Fatal(err)
	}
	return raw
}

// BenchmarkTransition is the CPU of one event in the store, without Redis:
// decode the stored document, apply a cancellation request to it (the
// policy decision included) and encode it again, in each format. The
// encoding appends to a buffer kept from the iteration before.
func BenchmarkTransition(b *testing.B) {
	stored, ad, req := benchDoc(b)
	now := time.Now().UTC()
	for _, f := range benchFormats {
		b.Run(f.name, func(b *testing.B) {
			raw := benchEncoded(b, stored, f.format)
			b.ReportAllocs()
			b.SetBytes(int64(len(raw)))
			var buf []byte
			for b.Loop() {
				doc, err := DecodeDoc(raw)
				if err != nil {
					b.Fatal(err)
				}
				tr := &Transition{Doc: doc, OrderID: "o-1", Adapter: ad, OrderWait: time.Minute, Now: now}
				tr.ApplyDelivery("w-req", now, req)
				if !tr.Changed() || tr.Effects().Sync != 1 {
					b.Fatal("not decided")
				}
				if buf, err = doc.AppendEncoded(buf[:0], f.format); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(len(raw)), "doc-bytes")
		})
	}
}

// decidedDoc is the bench order after the buyer's request: a document
// with one decided cancellation.
func decidedDoc(b *testing.B) *Doc {
	doc, ad, req := benchDoc(b)
	now := time.Now().UTC()
	tr := &Transition{Doc: doc, OrderID: "o-1", Adapter: ad, OrderWait: time.Minute, Now: now}
	tr.ApplyDelivery("w-req", now, req)
	return doc
}

// BenchmarkDecodeDoc reads the bench order with one decided cancellation.
func BenchmarkDecodeDoc(b *testing.B) {
	doc := decidedDoc(b)
	for _, f := range benchFormats {
		b.Run(f.name, func(b *testing.B) {
			raw := benchEncoded(b, doc, f.format)
			b.ReportAllocs()
			b.SetBytes(int64(len(raw)))
			for b.Loop() {
				if _, err := DecodeDoc(raw); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(len(raw)), "doc-bytes")
		})
	}
}

// BenchmarkEncodeDoc writes it, into a buffer kept from the iteration
// before.
func BenchmarkEncodeDoc(b *testing.B) {
	doc := decidedDoc(b)
	for _, f := range benchFormats {
		b.Run(f.name, func(b *testing.B) {
			raw := benchEncoded(b, doc, f.format)
			b.ReportAllocs()
			b.SetBytes(int64(len(raw)))
			var buf []byte
			for b.Loop() {
				var err error
				if buf, err = doc.AppendEncoded(buf[:0], f.format); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(len(raw)), "doc-bytes")
		})
	}
}
