package config

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"reflect"
	"regexp"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/cancelsync/cancelsync/platform"
)

// Load reads the YAML file at path and returns the config Parse makes of it,
// expanding ${VAR} from the process environment. platforms is the adapter
// registry: its names are the known platforms, and each checks its own keys. A config that is wrong in any way
// is an *Error listing every problem.
func Load(path string, platforms platform.Registry) (*Config, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read config: %w", err)
	}
	return Parse(data, platforms, os.LookupEnv)
}

// Parse turns YAML into a validated Config with defaults applied.
//
// Every "${NAME}" in a string value is replaced by getenv(NAME) (nil means
// os.LookupEnv); an unset variable is a problem. Keys that Config does not
// declare, values of the wrong type and duplicate keys are problems too, and
// explicit zero values ("timeout: 0s") are validated rather than defaulted.
// All problems are returned together as an *Error.
func Parse(data []byte, platforms platform.Registry, getenv func(string) (string, bool)) (*Config, error) {
	if getenv == nil {
		getenv = os.LookupEnv
	}
	root, err := parseDocument(data)
	if err != nil {
		return nil, err
	}

	// The tree is walked by hand rather than with yaml's KnownFields decoder
	// so that every problem carries its key path, all of them are reported
	// at once, and a value from the environment is never quoted back.
	d := decoder{getenv: getenv, given: map[string]bool{}}
	var cfg Config
	if root != nil {
		d.decode(root, reflect.ValueOf(&cfg).Elem(), "")
	}
	d.handOver(&cfg, platforms)
	cfg.applyDefaults(d.given)

	ps := d.problems
	for _, p := range cfg.validate(platforms) {
		if !d.reported(p.Key) {
			ps = append(ps, p)
		}
	}
	if err := ps.err(); err != nil {
		return nil, err
	}
	cfg.Warnings = d.warnings
	return &cfg, nil
}

// parseDocument parses data as exactly one YAML document and returns its
// root node, or nil for an empty file.
func parseDocument(data []byte) (*yaml.Node, error) {
	dec := yaml.NewDecoder(bytes.NewReader(data))
	var doc yaml.Node
	if err := dec.Decode(&doc); err != nil {
		if errors.Is(err, io.EOF) {
			return nil, nil
		}
		return nil, &Error{Problems: []Problem{{Message: err.Error()}}}
	}
	var next yaml.Node
	switch err := dec.Decode(&next); {
	case errors.Is(err, io.EOF):
	case err != nil:
		return nil, &Error{Problems: []Problem{{Message: err.Error()}}}
	default:
		return nil, &Error{Problems: []Problem{{Message: "the file must hold a single YAML document"}}}
	}
	if doc.Kind != yaml.DocumentNode || len(doc.Content) == 0 {
		return nil, nil
	}
	return doc.Content[0], nil
}

// envRef matches the only expansion form supported: ${NAME}. "$NAME" and
// other shell forms are left as written.
var envRef = regexp.MustCompile(`\$\{([A-Za-z_][A-Za-z0-9_]*)\}`)

// bareEnvRef matches "$NAME", which is not expanded: most likely meant as
// ${NAME}, so it is worth a warning (a value may also hold a literal "$").
var bareEnvRef = regexp.MustCompile(`\$[A-Za-z_]`)

// decoder fills a Config from a YAML node tree by reflection over the yaml
// struct tags, recording problems instead of stopping at the first.
type decoder struct {
	getenv   func(string) (string, bool)
	given    map[string]bool // keys of scalars written in the file
	problems problems
	warnings []string
	// own are the keys of an adapter's open blocks (openBlocks) that
	// config does not know, by full key path, with ${VAR} expanded: each
	// goes to the adapter's platform in Adapter.Own.
	own map[string]*yaml.Node
}

// reported reports whether a problem was already recorded for key or for a
// key that contains it, so validation does not repeat it in other words.
func (d *decoder) reported(key string) bool {
	for _, p := range d.problems {
		if key == p.Key || strings.HasPrefix(key, p.Key+".") || strings.HasPrefix(key, p.Key+"[") {
			return true
		}
	}
	return false
}

