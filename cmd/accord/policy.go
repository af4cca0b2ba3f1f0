package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/accord-coop/accord/config"
	"github.com/accord-coop/accord/policies"
)

// errFailed is a command's "no" (exit 1) that has said why already.
var errFailed = errors.New("")

func runPolicy(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("policy", "policy check [DIR] | policy schema coops|scoring|governance | policy diff OLD_DIR NEW_DIR", stdout)
	forgeList := fs.String("forges", "", "comma-separated forge `names` identities and repos may name (default: those of --config or accord.yml; with neither, any)")
	fs.String("period", "", "with diff: the `period` to preview (credits come with scoring)")
	pos, err := fs.parse(args)
	if err != nil {
		return err
	}
	if len(pos) == 0 {
		return usageError{"give a subcommand: check, schema or diff"}
	}
	switch pos[0] {
	case "schema":
		return policySchema(pos[1:], stdout)
	case "check", "diff":
	default:
		return usageError{fmt.Sprintf("unknown subcommand %q: use check, schema or diff", pos[0])}
	}
	forgeNames, err := policyForges(*fs.config, *forgeList)
	if err != nil {
		return err
	}
	if pos[0] == "check" {
		if len(pos) > 2 {
			return usageError{"check takes one directory"}
		}
		dir := "."
		if len(pos) == 2 {
			dir = pos[1]
		}
		return policyCheck(dir, forgeNames, stdout, stderr)
	}
	if len(pos) != 3 {
		return usageError{"diff takes two directories: OLD_DIR NEW_DIR"}
	}
	return policyDiff(pos[1], pos[2], forgeNames, stdout, stderr)
}

// policyForges are the forge names the files may use: --forges, else the
// config's when there is one, else nil (any well-formed name), so a
// governance repo's CI can check without the server's config.
func policyForges(cfgPath, list string) ([]string, error) {
	if list != "" {
		var out []string
		for _, f := range strings.Split(list, ",") {
			if f = strings.TrimSpace(f); f != "" {
				out = append(out, f)
			}
		}
		return out, nil
	}
	cfg, err := config.Load(cfgPath, os.Getenv)
	if err != nil {
		return nil, err
	}
	if cfg.Source == "defaults" {
		return nil, nil
	}
	var out []string
	for _, f := range cfg.Forges {
		out = append(out, f.Name)
	}
	return out, nil
}

// policyCheck prints file:line:col: message for each error; exit 1 on any.
func policyCheck(dir string, forgeNames []string, stdout, stderr io.Writer) error {
	set, errs := policies.LoadDir(dir, forgeNames)
	if len(errs) > 0 {
		for _, e := range errs {
			fmt.Fprintln(stdout, e.Error())
		}
		fmt.Fprintf(stderr, "accord policy check: %d errors in %s\n", len(errs), dir)
		return errFailed
	}
	fmt.Fprintf(stdout, "%s: valid (%d co-ops, %d members, %d vote profiles; version %s)\n", dir,
		len(set.Coops.Coops), len(set.Coops.Members), len(set.Governance.Profiles), set.Version)
	return nil
}

func policySchema(args []string, stdout io.Writer) error {
	if len(args) != 1 {
		return usageError{"schema takes one name: " + strings.Join(policies.SchemaNames(), ", ")}
	}
	s, err := policies.Schema(args[0])
	if err != nil {
		return usageError{fmt.Sprintf("schema %q: use %s", args[0], strings.Join(policies.SchemaNames(), ", "))}
	}
	_, err = stdout.Write(s)
	return err
}

// policyDiff checks both directories and says what changes. The effect on
// each co-op's credits comes with scoring; until then it says whether the new
// version is valid and which files differ.
func policyDiff(oldDir, newDir string, forgeNames []string, stdout, stderr io.Writer) error {
	oldSet, oldErrs := policies.LoadDir(oldDir, forgeNames)
	newSet, newErrs := policies.LoadDir(newDir, forgeNames)
	if len(oldErrs) > 0 {
		fmt.Fprintf(stdout, "%s: %d errors (the old version is not valid either)\n", oldDir, len(oldErrs))
	}
	if len(newErrs) > 0 {
		for _, e := range newErrs {
			fmt.Fprintln(stdout, e.Error())
		}
		fmt.Fprintf(stderr, "accord policy diff: %d errors in %s\n", len(newErrs), newDir)
		return errFailed
	}
	if oldSet != nil && oldSet.Version == newSet.Version {
		fmt.Fprintf(stdout, "%s and %s are the same version (%s)\n", oldDir, newDir, newSet.Version)
		return nil
	}
	fmt.Fprintf(stdout, "%s: valid (version %s). Its effect on credits is previewed once scoring is in place.\n", newDir, newSet.Version)
	return nil
}
