// Package config loads the server configuration, accord.yml, and the secrets
// it points at. Secrets are read only from the environment or from files; the
// YAML file itself never holds one.
package config

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"net/url"
	"os"
	"regexp"
	"strconv"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"
)

// Forge types Accord talks to.
const (
	TypeGitHub  = "github"
	TypeGitea   = "gitea"
	TypeForgejo = "forgejo"
)

// DefaultFile is the config file `accord` reads when --config is not given
// and the file exists.
const DefaultFile = "accord.yml"

// Config is accord.yml.
type Config struct {
	Listen    string    `yaml:"listen"`     // host:port; env ACCORD_LISTEN
	PublicURL string    `yaml:"public_url"` // where forges reach the hooks; env ACCORD_PUBLIC_URL
	Database  string    `yaml:"database"`   // a file path (embedded SQLite); env ACCORD_DATABASE
	Policies  Policies  `yaml:"policies"`
	Forges    []Forge   `yaml:"forges"`
	Votes     Votes     `yaml:"votes"`
	Ledger    Ledger    `yaml:"ledger"`
	Retention Retention `yaml:"retention"`
	CatchUp   CatchUp   `yaml:"catch_up"`
	// RetryHorizon is how long a delivery or an effect that keeps failing
	// is retried (a forge's outage delays work, never loses it); 72h.
	RetryHorizon time.Duration `yaml:"retry_horizon"`
	Intake       Intake        `yaml:"intake"`
	Web          Web           `yaml:"web"`

	// Source says where the config came from: a file path or "defaults".
	Source string `yaml:"-"`

	envErr error // a mistake in an environment variable, for Validate
}

// Policies says where the federation's policy files are.
type Policies struct {
	Repo string `yaml:"repo"` // forge-name:owner/repo
	Ref  string `yaml:"ref"`
	Path string `yaml:"path"`
	Dir  string `yaml:"dir"` // a local directory instead of a repo; env ACCORD_POLICIES_DIR
}

// Web says whether `accord serve` shows the federation's pages (/,
// /coops/…, /members/…, /proposals/…, /ledger) and their JSON API
// (/api/v1/…) to anyone who asks, without a login.
type Web struct {
	// Public: the pages and the API are served; false answers them 404.
	// Default true (nil).
	Public *bool `yaml:"public"`
}

// IsPublic reports whether the pages and their API are served.
func (w Web) IsPublic() bool { return w.Public == nil || *w.Public }

// WebURL is the forge's web address, for links to its repositories,
// issues and commits: base_url, or https://github.com for GitHub without
// one; a GitHub API address (api.HOST, or …/api/v3) is taken back to the
// web's. "" for a Gitea or Forgejo without base_url.
func (f Forge) WebURL() string {
	base := strings.TrimSuffix(f.BaseURL, "/")
	if f.Type != TypeGitHub {
		return base
	}
	if base == "" {
		return "https://github.com"
	}
	u, err := url.Parse(base)
	if err != nil || u.Host == "" {
		return ""
	}
	if rest, ok := strings.CutPrefix(u.Host, "api."); ok {
		u.Host = rest
	}
	if i := strings.Index(u.Path, "/api/"); i >= 0 {
		u.Path = u.Path[:i]
	}
	return strings.TrimSuffix(u.String(), "/")
}

// Votes tunes how votes close.
type Votes struct {
	// CloseGrace is how long after a deadline a vote waits for the forges'
	// deliveries of votes cast in time (delivery lag) before it reads the
	// issue's comments and closes; default 1m.
	CloseGrace time.Duration `yaml:"close_grace"`
}

// CatchUp is how often Accord looks for what the forges sent while it was
// down or unreachable (GitHub: deliveries it never stored, redelivered;
// Gitea and Forgejo: what changed in its repositories since the last look).
// It also looks once at start.
type CatchUp struct {
	Every time.Duration `yaml:"every"` // default 5m
}

