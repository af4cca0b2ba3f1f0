// Command accord is the Accord bot and its command-line tools.
//
//	accord serve [--config F]             the bot: webhook intake and workers
//	accord deliveries [--state S]         the inbox of webhook deliveries
//	accord deliveries retry ID            queue a delivery again
//	accord outbox [--state S]             the effects on forges, and 'retry ID'
//	accord policy check [DIR]             validate the policy files
//	accord ledger verify|export           check or export the ledger
//	accord audit EXPORT.jsonl             re-derive every vote outcome from an export
//	accord backup FILE                    a consistent copy of the live database
//	accord policy schema NAME             the JSON Schema of a policy file
//	accord connect FORGE OWNER/REPO       set up a repository's webhook
//	accord forges check                   check each forge's credentials
//	accord version                        version and build info
//	accord completion bash|zsh|fish       a shell completion script
//
// Every command takes --config and --help, before or after the command;
// accord --version is accord version.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"slices"
	"strings"
	"syscall"
)

// command is one subcommand of accord.
type command struct {
	name    string
	summary string
	run     func(ctx context.Context, args []string, stdout, stderr io.Writer) error
}

var commands = []command{
	{"serve", "run the bot: webhook intake, workers, the outbox", runServe},
	{"deliveries", "list the inbox of webhook deliveries; 'retry ID' queues one again", runDeliveries},
	{"policy", "check the policy files ('check [DIR]'), print their JSON Schemas ('schema NAME'), compare two versions ('diff OLD NEW')", runPolicy},
	{"score", "credits per co-op or member per period, from the ledger", runScore},
	{"payout", "split a budget between co-ops in proportion to a period's credits (CSV)", runPayout},
	{"backfill", "record the facts of a repository's past (merged PRs, reviews, issues, releases) through the forge's API", runBackfill},
	{"proposals", "list proposals ('list'), or one with its votes ('show ID')", runProposals},
	{"ledger", "check the ledger's hash chain ('verify [--file X.jsonl]') or export it ('export --format jsonl')", runLedger},
	{"backup", "a consistent copy of the live database ('backup FILE'), while serve runs; never overwrites a file (restore: stop serve, copy it back)", runBackup},
	{"audit", "from a ledger export alone, re-derive every vote outcome it records; exit 1 on any difference", runAudit},
	{"outbox", "list the effects on forges (comments, labels, statuses); 'retry ID' queues one again", runOutbox},
	{"connect", "make a repository send its webhooks here (Gitea/Forgejo), or say how (GitHub App)", runConnect},
	{"forges", "'forges check': call each configured forge once and report", runForges},
	{"github-app", "'github-app create': create the GitHub App through GitHub's manifest flow and write its credentials", runGitHubApp},
	{"healthcheck", "exit 0 when the local server is ready (the container's HEALTHCHECK)", runHealthcheck},
	{"version", "print the version and build info", runVersion},
	{"completion", "print a completion script for bash, zsh or fish ('completion bash')", nil},
}

func init() { commands[len(commands)-1].run = runCompletion } // runCompletion reads commands

// globalsAfterCommand moves the global flags given before the command
// (--config F, --config=F) after it, where each command parses them, and
// turns --version into the version command: 'accord --config F score' is
// 'accord score --config F'.
func globalsAfterCommand(args []string) ([]string, error) {
	var globals []string
	for len(args) > 0 && strings.HasPrefix(args[0], "-") {
		name, _, hasValue := strings.Cut(strings.TrimLeft(args[0], "-"), "=")
		switch {
		case args[0] == "-h" || name == "help":
			return args, nil // help, below
		case name == "version" && !hasValue:
			return append([]string{"version"}, append(globals, args[1:]...)...), nil
		case name == "config" && hasValue:
			globals = append(globals, args[0])
			args = args[1:]
		case name == "config":
			if len(args) < 2 {
				return nil, usageError{"flag needs an argument: --config"}
			}
			globals = append(globals, args[0], args[1])
			args = args[2:]
		default:
			return nil, usageError{fmt.Sprintf("%s: give it after the command; before it only --config, --version and --help", args[0])}
		}
	}
	if len(args) == 0 {
		if len(globals) > 0 {
			return nil, usageError{"give a command after " + strings.Join(globals, " ")}
		}
		return args, nil
	}
	if args[0] == "help" {
		return args, nil // 'accord --config F help score' is help on score
	}
	return append([]string{args[0]}, append(globals, args[1:]...)...), nil
}

// usageError is a mistake in the command line: exit status 2.
type usageError struct{ msg string }

// Error is the mistake, in words.
func (e usageError) Error() string { return e.msg }

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

