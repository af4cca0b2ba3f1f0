package config

import (
	"strings"
	"testing"
)

// FuzzParse: whatever accord.yml holds, Parse gives a config or an error,
// never a panic; what it accepts, Validate judges without a panic; and an
// error is one line that never quotes a secret's value from the
// environment (Parse reads none).
func FuzzParse(f *testing.F) {
	for _, seed := range []string{
		"listen: 127.0.0.1:8080\ndatabase: accord.db\npolicies: {dir: policies/examples}\n",
		"forges:\n  - {name: codeberg, type: forgejo, base_url: https://codeberg.org, token_env: T, webhook_secrets_env: S}\n",
		"votes: {close_grace: 90s}\nledger: {checkpoint_every: 1h}\nretention: {payloads: 90d}\ncatch_up: {every: 5m}\nintake: {max_inflight_bytes: 32MiB}\n",
		"listen_addr: x\n",
		"forges: [{name: gh, type: github, app_id: 1}]\n",
		"policies: {repo: github:cotech/governance, dir: x}\n",
		"retention: {payloads: 1.5d}\n",
		"{",
	} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, data string) {
		cfg, err := Parse([]byte(data))
		if err != nil {
			return
		}
		if verr := cfg.Validate(); verr != nil && strings.Contains(verr.Error(), "\n") {
			t.Errorf("a validation error of more than one line: %q", verr)
		}
	})
}
