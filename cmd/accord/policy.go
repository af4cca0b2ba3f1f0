package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/accord-coop/accord/bot"
	"github.com/accord-coop/accord/config"
	"github.com/accord-coop/accord/ledger"
	"github.com/accord-coop/accord/policies"
	"github.com/accord-coop/accord/scoring"
)

// errFailed is a command's "no" (exit 1) that has said why already.
var errFailed = errors.New("")

func runPolicy(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("policy", "policy check [DIR] | policy schema coops|scoring|governance | policy diff OLD_DIR NEW_DIR", stdout)
	forgeList := fs.String("forges", "", "comma-separated forge `names` identities and repos may name (default: those of --config or accord.yml; with neither, any)")
	period := fs.String("period", "", "with diff: the `period` to preview, e.g. 2026-10 (default: the last full period)")
	fs.sub("check", "forges")
	fs.sub("schema")
	fs.sub("diff", "forges", "period")
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
	return policyDiff(ctx, *fs.config, pos[1], pos[2], *period, forgeNames, stdout, stderr)
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
		if os.Getenv("GITHUB_ACTIONS") == "true" || os.Getenv("GITEA_ACTIONS") == "true" {
			// Workflow commands: each error shows on its line of the
			// pull request's files (Forgejo Actions reads them too).
			for _, e := range errs {
				fmt.Fprintf(stdout, "::error file=%s,line=%d,col=%d::%s\n", e.File, e.Line, e.Col, annotationEscape(e.Msg))
			}
		}
		fmt.Fprintf(stderr, "accord policy check: %d errors in %s\n", len(errs), dir)
		return errFailed
	}
	fmt.Fprintf(stdout, "%s: valid (%d co-ops, %d members, %d vote profiles; version %s)\n", dir,
		len(set.Coops.Coops), len(set.Coops.Members), len(set.Governance.Profiles), set.Version)
	return nil
}

// annotationEscape escapes a message for a workflow command, as the
// runner reads them (%, CR and LF).
func annotationEscape(s string) string {
	return strings.NewReplacer("%", "%25", "\r", "%0D", "\n", "%0A").Replace(s)
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

// policyDiff checks both directories and, when both are valid, prints what
// the new version does to each co-op's credits over the ledger of the
// configured database (PolicyPreview): over the last full period, or
// --period, and over all periods.
func policyDiff(ctx context.Context, cfgPath, oldDir, newDir, period string, forgeNames []string, stdout, stderr io.Writer) error {
	oldSet, oldErrs := policies.LoadDir(oldDir, forgeNames)
	newSet, newErrs := policies.LoadDir(newDir, forgeNames)
	if len(newErrs) > 0 {
		for _, e := range newErrs {
			fmt.Fprintln(stdout, e.Error())
		}
		fmt.Fprintf(stderr, "accord policy diff: %d errors in %s\n", len(newErrs), newDir)
		return errFailed
	}
	if len(oldErrs) > 0 {
		fmt.Fprintf(stdout, "%s: %d errors (the old version is not valid); %s: valid (version %s)\n", oldDir, len(oldErrs), newDir, newSet.Version)
		return nil
	}
	if oldSet.Version == newSet.Version {
		fmt.Fprintf(stdout, "%s and %s are the same version (%s)\n", oldDir, newDir, newSet.Version)
		return nil
	}
	now := time.Now()
	if period != "" {
		p, err := scoring.ParsePeriod(newSet.Scoring.Period, period)
		if err != nil {
			return usageError{err.Error()}
		}
		now = p.End
	}
	fmt.Fprintf(stdout, "%s: valid (version %s), against %s (version %s)\n\n", newDir, newSet.Version, oldDir, oldSet.Version)
	facts, err := ledgerFacts(ctx, cfgPath)
	if err != nil {
		return err
	}
	fmt.Fprint(stdout, bot.PolicyPreview(facts, oldSet, newSet, now))
	return nil
}

// ledgerFacts are the facts of the configured database; none when there is
// no database yet.
func ledgerFacts(ctx context.Context, cfgPath string) ([]ledger.Fact, error) {
	cfg, err := config.Load(cfgPath, os.Getenv)
	if err != nil {
		return nil, err
	}
	if _, err := os.Stat(cfg.Database); err != nil {
		return nil, nil
	}
	st, err := openStore(cfg)
	if err != nil {
		return nil, err
	}
	defer st.Close()
	return st.Facts(ctx)
}
