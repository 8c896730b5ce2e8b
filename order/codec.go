package order

import (
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"time"
	"unicode/utf8"

	"github.com/cancelsync/cancelsync/platform"
)

// The two encodings of a stored document (docs/ARCHITECTURE.md, "Document
// formats"): FormatJSON is json.Marshal of Doc, byte for byte what every
// release before the compact encoding wrote; FormatCompact is the binary
// encoding below. DecodeDoc reads both, told apart by the first byte: a
// JSON document starts with '{', a compact one with its version byte
// (compactVersion), which is never '{', '~' or JSON whitespace.
//
// # The compact encoding, version 2
//
//	document := 0x02 body(Doc)              the Doc's body runs to the end
//	struct   := uvarint(len(body)) body     every struct inside the Doc
//	body     := uvarint(mask) value...      a value for each bit set, in bit order
//
// Each field of a struct has a bit (the constants below: docOrder,
// snapBuyerID, reqID, ...); a field is written only when JSON would decode
// it to something other than its zero value: a bool is its bit alone; an
// empty slice, like a nil one, is absent (JSON's omitempty drops both, so
// both decode as nil); a pointer is present when it is not nil, even to a
// zero value. Values:
//
//	int, int64  varint (zigzag)
//	string      uvarint(len) bytes
//	symbol      uvarint(code): 0, a string follows; k ≥ 1, symbols[k-1]
//	time        varint(Unix seconds) uvarint(frac) [varint(zone minutes)]
//	slice       uvarint(n) n values
//	struct      as above (length-prefixed)
//
// A time's frac is fraction<<3 | unit<<1 | zoned: unit 0 is no fraction
// (fraction 0), 1 milliseconds, 2 microseconds, 3 nanoseconds; zoned says
// the zone's offset east of UTC follows, in minutes. A time reads back as
// encoding/json reads the RFC 3339 text it writes: not zoned is its "Z",
// UTC; zoned is its "±hh:mm", time.Local when Local has that offset at
// that instant, else a fixed zone without a name. The offset is in whole
// minutes, truncated, as RFC 3339's is (a zone of under a minute is zoned,
// 0, as JSON writes "+00:00" for it), and the seconds are those JSON's
// text reads back as, so a time keeps exactly what JSON would have kept.
//
// A string is written as JSON reads it back too: each byte of it that is
// not UTF-8 (in a webhook-id from a header, a platform's error text cut
// mid-character) as U+FFFD, so that nothing read from a document depends
// on the format it was stored in.
//
// # How the format grows
//
// A new field takes the next free bit of its struct and its value goes
// after every value of the bits before it. A reader skips what follows the
// values it knows to the end of the struct (its length says where), so an
// older reader of this version reads a newer document, without the new
// fields, as json.Unmarshal ignores keys it does not know (and, as with
// JSON, drops them if it writes the document again). A bit is never
// reused nor its value's encoding changed; a field removed leaves its bit
// unused. A change a reader cannot skip (a value's encoding, the layout) is
// a new version byte, read beside this one, like JSON beside this.
//
// The symbols table is append-only: the code of a string never changes. A
// release that appends symbols writes them as strings (code 0) until the
// release that appended them is the oldest one that may read the store:
// writtenSymbols is how many of the table it writes as codes. Strings
// outside the table are written as strings, so any value round-trips.
const compactVersion = 0x02

