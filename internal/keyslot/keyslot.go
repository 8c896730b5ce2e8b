// Package keyslot computes Redis Cluster's hash slot of a key, and finds
// hash tags whose slots spread evenly over the slot space, so that a
// fixed number of tags lands on every master of a cluster whose masters
// own contiguous slot ranges of similar size (as redis-cli --cluster
// create assigns them).
package keyslot

import "strconv"

// Slots is the number of hash slots of a Redis Cluster.
const Slots = 16384

// Slot is the hash slot of key: CRC16 (XMODEM) of its hash tag (the part
// between the first "{" and the next "}", when not empty) or of the whole
// key, modulo Slots.
func Slot(key string) int {
	for i := 0; i < len(key); i++ {
		if key[i] != '{' {
			continue
		}
		for j := i + 1; j < len(key); j++ {
			if key[j] == '}' {
				if j > i+1 {
					key = key[i+1 : j]
				}
				return int(crc16(key)) % Slots
			}
		}
		break
	}
	return int(crc16(key)) % Slots
}

// Spread returns the first of prefix+"0", prefix+"1", ... whose slot lies
// in the k-th of n equal parts of the slot space. Deterministic: the
// names it gives are stored (keys, queue names), so it must never change.
func Spread(prefix string, k, n int) string {
	for s := 0; ; s++ {
		name := prefix + strconv.Itoa(s)
		if Slot(name)*n/Slots == k {
			return name
		}
	}
}

func crc16(s string) uint16 {
	var crc uint16
	for i := 0; i < len(s); i++ {
		crc ^= uint16(s[i]) << 8
		for range 8 {
			if crc&0x8000 != 0 {
				crc = crc<<1 ^ 0x1021
			} else {
				crc <<= 1
			}
		}
	}
	return crc
}