// DefaultCatchUpEvery is catch_up.every when left out.
const DefaultCatchUpEvery = 5 * time.Minute

// Ledger is how the ledger's checkpoints are signed.
type Ledger struct {
	// KeyFile is the federation's log key (`accord ledger keygen --out
	// FILE`), a signed-note private key; without it no checkpoint is
	// signed. Env ACCORD_LEDGER_KEY_FILE.
	KeyFile string `yaml:"key_file"`
	// CheckpointEvery is how often a checkpoint is signed when the log
	// grew (besides every vote close and policy version); default 1h.
	CheckpointEvery time.Duration `yaml:"checkpoint_every"`

	// Key is the key file's content. Never logged.
	Key string `yaml:"-"`
}

// Retention is how long Accord keeps what it may forget.
type Retention struct {
	// Payloads is how long the raw body and headers of a finished
	// delivery are kept after it finished; then `accord serve` prunes
	// them. The delivery's row, its event, its facts and the whole ledger
	// are kept for ever. Default 90d.
	Payloads Duration `yaml:"payloads"`
}

// DefaultPayloadRetention is retention.payloads when left out.
const DefaultPayloadRetention = 90 * 24 * time.Hour

// Duration is a duration in accord.yml: Go's form (36h, 90m) or a whole
// number of days (90d).
type Duration time.Duration

// UnmarshalYAML reads a duration such as 90d or 36h.
func (d *Duration) UnmarshalYAML(n *yaml.Node) error {
	v, err := ParseDuration(n.Value)
	if err != nil {
		return fmt.Errorf("line %d: %w", n.Line, err)
	}
	*d = Duration(v)
	return nil
}

// String is the duration in days when it is whole days (90d), else in Go's form.
func (d Duration) String() string {
	if day := 24 * time.Hour; d > 0 && time.Duration(d)%day == 0 {
		return fmt.Sprintf("%dd", time.Duration(d)/day)
	}
	return time.Duration(d).String()
}

// ParseDuration reads a duration: Go's form (36h, 1h30m) or a whole
// number of days (90d).
func ParseDuration(s string) (time.Duration, error) {
	if days, ok := strings.CutSuffix(s, "d"); ok {
		n, err := strconv.ParseInt(days, 10, 64)
		if err != nil || n < 0 || n > 100*365 {
			return 0, fmt.Errorf("duration %q: give whole days (90d) or hours and minutes (36h, 90m)", s)
		}
		return time.Duration(n) * 24 * time.Hour, nil
	}
	v, err := time.ParseDuration(s)
	if err != nil {
		return 0, fmt.Errorf("duration %q: give whole days (90d) or hours and minutes (36h, 90m)", s)
	}
	return v, nil
}

// Intake tunes the webhook endpoint.
type Intake struct {
	// MaxInflightBytes is how much memory all request bodies being received
	// and checked may hold at once (before their signature is known, so
	// anyone can make the intake hold it). A request that cannot get its
	// share within 2 s is answered 503 with Retry-After. Default 32MiB; at
	// least 26MiB, so that a 25 MiB delivery fits.
	MaxInflightBytes ByteSize `yaml:"max_inflight_bytes"`
}

// DefaultMaxInflightBytes is intake.max_inflight_bytes when left out.
const DefaultMaxInflightBytes ByteSize = 32 << 20

// MinMaxInflightBytes is the least intake.max_inflight_bytes accepted: the
// largest body (25 MiB) and a byte more, rounded up.
const MinMaxInflightBytes ByteSize = 26 << 20

// ByteSize is a number of bytes, written in accord.yml as a plain number or
// with a unit: 32MiB, 512KiB, 1GiB (also KB, MB, GB as powers of 1000).
type ByteSize int64

var byteUnits = map[string]int64{"": 1, "B": 1, "KB": 1e3, "MB": 1e6, "GB": 1e9, "KIB": 1 << 10, "MIB": 1 << 20, "GIB": 1 << 30}

var byteSizeRE = regexp.MustCompile(`^\s*([0-9]+)\s*([A-Za-z]*)\s*$`)

