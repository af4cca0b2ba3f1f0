package github_test

import (
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	jwt "github.com/golang-jwt/jwt/v4"

	"github.com/accord-coop/accord/forges"
	ghclient "github.com/accord-coop/accord/forges/github"
	"github.com/accord-coop/accord/forges/github/fixtures"
)

// testAppID is the App of GitHub's documentation examples (app.json).
const testAppID = 1

var (
	keyOnce sync.Once
	key     *rsa.PrivateKey
	keyPEM  []byte
)

// testKey is an App key, PKCS #1 PEM as GitHub hands them out; one per
// test run, as making it takes a while.
func testKey(t *testing.T) (*rsa.PrivateKey, []byte) {
	t.Helper()
	keyOnce.Do(func() {
		k, err := rsa.GenerateKey(rand.Reader, 2048)
		if err != nil {
			panic(err)
		}
		key = k
		keyPEM = pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(k)})
	})
	return key, keyPEM
}

// appAuth is GitHub's side of App authentication: it checks JWTs against
// the App's public key and issues installation tokens.
type appAuth struct {
	t   *testing.T
	pub *rsa.PublicKey

	mu        sync.Mutex
	lifetimes []time.Duration // of the tokens to issue, in turn; the last one repeats
	issued    []string        // tokens issued, in order
	jwts      []string
}

// checkJWT verifies a "Bearer <JWT>" header: RS256, signed by the App's
// key, issued by the App.
func (a *appAuth) checkJWT(header string) error {
	raw, ok := strings.CutPrefix(header, "Bearer ")
	if !ok {
		return errors.New("Authorization is not a bearer JWT")
	}
	claims := &jwt.RegisteredClaims{}
	_, err := jwt.ParseWithClaims(raw, claims, func(tok *jwt.Token) (any, error) {
		if tok.Method != jwt.SigningMethodRS256 {
			return nil, fmt.Errorf("JWT signed with %v", tok.Header["alg"])
		}
		return a.pub, nil
	})
	if err != nil {
		return fmt.Errorf("JWT: %v", err)
	}
	if claims.Issuer != strconv.Itoa(testAppID) {
		return fmt.Errorf("JWT iss %q, want %d", claims.Issuer, testAppID)
	}
	a.mu.Lock()
	a.jwts = append(a.jwts, raw)
	a.mu.Unlock()
	return nil
}

// checkToken accepts "token <an installation token it issued>".
func (a *appAuth) checkToken(header string) error {
	a.mu.Lock()
	defer a.mu.Unlock()
	for _, tok := range a.issued {
		if header == "token "+tok {
			return nil
		}
	}
	return errors.New("Authorization is not an issued installation token")
}

// anyAuth accepts the App's JWT or an installation token.
func (a *appAuth) anyAuth(header string) error {
	if strings.HasPrefix(header, "Bearer ") {
		return a.checkJWT(header)
	}
	return a.checkToken(header)
}

// issue answers POST /app/installations/{id}/access_tokens with the next
// token, ghs_test1, ghs_test2 …, expiring after its lifetime.
func (a *appAuth) issue(fixtures.Request) (int, []byte) {
	a.mu.Lock()
	n := len(a.issued)
	life := a.lifetimes[min(n, len(a.lifetimes)-1)]
	tok := "ghs_test" + strconv.Itoa(n+1)
	a.issued = append(a.issued, tok)
	a.mu.Unlock()
	var body map[string]any
	if err := json.Unmarshal(fixtures.Load(a.t, "access-token"), &body); err != nil {
		a.t.Error(err)
	}
	body["token"] = tok
	// ghinstallation compares with the real clock, so this one is real too.
	body["expires_at"] = time.Now().Add(life).UTC().Format(time.RFC3339)
	b, _ := json.Marshal(body)
	return http.StatusCreated, b
}

// token is the last installation token issued.
func (a *appAuth) token() string {
	a.mu.Lock()
	defer a.mu.Unlock()
	if len(a.issued) == 0 {
		return ""
	}
	return a.issued[len(a.issued)-1]
}

func (a *appAuth) counts() (tokens, jwts int) {
	a.mu.Lock()
	defer a.mu.Unlock()
	return len(a.issued), len(a.jwts)
}

