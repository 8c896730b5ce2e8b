// Package configblock holds the keys of an adapter's config that belong to
// its platform (docs/API.md §2): config hands each platform its block, and
// the platform reads, checks and refuses its own keys with their paths.
package configblock

import (
	"fmt"
	"log/slog"
	"maps"
	"reflect"
	"slices"
	"sort"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"
)

// FieldError names one field and what is wrong with it: a config key
// relative to its block, or a payload field (platform.FieldError is the
// same type).
type FieldError struct {
	Field   string `json:"field"`
	Message string `json:"message"`
}

// Key is one config key a platform reads besides those every adapter has,
// by its dotted path relative to the adapter ("shop", "api.version",
// "policy.status_map"). Secret keys are masked wherever a config is shown
// and hidden in every recorded sync failure.
type Key struct {
	Name   string
	Secret bool
}

// Block is the part of one adapter's config that only its platform reads:
// the keys config does not know, at the adapter's top level and inside its
// api and policy mappings, by dotted path. Config hands it over with
// ${VAR} already expanded; the platform parses it with a BlockReader, which
// refuses what the platform did not ask for. The zero Block is empty.
type Block struct {
	values map[string]*yaml.Node
	// elsewhere reports a key another platform of the registry reads, so
	// that a key of the wrong platform is said to be unused here rather
	// than unknown.
	elsewhere func(key string) bool
	// secret reports a key whose value is never shown.
	secret func(key string) bool
}

// NewBlock is the Block of values (dotted key → YAML node) for a platform
// that reads keys, where elsewhere reports the keys other platforms read.
// Config builds one per adapter.
func NewBlock(values map[string]*yaml.Node, keys []Key, elsewhere func(string) bool) Block {
	if len(values) == 0 {
		return Block{} // nothing to refuse or to mask
	}
	secret := map[string]bool{}
	known := map[string]bool{}
	for _, k := range keys {
		known[k.Name] = true
		secret[k.Name] = k.Secret
	}
	return Block{
		values:    maps.Clone(values),
		elsewhere: elsewhere,
		// A key the platform does not read is refused; until then, treat
		// its value as secret: it may be a credential in the wrong place.
		secret: func(k string) bool { return !known[k] || secret[k] },
	}
}

// BlockOf is a Block of Go values (a string, bool, []string or
// map[string]string per dotted key), for code and tests that configure an
// adapter without a file. It panics on a value YAML cannot hold.
func BlockOf(values map[string]any) Block {
	nodes := make(map[string]*yaml.Node, len(values))
	for k, v := range values {
		var n yaml.Node
		if err := n.Encode(v); err != nil {
			panic(fmt.Sprintf("BlockOf %s: %v", k, err))
		}
		nodes[k] = &n
	}
	return Block{values: nodes}
}

// Equal reports whether b and o hold the same keys with the same values,
// wherever in a file they were written.
func (b Block) Equal(o Block) bool {
	if len(b.values) != len(o.values) {
		return false
	}
	for k, n := range b.values {
		m, ok := o.values[k]
		if !ok {
			return false
		}
		var x, y any
		if n.Decode(&x) != nil || m.Decode(&y) != nil || !reflect.DeepEqual(x, y) {
			return false
		}
	}
	return true
}

// Keys lists the block's keys, sorted.
func (b Block) Keys() []string {
	return slices.Sorted(maps.Keys(b.values))
}

// Len is how many keys the block holds.
func (b Block) Len() int { return len(b.values) }

// Redacted is b with the value of every secret key masked, for showing a
// config.
func (b Block) Redacted(mask func(string) string) Block {
	out := b
	out.values = make(map[string]*yaml.Node, len(b.values))
	for k, n := range b.values {
		if b.isSecret(k) {
			n = maskNode(n, mask)
		}
		out.values[k] = n
	}
	return out
}

func (b Block) isSecret(k string) bool { return b.secret == nil || b.secret(k) }

// maskNode copies n with every scalar masked.
func maskNode(n *yaml.Node, mask func(string) string) *yaml.Node {
	c := *n
	if c.Kind == yaml.ScalarNode {
		c.Value = mask(c.Value)
		return &c
	}
	c.Content = make([]*yaml.Node, len(n.Content))
	for i, child := range n.Content {
		c.Content[i] = maskNode(child, mask)
	}
	return &c
}

// LogValue shows the block's keys; a secret key's value is shown masked
// (a list by its length).
func (b Block) LogValue() slog.Value {
	attrs := make([]slog.Attr, 0, len(b.values))
	for _, k := range b.Keys() {
		n := b.values[k]
		switch {
		case n.Kind == yaml.SequenceNode:
			attrs = append(attrs, slog.Int(k, len(n.Content)))
		case b.isSecret(k):
			attrs = append(attrs, slog.String(k, "[redacted]"))
		case n.Kind == yaml.ScalarNode:
			attrs = append(attrs, slog.String(k, n.Value))
		default:
			var v any
			if err := n.Decode(&v); err != nil {
				v = "?"
			}
			attrs = append(attrs, slog.Any(k, v))
		}
	}
	return slog.GroupValue(attrs...)
}

