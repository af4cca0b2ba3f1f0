package main

import (
	"errors"
	"fmt"
	"net/url"
	"strings"

	"github.com/accord-coop/accord/config"
	"github.com/accord-coop/accord/forges"
	"github.com/accord-coop/accord/forges/gitea"
	"github.com/accord-coop/accord/forges/github"
)

// clientFor makes the API client of one configured forge, or says why it
// cannot (no credentials, no base URL). The error never holds a secret.
func clientFor(f *config.Forge, obs forges.Observer) (forges.Client, error) {
	if !f.CanAct() {
		return nil, fmt.Errorf("%s has no API credentials (set %s%s)", f.Name, orWord(f.TokenEnv, "token_env"),
			map[bool]string{true: ", or app_id and private_key_file", false: ""}[f.Type == config.TypeGitHub])
	}
	switch f.Type {
	case config.TypeGitHub:
		api, err := githubAPI(f.BaseURL)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", f.Name, err)
		}
		c, err := github.NewClient(github.ClientConfig{Forge: f.Name, BaseURL: api, AppID: f.AppID,
			PrivateKey: f.PrivateKey, Token: f.Token, Observer: obs})
		if err != nil { // not a typed nil in the interface
			return nil, err
		}
		return c, nil
	case config.TypeGitea, config.TypeForgejo:
		if f.BaseURL == "" {
			return nil, fmt.Errorf("%s has no base_url (e.g. https://codeberg.org)", f.Name)
		}
		flavor := gitea.Gitea
		if f.Type == config.TypeForgejo {
			flavor = gitea.Forgejo
		}
		c, err := gitea.NewClient(gitea.ClientConfig{Forge: f.Name, Flavor: flavor, BaseURL: f.BaseURL, Token: f.Token, Observer: obs})
		if err != nil {
			return nil, err
		}
		return c, nil
	}
	return nil, fmt.Errorf("%s: unknown type %q", f.Name, f.Type)
}

// githubAPI is the REST API base of a GitHub's web URL: github.com (or no
// base_url) is api.github.com; GitHub Enterprise Server serves it at
// /api/v3/. A base_url that already names an API is taken as it is.
func githubAPI(base string) (string, error) {
	if base == "" {
		return "https://api.github.com/", nil
	}
	u, err := url.Parse(base)
	if err != nil || u.Host == "" {
		return "", errors.New("base_url: give the GitHub web URL, e.g. https://github.example.coop")
	}
	switch {
	case u.Host == "github.com":
		return "https://api.github.com/", nil
	case strings.HasPrefix(u.Host, "api.") || strings.Contains(u.Path, "/api/"):
		return strings.TrimSuffix(base, "/") + "/", nil
	}
	return strings.TrimSuffix(base, "/") + "/api/v3/", nil
}

// clientsFor makes the clients of every forge that can act, and lists in
// words those that cannot.
func clientsFor(cfg *config.Config, obs forges.Observer) (map[string]forges.Client, []string) {
	out := map[string]forges.Client{}
	var cannot []string
	for i := range cfg.Forges {
		c, err := clientFor(&cfg.Forges[i], obs)
		if err != nil {
			cannot = append(cannot, err.Error())
			continue
		}
		out[cfg.Forges[i].Name] = c
	}
	return out, cannot
}

func orWord(s, word string) string {
	if s == "" {
		return word
	}
	return s
}
