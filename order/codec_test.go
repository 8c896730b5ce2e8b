package order

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"flag"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/cancelsync/cancelsync/platform"
)

var updateGolden = flag.Bool("update", false, "rewrite testdata/*.v2.bin, the compact encodings of the previous release's documents")

// checkFormats stores doc in both formats and reads each back: FormatJSON
// is json.Marshal's bytes, and both read back as the same document, whose
// view, updates, requests and order serialise to the same bytes. Every
// transition test calls it on the document it ends with.
func checkFormats(t *testing.T, doc *Doc, ad *platform.Adapter, orderID string) {
	t.Helper()
	want, err := json.Marshal(doc)
	if err != nil {
		t.Fatal(err)
	}
	rawJSON, err := doc.AppendEncoded(nil, FormatJSON)
	if err != nil || !bytes.Equal(rawJSON, want) {
		t.Fatalf("FormatJSON is not json.Marshal (%v):\n%s\n%s", err, rawJSON, want)
	}
	if pre, _ := doc.AppendEncoded([]byte("x"), FormatJSON); string(pre) != "x"+string(want) {
		t.Fatalf("FormatJSON did not append: %q", pre)
	}
	rawCompact, err := doc.AppendEncoded(nil, FormatCompact)
	if err != nil {
		t.Fatal(err)
	}
	if pre, _ := doc.AppendEncoded([]byte("x"), FormatCompact); !bytes.Equal(pre[1:], rawCompact) {
		t.Fatalf("FormatCompact did not append")
	}
	fromJSON := decodeAs(t, rawJSON, FormatJSON)
	fromCompact := decodeAs(t, rawCompact, FormatCompact)
	sameDoc(t, fromJSON, fromCompact, ad, orderID)
	again, err := fromCompact.AppendEncoded(nil, FormatCompact)
	if err != nil {
		t.Fatal(err)
	}
	if twice, _ := decodeAs(t, again, FormatCompact).AppendEncoded(nil, FormatCompact); !bytes.Equal(twice, again) {
		t.Errorf("compact read and written twice differs:\n%x\n%x", twice, again)
	}
	// Where JSON's round trip changes nothing (Upgrade changes nothing, no
	// zone under a minute), neither does the compact encoding's.
	if jsonOf(t, fromJSON) == string(want) && !bytes.Equal(again, rawCompact) {
		t.Errorf("compact re-encoded differs:\n%x\n%x", again, rawCompact)
	}
}

func decodeAs(t *testing.T, raw []byte, format int) *Doc {
	t.Helper()
	d, err := DecodeDoc(raw)
	if err != nil {
		t.Fatalf("DecodeDoc(%q): %v", raw, err)
	}
	if d.Format != format {
		t.Fatalf("read as format %d, want %d", d.Format, format)
	}
	if d.Legacy != nil {
		t.Fatalf("not upgraded: %+v", d.Legacy)
	}
	return d
}

// sameDoc: a and b, read from different formats, are the same document,
// and everything serialised from them is the same bytes.
func sameDoc(t *testing.T, a, b *Doc, ad *platform.Adapter, orderID string) {
	t.Helper()
	ca, cb := *a, *b
	ca.Format, cb.Format = 0, 0
	if !reflect.DeepEqual(ca, cb) {
		t.Errorf("documents differ:\n%s\n%s", jsonOf(t, a), jsonOf(t, b))
	}
	for name, f := range map[string]func(d *Doc) any{
		"view":            func(d *Doc) any { return d.View(ad, orderID) },
		"pending effects": func(d *Doc) any { return PendingEffects(d, time.Minute) },
		"unsent":          func(d *Doc) any { return d.Unsent() },
		"shown":           func(d *Doc) any { return d.Shown() },
		"order": func(d *Doc) any {
			if d.Order == nil {
				return nil
			}
			return d.Order.Domain(orderID)
		},
		"requests": func(d *Doc) any {
			var out []any
			for i := range d.Requests {
				r := &d.Requests[i]
				out = append(out, r.Domain(), r.Update(orderID), r.View(), r.SyncState(), r.Partial())
			}
			return out
		},
	} {
		if ja, jb := jsonOf(t, f(a)), jsonOf(t, f(b)); ja != jb {
			t.Errorf("%s differs:\n%s\n%s", name, ja, jb)
		}
	}
}

