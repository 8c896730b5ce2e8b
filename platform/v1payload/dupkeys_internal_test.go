package v1payload

import (
	"bytes"
	"encoding/json"
	"strconv"
	"strings"
	"testing"
	"unicode/utf8"
)

// FuzzDuplicateKey checks the byte scanner of duplicateKey against a slow,
// obviously correct oracle built on encoding/json's tokenizer, on every
// body Decode would hand it (valid UTF-8, valid JSON).
func FuzzDuplicateKey(f *testing.F) {
	f.Add([]byte(`{"a":1,"b":{"a":2},"c":[{"a":1},{"a":2,"\u212a":3,"k":1}]}`))
	f.Add([]byte(`{"type":"x","TYPE":"y"}`))
	f.Add([]byte(`[{"x":"\"","x":0}]`))
	f.Add([]byte(`{"s\u0074atus":1,"status":2}`))
	f.Add([]byte(`{"a":[[],{},"}",{"a":{"a":null}}],"b":true}`))
	var many strings.Builder
	many.WriteString(`{`)
	for i := range 40 {
		many.WriteString(`"k` + strconv.Itoa(i) + `":{"k":1},`)
	}
	many.WriteString(`"K39":0}`)
	f.Add([]byte(many.String()))
	f.Fuzz(func(t *testing.T, body []byte) {
		var v any
		if !utf8.Valid(body) || json.Unmarshal(body, &v) != nil {
			return
		}
		if got, want := duplicateKey(body), duplicateKeyOracle(body); got != want {
			t.Fatalf("duplicateKey(%q) = %q, oracle says %q", body, got, want)
		}
	})
}

// duplicateKeyOracle is duplicateKey the slow way: encoding/json's tokens
// (unescaped names) and pairwise strings.EqualFold.
func duplicateKeyOracle(body []byte) string {
	type frame struct {
		obj     bool
		wantKey bool
		names   []string
		n       int
	}
	var stack []*frame
	path := func(name string) string {
		var b strings.Builder
		for i, f := range stack {
			switch {
			case f.obj && i < len(stack)-1:
				if b.Len() > 0 {
					b.WriteByte('.')
				}
				b.WriteString(f.names[len(f.names)-1])
			case !f.obj:
				b.WriteString("[" + strconv.Itoa(f.n) + "]")
			}
		}
		if b.Len() > 0 {
			b.WriteByte('.')
		}
		return b.String() + name
	}
	endValue := func() {
		if len(stack) > 0 {
			if top := stack[len(stack)-1]; top.obj {
				top.wantKey = true
			} else {
				top.n++
			}
		}
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	for {
		tok, err := dec.Token()
		if err != nil {
			return ""
		}
		if len(stack) > 0 && stack[len(stack)-1].obj && stack[len(stack)-1].wantKey {
			if name, ok := tok.(string); ok {
				top := stack[len(stack)-1]
				for _, seen := range top.names {
					if strings.EqualFold(seen, name) {
						return path(name)
					}
				}
				top.names = append(top.names, name)
				top.wantKey = false
				continue
			}
		}
		switch tok {
		case json.Delim('{'):
			stack = append(stack, &frame{obj: true, wantKey: true})
		case json.Delim('['):
			stack = append(stack, &frame{})
		case json.Delim('}'), json.Delim(']'):
			stack = stack[:len(stack)-1]
			endValue()
		default:
			endValue()
		}
	}
}
