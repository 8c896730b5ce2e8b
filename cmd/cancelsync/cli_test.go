package main

import (
	"bytes"
	"context"
	"errors"
	"reflect"
	"strings"
	"testing"
)

func TestParseTakesFlagsAnywhere(t *testing.T) {
	t.Parallel()
	env := func(string) string { return "" }
	tests := []struct {
		name   string
		args   []string
		want   command
		errSub string // non-empty: a usage error containing this
	}{
		{name: "flags first", args: []string{"dlq", "replay", "--config", "x.yaml", "ID1"},
			want: command{name: "dlq replay", args: []string{"ID1"}, config: "x.yaml"}},
		{name: "flags after an argument", args: []string{"dlq", "replay", "ID1", "--config", "x.yaml", "ID2"},
			want: command{name: "dlq replay", args: []string{"ID1", "ID2"}, config: "x.yaml"}},
		{name: "flag after the last argument", args: []string{"dlq", "replay", "ID1", "--log-level=debug"},
			want: command{name: "dlq replay", args: []string{"ID1"}, config: "cancelsync.yaml", logLevel: "debug"}},
		{name: "-- ends the flags", args: []string{"dlq", "replay", "--", "--config"},
			want: command{name: "dlq replay", args: []string{"--config"}, config: "cancelsync.yaml"}},
		{name: "--all after nothing", args: []string{"dlq", "replay", "--all"},
			want: command{name: "dlq replay", all: true, config: "cancelsync.yaml"}},
		{name: "help flag after a command", args: []string{"serve", "--help"}, want: command{name: "help"}},
		{name: "-h after arguments", args: []string{"dlq", "replay", "ID1", "-h"}, want: command{name: "help"}},
		{name: "help command", args: []string{"help"}, want: command{name: "help"}},
		{name: "unknown flag after an argument", args: []string{"dlq", "replay", "ID1", "--colour"}, errSub: "colour"},
		{name: "serve takes no argument", args: []string{"serve", "now", "--config", "x.yaml"}, errSub: `unexpected argument "now"`},
		{name: "no command", args: nil, errSub: "no command"},
		{name: "store upgrade", args: []string{"store", "upgrade", "--config", "x.yaml"},
			want: command{name: "store upgrade", config: "x.yaml"}},
		{name: "store needs a subcommand", args: []string{"store"}, errSub: "store needs a subcommand"},
		{name: "store takes no argument", args: []string{"store", "upgrade", "3"}, errSub: `unexpected argument "3"`},
		{name: "unknown store subcommand", args: []string{"store", "downgrade"}, errSub: `unknown command "store downgrade"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, err := parse(tt.args, env)
			if tt.errSub != "" {
				if !errors.Is(err, errUsage) || !strings.Contains(err.Error(), tt.errSub) {
					t.Fatalf("err = %v, want a usage error with %q", err, tt.errSub)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(*got, tt.want) {
				t.Errorf("parse = %+v, want %+v", *got, tt.want)
			}
		})
	}
}

func TestHelpExitsZeroAndBareCommandShowsUsage(t *testing.T) {
	t.Parallel()
	for _, args := range [][]string{{"--help"}, {"-h"}, {"serve", "--help"}, {"dlq", "replay", "x", "-h"}} {
		var out, errOut bytes.Buffer
		if code := run(context.Background(), args, &out, &errOut); code != exitOK || !strings.HasPrefix(out.String(), "usage: cancelsync") || errOut.Len() != 0 {
			t.Errorf("%q: exit %d, stdout %q, stderr %q; want 0 and the usage on stdout", args, code, out.String(), errOut.String())
		}
	}
	var out, errOut bytes.Buffer
	if code := run(context.Background(), nil, &out, &errOut); code != exitUsage || !strings.Contains(errOut.String(), "usage: cancelsync") {
		t.Errorf("bare: exit %d, stderr %q; want 2 and the usage", code, errOut.String())
	}
}