// The hand-built documents: every field set, edge values.
func edgeDocs() map[string]*Doc {
	cet := time.FixedZone("CET", 3600)
	nst := time.FixedZone("NST", -(3*3600 + 30*60))     // Newfoundland, -03:30
	lmt := time.FixedZone("LMT", -(4*3600 + 56*60 + 2)) // an offset with seconds: JSON drops them
	tiny := time.FixedZone("tiny", 30)                  // under a minute: JSON writes "+00:00"
	east := time.FixedZone("", 14*3600)                 // the furthest east
	t0 := time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)
	tp := func(t time.Time) *time.Time { return &t }
	sp := func(s string) *string { return &s }
	full := func() *Doc {
		d := &Doc{
			Order: &Snapshot{BuyerID: "b-ü<&>\"", SellerID: "s\x00\n", Status: platform.StatusShipped,
				PlacedAt: time.Date(2026, 11, 30, 9, 1, 7, 123456789, nst), UpdatedAt: t0.In(cet).Add(1500 * time.Microsecond),
				ShippedAt: tp(time.Date(2026, 12, 1, 5, 4, 3, 0, lmt)), Total: money{Amount: "1234567.89", Currency: "XTS"},
				RequirementsSubmitted: true, WorkDelivered: true,
				Items: []item{
					{SKU: "A", Quantity: 2, Price: "10.00", LineID: "la", Fulfilled: 1, Removed: 1, Cancelled: 1, Refunded: "10.00"},
					{SKU: "neg", Quantity: -3, Fulfilled: -1, Removed: math.MaxInt32, Cancelled: math.MinInt32},
					{},
				}},
			Requests: []Request{
				{ID: "r1", Initiator: platform.Buyer, Reason: "changed_mind", OccurredAt: t0, ArrivedAt: t0.Add(time.Nanosecond),
					State: platform.PendingResponse, RespondBy: tp(t0.Add(48 * time.Hour).In(cet)),
					Refund: &refund{Method: platform.PlatformCredit, Amount: "0.01", Currency: "USD"}, SellerHit: true,
					Lines:   []line{{ID: "la", Quantity: 1, Refund: sp("10.00")}, {ID: "lb", Quantity: 2}, {ID: "lc", Refund: sp("")}},
					Version: 1 << 62, Attempts: 7, LastError: strings.Repeat("HTTP 503 Service Unavailable; ", 10),
					NextAt: t0.Add(7 * time.Microsecond).In(tiny), Round: 3},
				{ID: "r2", Initiator: "future_party", Reason: "a reason outside the table", OccurredAt: t0.In(east),
					State: "future_state", Denial: "future_denial", Refund: &refund{}, Version: -5, Sync: "future_sync"},
				{ID: "r3", Initiator: platform.Merchant, Reason: "other", OccurredAt: t0, State: platform.Denied, Denial: platform.Declined,
					Version: 3, Sync: SyncSkipped},
			},
			Version: math.MaxInt64, Acked: math.MinInt64, CancelledBy: "r1", Conflict: "shipped_after_cancel",
		}
		for i := range MaxHistory {
			d.History = append(d.History, HistoryRecord{At: t0.Add(time.Duration(i) * 1001 * time.Millisecond), Event: platform.CancellationRequested,
				State: platform.Cancelled, Note: "status moved back from shipped to paid", WebhookID: "msg_" + strings.Repeat("x", i)})
		}
		d.History[1] = HistoryRecord{}
		d.History[2] = HistoryRecord{At: t0, Event: "future.event", Note: string(platform.SnapshotNotNewer)}
		return d
	}
	legacy := full()
	legacy.Acked = 1
	legacy.Requests[0].Version = 2
	legacy.Legacy = &legacySync{State: SyncFailed, Version: 2, Attempts: 2, LastError: "HTTP 500", Acked: 1}
	emptyLegacy := &Doc{Requests: []Request{{ID: "r", State: platform.Cancelled, Version: 1}}, Legacy: &legacySync{}}
	return map[string]*Doc{
		"empty":        {},
		"every field":  full(),
		"legacy sync":  legacy,
		"empty legacy": emptyLegacy,
		"zero times": {
			Order:    &Snapshot{ShippedAt: tp(time.Time{}), UpdatedAt: time.Time{}.In(cet)},
			Requests: []Request{{ID: "z", RespondBy: tp(time.Time{}.In(nst)), OccurredAt: time.Time{}.In(tiny), ArrivedAt: time.Time{}.In(cet)}},
			History:  []HistoryRecord{{}, {At: time.Time{}.In(lmt)}},
		},
		"years at the edges": {
			Order: &Snapshot{PlacedAt: time.Date(0, 1, 1, 0, 0, 0, 0, time.FixedZone("", -12*3600)),
				UpdatedAt: time.Date(9999, 12, 31, 23, 59, 59, 999999999, east), ShippedAt: tp(time.Date(1969, 12, 31, 23, 59, 59, 1, time.UTC))},
			Requests: []Request{{ID: "y", OccurredAt: time.Date(1, 1, 1, 0, 0, 0, 1000, time.UTC),
				NextAt: time.Date(2262, 4, 11, 23, 47, 16, 854775807, time.UTC), ArrivedAt: time.Date(1677, 9, 21, 0, 12, 43, 145224192, time.UTC)}},
		},
		"empty slices": {
			Order:    &Snapshot{Items: []item{}},
			Requests: []Request{{ID: "e", Lines: []line{}}},
			History:  []HistoryRecord{},
		},
		"monotonic and local clock": {
			Requests: []Request{{ID: "m", OccurredAt: time.Now(), NextAt: time.Now().Add(time.Minute), RespondBy: tp(time.Now().Local())}},
		},
	}
}

