package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"slices"
	"strings"
)

// valueFlags are every flag that takes a value, as --name: the word after
// one is its value, not a command.
func valueFlags(specs []spec) []string {
	var out []string
	for _, s := range specs {
		s.fs.VisitAll(func(f *flag.Flag) {
			if b, ok := f.Value.(interface{ IsBoolFlag() bool }); ok && b.IsBoolFlag() {
				return
			}
			if !slices.Contains(out, "--"+f.Name) {
				out = append(out, "--"+f.Name)
			}
		})
	}
	slices.Sort(out)
	return out
}

// quote quotes s for bash, zsh and fish alike.
func quote(s string) string {
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

var shells = map[string]func(io.Writer, []spec){"bash": bashCompletion, "zsh": zshCompletion, "fish": fishCompletion}

func runCompletion(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("completion", "completion bash|zsh|fish\n\n"+
		"  bash: source <(accord completion bash), or write it to /etc/bash_completion.d/accord\n"+
		"  zsh:  accord completion zsh > \"${fpath[1]}/_accord\"\n"+
		"  fish: accord completion fish > ~/.config/fish/completions/accord.fish", stdout)
	for _, sh := range []string{"bash", "zsh", "fish"} {
		fs.sub(sh)
	}
	pos, err := fs.parse(args)
	if err != nil {
		return err
	}
	if len(pos) != 1 || shells[pos[0]] == nil {
		return usageError{"give a shell: bash, zsh or fish"}
	}
	shells[pos[0]](stdout, specs(ctx))
	return nil
}

// scan is the shell loop, the same in bash and zsh, that finds the command
// and subcommand in the words before the cursor, skipping flags' values.
func scan(w io.Writer, words, first, last string, specs []spec) {
	fmt.Fprintf(w, `	local cmd="" sub="" i
	for ((i=%s; i<%s; i++)); do
		case ${%s[i]} in
		%s) ((i++)) ;;
		-*) ;;
		*) if [[ -z $cmd ]]; then cmd=${%s[i]}; elif [[ -z $sub ]]; then sub=${%s[i]}; fi ;;
		esac
	done
`, first, last, words, strings.Join(valueFlags(specs), "|"), words, words)
}

func bashCompletion(w io.Writer, specs []spec) {
	fmt.Fprintln(w, "# bash completion for accord, made by 'accord completion bash'")
	fmt.Fprintln(w, "_accord() {")
	fmt.Fprintln(w, `	local cur=${COMP_WORDS[COMP_CWORD]} prev=${COMP_WORDS[COMP_CWORD-1]} words=""`)
	fmt.Fprintf(w, "\tcase $prev in\n\t%s) return ;; # a value: files, by -o default\n\tesac\n", strings.Join(valueFlags(specs), "|"))
	scan(w, "COMP_WORDS", "1", "COMP_CWORD", specs)
	fmt.Fprintln(w, `	case "$cmd/$sub" in`)
	var names []string
	for _, s := range specs {
		names = append(names, s.name)
	}
	fmt.Fprintf(w, "\t/) words=%s ;;\n", quote(strings.Join(append(names, "--config", "--version", "--help"), " ")))
	for _, s := range specs {
		for _, sub := range s.subNames() {
			fmt.Fprintf(w, "\t%s/%s) words=%s ;;\n", s.name, sub, quote(strings.Join(s.flagNames(sub), " ")))
		}
		fmt.Fprintf(w, "\t%s/*) words=%s ;;\n", s.name, quote(strings.Join(append(s.subNames(), s.flagNames("")...), " ")))
	}
	fmt.Fprintln(w, "\tesac")
	fmt.Fprintln(w, `	COMPREPLY=($(compgen -W "$words" -- "$cur"))`)
	fmt.Fprintln(w, "}")
	fmt.Fprintln(w, "complete -o default -F _accord accord")
}

func zshCompletion(w io.Writer, specs []spec) {
	fmt.Fprintln(w, "#compdef accord")
	fmt.Fprintln(w, "# zsh completion for accord, made by 'accord completion zsh'")
	fmt.Fprintln(w, "_accord() {")
	fmt.Fprintf(w, "\tcase ${words[CURRENT-1]} in\n\t%s) _files; return ;;\n\tesac\n", strings.Join(valueFlags(specs), "|"))
	scan(w, "words", "2", "CURRENT", specs)
	fmt.Fprintln(w, "\tlocal -a described")
	fmt.Fprintln(w, `	case "$cmd/$sub" in`)
	var described []string
	for _, s := range specs {
		described = append(described, quote(s.name+":"+s.summary))
	}
	fmt.Fprintf(w, "\t/) described=(%s); _describe command described; compadd -- --config --version --help ;;\n", strings.Join(described, " "))
	for _, s := range specs {
		for _, sub := range s.subNames() {
			fmt.Fprintf(w, "\t%s/%s) compadd -- %s ;;\n", s.name, sub, strings.Join(s.flagNames(sub), " "))
		}
		subs := ""
		if len(s.subNames()) > 0 {
			subs = "compadd -- " + strings.Join(s.subNames(), " ") + "; "
		}
		fmt.Fprintf(w, "\t%s/*) %scompadd -- %s; _files ;;\n", s.name, subs, strings.Join(s.flagNames(""), " "))
	}
	fmt.Fprintln(w, "\tesac")
	fmt.Fprintln(w, "}")
	fmt.Fprintln(w, `if [[ $zsh_eval_context[-1] == loadautofunc ]]; then _accord "$@"; else compdef _accord accord; fi`)
}

func fishCompletion(w io.Writer, specs []spec) {
	fmt.Fprintln(w, "# fish completion for accord, made by 'accord completion fish'")
	fmt.Fprintln(w, "complete -c accord -e")
	var names []string
	for _, s := range specs {
		names = append(names, s.name)
	}
	fmt.Fprintln(w, "complete -c accord -n __fish_use_subcommand -l config -r -d 'the config file'")
	fmt.Fprintln(w, "complete -c accord -n __fish_use_subcommand -l version -d 'print the version'")
	for _, s := range specs {
		fmt.Fprintf(w, "complete -c accord -f -n __fish_use_subcommand -a %s -d %s\n", s.name, quote(s.summary))
		in := "__fish_seen_subcommand_from " + s.name
		subs := s.subNames()
		if len(subs) > 0 {
			fmt.Fprintf(w, "complete -c accord -f -n %s -a %s\n",
				quote(in+"; and not __fish_seen_subcommand_from "+strings.Join(subs, " ")), quote(strings.Join(subs, " ")))
		}
		flagsOf := func(cond string, names []string) {
			for _, n := range names {
				f := s.fs.Lookup(strings.TrimPrefix(n, "--"))
				if f == nil {
					continue
				}
				_, usage := flag.UnquoteUsage(f)
				fmt.Fprintf(w, "complete -c accord -n %s -l %s -r -d %s\n", quote(cond), f.Name, quote(usage))
			}
		}
		if len(subs) == 0 {
			flagsOf(in, s.flagNames(""))
			continue
		}
		for _, sub := range subs {
			flagsOf(in+"; and __fish_seen_subcommand_from "+sub, s.flagNames(sub))
		}
	}
}