// symbols are the strings most of a document's bytes would be: enum values
// (states, parties, denial reasons, refund methods, order statuses, event
// types, sync states), cancellation reasons, the history's fixed notes, the
// conflict, currencies. Append-only, see above.
var symbols = [...]string{
	// sync states (pending is stored as "")
	SyncSynced, SyncFailed, SyncSkipped,
	// request states
	"awaiting_order", "pending_response", "cancelled", "denied", "escalated", "withdrawn",
	// parties
	"buyer", "seller", "merchant",
	// denial reasons
	"already_shipped", "already_delivered", "already_cancelled", "window_expired", "order_unknown", "request_open", "declined",
	// refund methods
	"original_payment", "platform_credit",
	// order statuses ("cancelled" is above)
	"placed", "paid", "shipped", "delivered", "completed",
	// events of the history
	"order.created", "order.updated", "cancellation.requested", "cancellation.responded", "cancellation.withdrawn",
	"order.live_check", "deadline.reached", "order_wait.expired",
	// cancellation reasons
	"changed_mind", "ordered_by_mistake", "duplicate_order", "found_better_price", "payment_issue",
	"shipping_delay", "price_or_product_change", "seller_unresponsive", "unreliable_seller",
	"buyer_unresponsive", "other",
	// conflicts
	"shipped_after_cancel",
	// notes of the history
	"unknown request", "request is no longer pending_response", "response from the requester's own side",
	"response after respond_by", "request_id already known", "snapshot not newer than the stored one",
	"withdrawal for a request that is no longer open", "another request is awaiting its order",
	"live check failed", "cancelled on the platform", "order paid after its cancellation: refund added",
	"shipped after the order's cancellation was decided; outcome unchanged",
	// currencies
	"USD", "EUR", "GBP", "CAD", "AUD", "JPY", "CNY", "INR", "BRL", "MXN", "CHF", "SEK", "NOK", "DKK",
	"PLN", "NZD", "SGD", "HKD", "KRW", "ZAR", "TRY", "AED", "SAR", "ILS", "CZK", "HUF", "RON", "THB",
	"MYR", "IDR", "PHP", "VND", "TWD",
}

// writtenSymbols is how many of symbols this release writes as codes
// (every one it reads, since the table was first written with all of
// them); see "How the format grows".
const writtenSymbols = len(symbols)

// symbolCode is the code of each written symbol.
var symbolCode = func() map[string]uint64 {
	m := make(map[string]uint64, writtenSymbols)
	for i, s := range symbols[:writtenSymbols] {
		if _, dup := m[s]; !dup {
			m[s] = uint64(i + 1)
		}
	}
	return m
}()

// The bits of each struct's fields. Append-only, see above.
const (
	docOrder = iota
	docRequests
	docVersion
	docAcked
	docCancelledBy
	docConflict
	docHistory
	docLegacy
)

const (
	snapBuyerID = iota
	snapSellerID
	snapStatus
	snapPlacedAt
	snapUpdatedAt
	snapShippedAt
	snapTotal
	snapRequirementsSubmitted
	snapWorkDelivered
	snapItems
)

const (
	itemSKU = iota
	itemQuantity
	itemPrice
	itemLineID
	itemFulfilled
	itemRemoved
	itemCancelled
	itemRefunded
)

const (
	reqID = iota
	reqInitiator
	reqReason
	reqOccurredAt
	reqArrivedAt
	reqState
	reqDenial
	reqRespondBy
	reqRefund
	reqSellerHit
	reqLines
	reqVersion
	reqSync
	reqAttempts
	reqLastError
	reqNextAt
	reqRound
)

const (
	lineID = iota
	lineQuantity
	lineRefund
)

const (
	refundMethod = iota
	refundAmount
	refundCurrency
)

const (
	moneyAmount = iota
	moneyCurrency
)

const (
	histAt = iota
	histEvent
	histState
	histNote
	histWebhookID
)

const (
	legacyState = iota
	legacyVersion
	legacyAttempts
	legacyLastError
	legacyAcked
)

// AppendEncoded appends d encoded in format (FormatJSON, FormatCompact)
// to b. FormatJSON is exactly json.Marshal(d). Encoding allocates nothing
// but b's growth (FormatJSON: json.Marshal's result, returned as it is
// when b is empty).
func (d *Doc) AppendEncoded(b []byte, format int) ([]byte, error) {
	switch format {
	case FormatJSON:
		out, err := json.Marshal(d)
		if err != nil {
			return b, err
		}
		if len(b) == 0 {
			return out, nil
		}
		return append(b, out...), nil
	case FormatCompact:
		e := encoder{b: append(b, compactVersion)}
		e.doc(d)
		if e.err != nil {
			return b, e.err
		}
		return e.b, nil
	}
	return b, fmt.Errorf("encode order document: unknown format %d", format)
}