// Read starts parsing b. Ask for every key the platform takes, then Done.
func (b Block) Read() *BlockReader {
	return &BlockReader{b: b, asked: map[string]bool{}}
}

// BlockReader parses one Block, recording a problem for each value of the
// wrong shape instead of stopping at the first.
type BlockReader struct {
	b     Block
	asked map[string]bool
	errs  []FieldError
}

func (r *BlockReader) node(key string) *yaml.Node {
	r.asked[key] = true
	n := r.b.values[key]
	if n != nil && n.Kind == yaml.AliasNode {
		n = n.Alias
	}
	return n
}

func (r *BlockReader) fail(key, msg string) {
	r.errs = append(r.errs, FieldError{Field: key, Message: msg})
}

// String is key's value, "" when it is absent.
func (r *BlockReader) String(key string) string {
	n := r.node(key)
	if n == nil {
		return ""
	}
	var s string
	if n.Kind != yaml.ScalarNode || n.Decode(&s) != nil {
		r.fail(key, "must be a string")
		return ""
	}
	return s
}

// Bool is key's value, nil when it is absent.
func (r *BlockReader) Bool(key string) *bool {
	n := r.node(key)
	if n == nil {
		return nil
	}
	var v bool
	if n.Kind != yaml.ScalarNode || n.Decode(&v) != nil {
		r.fail(key, "must be true or false")
		return nil
	}
	return &v
}

// Strings is key's list of strings, nil when it is absent.
func (r *BlockReader) Strings(key string) []string {
	n := r.node(key)
	if n == nil {
		return nil
	}
	if n.Kind != yaml.SequenceNode {
		r.fail(key, "must be a list")
		return nil
	}
	out := make([]string, 0, len(n.Content))
	for i, item := range n.Content {
		var s string
		if item.Kind == yaml.AliasNode {
			item = item.Alias
		}
		if item.Kind != yaml.ScalarNode || item.Decode(&s) != nil {
			r.fail(fmt.Sprintf("%s[%d]", key, i), "must be a string")
			continue
		}
		out = append(out, s)
	}
	return out
}

// StringMap is key's mapping of names to strings, nil when it is absent.
// A name given twice is a problem.
func (r *BlockReader) StringMap(key string) map[string]string {
	n := r.node(key)
	if n == nil {
		return nil
	}
	if n.Kind != yaml.MappingNode {
		r.fail(key, "must be a mapping")
		return nil
	}
	out := make(map[string]string, len(n.Content)/2)
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		if v.Kind == yaml.AliasNode {
			v = v.Alias
		}
		if k.Kind != yaml.ScalarNode || k.Value == "" {
			r.fail(key, "keys must be plain names")
			continue
		}
		child := key + "." + k.Value
		if _, dup := out[k.Value]; dup {
			r.fail(child, "duplicate key")
			continue
		}
		var s string
		if v.Kind != yaml.ScalarNode || v.Decode(&s) != nil {
			r.fail(child, "must be a string")
			continue
		}
		out[k.Value] = s
	}
	return out
}

// Done refuses every key of the block the platform did not ask for (one
// another platform reads is "not used by this platform", any other is
// unknown) and returns every problem found, sorted by key.
func (r *BlockReader) Done() []FieldError {
	for _, k := range r.b.Keys() {
		switch {
		case r.asked[k]:
		case r.b.elsewhere != nil && r.b.elsewhere(k):
			r.fail(k, "is not used by this platform")
		default:
			r.fail(k, "unknown key")
		}
	}
	sort.SliceStable(r.errs, func(i, j int) bool { return r.errs[i].Field < r.errs[j].Field })
	return r.errs
}

// SecretValues are the values in b of the keys marked Secret (a list's
// every entry), for the adapter's Redactor.
func (b Block) SecretValues(keys []Key) []string {
	var out []string
	for _, k := range keys {
		if n := b.values[k.Name]; k.Secret && n != nil {
			collectScalars(n, &out)
		}
	}
	return out
}

func collectScalars(n *yaml.Node, out *[]string) {
	if n.Kind == yaml.ScalarNode {
		if v := strings.TrimSpace(n.Value); v != "" {
			*out = append(*out, n.Value)
		}
		return
	}
	for _, c := range n.Content {
		collectScalars(c, out)
	}
}

// Duration is key's value as a Go duration ("15m", "0s"), nil when it is
// absent; a negative one is a problem.
func (r *BlockReader) Duration(key string) *time.Duration {
	n := r.node(key)
	if n == nil {
		return nil
	}
	var s string
	if n.Kind != yaml.ScalarNode || n.Decode(&s) != nil {
		r.fail(key, "must be a duration like 15m")
		return nil
	}
	d, err := time.ParseDuration(s)
	if err != nil {
		r.fail(key, "must be a duration like 15m")
		return nil
	}
	if d < 0 {
		r.fail(key, "must not be negative")
		return nil
	}
	return &d
}