// UnmarshalYAML reads a size such as 32MiB.
func (b *ByteSize) UnmarshalYAML(node *yaml.Node) error {
	m := byteSizeRE.FindStringSubmatch(node.Value)
	unit, ok := int64(0), false
	if m != nil {
		unit, ok = byteUnits[strings.ToUpper(m[2])]
	}
	if !ok {
		return fmt.Errorf("line %d: %q: give a size such as 32MiB (units B, KiB, MiB, GiB, KB, MB, GB)", node.Line, node.Value)
	}
	var n int64
	if _, err := fmt.Sscan(m[1], &n); err != nil || n > (1<<62)/unit {
		return fmt.Errorf("line %d: %q: too large", node.Line, node.Value)
	}
	*b = ByteSize(n * unit)
	return nil
}

// String writes the size in MiB when it is whole MiB, else in bytes.
func (b ByteSize) String() string {
	if b%(1<<20) == 0 {
		return fmt.Sprintf("%dMiB", b>>20)
	}
	return fmt.Sprintf("%dB", int64(b))
}

// DefaultCheckpointEvery is ledger.checkpoint_every when left out.
const DefaultCheckpointEvery = time.Hour

// DefaultCloseGrace is votes.close_grace when the config leaves it out.
const DefaultCloseGrace = time.Minute

// Forge is one forge Accord listens to and acts on.
type Forge struct {
	Name              string `yaml:"name"` // the identity prefix and the URL segment of /hooks/{name}
	Type              string `yaml:"type"` // github | gitea | forgejo
	BaseURL           string `yaml:"base_url"`
	AppID             int64  `yaml:"app_id"`
	PrivateKeyFile    string `yaml:"private_key_file"`
	TokenEnv          string `yaml:"token_env"`
	WebhookSecretsEnv string `yaml:"webhook_secrets_env"`

	// Secrets are the webhook secrets read from WebhookSecretsEnv
	// (comma-separated, for rotation). Never logged.
	Secrets [][]byte `yaml:"-"`
	// Token is the API token read from TokenEnv. Never logged.
	Token string `yaml:"-"`
	// PrivateKey is the GitHub App's PEM key read from PrivateKeyFile.
	// Never logged.
	PrivateKey []byte `yaml:"-"`
}

// CanAct reports whether the forge has credentials to call its API: a
// GitHub App (app_id and its key) or a token.
func (f *Forge) CanAct() bool {
	return (f.AppID != 0 && len(f.PrivateKey) > 0) || f.Token != ""
}

// Default is the configuration `accord serve` runs on with no config file:
// the embedded SQLite file accord.db, the example policies, and one forge of
// each type whose webhook secrets come from the environment.
func Default() *Config {
	return &Config{
		Listen:       "127.0.0.1:8080",
		Database:     "accord.db",
		Policies:     Policies{Dir: "policies/examples"},
		Votes:        Votes{CloseGrace: DefaultCloseGrace},
		Ledger:       Ledger{CheckpointEvery: DefaultCheckpointEvery},
		Retention:    Retention{Payloads: Duration(DefaultPayloadRetention)},
		RetryHorizon: 72 * time.Hour,
		CatchUp:      CatchUp{Every: DefaultCatchUpEvery},
		Intake:       Intake{MaxInflightBytes: DefaultMaxInflightBytes},
		Forges: []Forge{
			{Name: "github", Type: TypeGitHub, WebhookSecretsEnv: "ACCORD_GITHUB_WEBHOOK_SECRETS", TokenEnv: "ACCORD_GITHUB_TOKEN"},
			{Name: "gitea", Type: TypeGitea, WebhookSecretsEnv: "ACCORD_GITEA_WEBHOOK_SECRETS", TokenEnv: "ACCORD_GITEA_TOKEN"},
			{Name: "forgejo", Type: TypeForgejo, WebhookSecretsEnv: "ACCORD_FORGEJO_WEBHOOK_SECRETS", TokenEnv: "ACCORD_FORGEJO_TOKEN"},
		},
		Source: "defaults",
	}
}