// DecodeDoc decodes a stored document in either format, notes the format
// in its Format and upgrades it (Upgrade). A document that does not decode
// is an error, never a panic.
func DecodeDoc(raw []byte) (*Doc, error) {
	if len(raw) == 0 {
		return nil, errors.New("decode order document: empty")
	}
	switch c := raw[0]; {
	case c == compactVersion:
		d, err := decodeCompact(raw)
		if err != nil {
			return nil, err
		}
		d.Upgrade()
		return d, nil
	case c < 0x20 && c != ' ' && c != '\t' && c != '\n' && c != '\r':
		return nil, fmt.Errorf("decode order document: unknown compact version %d", c)
	}
	d := &Doc{}
	if err := json.Unmarshal(raw, d); err != nil {
		return nil, fmt.Errorf("decode order document: %w", err)
	}
	d.Format = FormatJSON
	d.Upgrade()
	return d, nil
}

// encoder appends a document to b; err is the first value it refused.
type encoder struct {
	b   []byte
	err error
}

func (e *encoder) uvarint(v uint64) { e.b = binary.AppendUvarint(e.b, v) }
func (e *encoder) varint(v int64)   { e.b = binary.AppendVarint(e.b, v) }

func (e *encoder) str(s string) {
	if !utf8.ValidString(s) {
		e.invalidUTF8(s)
		return
	}
	e.b = binary.AppendUvarint(e.b, uint64(len(s)))
	e.b = append(e.b, s...)
}

// invalidUTF8 writes s as encoding/json writes it, and so reads it back:
// each byte that is not UTF-8 as U+FFFD.
func (e *encoder) invalidUTF8(s string) {
	const bad = "\uFFFD"
	n := 0
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			n += len(bad)
		} else {
			n += size
		}
		i += size
	}
	e.uvarint(uint64(n))
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			e.b = append(e.b, bad...)
		} else {
			e.b = append(e.b, s[i:i+size]...)
		}
		i += size
	}
}

func (e *encoder) sym(s string) {
	if c, ok := symbolCode[s]; ok {
		e.b = binary.AppendUvarint(e.b, c)
		return
	}
	e.b = append(e.b, 0)
	e.str(s)
}

// The first and last seconds (Unix) of the years RFC 3339 can write,
// 0000 to 9999: encoding/json refuses a time outside them, and so does
// the compact encoding, so that a document in one format can always be
// written in the other.
const (
	minWallSec = -62167219200
	maxWallSec = 253402300799
)

func (e *encoder) time(t time.Time) {
	_, off := t.Zone()
	zone := off / 60 // whole minutes, truncated, as RFC 3339 writes it
	if zone <= -24*60 || zone >= 24*60 {
		e.fail(fmt.Errorf("time %v: zone offset out of range", t))
		return
	}
	sec := t.Unix()
	if wall := sec + int64(off); wall < minWallSec || wall > maxWallSec {
		e.fail(fmt.Errorf("time %v: year outside of range [0,9999]", t))
		return
	}
	// JSON writes the wall clock of the whole offset under a zone of
	// whole minutes: what it reads back is off-by-seconds from t when the
	// offset has seconds (no zone since 1972 has), and so is this.
	sec += int64(off - zone*60)
	ns := uint64(t.Nanosecond())
	var frac uint64
	switch {
	case ns == 0:
	case ns%1e6 == 0:
		frac = ns/1e6<<3 | 1<<1
	case ns%1e3 == 0:
		frac = ns/1e3<<3 | 2<<1
	default:
		frac = ns<<3 | 3<<1
	}
	e.varint(sec)
	if off == 0 { // JSON's "Z"; an offset under a minute is its "+00:00"
		e.uvarint(frac)
		return
	}
	e.uvarint(frac | 1)
	e.varint(int64(zone))
}

func (e *encoder) fail(err error) {
	if e.err == nil {
		e.err = err
	}
}

// begin starts a nested struct: a one-byte length, set by end.
func (e *encoder) begin() int {
	e.b = append(e.b, 0)
	return len(e.b)
}

// end sets the length of the struct begun at start, moving its body when
// the length takes more than one byte.
func (e *encoder) end(start int) {
	n := len(e.b) - start
	if n < 0x80 {
		e.b[start-1] = byte(n)
		return
	}
	var tmp [binary.MaxVarintLen64]byte
	w := binary.PutUvarint(tmp[:], uint64(n))
	e.b = append(e.b, tmp[:w-1]...) // room for the longer length
	copy(e.b[start-1+w:], e.b[start:start+n])
	copy(e.b[start-1:], tmp[:w])
}