// appClient is a client of App testAppID against a server under prefix
// ("" or e.g. "/api/v3" for GitHub Enterprise) that issues tokens for
// installations 42 and 43 and expects an installation token on every
// route that does not say otherwise.
func appClient(t *testing.T) (*ghclient.Client, *fixtures.Server, *appAuth) {
	return appClientAt(t, "")
}

func appClientAt(t *testing.T, prefix string) (*ghclient.Client, *fixtures.Server, *appAuth) {
	t.Helper()
	k, pemKey := testKey(t)
	a := &appAuth{t: t, pub: &k.PublicKey, lifetimes: []time.Duration{time.Hour}}
	srv := fixtures.New(t)
	srv.AuthFunc = a.checkToken
	for _, id := range []string{"42", "43"} {
		srv.Handle("POST", prefix+"/app/installations/"+id+"/access_tokens", fixtures.Route{Handle: a.issue, AuthFunc: a.checkJWT})
	}
	c, err := ghclient.NewClient(ghclient.ClientConfig{
		Forge:      "gh-app",
		BaseURL:    strings.TrimSuffix(srv.URL, "/") + prefix + "/",
		AppID:      testAppID,
		PrivateKey: pemKey,
		Now:        func() time.Time { return now },
	})
	if err != nil {
		t.Fatal(err)
	}
	return c, srv, a
}

// auths lists the Authorization headers of the requests to path.
func auths(srv *fixtures.Server, path string) []string {
	var out []string
	for _, r := range srv.Requests() {
		if r.Path == path {
			out = append(out, r.Auth())
		}
	}
	return out
}

func TestInstallationTokenReused(t *testing.T) {
	// An Enterprise base URL, so the token exchange must go under it too.
	c, srv, a := appClientAt(t, "/api/v3")
	repoPath := "/api/v3" + helloPath
	srv.Handle("GET", repoPath, fixtures.Route{Body: fixtures.Load(t, "get-repository")})
	repo := hello
	repo.InstallationID = 42
	for range 4 {
		branch, err := c.DefaultBranch(ctx, repo)
		must(t, err)
		eq(t, "branch", branch, "master")
	}
	eq(t, "token exchanges", srv.Count("POST", "/api/v3/app/installations/42/access_tokens"), 1)
	eq(t, "first request", paths(srv)[0], "POST /api/v3/app/installations/42/access_tokens")
	eq(t, "auth", auths(srv, repoPath), []string{"token ghs_test1", "token ghs_test1", "token ghs_test1", "token ghs_test1"})
	tokens, jwts := a.counts()
	eq(t, "tokens issued", tokens, 1)
	eq(t, "JWTs verified", jwts, 1)
}

func TestInstallationTokenRefreshedBeforeExpiry(t *testing.T) {
	c, srv, a := appClient(t)
	// The first token expires in 30 s: within the minute before expiry in
	// which ghinstallation gets a new one.
	a.lifetimes = []time.Duration{30 * time.Second, time.Hour}
	srv.Handle("GET", helloPath, fixtures.Route{Body: fixtures.Load(t, "get-repository")})
	repo := hello
	repo.InstallationID = 42
	for range 3 {
		_, err := c.DefaultBranch(ctx, repo)
		must(t, err)
	}
	eq(t, "token exchanges", srv.Count("POST", "/app/installations/42/access_tokens"), 2)
	eq(t, "auth", auths(srv, helloPath), []string{"token ghs_test1", "token ghs_test2", "token ghs_test2"})
}

func TestInstallationsHaveTheirOwnTokens(t *testing.T) {
	c, srv, _ := appClient(t)
	srv.Handle("GET", helloPath, fixtures.Route{Body: fixtures.Load(t, "get-repository")})
	srv.Handle("GET", octocatPath, fixtures.Route{Body: fixtures.Load(t, "get-repository")})
	a, b := hello, octocat
	a.InstallationID, b.InstallationID = 42, 43
	for _, r := range []forges.RepoRef{a, b, a, b} {
		_, err := c.DefaultBranch(ctx, r)
		must(t, err)
	}
	eq(t, "hello", auths(srv, helloPath), []string{"token ghs_test1", "token ghs_test1"})
	eq(t, "octocat", auths(srv, octocatPath), []string{"token ghs_test2", "token ghs_test2"})
}

