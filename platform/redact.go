package platform

import (
	"cmp"
	"encoding/base64"
	"encoding/hex"
	"net/url"
	"slices"
	"strings"
)

// Redacted replaces a credential in a message.
const Redacted = "[redacted]"

// minEncoded is the shortest encoded form a Redactor looks for: shorter
// ones (the base64 of a one-letter secret) are ordinary text, and hiding
// them would garble a message without hiding anything.
const minEncoded = 4

// Redactor hides credentials in a message that is recorded or logged (a
// sync's last_error, its dead letter, a log line): a platform's error body
// may echo what it was sent, so every form a request or an echo can carry a
// secret in is hidden, not the raw text alone: base64 (standard and URL,
// padded or not), hex (either case) and URL escaping (query and path), of
// each secret and of each Basic auth pair. The zero Redactor hides nothing.
type Redactor struct {
	forms []string // longest first: a longer form is hidden before a shorter one inside it
}

// NewRedactor hides secrets; empty ones are skipped.
func NewRedactor(secrets ...string) Redactor {
	seen := map[string]bool{}
	var forms []string
	add := func(f string, encoded bool) {
		if f == "" || encoded && len(f) < minEncoded || seen[f] {
			return
		}
		seen[f] = true
		forms = append(forms, f)
	}
	for _, s := range secrets {
		if s == "" {
			continue
		}
		add(s, false)
		b := []byte(s)
		for _, enc := range []*base64.Encoding{base64.StdEncoding, base64.URLEncoding, base64.RawStdEncoding, base64.RawURLEncoding} {
			add(enc.EncodeToString(b), true)
		}
		h := hex.EncodeToString(b)
		add(h, true)
		add(strings.ToUpper(h), true)
		for _, esc := range []string{url.QueryEscape(s), url.PathEscape(s)} {
			add(esc, true)
			add(lowerEscapes(esc), true) // %2f as well as %2F
		}
	}
	slices.SortStableFunc(forms, func(a, b string) int { return cmp.Compare(len(b), len(a)) })
	return Redactor{forms: forms}
}

// Redact returns s with every form of every secret replaced by Redacted.
func (r Redactor) Redact(s string) string {
	for _, f := range r.forms {
		if strings.Contains(s, f) {
			s = strings.ReplaceAll(s, f, Redacted)
		}
	}
	return s
}

// Longest is the length of the longest form hidden, 0 for none: a reader
// that stops within that of a form's start may have cut it short.
func (r Redactor) Longest() int {
	if len(r.forms) == 0 {
		return 0
	}
	return len(r.forms[0])
}

// DropCut drops the end of s when it is the start of a form (s was cut
// short inside a secret), so that what is left of it is not shown.
func (r Redactor) DropCut(s string) string {
	cut := 0
	for _, f := range r.forms {
		for k := min(len(f)-1, len(s)); k > cut; k-- {
			if strings.HasSuffix(s, f[:k]) {
				cut = k
				break
			}
		}
	}
	return s[:len(s)-cut]
}

// Credentials are the secrets of an API block as a client sends them: the
// token, base_url's password, and the pair HTTP Basic auth joins with ":"
// (base_url's user and password), whose base64 is what an echoed
// Authorization header shows.
func (a API) Credentials() []string {
	out := []string{a.Token}
	if u, err := url.Parse(a.BaseURL); err == nil && u.User != nil {
		if p, ok := u.User.Password(); ok && p != "" {
			out = append(out, BasicCredentials(u.User.Username(), p)[1:]...)
		}
	}
	return out
}

// BasicCredentials are a user and password as HTTP Basic auth sends them:
// the user, the password and the pair joined with ":" (the Redactor hides
// its base64 too). Empty ones are dropped.
func BasicCredentials(user, password string) []string {
	if user == "" && password == "" {
		return nil
	}
	return []string{user, password, user + ":" + password}
}

// lowerEscapes writes the hex digits of s's %XX escapes in lower case.
func lowerEscapes(s string) string {
	b := []byte(s)
	for i := 0; i+2 < len(b); i++ {
		if b[i] == '%' {
			b[i+1], b[i+2] = lowerHex(b[i+1]), lowerHex(b[i+2])
			i += 2
		}
	}
	return string(b)
}

func lowerHex(c byte) byte {
	if 'A' <= c && c <= 'F' {
		return c + 'a' - 'A'
	}
	return c
}