func bit(set bool, i uint) uint64 {
	if set {
		return 1 << i
	}
	return 0
}

func (e *encoder) doc(d *Doc) {
	m := bit(d.Order != nil, docOrder) | bit(len(d.Requests) > 0, docRequests) | bit(d.Version != 0, docVersion) |
		bit(d.Acked != 0, docAcked) | bit(d.CancelledBy != "", docCancelledBy) | bit(d.Conflict != "", docConflict) |
		bit(len(d.History) > 0, docHistory) | bit(d.Legacy != nil, docLegacy)
	e.uvarint(m)
	if d.Order != nil {
		e.snapshot(d.Order)
	}
	if len(d.Requests) > 0 {
		e.uvarint(uint64(len(d.Requests)))
		for i := range d.Requests {
			e.request(&d.Requests[i])
		}
	}
	if d.Version != 0 {
		e.varint(d.Version)
	}
	if d.Acked != 0 {
		e.varint(d.Acked)
	}
	if d.CancelledBy != "" {
		e.str(d.CancelledBy)
	}
	if d.Conflict != "" {
		e.sym(d.Conflict)
	}
	if len(d.History) > 0 {
		e.uvarint(uint64(len(d.History)))
		for i := range d.History {
			e.history(&d.History[i])
		}
	}
	if l := d.Legacy; l != nil {
		s := e.begin()
		e.uvarint(bit(l.State != "", legacyState) | bit(l.Version != 0, legacyVersion) | bit(l.Attempts != 0, legacyAttempts) |
			bit(l.LastError != "", legacyLastError) | bit(l.Acked != 0, legacyAcked))
		if l.State != "" {
			e.sym(l.State)
		}
		if l.Version != 0 {
			e.varint(l.Version)
		}
		if l.Attempts != 0 {
			e.varint(int64(l.Attempts))
		}
		if l.LastError != "" {
			e.str(l.LastError)
		}
		if l.Acked != 0 {
			e.varint(l.Acked)
		}
		e.end(s)
	}
}

// timeSet reports whether JSON would read t back as anything but the zero
// time, for a field it always writes.
func timeSet(t time.Time) bool {
	return !t.IsZero() || zoneOffset(t) != 0
}

func (e *encoder) snapshot(o *Snapshot) {
	s := e.begin()
	e.uvarint(bit(o.BuyerID != "", snapBuyerID) | bit(o.SellerID != "", snapSellerID) | bit(o.Status != "", snapStatus) |
		bit(timeSet(o.PlacedAt), snapPlacedAt) | bit(timeSet(o.UpdatedAt), snapUpdatedAt) | bit(o.ShippedAt != nil, snapShippedAt) |
		bit(o.Total != money{}, snapTotal) | bit(o.RequirementsSubmitted, snapRequirementsSubmitted) |
		bit(o.WorkDelivered, snapWorkDelivered) | bit(len(o.Items) > 0, snapItems))
	if o.BuyerID != "" {
		e.str(o.BuyerID)
	}
	if o.SellerID != "" {
		e.str(o.SellerID)
	}
	if o.Status != "" {
		e.sym(string(o.Status))
	}
	if timeSet(o.PlacedAt) {
		e.time(o.PlacedAt)
	}
	if timeSet(o.UpdatedAt) {
		e.time(o.UpdatedAt)
	}
	if o.ShippedAt != nil {
		e.time(*o.ShippedAt)
	}
	if o.Total != (money{}) {
		ms := e.begin()
		e.uvarint(bit(o.Total.Amount != "", moneyAmount) | bit(o.Total.Currency != "", moneyCurrency))
		if o.Total.Amount != "" {
			e.str(o.Total.Amount)
		}
		if o.Total.Currency != "" {
			e.sym(o.Total.Currency)
		}
		e.end(ms)
	}
	if len(o.Items) > 0 {
		e.uvarint(uint64(len(o.Items)))
		for i := range o.Items {
			e.item(&o.Items[i])
		}
	}
	e.end(s)
}