func (d *decoder) decode(n *yaml.Node, v reflect.Value, key string) {
	if n.Kind == yaml.AliasNode {
		n = n.Alias
	}
	if n.Kind == yaml.ScalarNode && n.ShortTag() == "!!null" {
		return // "key:" or "key: ~" is the same as leaving the key out
	}
	switch {
	case v.Type() == durationType:
		d.decodeScalar(n, v, key)
	case v.Kind() == reflect.Pointer:
		p := reflect.New(v.Type().Elem())
		before := len(d.problems)
		d.decode(n, p.Elem(), key)
		if len(d.problems) == before {
			v.Set(p)
		}
	case v.Kind() == reflect.Map:
		d.decodeMap(n, v, key)
	case v.Kind() == reflect.Struct:
		d.decodeStruct(n, v, key)
	case v.Kind() == reflect.Slice:
		d.decodeSlice(n, v, key)
	default:
		d.decodeScalar(n, v, key)
	}
}

func (d *decoder) decodeStruct(n *yaml.Node, v reflect.Value, key string) {
	if n.Kind != yaml.MappingNode {
		if key == "" {
			d.problems.add("", "the file must be a YAML mapping of settings")
			return
		}
		d.problems.add(key, "must be "+describe(v.Type()))
		return
	}
	seen := map[string]bool{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, val := n.Content[i], n.Content[i+1]
		if k.Kind != yaml.ScalarNode {
			d.problems.add(key, "keys must be plain names")
			continue
		}
		child := joinKey(key, k.Value)
		if seen[k.Value] {
			d.problems.add(child, "duplicate key")
			continue
		}
		seen[k.Value] = true
		f, ok := fieldByYAMLName(v.Type(), k.Value)
		if !ok && openBlocks[v.Type()] {
			d.keep(val, child)
			continue
		}
		if !ok {
			d.problems.add(child, "unknown key")
			continue
		}
		d.decode(val, v.FieldByIndex(f.Index), child)
	}
}

// keep records n, a key of an open block that its platform reads, with
// every ${VAR} in it expanded; a null value is the same as no key.
func (d *decoder) keep(n *yaml.Node, key string) {
	n, ok := d.expandTree(n, key)
	if !ok || n.Kind == yaml.ScalarNode && n.ShortTag() == "!!null" {
		return
	}
	if d.own == nil {
		d.own = map[string]*yaml.Node{}
	}
	d.own[key] = n
}

// expandTree copies n with ${VAR} expanded in every string scalar, so the
// platform reads what decode would have; false when a variable is unset
// (the problem is recorded).
func (d *decoder) expandTree(n *yaml.Node, key string) (*yaml.Node, bool) {
	if n.Kind == yaml.AliasNode {
		n = n.Alias
	}
	c := *n
	switch n.Kind {
	case yaml.ScalarNode:
		if n.ShortTag() != "!!str" {
			return &c, true
		}
		if bareEnvRef.MatchString(n.Value) {
			d.warnings = append(d.warnings, key+": $NAME is not expanded, only ${NAME} is; the value is used as written")
		}
		if strings.Contains(n.Value, "${") {
			value, ok := d.expand(n.Value, key)
			if !ok {
				return nil, false
			}
			// Resolved as if written plain, as decodeScalar does.
			c.Value, c.Tag, c.Style = value, "", 0
		}
		return &c, true
	case yaml.MappingNode, yaml.SequenceNode:
		c.Content = make([]*yaml.Node, len(n.Content))
		ok := true
		for i, child := range n.Content {
			childKey := key
			switch {
			case n.Kind == yaml.SequenceNode:
				childKey = fmt.Sprintf("%s[%d]", key, i)
			case i%2 == 1:
				childKey = joinKey(key, n.Content[i-1].Value)
			}
			e, good := d.expandTree(child, childKey)
			if !good {
				ok = false
				continue
			}
			c.Content[i] = e
		}
		return &c, ok
	}
	return &c, true
}

// handOver gives each adapter the keys of its open blocks that config does
// not know (Adapter.Own), for its platform to parse; one that no platform
// of the registry reads is refused at once when the platform is unknown.
func (d *decoder) handOver(cfg *Config, platforms platform.Registry) {
	anyReads := map[string]bool{}
	for _, k := range platforms.Keys() {
		anyReads[k] = true
	}
	elsewhere := func(k string) bool { return anyReads[k] }
	for i := range cfg.Adapters {
		a := &cfg.Adapters[i]
		prefix := adapterKey(i) + "."
		values := map[string]*yaml.Node{}
		for k, n := range d.own {
			if rel, ok := strings.CutPrefix(k, prefix); ok {
				values[rel] = n
			}
		}
		p, known := platforms[a.Platform]
		a.Own = platform.NewBlock(values, p.Keys, elsewhere)
		if !known {
			for _, k := range a.Own.Keys() {
				if !anyReads[k] {
					d.problems.add(prefix+k, "unknown key")
				}
			}
		}
	}
}