// run runs one accord command line and returns the exit status.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	args, err := globalsAfterCommand(args)
	if err != nil {
		fmt.Fprintf(stderr, "accord: %v (see 'accord --help')\n", err)
		return 2
	}
	if len(args) == 0 || args[0] == "help" || args[0] == "-h" || args[0] == "--help" || args[0] == "-help" {
		if len(args) > 1 {
			return run(ctx, append(args[1:], "--help"), stdout, stderr) // 'help ledger verify'
		}
		usage(stdout)
		if len(args) == 0 {
			return 2
		}
		return 0
	}
	for _, c := range commands {
		if c.name != args[0] {
			continue
		}
		err := c.run(ctx, args[1:], stdout, stderr)
		var ue usageError
		switch {
		case err == nil, errors.Is(err, flag.ErrHelp):
			return 0
		case err == errFailed: // the command has said why
			return 1
		case errors.As(err, &ue):
			fmt.Fprintf(stderr, "accord %s: %v (see 'accord %s --help')\n", c.name, err, c.name)
			return 2
		default:
			fmt.Fprintf(stderr, "accord %s: %v\n", c.name, err)
			return 1
		}
	}
	fmt.Fprintf(stderr, "accord: unknown command %q (see 'accord --help')\n", args[0])
	return 2
}

func usage(w io.Writer) {
	fmt.Fprintln(w, "accord: the bot that lets a federation of co-operatives build, decide and account together.")
	fmt.Fprintln(w, "\nUsage: accord COMMAND [--config accord.yml] [flags]\n\nCommands:")
	for _, c := range commands {
		fmt.Fprintf(w, "  %-12s %s\n", c.name, c.summary)
	}
	fmt.Fprintln(w, "\n'accord COMMAND --help' tells more.")
}

// flags is a command's flag set, with --config.
type flags struct {
	*flag.FlagSet
	config    *string
	name      string
	usageLine string
	help      io.Writer
	subs      []subcommand // the sub-subcommands and their flags, if any
}

// subcommand is one sub-subcommand (ledger verify, outbox retry) and the
// flags it takes besides --config.
type subcommand struct {
	name  string
	flags []string
}

// lastFlags is the flag set a command made last: specs runs
// each command with --help to learn its flags.
var lastFlags *flags

// newFlags makes a command's flag set with --config; --help prints the usage
// to help.
func newFlags(name, usageLine string, help io.Writer) *flags {
	fs := flag.NewFlagSet("accord "+name, flag.ContinueOnError)
	fs.SetOutput(io.Discard) // mistakes become one line, printed by run
	fs.Usage = func() {}
	cfg := fs.String("config", "", "the config `file` (default: accord.yml if it exists, else the built-in defaults)")
	lastFlags = &flags{FlagSet: fs, config: cfg, name: name, usageLine: usageLine, help: help}
	return lastFlags
}

// sub declares a sub-subcommand and the flags it takes besides --config:
// its --help lists only those.
func (fs *flags) sub(name string, flagNames ...string) {
	fs.subs = append(fs.subs, subcommand{name, flagNames})
}

// parse parses args, turning flag mistakes into usage errors. Flags may come
// before or after positional arguments.
func (fs *flags) parse(args []string) ([]string, error) {
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			if errors.Is(err, flag.ErrHelp) {
				fs.printHelp(pos)
				return nil, err
			}
			return nil, usageError{err.Error()}
		}
		args = fs.Args()
		if len(args) == 0 {
			return pos, nil
		}
		pos = append(pos, args[0])
		args = args[1:]
	}
}

// printHelp writes the usage and the flags, in --flag form: those of the
// sub-subcommand in pos if it names one, else each sub-subcommand's.
func (fs *flags) printHelp(pos []string) {
	w := fs.help
	fmt.Fprintf(w, "Usage: accord %s\n", fs.usageLine)
	if len(fs.subs) == 0 {
		fmt.Fprintf(w, "\nFlags:\n")
		fs.VisitAll(func(f *flag.Flag) { printFlag(w, f) })
		return
	}
	for _, s := range fs.subs {
		if len(pos) > 0 && pos[0] == s.name {
			fmt.Fprintf(w, "\nFlags of '%s %s':\n", fs.name, s.name)
			fs.printFlags(append([]string{"config"}, s.flags...))
			return
		}
	}
	for _, s := range fs.subs {
		if len(s.flags) > 0 {
			fmt.Fprintf(w, "\nFlags of '%s %s':\n", fs.name, s.name)
			fs.printFlags(s.flags)
		}
	}
	fmt.Fprintf(w, "\nFlags of every '%s' subcommand:\n", fs.name)
	fs.printFlags([]string{"config"})
}

// printFlags prints the named flags, in order of name.
func (fs *flags) printFlags(names []string) {
	names = slices.Clone(names)
	slices.Sort(names)
	for _, n := range names {
		if f := fs.Lookup(n); f != nil {
			printFlag(fs.help, f)
		}
	}
}

// printFlag prints one flag as "  --name VALUE" and its usage indented
// below, with its default if it has one.
func printFlag(w io.Writer, f *flag.Flag) {
	name, usage := flag.UnquoteUsage(f)
	line := "  --" + f.Name
	if name != "" {
		line += " " + strings.ToUpper(name)
	}
	if f.DefValue != "" && f.DefValue != "false" && f.DefValue != "0" {
		usage += fmt.Sprintf(" (default %s)", f.DefValue)
	}
	fmt.Fprintf(w, "%s\n    \t%s\n", line, usage)
}