func (e *encoder) item(it *item) {
	s := e.begin()
	e.uvarint(bit(it.SKU != "", itemSKU) | bit(it.Quantity != 0, itemQuantity) | bit(it.Price != "", itemPrice) |
		bit(it.LineID != "", itemLineID) | bit(it.Fulfilled != 0, itemFulfilled) | bit(it.Removed != 0, itemRemoved) |
		bit(it.Cancelled != 0, itemCancelled) | bit(it.Refunded != "", itemRefunded))
	if it.SKU != "" {
		e.str(it.SKU)
	}
	if it.Quantity != 0 {
		e.varint(int64(it.Quantity))
	}
	if it.Price != "" {
		e.str(it.Price)
	}
	if it.LineID != "" {
		e.str(it.LineID)
	}
	if it.Fulfilled != 0 {
		e.varint(int64(it.Fulfilled))
	}
	if it.Removed != 0 {
		e.varint(int64(it.Removed))
	}
	if it.Cancelled != 0 {
		e.varint(int64(it.Cancelled))
	}
	if it.Refunded != "" {
		e.str(it.Refunded)
	}
	e.end(s)
}

func (e *encoder) request(r *Request) {
	s := e.begin()
	e.uvarint(bit(r.ID != "", reqID) | bit(r.Initiator != "", reqInitiator) | bit(r.Reason != "", reqReason) |
		bit(timeSet(r.OccurredAt), reqOccurredAt) | bit(!r.ArrivedAt.IsZero(), reqArrivedAt) | bit(r.State != "", reqState) |
		bit(r.Denial != "", reqDenial) | bit(r.RespondBy != nil, reqRespondBy) | bit(r.Refund != nil, reqRefund) |
		bit(r.SellerHit, reqSellerHit) | bit(len(r.Lines) > 0, reqLines) | bit(r.Version != 0, reqVersion) |
		bit(r.Sync != "", reqSync) | bit(r.Attempts != 0, reqAttempts) | bit(r.LastError != "", reqLastError) |
		bit(!r.NextAt.IsZero(), reqNextAt) | bit(r.Round != 0, reqRound))
	if r.ID != "" {
		e.str(r.ID)
	}
	if r.Initiator != "" {
		e.sym(string(r.Initiator))
	}
	if r.Reason != "" {
		e.sym(r.Reason)
	}
	if timeSet(r.OccurredAt) {
		e.time(r.OccurredAt)
	}
	if !r.ArrivedAt.IsZero() { // omitzero
		e.time(r.ArrivedAt)
	}
	if r.State != "" {
		e.sym(string(r.State))
	}
	if r.Denial != "" {
		e.sym(string(r.Denial))
	}
	if r.RespondBy != nil {
		e.time(*r.RespondBy)
	}
	if rf := r.Refund; rf != nil {
		rs := e.begin()
		e.uvarint(bit(rf.Method != "", refundMethod) | bit(rf.Amount != "", refundAmount) | bit(rf.Currency != "", refundCurrency))
		if rf.Method != "" {
			e.sym(string(rf.Method))
		}
		if rf.Amount != "" {
			e.str(rf.Amount)
		}
		if rf.Currency != "" {
			e.sym(rf.Currency)
		}
		e.end(rs)
	}
	if len(r.Lines) > 0 {
		e.uvarint(uint64(len(r.Lines)))
		for i := range r.Lines {
			l := &r.Lines[i]
			ls := e.begin()
			e.uvarint(bit(l.ID != "", lineID) | bit(l.Quantity != 0, lineQuantity) | bit(l.Refund != nil, lineRefund))
			if l.ID != "" {
				e.str(l.ID)
			}
			if l.Quantity != 0 {
				e.varint(int64(l.Quantity))
			}
			if l.Refund != nil {
				e.str(*l.Refund)
			}
			e.end(ls)
		}
	}
	if r.Version != 0 {
		e.varint(r.Version)
	}
	if r.Sync != "" {
		e.sym(r.Sync)
	}
	if r.Attempts != 0 {
		e.varint(int64(r.Attempts))
	}
	if r.LastError != "" {
		e.str(r.LastError)
	}
	if !r.NextAt.IsZero() { // omitzero
		e.time(r.NextAt)
	}
	if r.Round != 0 {
		e.varint(int64(r.Round))
	}
	e.end(s)
}

