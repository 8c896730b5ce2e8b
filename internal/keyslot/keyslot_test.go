package keyslot

import "testing"

// Values from Redis' CLUSTER KEYSLOT.
func TestSlot(t *testing.T) {
	for key, want := range map[string]int{
		"foo":                  12182,
		"bar":                  5061,
		"123456789":            12739,
		"{user1000}.following": Slot("user1000"),
		"foo{}{bar}":           Slot("foo{}{bar}"),
		"foo{{bar}}zap":        Slot("{bar"),
		"foo{bar}{zap}":        Slot("bar"),
	} {
		if got := Slot(key); got != want {
			t.Errorf("Slot(%q) = %d, want %d", key, got, want)
		}
	}
	if Slot("foo{}{bar}") != int(crc16("foo{}{bar}"))%Slots {
		t.Error("an empty tag must hash the whole key")
	}
}

func TestSpread(t *testing.T) {
	for k := range 16 {
		name := Spread("acme:", k, 16)
		if got := Slot(name) * 16 / Slots; got != k {
			t.Errorf("Spread(acme:, %d, 16) = %q in part %d", k, name, got)
		}
	}
}
