package jobs

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/redis/go-redis/v9"

	"github.com/cancelsync/cancelsync/adapters"
)

// Store keeps one JSON document per (adapter, order) in Redis and changes it
// only by optimistic transactions (WATCH/MULTI), so two events of one order
// racing each other are applied one after the other, never interleaved.
type Store struct {
	rdb redis.UniversalClient
}

// NewStore returns a store on rdb.
func NewStore(rdb redis.UniversalClient) *Store { return &Store{rdb: rdb} }

func orderKey(adapterID, orderID string) string {
	return "cancelsync:order:{" + adapterID + ":" + orderID + "}"
}

// maxTxRetries bounds how often a transaction is retried when another one
// changed the same order in between; past it the task fails and Asynq retries.
const maxTxRetries = 100

// update loads the order's document, lets fn change it and stores it if fn
// reports a change, atomically. fn may run more than once and must not have
// side effects outside the document.
func (s *Store) update(ctx context.Context, adapterID, orderID string, fn func(doc *orderDoc) bool) (*orderDoc, error) {
	key := orderKey(adapterID, orderID)
	var result *orderDoc
	txf := func(tx *redis.Tx) error {
		doc, err := loadDoc(ctx, tx, key)
		if err != nil {
			return err
		}
		if !fn(doc) {
			result = doc
			return nil
		}
		raw, err := json.Marshal(doc)
		if err != nil {
			return err
		}
		_, err = tx.TxPipelined(ctx, func(p redis.Pipeliner) error {
			p.Set(ctx, key, raw, 0)
			return nil
		})
		if err == nil {
			result = doc
		}
		return err
	}
	for range maxTxRetries {
		err := s.rdb.Watch(ctx, txf, key)
		if errors.Is(err, redis.TxFailedErr) {
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("update order %s/%s: %w", adapterID, orderID, err)
		}
		return result, nil
	}
	return nil, fmt.Errorf("update order %s/%s: too much contention", adapterID, orderID)
}

func loadDoc(ctx context.Context, c redis.Cmdable, key string) (*orderDoc, error) {
	doc := &orderDoc{}
	raw, err := c.Get(ctx, key).Bytes()
	if errors.Is(err, redis.Nil) {
		return doc, nil
	}
	if err != nil {
		return nil, err
	}
	if err := json.Unmarshal(raw, doc); err != nil {
		return nil, fmt.Errorf("decode %s: %w", key, err)
	}
	return doc, nil
}

// load reads the order's document; a missing one is empty.
func (s *Store) load(ctx context.Context, adapterID, orderID string) (*orderDoc, error) {
	return loadDoc(ctx, s.rdb, orderKey(adapterID, orderID))
}

// OrderView builds the read API's document, or ErrNotFound when neither a
// snapshot nor a request of the order is known.
func (s *Store) OrderView(ctx context.Context, ad *adapters.Adapter, orderID string) (*OrderView, error) {
	doc, err := s.load(ctx, ad.ID, orderID)
	if err != nil {
		return nil, fmt.Errorf("view order %s/%s: %w", ad.ID, orderID, err)
	}
	if doc.Order == nil && len(doc.Requests) == 0 {
		return nil, ErrNotFound
	}
	return doc.view(ad, orderID), nil
}

func (d *orderDoc) view(ad *adapters.Adapter, orderID string) *OrderView {
	v := &OrderView{Adapter: ad.ID, Platform: ad.Platform, OrderID: orderID, History: []HistoryEntry{}}
	if o := d.Order; o != nil {
		v.Order = &OrderSummary{Status: o.Status, PlacedAt: o.PlacedAt, UpdatedAt: o.UpdatedAt, ShippedAt: o.ShippedAt, Total: o.Total}
	}
	if r := d.current(); r != nil {
		cv := &CancellationView{
			RequestID: r.ID, State: r.State, Version: r.Version, Initiator: r.Initiator, Reason: r.Reason,
			RespondBy: r.RespondBy, Refund: r.Refund, AffectsSellerStats: r.SellerHit,
		}
		if r.Denial != "" {
			dr := r.Denial
			cv.DenialReason = &dr
		}
		v.Cancellation = cv
	}
	if d.Sync.Version > 0 {
		sv := &SyncView{State: d.Sync.State, Attempts: d.Sync.Attempts, Version: d.Sync.Version}
		if d.Sync.LastError != "" {
			e := d.Sync.LastError
			sv.LastError = &e
		}
		v.Sync = sv
	}
	if d.Conflict != "" {
		c := d.Conflict
		v.Conflict = &c
	}
	for _, h := range d.History {
		e := HistoryEntry{At: h.At, Event: h.Event}
		if h.State != "" {
			st := h.State
			e.State = &st
		}
		if h.Note != "" {
			n := h.Note
			e.Note = &n
		}
		v.History = append(v.History, e)
	}
	return v
}

// Views serves order views for a set of adapters.
type Views struct {
	Store    *Store
	Adapters map[string]*adapters.Adapter
}

// OrderView is Store.OrderView by adapter id; an unknown adapter is
// ErrNotFound.
func (v Views) OrderView(ctx context.Context, adapterID, orderID string) (*OrderView, error) {
	ad, ok := v.Adapters[adapterID]
	if !ok {
		return nil, ErrNotFound
	}
	return v.Store.OrderView(ctx, ad, orderID)
}