// TestCodecEdgeDocuments: the hand-built documents round-trip in both
// formats and read back the same from each.
func TestCodecEdgeDocuments(t *testing.T) {
	t.Parallel()
	ad := &platform.Adapter{ID: "a", Platform: "p"}
	for name, doc := range edgeDocs() {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			checkFormats(t, doc, ad, "o")
		})
	}
}

// TestCodecEmptySlices: an empty slice is stored as a nil one, in both
// formats (JSON's omitempty); the view's items are [] either way and a
// request's lines null.
func TestCodecEmptySlices(t *testing.T) {
	t.Parallel()
	ad := &platform.Adapter{ID: "a", Platform: "p"}
	for _, items := range [][]item{nil, {}} {
		doc := &Doc{Order: &Snapshot{Items: items}, Requests: []Request{{ID: "e", Lines: []line{}}}}
		for _, f := range []int{FormatJSON, FormatCompact} {
			raw, err := doc.AppendEncoded(nil, f)
			if err != nil {
				t.Fatal(err)
			}
			d := decodeAs(t, raw, f)
			v := d.View(ad, "o")
			if got := jsonOf(t, v.Order.Items); got != "[]" {
				t.Errorf("format %d: items %s, want []", f, got)
			}
			if d.Order.items() == nil {
				t.Errorf("format %d: items() is nil", f)
			}
			if v.Requests[0].Lines != nil || d.Requests[0].Partial() {
				t.Errorf("format %d: lines %v, partial %v: want null, false", f, v.Requests[0].Lines, d.Requests[0].Partial())
			}
		}
	}
}

// TestCodecInvalidUTF8: a string that is not UTF-8 (a webhook-id taken
// from a header, an error text cut mid-character) reads back from the
// compact encoding as from JSON: each invalid byte as U+FFFD.
func TestCodecInvalidUTF8(t *testing.T) {
	t.Parallel()
	doc := &Doc{History: []HistoryRecord{{At: time.Unix(1, 0).UTC(), Event: platform.OrderUpdated, WebhookID: "bad\xffid"}},
		Requests: []Request{{ID: "r", State: platform.Cancelled, Version: 1, LastError: "HTTP 502: \xe2\x82\xfe\xff \ufffd", Reason: "\xc3"}},
		Version:  1, Conflict: "\x80"}
	checkFormats(t, doc, &platform.Adapter{ID: "a", Platform: "p"}, "o")
	c, _ := doc.AppendEncoded(nil, FormatCompact)
	d := decodeAs(t, c, FormatCompact)
	if got := d.History[0].WebhookID; got != "bad\ufffdid" {
		t.Errorf("webhook-id %q", got)
	}
	if got := d.Requests[0].LastError; got != "HTTP 502: \ufffd\ufffd\ufffd\ufffd \ufffd" {
		t.Errorf("last error %q", got)
	}
}

