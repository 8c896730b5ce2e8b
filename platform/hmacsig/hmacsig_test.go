package hmacsig

import (
	"strings"
	"testing"
)

func TestVerify(t *testing.T) {
	t.Parallel()
	body := []byte(`{"id":1}`)
	keys, err := FromSecrets([]string{"old", "new"})
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		sig  string
		want bool
	}{
		{"first key", Sign([]byte("old"), body), true},
		{"second key", Sign([]byte("new"), body), true},
		{"other key", Sign([]byte("other"), body), false},
		{"other body", Sign([]byte("new"), []byte(`{"id":2}`)), false},
		{"unpadded", strings.TrimRight(Sign([]byte("new"), body), "="), false},
		{"not base64", strings.Repeat("!", EncodedLen), false},
		{"empty", "", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := keys.Verify(tt.sig, body); got != tt.want {
				t.Errorf("Verify(%q) = %v, want %v", tt.sig, got, tt.want)
			}
		})
	}
}

func TestSumPrefix(t *testing.T) {
	t.Parallel()
	keys, err := New([][]byte{[]byte("k")})
	if err != nil {
		t.Fatal(err)
	}
	s := keys.Get()
	defer keys.Put(s)
	mac, ok := s.Decode(Sign([]byte("k"), []byte("id.42.body")))
	if !ok {
		t.Fatal("Decode refused a well-formed signature")
	}
	s.Sum([]byte("body"), "id", ".", "42", ".")
	if !s.Match(mac) {
		t.Error("the MAC of prefix+body does not match a signature of the same bytes")
	}
	s.Sum([]byte("body"), "id", ".", "43", ".")
	if s.Match(mac) {
		t.Error("a different prefix matched")
	}
}

func TestNewRefuses(t *testing.T) {
	t.Parallel()
	if _, err := FromSecrets(nil); err == nil {
		t.Error("no secrets: accepted")
	}
	_, err := FromSecrets([]string{"a", ""})
	if err == nil || err.Error() != "secrets[1]: empty" {
		t.Errorf("an empty secret: %v, want secrets[1]: empty", err)
	}
}

func TestVerifyAllocatesNothing(t *testing.T) {
	keys, err := FromSecrets([]string{"a", "b"})
	if err != nil {
		t.Fatal(err)
	}
	body := []byte("body")
	sig := Sign([]byte("b"), body)
	keys.Verify(sig, body) // fill the pool
	if n := testing.AllocsPerRun(100, func() { keys.Verify(sig, body) }); n > 0 {
		t.Errorf("Verify allocates %v times per call", n)
	}
}