// decodeMap fills a map with string keys (policy.status_map); each value is
// decoded like any other, under the key path "parent.name".
func (d *decoder) decodeMap(n *yaml.Node, v reflect.Value, key string) {
	if n.Kind != yaml.MappingNode {
		d.problems.add(key, "must be "+describe(v.Type()))
		return
	}
	m := reflect.MakeMapWithSize(v.Type(), len(n.Content)/2)
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, val := n.Content[i], n.Content[i+1]
		if k.Kind != yaml.ScalarNode || k.Value == "" {
			d.problems.add(key, "keys must be plain names")
			continue
		}
		child := joinKey(key, k.Value)
		if m.MapIndex(reflect.ValueOf(k.Value)).IsValid() {
			d.problems.add(child, "duplicate key")
			continue
		}
		elem := reflect.New(v.Type().Elem()).Elem()
		before := len(d.problems)
		d.decode(val, elem, child)
		if len(d.problems) == before {
			m.SetMapIndex(reflect.ValueOf(k.Value), elem)
		}
	}
	v.Set(m)
}

func (d *decoder) decodeSlice(n *yaml.Node, v reflect.Value, key string) {
	if n.Kind != yaml.SequenceNode {
		d.problems.add(key, "must be "+describe(v.Type()))
		return
	}
	s := reflect.MakeSlice(v.Type(), len(n.Content), len(n.Content))
	for i, item := range n.Content {
		d.decode(item, s.Index(i), fmt.Sprintf("%s[%d]", key, i))
	}
	v.Set(s)
}

func (d *decoder) decodeScalar(n *yaml.Node, v reflect.Value, key string) {
	if n.Kind != yaml.ScalarNode {
		d.problems.add(key, "must be "+describe(v.Type()))
		return
	}
	c := *n // expand into a copy: an aliased node may be decoded again
	expanded := false
	if n.ShortTag() == "!!str" && bareEnvRef.MatchString(n.Value) {
		d.warnings = append(d.warnings, key+": $NAME is not expanded, only ${NAME} is; the value is used as written")
	}
	if n.ShortTag() == "!!str" && strings.Contains(n.Value, "${") {
		value, ok := d.expand(n.Value, key)
		if !ok {
			return
		}
		c.Value, expanded = value, true
		if v.Kind() != reflect.String {
			// Let "${WORKERS}" become an integer: resolve the expanded
			// text as if it had been written plain.
			c.Tag, c.Style = "", 0
		}
	}
	if err := c.Decode(v.Addr().Interface()); err != nil {
		var te *yaml.TypeError
		switch {
		case errors.As(err, &te):
			d.problems.add(key, "must be "+describe(v.Type()))
		case expanded:
			d.problems.add(key, "the value from the environment must be "+describe(v.Type()))
		default:
			d.problems.add(key, err.Error())
		}
		return
	}
	d.given[key] = true
}

// expand replaces each ${NAME} in s. It reports false, after recording a
// problem for each unset variable, if any is unset.
func (d *decoder) expand(s, key string) (string, bool) {
	ok := true
	out := envRef.ReplaceAllStringFunc(s, func(ref string) string {
		name := ref[2 : len(ref)-1]
		value, set := d.getenv(name)
		if !set {
			d.problems.add(key, fmt.Sprintf("environment variable %s is not set", name))
			ok = false
		}
		return value
	})
	return out, ok
}

var durationType = reflect.TypeFor[Duration]()

// describe names what a value of type t looks like in YAML, for messages.
func describe(t reflect.Type) string {
	switch {
	case t == durationType:
		return "a duration like 90s or 3h"
	case t.Kind() == reflect.String:
		return "a string"
	case t.Kind() == reflect.Bool:
		return "true or false"
	case t.Kind() == reflect.Int, t.Kind() == reflect.Int64:
		return "an integer"
	case t.Kind() == reflect.Slice:
		return "a list"
	case t.Kind() == reflect.Struct, t.Kind() == reflect.Map:
		return "a mapping"
	case t.Kind() == reflect.Pointer:
		return describe(t.Elem())
	default:
		return "a " + t.Kind().String()
	}
}

func fieldByYAMLName(t reflect.Type, name string) (reflect.StructField, bool) {
	for i := range t.NumField() {
		f := t.Field(i)
		tag, _, _ := strings.Cut(f.Tag.Get("yaml"), ",")
		if tag == name && f.IsExported() {
			return f, true
		}
	}
	return reflect.StructField{}, false
}

func joinKey(parent, name string) string {
	if parent == "" {
		return name
	}
	return parent + "." + name
}

func adapterKey(i int) string { return fmt.Sprintf("adapters[%d]", i) }