// TestCodecTimes: a time reads back from the compact encoding as from
// JSON's text: its instant, its offset in whole minutes, UTC for none.
func TestCodecTimes(t *testing.T) {
	t.Parallel()
	zones := []*time.Location{time.UTC, time.FixedZone("CET", 3600), time.FixedZone("", -(9*3600 + 30*60)),
		time.FixedZone("LMT", 4*3600+56*60+2), time.FixedZone("", -59), time.FixedZone("", 23*3600+59*60)}
	base := time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)
	for _, z := range zones {
		for _, ns := range []int{0, 1, 999, 1000, 123_000, 1_000_000, 518_000_000, 999_999_999} {
			tm := base.Add(time.Duration(ns)).In(z)
			doc := &Doc{History: []HistoryRecord{{At: tm}}}
			j, _ := doc.AppendEncoded(nil, FormatJSON)
			c, err := doc.AppendEncoded(nil, FormatCompact)
			if err != nil {
				t.Fatal(err)
			}
			wj, wc := decodeAs(t, j, FormatJSON).History[0].At, decodeAs(t, c, FormatCompact).History[0].At
			_, oj := wj.Zone()
			_, oc := wc.Zone()
			if !wj.Equal(wc) || oj != oc || wj.Location().String() != wc.Location().String() {
				t.Errorf("%v: JSON reads %v (%d), compact %v (%d)", tm, wj, oj, wc, oc)
			}
			if jsonOf(t, wj) != jsonOf(t, wc) {
				t.Errorf("%v: JSON %s, compact %s", tm, jsonOf(t, wj), jsonOf(t, wc))
			}
		}
	}
}

// TestCodecLocalZone: a time at the offset time.Local has then reads back
// in time.Local, from either format, as encoding/json reads it. Not
// parallel: it sets time.Local.
func TestCodecLocalZone(t *testing.T) {
	saved := time.Local
	time.Local = time.FixedZone("Local", 2*3600)
	defer func() { time.Local = saved }()
	tm := time.Date(2026, 12, 1, 10, 0, 0, 0, time.FixedZone("", 2*3600))
	other := time.Date(2026, 12, 1, 10, 0, 0, 0, time.FixedZone("", 3*3600))
	doc := &Doc{History: []HistoryRecord{{At: tm}, {At: other}}}
	checkFormats(t, doc, &platform.Adapter{}, "o")
	for _, f := range []int{FormatJSON, FormatCompact} {
		raw, _ := doc.AppendEncoded(nil, f)
		d := decodeAs(t, raw, f)
		if d.History[0].At.Location() != time.Local || d.History[1].At.Location() == time.Local {
			t.Errorf("format %d: zones %v, %v; want Local, then not", f, d.History[0].At.Location(), d.History[1].At.Location())
		}
	}
}

// TestCodecRefusesWhatJSONRefuses: a time JSON cannot write (a year past
// 9999 or before 0, an offset of a day or more), neither can the compact
// encoding, so a document in one format can always be written in the
// other.
func TestCodecRefusesWhatJSONRefuses(t *testing.T) {
	t.Parallel()
	for _, tm := range []time.Time{
		time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC),
		time.Date(-1, 12, 31, 23, 59, 59, 0, time.UTC),
		time.Date(9999, 12, 31, 23, 0, 0, 0, time.UTC).In(time.FixedZone("", 2*3600)),
		time.Date(2026, 1, 1, 0, 0, 0, 0, time.FixedZone("", 24*3600)),
		time.Date(2026, 1, 1, 0, 0, 0, 0, time.FixedZone("", -24*3600-60)),
	} {
		doc := &Doc{Requests: []Request{{ID: "r", RespondBy: &tm}}}
		for _, f := range []int{FormatJSON, FormatCompact} {
			if raw, err := doc.AppendEncoded(nil, f); err == nil {
				t.Errorf("%v: format %d encoded it: %q", tm, f, raw)
			}
		}
	}
	if _, err := (&Doc{}).AppendEncoded(nil, 3); err == nil {
		t.Error("format 3 encoded")
	}
}