// Load reads the config: from path when it is given (a missing file is an
// error), else from accord.yml when it exists, else Default. Environment
// overrides (ACCORD_LISTEN, ACCORD_PUBLIC_URL, ACCORD_DATABASE,
// ACCORD_POLICIES_DIR) apply on top, then secrets are read and everything is
// validated.
func Load(path string, getenv func(string) string) (*Config, error) {
	if getenv == nil {
		getenv = os.Getenv
	}
	cfg := Default()
	file := path
	if file == "" {
		file = getenv("ACCORD_CONFIG")
	}
	if file == "" {
		if _, err := os.Stat(DefaultFile); err == nil {
			file = DefaultFile
		}
	}
	if file != "" {
		data, err := os.ReadFile(file)
		if err != nil {
			return nil, fmt.Errorf("config: %w", err)
		}
		cfg, err = Parse(data)
		var pe *PositionError
		if errors.As(err, &pe) {
			pe.File = file
			return nil, pe
		}
		if err != nil {
			return nil, fmt.Errorf("%s: %w", file, err)
		}
		cfg.Source = file
	}
	cfg.applyEnv(getenv)
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("%s: %w", cfg.Source, err)
	}
	if err := cfg.readSecrets(getenv); err != nil {
		return nil, fmt.Errorf("%s: %w", cfg.Source, err)
	}
	return cfg, nil
}

// Parse decodes accord.yml strictly (unknown keys are errors) and fills the
// defaults for keys it leaves out. It reads no environment.
func Parse(data []byte) (*Config, error) {
	cfg := &Config{}
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	if err := dec.Decode(cfg); err != nil && !errors.Is(err, io.EOF) { // an empty file means the defaults
		return nil, positionError(data, err)
	}
	def := Default()
	if cfg.Listen == "" {
		cfg.Listen = def.Listen
	}
	if cfg.Database == "" {
		cfg.Database = def.Database
	}
	if cfg.Policies == (Policies{}) {
		cfg.Policies = def.Policies
	}
	if cfg.Policies.Repo != "" && cfg.Policies.Ref == "" {
		cfg.Policies.Ref = "main"
	}
	if cfg.Votes.CloseGrace == 0 {
		cfg.Votes.CloseGrace = def.Votes.CloseGrace
	}
	if cfg.RetryHorizon == 0 {
		cfg.RetryHorizon = def.RetryHorizon
	}
	if cfg.Ledger.CheckpointEvery == 0 {
		cfg.Ledger.CheckpointEvery = def.Ledger.CheckpointEvery
	}
	if cfg.Retention.Payloads == 0 {
		cfg.Retention.Payloads = def.Retention.Payloads
	}
	if cfg.CatchUp.Every == 0 {
		cfg.CatchUp.Every = def.CatchUp.Every
	}
	if cfg.Intake.MaxInflightBytes == 0 {
		cfg.Intake.MaxInflightBytes = def.Intake.MaxInflightBytes
	}
	return cfg, nil
}

func (c *Config) applyEnv(getenv func(string) string) {
	if v := getenv("ACCORD_LISTEN"); v != "" {
		c.Listen = v
	}
	if v := getenv("ACCORD_PUBLIC_URL"); v != "" {
		c.PublicURL = v
	}
	if v := getenv("ACCORD_DATABASE"); v != "" {
		c.Database = v
	}
	if v := getenv("ACCORD_POLICIES_DIR"); v != "" {
		c.Policies = Policies{Dir: v}
	}
	if v := getenv("ACCORD_LEDGER_KEY_FILE"); v != "" {
		c.Ledger.KeyFile = v
	}
	// Every forge's settings, by its name: ACCORD_CODEBERG_BASE_URL …
	for i := range c.Forges {
		f := &c.Forges[i]
		prefix := "ACCORD_" + strings.ToUpper(strings.ReplaceAll(f.Name, "-", "_")) + "_"
		if v := getenv(prefix + "BASE_URL"); v != "" {
			f.BaseURL = v
		}
		if v := getenv(prefix + "APP_ID"); v != "" {
			if id, err := strconv.ParseInt(v, 10, 64); err == nil {
				f.AppID = id
			} else {
				c.envErr = fmt.Errorf("%sAPP_ID %q: give the GitHub App's number", prefix, v)
			}
		}
		if v := getenv(prefix + "PRIVATE_KEY_FILE"); v != "" {
			f.PrivateKeyFile = v
		}
	}
}