func TestInstallationFoundForRepo(t *testing.T) {
	c, srv, a := appClient(t)
	find := helloPath + "/installation"
	srv.Handle("GET", find, fixtures.Route{Body: withField(t, "installation", "id", 42), AuthFunc: a.checkJWT})
	srv.Handle("GET", helloPath, fixtures.Route{Body: fixtures.Load(t, "get-repository")})
	for range 2 {
		_, err := c.DefaultBranch(ctx, hello) // no InstallationID
		must(t, err)
	}
	eq(t, "requests", paths(srv), []string{
		"GET " + find,
		"POST /app/installations/42/access_tokens",
		"GET " + helloPath,
		"GET " + helloPath,
	})
}

func TestInstallationNotFoundForRepo(t *testing.T) {
	c, srv, a := appClient(t)
	srv.Handle("GET", helloPath+"/installation", fixtures.Route{Status: 404, Body: fixtures.Load(t, "not-found"), AuthFunc: a.checkJWT})
	_, err := c.DefaultBranch(ctx, hello)
	if !errors.Is(err, forges.ErrNotFound) {
		t.Errorf("error %v, want not found", err)
	}
	eq(t, "op", apiError(t, err).Op, "DefaultBranch")
}

func TestConnectApp(t *testing.T) {
	c, srv, a := appClient(t)
	srv.Handle("GET", "/app", fixtures.Route{Body: fixtures.Load(t, "app"), AuthFunc: a.checkJWT})
	find := octocatPath + "/installation"
	srv.Handle("GET", find, fixtures.Route{Body: withField(t, "installation", "id", 42), AuthFunc: a.checkJWT})
	got, err := c.Connect(ctx, octocat, "https://accord.example.com/hook", "s3cret")
	must(t, err)
	eq(t, "installed", *got, forges.ConnectResult{
		Action:     forges.ConnectInstall,
		InstallURL: "https://github.com/apps/octoapp/installations/new",
		Installed:  true,
	})

	srv.Handle("GET", find, fixtures.Route{Status: 404, Body: fixtures.Load(t, "not-found"), AuthFunc: a.checkJWT})
	got, err = c.Connect(ctx, octocat, "https://accord.example.com/hook", "s3cret")
	must(t, err)
	eq(t, "not installed", *got, forges.ConnectResult{
		Action:     forges.ConnectInstall,
		InstallURL: "https://github.com/apps/octoapp/installations/new",
	})
	for _, r := range srv.Requests() {
		if strings.Contains(r.Path, "hooks") {
			t.Errorf("an App made a hook request: %s %s", r.Method, r.Path)
		}
	}
}

func TestConnectAppEnterpriseWithoutHTMLURL(t *testing.T) {
	c, srv, a := appClientAt(t, "/api/v3")
	srv.Handle("GET", "/api/v3/app", fixtures.Route{Body: withField(t, "app", "html_url", nil), AuthFunc: a.checkJWT})
	srv.Handle("GET", "/api/v3"+octocatPath+"/installation", fixtures.Route{Body: fixtures.Load(t, "installation"), AuthFunc: a.checkJWT})
	got, err := c.Connect(ctx, octocat, "https://accord.example.com/hook", "s3cret")
	must(t, err)
	eq(t, "install URL", got.InstallURL, strings.TrimSuffix(srv.URL, "/")+"/github-apps/octoapp/installations/new")
	eq(t, "installed", got.Installed, true)
}

func TestCheckApp(t *testing.T) {
	c, srv, a := appClient(t)
	srv.Handle("GET", "/app", fixtures.Route{Body: fixtures.Load(t, "app"), AuthFunc: a.checkJWT})
	got, err := c.Check(ctx)
	must(t, err)
	eq(t, "identity", *got, forges.Identity{Login: "octoapp", Author: "octoapp[bot]", Detail: "GitHub App 1, 5 installations"})

	// Without installations_count, the installations are counted.
	srv.Handle("GET", "/app", fixtures.Route{Body: withField(t, "app", "installations_count", nil), AuthFunc: a.checkJWT})
	srv.Handle("GET", "/app/installations", fixtures.Route{
		Pages:    [][]byte{fixtures.Load(t, "installations")},
		Query:    map[string][]string{"per_page": {"100"}},
		AuthFunc: a.checkJWT,
	})
	got, err = c.Check(ctx)
	must(t, err)
	eq(t, "identity", *got, forges.Identity{Login: "octoapp", Author: "octoapp[bot]", Detail: "GitHub App 1, 2 installations"})
}