// TestDecodeDocCorrupt: what does not decode is an error, never a panic
// nor a half-read document.
func TestDecodeDocCorrupt(t *testing.T) {
	t.Parallel()
	full, err := edgeDocs()["every field"].AppendEncoded(nil, FormatCompact)
	if err != nil {
		t.Fatal(err)
	}
	for n := range len(full) {
		if d, err := DecodeDoc(full[:n]); err == nil {
			t.Fatalf("the first %d of %d bytes decoded: %+v", n, len(full), d)
		}
	}
	tm := func(sec int64, frac uint64, zone ...int64) []byte {
		b := []byte{compactVersion, 1 << docHistory, 1}
		body := binary.AppendUvarint(nil, 1<<histAt)
		body = binary.AppendVarint(body, sec)
		body = binary.AppendUvarint(body, frac)
		for _, z := range zone {
			body = binary.AppendVarint(body, z)
		}
		return append(append(b, byte(len(body))), body...)
	}
	if _, err := DecodeDoc(tm(1, 1<<3|1<<1)); err != nil { // 1 ms past the epoch: the probe itself is sound
		t.Fatal(err)
	}
	for name, raw := range map[string][]byte{
		"empty":                  {},
		"version alone":          {compactVersion},
		"version 3":              {3, 0},
		"version 0":              {0},
		"reserved ~":             []byte("~{}"),
		"not json":               []byte("{not json"),
		"order missing":          {compactVersion, 1 << docOrder},
		"symbol past the table":  {compactVersion, 1 << docConflict, 0xc8, 0x01},
		"string past the end":    {compactVersion, 1 << docCancelledBy, 5, 'a'},
		"count past the end":     {compactVersion, 1 << docRequests, 0x7f},
		"count of zero":          {compactVersion, 1 << docRequests, 0},
		"struct past the end":    {compactVersion, 1 << docRequests, 1, 9, 0},
		"overlong varint":        {compactVersion, 1 << docVersion, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01},
		"mask overflow":          {compactVersion, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01},
		"zone of a day":          tm(0, 1, 24*60),
		"zone missing":           tm(0, 1),
		"fraction without unit":  tm(0, 5<<3),
		"a second of ms":         tm(0, 1000<<3|1<<1),
		"a second of ns":         tm(0, 1e9<<3|3<<1),
		"year 10000":             tm(253402300800, 0),
		"year 10000 by its zone": tm(253402300799, 1, 60),
		"year -1":                tm(-62167219201, 0),
	} {
		func() {
			defer func() {
				if p := recover(); p != nil {
					t.Errorf("%s: panic %v", name, p)
				}
			}()
			if d, err := DecodeDoc(raw); err == nil {
				t.Errorf("%s: decoded %+v", name, d)
			}
		}()
	}
}

// TestDecodeDocSkipsNewerFields: a field this release does not know, at
// any level, is skipped, as the format's growth rule promises.
func TestDecodeDocSkipsNewerFields(t *testing.T) {
	t.Parallel()
	e := encoder{b: []byte{compactVersion}}
	e.uvarint(1<<docOrder | 1<<docRequests | 1<<docVersion | 1<<40)
	s := e.begin()
	e.uvarint(1<<snapStatus | 1<<snapTotal | 1<<snapItems | 1<<63)
	e.sym("paid")
	m := e.begin()
	e.uvarint(1<<moneyAmount | 1<<moneyCurrency | 1<<9)
	e.str("1.00")
	e.sym("USD")
	e.str("a newer money field")
	e.end(m)
	e.uvarint(1)
	it := e.begin()
	e.uvarint(1<<itemSKU | 1<<20)
	e.str("A")
	e.varint(42)
	e.end(it)
	e.str(strings.Repeat("a newer snapshot field ", 10))
	e.end(s)
	e.uvarint(1)
	r := e.begin()
	e.uvarint(1<<reqID | 1<<reqSellerHit | 1<<30)
	e.str("r1")
	e.str("a newer request field")
	e.end(r)
	e.varint(7)
	e.str("a newer document field")
	d, err := DecodeDoc(e.b)
	if err != nil {
		t.Fatal(err)
	}
	want := &Doc{Order: &Snapshot{Status: platform.StatusPaid, Total: money{"1.00", "USD"}, Items: []item{{SKU: "A"}}},
		Requests: []Request{{ID: "r1", SellerHit: true}}, Version: 7, Format: FormatCompact}
	if !reflect.DeepEqual(d, want) {
		t.Fatalf("read %s\nwant %s", jsonOf(t, d), jsonOf(t, want))
	}
}

