package orderstore

import (
	"crypto/sha256"
	"encoding/json"
	"strconv"
)

// Fingerprint is what a repeat of an Idempotency-Key must match (Claim):
// the order and the SHA-256 of the canonical body, body's fields as read,
// so spacing and field order do not count. The storefront and the console
// both bind their keys to it.
func Fingerprint(orderID string, body any) [sha256.Size]byte {
	b, err := json.Marshal(body)
	if err != nil {
		panic(err) // strings and ints: a bug
	}
	digest := sha256.Sum256(b)
	return sha256.Sum256(append([]byte(strconv.Itoa(len(orderID))+":"+orderID), digest[:]...))
}