func (e *encoder) history(h *HistoryRecord) {
	s := e.begin()
	e.uvarint(bit(timeSet(h.At), histAt) | bit(h.Event != "", histEvent) | bit(h.State != "", histState) |
		bit(h.Note != "", histNote) | bit(h.WebhookID != "", histWebhookID))
	if timeSet(h.At) {
		e.time(h.At)
	}
	if h.Event != "" {
		e.sym(string(h.Event))
	}
	if h.State != "" {
		e.sym(string(h.State))
	}
	if h.Note != "" {
		e.sym(h.Note)
	}
	if h.WebhookID != "" {
		e.str(h.WebhookID)
	}
	e.end(s)
}

// errCorrupt is a compact document that does not decode.
var errCorrupt = errors.New("decode order document: corrupt compact document")

// decoder reads a compact document: b is the document and s the same
// bytes as one string, converted once, that every string field is a
// substring of (one allocation for all of them). i is where it reads, end
// the end of the struct it is in; err the first fault found, after which
// every read returns zero values.
type decoder struct {
	b      []byte
	s      string
	i, end int
	err    error
}

func decodeCompact(raw []byte) (*Doc, error) {
	s := string(raw)
	dc := decoder{b: raw, s: s, i: 1, end: len(raw)}
	m := dc.uvarint()
	// The document and its snapshot in one allocation: they live as long.
	var d *Doc
	if m&(1<<docOrder) != 0 {
		both := new(struct {
			d Doc
			o Snapshot
		})
		d = &both.d
		d.Order = &both.o
	} else {
		d = &Doc{}
	}
	d.Format = FormatCompact
	dc.doc(d, m)
	if dc.err != nil {
		return nil, dc.err
	}
	return d, nil
}

func (dc *decoder) fail() {
	if dc.err == nil {
		dc.err = errCorrupt
	}
	dc.i, dc.end = 0, 0 // every later read finds nothing
}

func (dc *decoder) uvarint() uint64 {
	v, n := binary.Uvarint(dc.b[dc.i:dc.end])
	if n <= 0 {
		dc.fail()
		return 0
	}
	dc.i += n
	return v
}

func (dc *decoder) varint() int64 {
	v, n := binary.Varint(dc.b[dc.i:dc.end])
	if n <= 0 {
		dc.fail()
		return 0
	}
	dc.i += n
	return v
}

// int is a varint that fits an int.
func (dc *decoder) int() int {
	v := dc.varint()
	if int64(int(v)) != v {
		dc.fail()
		return 0
	}
	return int(v)
}

func (dc *decoder) str() string {
	n := dc.uvarint()
	if n > uint64(dc.end-dc.i) {
		dc.fail()
		return ""
	}
	s := dc.s[dc.i : dc.i+int(n)]
	dc.i += int(n)
	return s
}

func (dc *decoder) sym() string {
	c := dc.uvarint()
	switch {
	case c == 0:
		return dc.str()
	case c <= uint64(len(symbols)):
		return symbols[c-1]
	}
	dc.fail()
	return ""
}

// count is a slice's length: at most one element per byte left.
func (dc *decoder) count() int {
	n := dc.uvarint()
	if n == 0 || n > uint64(dc.end-dc.i) {
		dc.fail()
		return 0
	}
	return int(n)
}

func (dc *decoder) time() time.Time {
	sec := dc.varint()
	frac := dc.uvarint()
	zoned := frac&1 != 0
	var zone int64
	if zoned {
		if zone = dc.varint(); zone <= -24*60 || zone >= 24*60 {
			dc.fail()
			return time.Time{}
		}
	}
	if wall := sec + zone*60; sec < minWallSec-24*3600 || sec > maxWallSec+24*3600 || wall < minWallSec || wall > maxWallSec {
		dc.fail()
		return time.Time{}
	}
	f := frac >> 3
	var ns uint64
	switch frac >> 1 & 3 {
	case 0:
		if f != 0 {
			dc.fail()
		}
	case 1:
		ns = f * 1e6
	case 2:
		ns = f * 1e3
	case 3:
		ns = f
	}
	if ns >= 1e9 || f >= 1e9 {
		dc.fail()
		return time.Time{}
	}
	t := time.Unix(sec, int64(ns))
	if !zoned {
		return t.UTC()
	}
	return inZone(t, int(zone)*60)
}

