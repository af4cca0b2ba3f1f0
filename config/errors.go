package config

import (
	"errors"
	"fmt"
	"regexp"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/accord-coop/accord/internal/typo"
)

// PositionError is a mistake in accord.yml at a line and column, said in
// one line, with a hint where one helps.
type PositionError struct {
	File      string // "" until Load names it
	Line, Col int
	Msg       string
	More      int // further mistakes found, not said
}

// Error is "file:line:col: message", as the policy files' errors read.
func (e *PositionError) Error() string {
	file := e.File
	if file == "" {
		file = DefaultFile
	}
	s := fmt.Sprintf("%s:%d:%d: %s", file, e.Line, e.Col, e.Msg)
	if e.More > 0 {
		s += fmt.Sprintf(" (and %d more)", e.More)
	}
	return s
}

var (
	unknownField = regexp.MustCompile(`^line (\d+): field (\S+) not found in type (\S+)$`)
	lineMsg      = regexp.MustCompile(`^(?:yaml: )?line (\d+): (.*)$`)
)

// knownKeys are the keys each part of accord.yml takes, for suggestions.
var knownKeys = map[string][]string{
	"config.Config":    {"listen", "public_url", "database", "policies", "forges", "votes", "ledger", "retention", "catch_up", "intake", "retry_horizon"},
	"config.Policies":  {"repo", "ref", "path", "dir"},
	"config.Forge":     {"name", "type", "base_url", "app_id", "private_key_file", "token_env", "webhook_secrets_env"},
	"config.Votes":     {"close_grace"},
	"config.Ledger":    {"key_file", "checkpoint_every"},
	"config.Retention": {"payloads"},
	"config.CatchUp":   {"every"},
	"config.Intake":    {"max_inflight_bytes"},
}

// positionError turns a YAML decoding error into a PositionError at its
// line, with the key's column and a hint: the key meant, or, for a key
// that looks like a secret, that secrets go in the environment.
func positionError(data []byte, err error) error {
	var te *yaml.TypeError
	var msgs []string
	if errors.As(err, &te) {
		msgs = te.Errors
	} else {
		msgs = []string{err.Error()}
	}
	lines := strings.Split(string(data), "\n")
	var first *PositionError
	for _, m := range msgs {
		pe := &PositionError{Line: 1, Col: 1, Msg: strings.TrimPrefix(m, "yaml: ")}
		if sm := unknownField.FindStringSubmatch(m); sm != nil {
			pe.Line, _ = strconv.Atoi(sm[1])
			key := sm[2]
			pe.Col = column(lines, pe.Line, key)
			pe.Msg = fmt.Sprintf("unknown key %s", key)
			switch low := strings.ToLower(key); {
			case strings.Contains(low, "secret") || strings.Contains(low, "token") || strings.Contains(low, "password") || strings.Contains(low, "key") && !strings.HasSuffix(low, "_file"):
				pe.Msg += "; secrets never go in accord.yml: name an environment variable (webhook_secrets_env, token_env) or a file (private_key_file, ledger.key_file)"
			default:
				if s := closestKey(key, knownKeys[sm[3]]); s != "" {
					pe.Msg += fmt.Sprintf("; did you mean %s?", s)
				} else if ks := knownKeys[sm[3]]; len(ks) > 0 {
					pe.Msg += "; use one of: " + strings.Join(ks, ", ")
				}
			}
		} else if sm := lineMsg.FindStringSubmatch(m); sm != nil {
			pe.Line, _ = strconv.Atoi(sm[1])
			pe.Msg = sm[2]
			pe.Col = firstColumn(lines, pe.Line)
		}
		if first == nil {
			first = pe
		} else {
			first.More++
		}
	}
	return first
}

// column is the 1-based column of key on line n, or of its first non-space.
func column(lines []string, n int, key string) int {
	if n < 1 || n > len(lines) {
		return 1
	}
	if i := strings.Index(lines[n-1], key); i >= 0 {
		return i + 1
	}
	return firstColumn(lines, n)
}

func firstColumn(lines []string, n int) int {
	if n < 1 || n > len(lines) {
		return 1
	}
	return len(lines[n-1]) - len(strings.TrimLeft(lines[n-1], " \t")) + 1
}

// closestKey is the known key nearest to s, if near enough to be a typo
// (or s with an extra part: listen_addr → listen).
func closestKey(s string, keys []string) string {
	best, bestD := "", 3
	for _, k := range keys {
		if strings.HasPrefix(s, k+"_") || strings.HasPrefix(k, s) {
			return k
		}
		if d := typo.Distance(s, k); d < bestD {
			best, bestD = k, d
		}
	}
	return best
}