var forgeName = regexp.MustCompile(`^[a-z0-9][a-z0-9-]*$`)

// Validate reports the first thing wrong with the config, in words that say
// what to write instead.
func (c *Config) Validate() error {
	if c.envErr != nil {
		return c.envErr
	}
	if c.Listen == "" {
		return errors.New("listen: give host:port, e.g. 127.0.0.1:8080")
	}
	if c.PublicURL != "" {
		if u, err := url.Parse(c.PublicURL); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return fmt.Errorf("public_url %q: give an http(s) URL, e.g. https://accord.example.coop", c.PublicURL)
		}
	}
	if strings.HasPrefix(c.Database, "postgres://") || strings.HasPrefix(c.Database, "postgresql://") {
		return errors.New("database: PostgreSQL is not supported yet; give a file path for the embedded SQLite database")
	}
	if c.RetryHorizon < time.Minute {
		return fmt.Errorf("retry_horizon %s: give a duration of at least 1m, e.g. 72h", c.RetryHorizon)
	}
	if c.Ledger.CheckpointEvery < time.Minute {
		return fmt.Errorf("ledger.checkpoint_every %s: give a duration of at least 1m, e.g. 1h", c.Ledger.CheckpointEvery)
	}
	if c.Retention.Payloads < Duration(24*time.Hour) {
		return fmt.Errorf("retention.payloads %s: give at least 1d, e.g. 90d (a delivery's payload is what 'accord deliveries retry' needs)", c.Retention.Payloads)
	}
	if c.CatchUp.Every < 30*time.Second || c.CatchUp.Every > 24*time.Hour {
		return fmt.Errorf("catch_up.every %s: give a duration from 30s to 24h, e.g. 5m", c.CatchUp.Every)
	}
	if c.Intake.MaxInflightBytes < MinMaxInflightBytes {
		return fmt.Errorf("intake.max_inflight_bytes %s: give at least %s, so that a 25 MiB delivery fits; e.g. %s",
			c.Intake.MaxInflightBytes, MinMaxInflightBytes, DefaultMaxInflightBytes)
	}
	if c.Votes.CloseGrace < 0 || c.Votes.CloseGrace > 24*time.Hour {
		return fmt.Errorf("votes.close_grace %s: give a duration from 0s to 24h, e.g. 1m", c.Votes.CloseGrace)
	}
	if c.Policies.Repo != "" && c.Policies.Dir != "" {
		return errors.New("policies: give either repo or dir, not both")
	}
	if c.Policies.Repo == "" && c.Policies.Dir == "" {
		return errors.New("policies: give dir (a local directory) or repo (forge:owner/repo)")
	}
	seen := map[string]bool{}
	for i, f := range c.Forges {
		where := fmt.Sprintf("forges[%d]", i)
		if !forgeName.MatchString(f.Name) {
			return fmt.Errorf("%s.name %q: use lowercase letters, digits and dashes, e.g. codeberg", where, f.Name)
		}
		if seen[f.Name] {
			return fmt.Errorf("%s.name %q: two forges have this name; names must be unique", where, f.Name)
		}
		seen[f.Name] = true
		switch f.Type {
		case TypeGitHub, TypeGitea, TypeForgejo:
		default:
			return fmt.Errorf("%s.type %q: use github, gitea or forgejo", where, f.Type)
		}
		if f.Type != TypeGitHub && f.BaseURL != "" {
			if u, err := url.Parse(f.BaseURL); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
				return fmt.Errorf("%s.base_url %q: give an http(s) URL, e.g. https://codeberg.org", where, f.BaseURL)
			}
		}
		if f.AppID != 0 && f.Type != TypeGitHub {
			return fmt.Errorf("%s.app_id: only forges of type github are GitHub Apps; use token_env", where)
		}
		if (f.AppID != 0) != (f.PrivateKeyFile != "") {
			return fmt.Errorf("%s: a GitHub App needs both app_id and private_key_file", where)
		}
	}
	if c.Policies.Repo != "" {
		forge, repo, _ := strings.Cut(c.Policies.Repo, ":")
		owner, name, ok := strings.Cut(repo, "/")
		if !ok || owner == "" || name == "" || strings.Contains(name, "/") {
			return fmt.Errorf("policies.repo %q: write forge:owner/repo, e.g. github:cotech/governance", c.Policies.Repo)
		}
		if !seen[forge] {
			return fmt.Errorf("policies.repo %q: no forge named %q is configured", c.Policies.Repo, forge)
		}
	}
	return nil
}

