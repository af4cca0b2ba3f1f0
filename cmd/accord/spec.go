package main

import (
	"context"
	"flag"
	"io"
	"slices"
)

// spec is what help and completion know of a command: its flags and its
// sub-subcommands, learnt from the flag set the command makes.
type spec struct {
	command
	fs *flags
}

// specs asks each command of the table for its flag set, by running it
// with --help into nothing: what completes is what parses.
func specs(ctx context.Context) []spec {
	var out []spec
	for _, c := range commands {
		lastFlags = nil
		c.run(ctx, []string{"--help"}, io.Discard, io.Discard) // parse returns at --help, first thing
		if lastFlags == nil {
			panic("accord " + c.name + " --help made no flag set")
		}
		out = append(out, spec{c, lastFlags})
	}
	return out
}

// flagNames are a command's flags, or those of one of its subcommands, as
// --name, sorted.
func (s spec) flagNames(sub string) []string {
	var names []string
	for _, ss := range s.fs.subs {
		if ss.name == sub {
			names = append([]string{"config"}, ss.flags...)
		}
	}
	if names == nil {
		s.fs.VisitAll(func(f *flag.Flag) { names = append(names, f.Name) })
	}
	slices.Sort(names)
	out := []string{"--help"}
	for _, n := range names {
		out = append(out, "--"+n)
	}
	return out
}

// subNames are a command's subcommands.
func (s spec) subNames() []string {
	var out []string
	for _, ss := range s.fs.subs {
		out = append(out, ss.name)
	}
	return out
}
