package config

import "strings"

// Problem is one thing wrong with a config: the key path that holds it, like
// "adapters[1].secrets[0]", and what is wrong. Key is empty for problems with
// the file as a whole, such as a YAML syntax error.
type Problem struct {
	Key     string
	Message string
}

// String formats p as "key: message".
func (p Problem) String() string {
	if p.Key == "" {
		return p.Message
	}
	return p.Key + ": " + p.Message
}

// Error is every problem found in a config, so an operator fixes the file in
// one pass. Messages never contain a secret or token value.
type Error struct {
	Problems []Problem
}

// Error lists the problems one per line as "key: message".
func (e *Error) Error() string {
	lines := make([]string, len(e.Problems))
	for i, p := range e.Problems {
		lines[i] = p.String()
	}
	return strings.Join(lines, "\n")
}

// problems collects Problems in the order they are found.
type problems []Problem

func (ps *problems) add(key, message string) {
	*ps = append(*ps, Problem{Key: key, Message: message})
}

// err returns the problems as an *Error, or a nil error when there are none.
func (ps problems) err() error {
	if len(ps) == 0 {
		return nil
	}
	return &Error{Problems: ps}
}