// inZone is t in a zone offset seconds east of UTC, as encoding/json reads
// a time with that offset: time.Local when it has that offset then, else
// a fixed zone without a name.
func inZone(t time.Time, offset int) time.Time {
	if l := t.In(time.Local); zoneOffset(l) == offset {
		return l
	}
	return t.In(time.FixedZone("", offset))
}

func zoneOffset(t time.Time) int {
	_, off := t.Zone()
	return off
}

// enter reads a struct's length and mask; it returns the end of the
// struct around it, for leave.
func (dc *decoder) enter() (mask uint64, outer int) {
	outer = dc.end
	n := dc.uvarint()
	if n > uint64(dc.end-dc.i) {
		dc.fail()
		return 0, 0
	}
	dc.end = dc.i + int(n)
	return dc.uvarint(), outer
}

// leave skips what is left of the struct (fields of a newer release) and
// returns to the one around it.
func (dc *decoder) leave(outer int) {
	if dc.err != nil {
		return
	}
	dc.i, dc.end = dc.end, outer
}

func (dc *decoder) doc(d *Doc, m uint64) {
	if m&(1<<docOrder) != 0 {
		dc.snapshot(d.Order)
	}
	if m&(1<<docRequests) != 0 {
		n := dc.count()
		d.Requests = make([]Request, n)
		for i := range d.Requests {
			dc.request(&d.Requests[i])
		}
	}
	if m&(1<<docVersion) != 0 {
		d.Version = dc.varint()
	}
	if m&(1<<docAcked) != 0 {
		d.Acked = dc.varint()
	}
	if m&(1<<docCancelledBy) != 0 {
		d.CancelledBy = dc.str()
	}
	if m&(1<<docConflict) != 0 {
		d.Conflict = dc.sym()
	}
	if m&(1<<docHistory) != 0 {
		n := dc.count()
		d.History = make([]HistoryRecord, n)
		for i := range d.History {
			dc.history(&d.History[i])
		}
	}
	if m&(1<<docLegacy) != 0 {
		l := &legacySync{}
		lm, outer := dc.enter()
		if lm&(1<<legacyState) != 0 {
			l.State = dc.sym()
		}
		if lm&(1<<legacyVersion) != 0 {
			l.Version = dc.varint()
		}
		if lm&(1<<legacyAttempts) != 0 {
			l.Attempts = dc.int()
		}
		if lm&(1<<legacyLastError) != 0 {
			l.LastError = dc.str()
		}
		if lm&(1<<legacyAcked) != 0 {
			l.Acked = dc.varint()
		}
		dc.leave(outer)
		d.Legacy = l
	}
}

func (dc *decoder) snapshot(o *Snapshot) {
	m, outer := dc.enter()
	if m&(1<<snapBuyerID) != 0 {
		o.BuyerID = dc.str()
	}
	if m&(1<<snapSellerID) != 0 {
		o.SellerID = dc.str()
	}
	if m&(1<<snapStatus) != 0 {
		o.Status = platform.OrderStatus(dc.sym())
	}
	if m&(1<<snapPlacedAt) != 0 {
		o.PlacedAt = dc.time()
	}
	if m&(1<<snapUpdatedAt) != 0 {
		o.UpdatedAt = dc.time()
	}
	if m&(1<<snapShippedAt) != 0 {
		t := dc.time()
		o.ShippedAt = &t
	}
	if m&(1<<snapTotal) != 0 {
		mm, mouter := dc.enter()
		if mm&(1<<moneyAmount) != 0 {
			o.Total.Amount = dc.str()
		}
		if mm&(1<<moneyCurrency) != 0 {
			o.Total.Currency = dc.sym()
		}
		dc.leave(mouter)
	}
	o.RequirementsSubmitted = m&(1<<snapRequirementsSubmitted) != 0
	o.WorkDelivered = m&(1<<snapWorkDelivered) != 0
	if m&(1<<snapItems) != 0 {
		o.Items = make([]item, dc.count())
		for i := range o.Items {
			dc.item(&o.Items[i])
		}
	}
	dc.leave(outer)
}

