// Package hmacsig checks HMAC-SHA256 signatures of webhook deliveries
// against any of an adapter's secrets: every platform that signs its body
// (Shopify, WooCommerce, Standard Webhooks) keeps several secrets during a
// rotation and may send several signatures, and each comparison must take
// constant time. Verifying a delivery allocates nothing: the MACs and the
// buffers live in per-caller scratch handed out by a sync.Pool.
package hmacsig

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"hash"
	"sync"
)

// EncodedLen is the length of a SHA-256 MAC in padded standard base64.
const EncodedLen = 44

// Keys is an adapter's set of HMAC keys. It is safe for concurrent use.
type Keys struct {
	keys [][]byte
	pool sync.Pool // *Scratch
}

// New returns the keys, which must be at least one and none empty.
func New(keys [][]byte) (*Keys, error) {
	if len(keys) == 0 {
		return nil, errors.New("no webhook secret configured")
	}
	k := &Keys{keys: keys}
	for i, key := range keys {
		if len(key) == 0 {
			// Name a secret by position, never by value.
			return nil, fmt.Errorf("secrets[%d]: empty", i)
		}
	}
	k.pool.New = func() any {
		s := &Scratch{
			macs: make([]hash.Hash, len(k.keys)),
			sums: make([][sha256.Size]byte, len(k.keys)),
			msg:  make([]byte, 0, 64),
		}
		for i, key := range k.keys {
			s.macs[i] = hmac.New(sha256.New, key)
		}
		return s
	}
	return k, nil
}

// FromSecrets returns keys that are the secrets' bytes as written, as
// Shopify and WooCommerce use them.
func FromSecrets(secrets []string) (*Keys, error) {
	keys := make([][]byte, len(secrets))
	for i, s := range secrets {
		keys[i] = []byte(s)
	}
	return New(keys)
}

// Scratch is one caller's working set: a ready HMAC per key, the MACs of
// one message and buffers for the signed prefix and a signature.
type Scratch struct {
	macs    []hash.Hash
	sums    [][sha256.Size]byte
	msg     []byte
	encoded [EncodedLen]byte
	decoded [EncodedLen]byte
}

// Get hands out a Scratch; give it back with Put.
func (k *Keys) Get() *Scratch { return k.pool.Get().(*Scratch) }

// Put returns s to the pool.
func (k *Keys) Put(s *Scratch) { k.pool.Put(s) }

// Decode returns the MAC in sig, a padded base64 SHA-256 MAC, or false
// when sig is not one. The MAC is valid until the next Decode.
func (s *Scratch) Decode(sig string) ([]byte, bool) {
	if len(sig) != EncodedLen {
		return nil, false
	}
	// Copy into a fixed buffer rather than converting the string, which
	// would allocate on every delivery.
	n := copy(s.encoded[:], sig)
	m, err := base64.StdEncoding.Decode(s.decoded[:], s.encoded[:n])
	if err != nil || m != sha256.Size {
		return nil, false
	}
	return s.decoded[:m], true
}

// Sum computes, under every key, the MAC of the prefix parts followed by
// body.
func (s *Scratch) Sum(body []byte, prefix ...string) {
	s.msg = s.msg[:0]
	for _, p := range prefix {
		s.msg = append(s.msg, p...)
	}
	for i, mac := range s.macs {
		mac.Reset()
		mac.Write(s.msg)
		mac.Write(body)
		mac.Sum(s.sums[i][:0])
	}
}

// Match reports whether mac is the last Sum under any key. Every key is
// compared, each in constant time.
func (s *Scratch) Match(mac []byte) bool {
	ok := false
	for i := range s.sums {
		if hmac.Equal(s.sums[i][:], mac) {
			ok = true
		}
	}
	return ok
}

// Verify reports whether sig, a padded base64 MAC, is the HMAC-SHA256 of
// body under any of the keys.
func (k *Keys) Verify(sig string, body []byte) bool {
	s := k.Get()
	defer k.Put(s)
	mac, ok := s.Decode(sig)
	if !ok {
		return false
	}
	s.Sum(body)
	return s.Match(mac)
}

// Sign returns the padded base64 HMAC-SHA256 of body under key: what a
// platform that signs the body puts in its signature header.
func Sign(key, body []byte) string {
	mac := hmac.New(sha256.New, key)
	mac.Write(body)
	return base64.StdEncoding.EncodeToString(mac.Sum(nil))
}