// TestSymbols: every value of the enums a document holds is in the table
// of symbols, once.
func TestSymbols(t *testing.T) {
	t.Parallel()
	want := []string{SyncSynced, SyncFailed, SyncSkipped, "shipped_after_cancel", NoteLiveCheckFailed,
		string(eventLiveCheck), string(eventDeadline), string(eventOrderWait)}
	for _, s := range platform.States {
		want = append(want, string(s))
	}
	for _, s := range []platform.Party{platform.Buyer, platform.Seller, platform.Merchant} {
		want = append(want, string(s))
	}
	for _, s := range []platform.DenialReason{platform.AlreadyShipped, platform.AlreadyDelivered, platform.AlreadyCancelled,
		platform.WindowExpired, platform.OrderUnknown, platform.RequestOpen, platform.Declined} {
		want = append(want, string(s))
	}
	for _, s := range []platform.OrderStatus{platform.StatusPlaced, platform.StatusPaid, platform.StatusShipped,
		platform.StatusDelivered, platform.StatusCompleted, platform.StatusCancelled} {
		want = append(want, string(s))
	}
	for _, s := range []platform.EventType{platform.OrderCreated, platform.OrderUpdated, platform.CancellationRequested,
		platform.CancellationResponded, platform.CancellationWithdrawn} {
		want = append(want, string(s))
	}
	for _, s := range []platform.Ignored{platform.UnknownRequest, platform.NotPending, platform.OwnSideResponse, platform.ResponseTooLate,
		platform.DuplicateRequest, platform.SnapshotNotNewer, platform.WithdrawnByOther, platform.RequestOnAwaiting} {
		want = append(want, string(s))
	}
	want = append(want, string(platform.OriginalPayment), string(platform.PlatformCredit))
	want = append(want, platform.Reasons...)
	for _, s := range want {
		if _, ok := symbolCode[s]; !ok {
			t.Errorf("%q is not a written symbol", s)
		}
	}
	seen := map[string]bool{}
	for _, s := range symbols {
		if seen[s] || s == "" {
			t.Errorf("symbol %q twice or empty", s)
		}
		seen[s] = true
	}
	if writtenSymbols > len(symbols) {
		t.Errorf("writtenSymbols %d > %d symbols", writtenSymbols, len(symbols))
	}
}

// previousRelease are the documents as the release before the compact
// encoding stored them (testdata/README.md).
func previousRelease(t testing.TB) map[string][]byte {
	t.Helper()
	files, err := filepath.Glob("testdata/prev-*.json")
	if err != nil || len(files) < 5 {
		t.Fatalf("previous release documents: %v %v", files, err)
	}
	out := map[string][]byte{}
	for _, f := range files {
		raw, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		out[f] = raw
	}
	return out
}