func (dc *decoder) item(it *item) {
	m, outer := dc.enter()
	if m&(1<<itemSKU) != 0 {
		it.SKU = dc.str()
	}
	if m&(1<<itemQuantity) != 0 {
		it.Quantity = dc.int()
	}
	if m&(1<<itemPrice) != 0 {
		it.Price = dc.str()
	}
	if m&(1<<itemLineID) != 0 {
		it.LineID = dc.str()
	}
	if m&(1<<itemFulfilled) != 0 {
		it.Fulfilled = dc.int()
	}
	if m&(1<<itemRemoved) != 0 {
		it.Removed = dc.int()
	}
	if m&(1<<itemCancelled) != 0 {
		it.Cancelled = dc.int()
	}
	if m&(1<<itemRefunded) != 0 {
		it.Refunded = dc.str()
	}
	dc.leave(outer)
}

func (dc *decoder) request(r *Request) {
	m, outer := dc.enter()
	if m&(1<<reqID) != 0 {
		r.ID = dc.str()
	}
	if m&(1<<reqInitiator) != 0 {
		r.Initiator = platform.Party(dc.sym())
	}
	if m&(1<<reqReason) != 0 {
		r.Reason = dc.sym()
	}
	if m&(1<<reqOccurredAt) != 0 {
		r.OccurredAt = dc.time()
	}
	if m&(1<<reqArrivedAt) != 0 {
		r.ArrivedAt = dc.time()
	}
	if m&(1<<reqState) != 0 {
		r.State = platform.State(dc.sym())
	}
	if m&(1<<reqDenial) != 0 {
		r.Denial = platform.DenialReason(dc.sym())
	}
	if m&(1<<reqRespondBy) != 0 {
		t := dc.time()
		r.RespondBy = &t
	}
	if m&(1<<reqRefund) != 0 {
		rf := &refund{}
		rm, router := dc.enter()
		if rm&(1<<refundMethod) != 0 {
			rf.Method = platform.RefundMethod(dc.sym())
		}
		if rm&(1<<refundAmount) != 0 {
			rf.Amount = dc.str()
		}
		if rm&(1<<refundCurrency) != 0 {
			rf.Currency = dc.sym()
		}
		dc.leave(router)
		r.Refund = rf
	}
	r.SellerHit = m&(1<<reqSellerHit) != 0
	if m&(1<<reqLines) != 0 {
		r.Lines = make([]line, dc.count())
		for i := range r.Lines {
			l := &r.Lines[i]
			lm, louter := dc.enter()
			if lm&(1<<lineID) != 0 {
				l.ID = dc.str()
			}
			if lm&(1<<lineQuantity) != 0 {
				l.Quantity = dc.int()
			}
			if lm&(1<<lineRefund) != 0 {
				a := dc.str()
				l.Refund = &a
			}
			dc.leave(louter)
		}
	}
	if m&(1<<reqVersion) != 0 {
		r.Version = dc.varint()
	}
	if m&(1<<reqSync) != 0 {
		r.Sync = dc.sym()
	}
	if m&(1<<reqAttempts) != 0 {
		r.Attempts = dc.int()
	}
	if m&(1<<reqLastError) != 0 {
		r.LastError = dc.str()
	}
	if m&(1<<reqNextAt) != 0 {
		r.NextAt = dc.time()
	}
	if m&(1<<reqRound) != 0 {
		r.Round = dc.int()
	}
	dc.leave(outer)
}

func (dc *decoder) history(h *HistoryRecord) {
	m, outer := dc.enter()
	if m&(1<<histAt) != 0 {
		h.At = dc.time()
	}
	if m&(1<<histEvent) != 0 {
		h.Event = platform.EventType(dc.sym())
	}
	if m&(1<<histState) != 0 {
		h.State = platform.State(dc.sym())
	}
	if m&(1<<histNote) != 0 {
		h.Note = dc.sym()
	}
	if m&(1<<histWebhookID) != 0 {
		h.WebhookID = dc.str()
	}
	dc.leave(outer)
}
