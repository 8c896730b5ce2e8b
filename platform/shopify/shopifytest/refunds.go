package shopifytest

import (
	"encoding/json"
	"fmt"
	"math/big"
	"net/http"
	"regexp"
	"strings"
	"sync"
)

// Refunds models the refunds of Shopify's Admin GraphQL API that cancel
// some lines: order.suggestedRefund suggests price × quantity of each line
// to one transaction, and refundCreate makes a refund, once per
// @idempotent key: a call repeating a key gets the refund that key made,
// not a second one (https://shopify.dev/docs/api/usage/idempotent-requests).
type Refunds struct {
	mu     sync.Mutex
	prices map[string]string // line item gid → price
	byKey  map[string]int    // idempotency key → index in made
	made   []Refund
	lose   []Fault
}

// Refund is one refund the fake made.
type Refund struct {
	ID    string
	Key   string
	Input json.RawMessage // refundCreate's input, as sent
	Lines []struct {
		LineItemID  string `json:"lineItemId"`
		Quantity    int    `json:"quantity"`
		RestockType string `json:"restockType"`
	}
	Notify bool
	Note   string
	Amount string // the sum of the transactions
}

// Fault is what happens to the answer of a refundCreate that made (or
// found) its refund.
type Fault int

const (
	// Answer500: the refund is made, the answer is a 500.
	Answer500 Fault = iota + 1
	// DropConnection: the refund is made, the connection is closed
	// without an answer.
	DropConnection
)

// SetPrice sets the price of a line item (its numeric id) for
// suggestedRefund; unknown lines cost 1.00.
func (r *Refunds) SetPrice(lineID, price string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.prices == nil {
		r.prices = map[string]string{}
	}
	r.prices["gid://shopify/LineItem/"+lineID] = price
}

// LoseAnswers makes the next refundCreate calls suffer faults, in order,
// after their refund is made.
func (r *Refunds) LoseAnswers(fs ...Fault) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.lose = append(r.lose, fs...)
}

// Made are the refunds made so far, oldest first.
func (r *Refunds) Made() []Refund {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]Refund(nil), r.made...)
}

var idempotentKey = regexp.MustCompile(`@idempotent\(key:\s*"([^"]*)"\)`)

// serve answers c when it is a suggestedRefund or a refundCreate; ok is
// false for any other call. fault is set when the answer is to be lost.
func (r *Refunds) serve(c Call) (a Answer, fault Fault, ok bool) {
	switch {
	case strings.Contains(c.Query, "suggestedRefund"):
		return r.suggest(c), 0, true
	case strings.Contains(c.Query, "refundCreate"):
		a, fault = r.create(c)
		return a, fault, true
	}
	return Answer{}, 0, false
}

func (r *Refunds) suggest(c Call) Answer {
	var lines []struct {
		LineItemID string `json:"lineItemId"`
		Quantity   int    `json:"quantity"`
	}
	_ = json.Unmarshal(c.Variables["refundLineItems"], &lines)
	r.mu.Lock()
	sum := new(big.Rat)
	for _, l := range lines {
		p, ok := new(big.Rat).SetString(r.prices[l.LineItemID])
		if !ok {
			p = big.NewRat(1, 1)
		}
		sum.Add(sum, p.Mul(p, big.NewRat(int64(l.Quantity), 1)))
	}
	r.mu.Unlock()
	amount := sum.FloatString(2)
	return Answer{Body: `{"data":{"order":{"suggestedRefund":{"amountSet":{"shopMoney":{"amount":"` + amount + `","currencyCode":"USD"}},` +
		`"suggestedTransactions":[{"amountSet":{"shopMoney":{"amount":"` + amount + `"}},"gateway":"bogus","kind":"SUGGESTED_REFUND","parentTransaction":{"id":"gid://shopify/OrderTransaction/389404469"}}]}}}}`}
}

func (r *Refunds) create(c Call) (Answer, Fault) {
	var in struct {
		Lines []struct {
			LineItemID  string `json:"lineItemId"`
			Quantity    int    `json:"quantity"`
			RestockType string `json:"restockType"`
		} `json:"refundLineItems"`
		Notify       bool   `json:"notify"`
		Note         string `json:"note"`
		Transactions []struct {
			Amount string `json:"amount"`
		} `json:"transactions"`
	}
	_ = json.Unmarshal(c.Variables["input"], &in)
	key := ""
	if m := idempotentKey.FindStringSubmatch(c.Query); m != nil {
		key = m[1]
	}
	if key == "" {
		// From API version 2026-04 refundCreate needs its @idempotent key
		// (https://shopify.dev/docs/api/usage/idempotent-requests).
		return Answer{Body: `{"errors":[{"message":"The @idempotent directive is required for this mutation.","extensions":{"code":"BAD_REQUEST"}}]}`}, 0
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	i, seen := r.byKey[key]
	if !seen {
		sum := new(big.Rat)
		for _, t := range in.Transactions {
			if a, ok := new(big.Rat).SetString(t.Amount); ok {
				sum.Add(sum, a)
			}
		}
		ref := Refund{ID: fmt.Sprintf("gid://shopify/Refund/%d", 929361460+len(r.made)), Key: key, Input: c.Variables["input"],
			Notify: in.Notify, Note: in.Note, Amount: sum.FloatString(2)}
		ref.Lines = in.Lines
		r.made = append(r.made, ref)
		i = len(r.made) - 1
		if r.byKey == nil {
			r.byKey = map[string]int{}
		}
		r.byKey[key] = i
	}
	var fault Fault
	if len(r.lose) > 0 {
		fault, r.lose = r.lose[0], r.lose[1:]
	}
	ref := r.made[i]
	return Answer{Body: `{"data":{"refundCreate":{"refund":{"id":"` + ref.ID + `","totalRefundedSet":{"shopMoney":{"amount":"` + ref.Amount + `","currencyCode":"USD"}}},"userErrors":[]}}}`}, fault
}

// lost carries out fault on w: a 500, or a connection closed unanswered.
func lost(w http.ResponseWriter, fault Fault) {
	if fault == DropConnection {
		if hj, ok := w.(http.Hijacker); ok {
			if conn, _, err := hj.Hijack(); err == nil {
				_ = conn.Close()
				return
			}
		}
	}
	http.Error(w, `{"errors":"Internal Server Error"}`, http.StatusInternalServerError)
}
