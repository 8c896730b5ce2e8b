package v1payload

import (
	"bytes"
	"encoding/json"
	"strconv"
	"unicode"
	"unicode/utf8"
)

// duplicateKey reports the first object member of body whose name occurs
// earlier in the same object, as a field path ("data.items[0].sku"), or ""
// when every name is unique.
//
// encoding/json keeps the last of repeated names and matches names to
// struct fields case-insensitively, so {"order_id":"A","ORDER_ID":"B"}
// would decode as "B" while another parser (the sender's, a log viewer's)
// reads "A". A signed body that reads two ways is refused instead. Names
// are compared after unescaping and case-folding, as the decoder matches
// them (bytes.EqualFold).
//
// body must already be known to be valid JSON: json.Unmarshal accepted it,
// which also bounds its nesting depth. This is a plain byte scan, a tenth
// of the decode's cost for the contract's example; objects with many
// members switch from pairwise comparison to a set, so a hostile body
// stays linear.
func duplicateKey(body []byte) string {
	var frameBuf [16]dupFrame
	var keyBuf [64][]byte
	s := dupScan{stack: frameBuf[:0], keys: keyBuf[:0]}
	for i := 0; i < len(body); {
		switch c := body[i]; c {
		case ' ', '\t', '\r', '\n', ',', ':':
			i++
		case '{':
			s.stack = append(s.stack, dupFrame{obj: true, wantKey: true, first: len(s.keys)})
			i++
		case '[':
			s.stack = append(s.stack, dupFrame{})
			i++
		case '}', ']':
			top := s.stack[len(s.stack)-1]
			if top.obj {
				s.keys = s.keys[:top.first]
			}
			s.stack = s.stack[:len(s.stack)-1]
			s.endValue()
			i++
		case '"':
			end, escaped := stringEnd(body, i)
			if n := len(s.stack); n > 0 && s.stack[n-1].obj && s.stack[n-1].wantKey {
				name := body[i+1 : end]
				if escaped {
					var u string
					_ = json.Unmarshal(body[i:end+1], &u)
					name = []byte(u)
				}
				if s.addKey(name) {
					return s.path(name)
				}
			} else {
				s.endValue()
			}
			i = end + 1
		default: // number, true, false, null
			for i < len(body) && !endsScalar(body[i]) {
				i++
			}
			s.endValue()
		}
	}
	return ""
}

func endsScalar(c byte) bool {
	switch c {
	case ' ', '\t', '\r', '\n', ',', ']', '}':
		return true
	}
	return false
}

// setThreshold is how many members an object may have before its names
// are kept in a set rather than compared pairwise.
const setThreshold = 32

type dupFrame struct {
	obj     bool
	wantKey bool
	name    []byte              // objects: the member being read
	n       int                 // arrays: the element being read
	first   int                 // objects: where its names start in dupScan.keys
	set     map[string]struct{} // objects past setThreshold: folded names
}

type dupScan struct {
	stack []dupFrame
	keys  [][]byte // names of the members of every open object, innermost last
}

func (s *dupScan) endValue() {
	if n := len(s.stack); n > 0 {
		if top := &s.stack[n-1]; top.obj {
			top.wantKey = true
		} else {
			top.n++
		}
	}
}

// addKey records a member name of the innermost object and reports whether
// the object already had it.
func (s *dupScan) addKey(name []byte) (dup bool) {
	top := &s.stack[len(s.stack)-1]
	top.wantKey = false
	if top.set == nil && len(s.keys)-top.first >= setThreshold {
		top.set = make(map[string]struct{}, 2*setThreshold)
		for _, k := range s.keys[top.first:] {
			top.set[string(foldName(k))] = struct{}{}
		}
	}
	if top.set != nil {
		f := string(foldName(name))
		if _, dup = top.set[f]; !dup {
			top.set[f] = struct{}{}
		}
	} else {
		for _, k := range s.keys[top.first:] {
			if bytes.EqualFold(k, name) {
				dup = true
				break
			}
		}
		if !dup {
			s.keys = append(s.keys, name)
		}
	}
	top.name = name
	return dup
}

// path names member name of the innermost object, from the root.
func (s *dupScan) path(name []byte) string {
	var b []byte
	for i, f := range s.stack {
		last := i == len(s.stack)-1
		switch {
		case f.obj && !last:
			if len(b) > 0 {
				b = append(b, '.')
			}
			b = append(b, f.name...)
		case !f.obj:
			b = append(b, '[')
			b = strconv.AppendInt(b, int64(f.n), 10)
			b = append(b, ']')
		}
	}
	if len(b) > 0 {
		b = append(b, '.')
	}
	return string(append(b, name...))
}

// stringEnd returns the index of the quote closing the string that opens at
// body[start], and whether the string has escapes.
func stringEnd(body []byte, start int) (end int, escaped bool) {
	for i := start + 1; i < len(body); i++ {
		switch body[i] {
		case '\\':
			escaped = true
			i++
		case '"':
			return i, escaped
		}
	}
	return len(body) - 1, escaped
}

// foldName maps a name to one spelling per bytes.EqualFold class: ASCII
// upper case, other runes to the smallest of their simple-folding orbit
// (what encoding/json does to match names).
func foldName(in []byte) []byte {
	out := make([]byte, 0, len(in))
	for i := 0; i < len(in); {
		if c := in[i]; c < utf8.RuneSelf {
			if 'a' <= c && c <= 'z' {
				c -= 'a' - 'A'
			}
			out = append(out, c)
			i++
			continue
		}
		r, n := utf8.DecodeRune(in[i:])
		for {
			r2 := unicode.SimpleFold(r)
			if r2 <= r {
				r = r2
				break
			}
			r = r2
		}
		out = utf8.AppendRune(out, r)
		i += n
	}
	return out
}

// checkDuplicateKeys refuses a body with a repeated member name.
func checkDuplicateKeys(body []byte) error {
	if field := duplicateKey(body); field != "" {
		return invalid(field, "is given more than once")
	}
	return nil
}