// readSecrets reads the webhook secrets and tokens from the environment and
// the App keys from their files. An error names the file, never its content.
func (c *Config) readSecrets(getenv func(string) string) error {
	if c.Ledger.KeyFile != "" {
		key, err := os.ReadFile(c.Ledger.KeyFile)
		if err != nil {
			return fmt.Errorf("ledger.key_file: %w", err)
		}
		c.Ledger.Key = strings.TrimSpace(string(key))
	}
	for i := range c.Forges {
		f := &c.Forges[i]
		f.Secrets = nil
		if f.WebhookSecretsEnv != "" {
			for _, s := range strings.Split(getenv(f.WebhookSecretsEnv), ",") {
				if s = strings.TrimSpace(s); s != "" {
					f.Secrets = append(f.Secrets, []byte(s))
				}
			}
		}
		if f.TokenEnv != "" {
			f.Token = strings.TrimSpace(getenv(f.TokenEnv))
		}
		if f.PrivateKeyFile != "" {
			key, err := os.ReadFile(f.PrivateKeyFile)
			if err != nil {
				return fmt.Errorf("forges[%d].private_key_file: %w", i, err)
			}
			f.PrivateKey = key
		}
	}
	return nil
}

// Forge returns the forge with this name, or nil.
func (c *Config) Forge(name string) *Forge {
	for i := range c.Forges {
		if c.Forges[i].Name == name {
			return &c.Forges[i]
		}
	}
	return nil
}

// Missing lists, in words, what the config lacks for the bot to work fully:
// forges without webhook secrets (their hooks answer 401 to everyone), no
// public_url (forges cannot be connected). An empty list means nothing.
func (c *Config) Missing() []string {
	var out []string
	for _, f := range c.Forges {
		if len(f.Secrets) == 0 {
			env := f.WebhookSecretsEnv
			if env == "" {
				env = "webhook_secrets_env"
			}
			out = append(out, fmt.Sprintf("%s: no webhook secret (set %s)", f.Name, env))
		}
		if !f.CanAct() {
			env := f.TokenEnv
			if env == "" {
				env = "token_env"
			}
			how := "set " + env
			if f.Type == TypeGitHub {
				how += ", or app_id and private_key_file"
			}
			out = append(out, fmt.Sprintf("%s: no API credentials, so no comments, labels or statuses (%s)", f.Name, how))
		}
	}
	if len(c.Forges) == 0 {
		out = append(out, "no forges configured")
	}
	if c.PublicURL == "" {
		out = append(out, "public_url (set ACCORD_PUBLIC_URL)")
	}
	if c.Ledger.Key == "" {
		out = append(out, "ledger.key_file: no checkpoint of the ledger is signed (make a key with accord ledger keygen --out FILE)")
	}
	return out
}