// TestDecodeDocPreviousRelease: a document the previous release wrote is
// read by this one, written back in JSON as it was (but for the upgrade of
// the legacy sync record), and in the compact encoding as
// testdata/*.v2.bin holds it, which reads back as the same document.
func TestDecodeDocPreviousRelease(t *testing.T) {
	t.Parallel()
	ad := &platform.Adapter{ID: "shop", Platform: "selfservice"}
	for file, raw := range previousRelease(t) {
		t.Run(filepath.Base(file), func(t *testing.T) {
			t.Parallel()
			d := decodeAs(t, raw, FormatJSON)
			if d.Order == nil || len(d.History) == 0 {
				t.Fatalf("read %s", jsonOf(t, d))
			}
			again, err := d.AppendEncoded(nil, FormatJSON)
			if err != nil {
				t.Fatal(err)
			}
			legacy := strings.Contains(string(raw), `"s":{`)
			if !legacy && !bytes.Equal(again, raw) {
				t.Errorf("written back as\n%s\nread\n%s", again, raw)
			}
			compact, err := d.AppendEncoded(nil, FormatCompact)
			if err != nil {
				t.Fatal(err)
			}
			golden := strings.TrimSuffix(file, ".json") + ".v2.bin"
			if *updateGolden {
				if err := os.WriteFile(golden, compact, 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(compact, want) {
				t.Errorf("compact encoding changed (a format change needs a new version byte):\n%x\nwant\n%x", compact, want)
			}
			sameDoc(t, d, decodeAs(t, want, FormatCompact), ad, "o")
			if len(compact)*100 > len(raw)*55 {
				t.Errorf("compact %d bytes, JSON %d: over 55 %%", len(compact), len(raw))
			}
			t.Logf("JSON %d bytes, compact %d (%d %%)", len(raw), len(compact), len(compact)*100/len(raw))
			if legacy {
				r0, r1 := d.Request("cr-0"), d.Request("cr-1")
				if d.Acked != 2 || d.CancelledBy != "cr-0" || r0.Sync != SyncFailed || r0.Attempts != 3 || r0.LastError == "" || r1.Sync != SyncSynced {
					t.Errorf("legacy record not folded in: %s", jsonOf(t, d))
				}
			}
		})
	}
}

// TestCompactSize: the benchmarks' stored order (BenchmarkTransition's,
// ordertest.BenchDoc's) in the compact encoding is at most 55 % of JSON.
func TestCompactSize(t *testing.T) {
	t.Parallel()
	doc, _, _ := benchDoc(t)
	j, _ := doc.AppendEncoded(nil, FormatJSON)
	c, _ := doc.AppendEncoded(nil, FormatCompact)
	t.Logf("bench document: JSON %d bytes, compact %d (%d %%)", len(j), len(c), len(c)*100/len(j))
	if len(c)*100 > len(j)*55 {
		t.Errorf("compact %d bytes, JSON %d: over 55 %%", len(c), len(j))
	}
}

// FuzzDecodeDoc: DecodeDoc never panics, and what it reads, in either
// format, is written and read again as the same document; whatever the
// compact encoding reads, JSON can write.
func FuzzDecodeDoc(f *testing.F) {
	for _, raw := range previousRelease(f) {
		f.Add(raw)
		d, err := DecodeDoc(raw)
		if err != nil {
			f.Fatal(err)
		}
		c, _ := d.AppendEncoded(nil, FormatCompact)
		f.Add(c)
	}
	for _, d := range edgeDocs() {
		for _, format := range []int{FormatJSON, FormatCompact} {
			raw, err := d.AppendEncoded(nil, format)
			if err != nil {
				f.Fatal(err)
			}
			f.Add(raw)
		}
	}
	f.Fuzz(func(t *testing.T, raw []byte) {
		d, err := DecodeDoc(raw)
		if err != nil {
			if d != nil {
				t.Fatalf("a document with an error: %+v", d)
			}
			return
		}
		c1, err := d.AppendEncoded(nil, FormatCompact)
		if err != nil {
			t.Fatalf("read, but not written compact: %v", err)
		}
		j1, err := d.AppendEncoded(nil, FormatJSON)
		if err != nil {
			t.Fatalf("read, but not written as JSON: %v", err)
		}
		dc, err := DecodeDoc(c1)
		if err != nil {
			t.Fatalf("written compact, not read back: %v\n%x", err, c1)
		}
		dj, err := DecodeDoc(j1)
		if err != nil {
			t.Fatalf("written as JSON, not read back: %v\n%s", err, j1)
		}
		// What was read reads back the same from either format, and the
		// compact encoding of that is where it stays.
		if c2, _ := dc.AppendEncoded(nil, FormatCompact); !bytes.Equal(c1, c2) {
			t.Fatalf("compact read back differently:\n%x\n%x", c1, c2)
		}
		dj.Format, dc.Format = 0, 0
		if !reflect.DeepEqual(dj, dc) {
			t.Fatalf("JSON and compact read back differently:\n%s\n%s", jsonOf(t, dj), jsonOf(t, dc))
		}
		// A canonical compact document (as this release writes it; not,
		// e.g., one whose zone is under a minute: see "zoned") reads as
		// exactly the document read back.
		if bytes.Equal(raw, c1) {
			d.Format = 0
			if !reflect.DeepEqual(d, dc) {
				t.Fatalf("read back differently:\n%s\n%s", jsonOf(t, d), jsonOf(t, dc))
			}
		}
	})
}
