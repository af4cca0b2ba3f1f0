package main

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/accord-coop/accord/forges"
	"github.com/accord-coop/accord/store"
)

// TestServeEveryFixture sends every GitHub and Gitea fixture (and the Gitea
// ones again as Forgejo deliveries) to a running accord serve and checks that
// each is acknowledged and comes out of the worker as the event its parser's
// golden file pins, field by field.
func TestServeEveryFixture(t *testing.T) {
	s := startServer(t, t.TempDir())
	type sent struct {
		forge, id, golden string
	}
	var want []sent
	started := time.Now()

	files, _ := filepath.Glob("../../forges/github/testdata/payloads/*.json")
	if len(files) < 150 {
		t.Fatalf("only %d GitHub fixtures", len(files))
	}
	for i, f := range files {
		body, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		event := strings.SplitN(filepath.Base(f), ".", 2)[0]
		id := fmt.Sprintf("gh-%04d", i)
		code := s.post("github", githubHeaders(event, id, githubSecret, body), body)
		if event == "ping" {
			if code != http.StatusOK {
				t.Errorf("%s: ping got %d, want 200", f, code)
			}
			continue
		}
		if code != http.StatusAccepted {
			t.Errorf("%s: got %d, want 202", f, code)
			continue
		}
		want = append(want, sent{"github", id, "../../forges/github/testdata/golden/" + filepath.Base(f)})
	}
	for _, fx := range loadGiteaFixtures(t) {
		id := fx.headers.Get("X-Gitea-Delivery")
		if code := s.post("gitea", fx.headers, fx.body); code != http.StatusAccepted {
			t.Errorf("gitea %s: got %d, want 202", fx.name, code)
		}
		if code := s.post("forgejo", asForgejo(fx.headers), fx.body); code != http.StatusAccepted {
			t.Errorf("forgejo %s: got %d, want 202", fx.name, code)
		}
		g := "../../forges/gitea/testdata/golden/" + fx.name
		want = append(want, sent{"gitea", id, g}, sent{"forgejo", id, g})
	}

	st := s.openStore()
	waitProcessed(t, st)
	ctx := context.Background()
	events, err := st.Events(ctx)
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]forges.Event{}
	for _, e := range events {
		got[e.Event.Forge+"/"+e.Event.DeliveryID] = e.Event
	}
	if len(events) != len(want) {
		t.Errorf("%d events recorded for %d deliveries", len(events), len(want))
	}
	for _, w := range want {
		ev, ok := got[w.forge+"/"+w.id]
		if !ok {
			t.Errorf("%s %s (%s): no event recorded", w.forge, w.id, w.golden)
			continue
		}
		g := golden(t, w.golden)
		g.Forge, g.DeliveryID = w.forge, w.id
		sameEvent(t, w.forge+" "+filepath.Base(w.golden), ev, g, time.Now())
		if ev.Time.IsZero() || ev.Time.After(time.Now()) || (ev.Time.After(started) && !g.Time.Equal(goldenReceivedAt)) {
			t.Errorf("%s %s: odd time %v", w.forge, w.id, ev.Time)
		}
	}
	// Every delivery ends done (an event Accord acts on) or ignored (recorded, not acted on); none failed.
	counts, err := st.CountDeliveries(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if counts[store.StateDead] != 0 || counts[store.StateDone]+counts[store.StateIgnored] != int64(len(want)) {
		t.Errorf("delivery states %v, want %d done or ignored", counts, len(want))
	}
	ds, _ := st.ListDeliveries(ctx, "", 10000)
	for _, d := range ds {
		ev := got[d.Forge+"/"+d.ID]
		if (ev.Kind == forges.KindIgnored) != (d.State == store.StateIgnored) {
			t.Errorf("%s %s: state %s for kind %s", d.Forge, d.ID, d.State, ev.Kind)
		}
	}
}

// TestIntakeAnswers checks each answer of the HTTP table in PRODUCT.md, and
// that nothing rejected is stored.
func TestIntakeAnswers(t *testing.T) {
	s := startServer(t, t.TempDir())
	st := s.openStore()
	body, err := os.ReadFile("../../forges/github/testdata/payloads/issue_comment.created.1.json")
	if err != nil {
		t.Fatal(err)
	}
	gitea := loadGiteaFixtures(t)[1] // an issue_comment

	count := func() int64 {
		c, err := st.CountDeliveries(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		var n int64
		for _, v := range c {
			n += v
		}
		return n
	}
	if code := s.post("github", githubHeaders("issue_comment", "first", githubSecret, body), body); code != 202 {
		t.Fatalf("first delivery: %d", code)
	}
	if count() != 1 {
		t.Fatalf("%d rows after the first delivery", count())
	}

	withHeader := func(h http.Header, k, v string) http.Header {
		h = h.Clone()
		if v == "" {
			h.Del(k)
		} else {
			h.Set(k, v)
		}
		return h
	}
	gh := func(id string) http.Header { return githubHeaders("issue_comment", id, githubSecret, body) }
	other := []byte(strings.Replace(string(body), "\"body\"", "\"body\" ", 1))
	truncated := body[:len(body)/2]
	notUTF8 := []byte(strings.Replace(string(body), "\"body\": \"", "\"body\": \"\xff", 1))
	if string(notUTF8) == string(body) {
		t.Fatal("no comment body to spoil")
	}
	cases := []struct {
		name  string
		forge string
		h     http.Header
		body  []byte
		want  int
	}{
		{"same delivery ID again", "github", gh("first"), body, 200},
		{"wrong secret", "github", githubHeaders("issue_comment", "d1", "not-the-secret", body), body, 401},
		{"missing signature", "github", withHeader(gh("d2"), "X-Hub-Signature-256", ""), body, 401},
		{"signature over a different body", "github", githubHeaders("issue_comment", "d3", githubSecret, other), body, 401},
		{"sha1 signature only", "github", withHeader(withHeader(gh("d4"), "X-Hub-Signature-256", ""), "X-Hub-Signature", "sha1=0000000000000000000000000000000000000000"), body, 401},
		{"github hook, Gitea-style signature", "github", withHeader(withHeader(gh("d5"), "X-Hub-Signature-256", ""), "X-Gitea-Signature", giteaSignature(githubSecret, body)), body, 401},
		{"gitea hook, Forgejo signature", "gitea", withHeader(withHeader(withHeader(gitea.headers, "X-Gitea-Signature", ""), "X-Hub-Signature-256", ""), "X-Forgejo-Signature", giteaSignature(giteaSecret, gitea.body)), gitea.body, 401},
		{"forgejo hook, Gitea signature", "forgejo", withHeader(withHeader(asForgejo(gitea.headers), "X-Forgejo-Signature", ""), "X-Gitea-Signature", giteaSignature(giteaSecret, gitea.body)), gitea.body, 401},
		{"gitea hook, wrong secret", "gitea", withHeader(withHeader(gitea.headers, "X-Hub-Signature-256", ""), "X-Gitea-Signature", giteaSignature("wrong", gitea.body)), gitea.body, 401},
		{"truncated JSON", "github", githubHeaders("issue_comment", "d6", githubSecret, truncated), truncated, 400},
		{"empty body", "github", githubHeaders("issue_comment", "d7", githubSecret, nil), []byte{}, 400},
		{"JSON that is not an object", "github", githubHeaders("issue_comment", "d8", githubSecret, []byte(`[1,2]`)), []byte(`[1,2]`), 400},
		{"missing event header", "github", withHeader(gh("d9"), "X-GitHub-Event", ""), body, 400},
		{"missing delivery header", "github", withHeader(gh("d10"), "X-GitHub-Delivery", ""), body, 400},
		{"gitea, missing event header", "gitea", withHeader(gitea.headers, "X-Gitea-Event", ""), gitea.body, 400},
		{"unknown forge", "gitlab", gh("d11"), body, 404},
		{"delivery ID over 256 bytes", "github", gh(strings.Repeat("d", 257)), body, 400},
		{"delivery ID not ASCII", "github", gh("d12-\xc3\xa9"), body, 400},
		{"event name with a slash", "github", githubHeaders("issue/comment", "d13", githubSecret, body), body, 400},
		{"event name over 64 bytes", "github", githubHeaders(strings.Repeat("e", 65), "d14", githubSecret, body), body, 400},
		{"body not UTF-8", "github", githubHeaders("issue_comment", "d15", githubSecret, notUTF8), notUTF8, 400},
	}
	for _, c := range cases {
		if got := s.post(c.forge, c.h, c.body); got != c.want {
			t.Errorf("%s: got %d, want %d", c.name, got, c.want)
		}
	}
	if n := count(); n != 1 {
		t.Errorf("%d rows stored; the rejected requests stored something", n)
	}

	// 26 MiB, announced: 413 before the body is read.
	big := make([]byte, 26<<20)
	if got := s.post("github", gh("big"), big); got != http.StatusRequestEntityTooLarge {
		t.Errorf("26 MiB body: got %d, want 413", got)
	}
	// 26 MiB, chunked (no length): 413 once 25 MiB have been read.
	req, _ := http.NewRequest("POST", s.url+"/hooks/github", io.MultiReader(strings.NewReader(""), &zeroReader{n: 26 << 20}))
	req.Header = gh("big-chunked")
	req.ContentLength = -1
	if resp, err := http.DefaultClient.Do(req); err != nil {
		t.Errorf("chunked 26 MiB: %v", err)
	} else {
		resp.Body.Close()
		if resp.StatusCode != http.StatusRequestEntityTooLarge {
			t.Errorf("chunked 26 MiB: got %d, want 413", resp.StatusCode)
		}
	}
	// Other methods.
	if resp, err := http.Get(s.url + "/hooks/github"); err != nil || resp.StatusCode != http.StatusMethodNotAllowed {
		t.Errorf("GET /hooks/github: %v %v, want 405", resp.StatusCode, err)
	}
	if n := count(); n != 1 {
		t.Errorf("%d rows stored after the oversized bodies", n)
	}

	// Health, readiness, metrics.
	for _, p := range []string{"/healthz", "/readyz"} {
		resp, err := http.Get(s.url + p)
		if err != nil || resp.StatusCode != 200 {
			t.Errorf("GET %s: %v %v", p, resp.StatusCode, err)
		}
	}
	waitProcessed(t, st)
	resp, err := http.Get(s.url + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	metrics, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	for _, m := range []string{
		`accord_webhook_deliveries_total{event="issue_comment",forge="github",outcome="accepted"} 1`,
		`accord_webhook_deliveries_total{event="issue_comment",forge="github",outcome="duplicate"} 1`,
		`accord_webhook_deliveries_total{event="",forge="github",outcome="unauthorized"} 5`,
		`accord_webhook_deliveries_total{event="",forge="github",outcome="too_large"} 2`,
		`accord_webhook_deliveries_total{event="",forge="",outcome="unknown_forge"} 1`,
		`accord_deliveries_processed_total{forge="github",kind="comment",outcome="done"} 1`,
		`accord_queue_depth 0`,
		`accord_intake_inflight_bytes 0`,
		`accord_intake_max_inflight_bytes 3.3554432e+07`,
		`accord_delivery_processing_seconds_count{forge="github"} 1`,
		`accord_delivery_lag_seconds_count 1`,
	} {
		if !strings.Contains(string(metrics), m) {
			t.Errorf("/metrics lacks %s", m)
		}
	}
	// No secret and no signature value reaches the logs.
	s.stop()
	logs := s.logs.String()
	for _, secret := range []string{githubSecret, giteaSecret, "old-secret", hubSignature(githubSecret, body)[7:], gitea.headers.Get("X-Gitea-Signature")} {
		if strings.Contains(logs, secret) {
			t.Errorf("the logs contain a secret or a signature: %q", secret)
		}
	}
}

type zeroReader struct{ n int }

func (z *zeroReader) Read(p []byte) (int, error) {
	if z.n <= 0 {
		return 0, io.EOF
	}
	if len(p) > z.n {
		p = p[:z.n]
	}
	clear(p)
	z.n -= len(p)
	return len(p), nil
}

// TestKillRestartLosesNothing kills accord serve with SIGKILL while
// deliveries arrive (three times), restarts it, and checks that every
// delivery that was answered 202 is processed exactly once.
func TestKillRestartLosesNothing(t *testing.T) {
	if testing.Short() {
		t.Skip("starts and kills the binary")
	}
	dir := t.TempDir()
	body, err := os.ReadFile("../../forges/github/testdata/payloads/issue_comment.created.1.json")
	if err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	acked := map[string]bool{}
	for round := 0; round < 3; round++ {
		s := startServer(t, dir)
		var n atomic.Int64
		killAt := int64(150 + 120*round)
		var wg sync.WaitGroup
		stop := make(chan struct{})
		for g := 0; g < 8; g++ {
			wg.Add(1)
			go func(g int) {
				defer wg.Done()
				client := &http.Client{Timeout: 10 * time.Second}
				for i := 0; ; i++ {
					select {
					case <-stop:
						return
					default:
					}
					id := fmt.Sprintf("r%d-g%d-%d", round, g, i)
					req, _ := http.NewRequest("POST", s.url+"/hooks/github", strings.NewReader(string(body)))
					req.Header = githubHeaders("issue_comment", id, githubSecret, body)
					resp, err := client.Do(req)
					if err != nil {
						return // the server is gone
					}
					io.Copy(io.Discard, resp.Body)
					resp.Body.Close()
					if resp.StatusCode == http.StatusAccepted {
						mu.Lock()
						acked[id] = true
						mu.Unlock()
						n.Add(1)
					} else {
						t.Errorf("%s: %d", id, resp.StatusCode)
						return
					}
				}
			}(g)
		}
		for n.Load() < killAt {
			time.Sleep(time.Millisecond)
		}
		s.kill()
		close(stop)
		wg.Wait()
	}
	s := startServer(t, dir)
	st := s.openStore()
	waitProcessed(t, st)
	ctx := context.Background()
	events, err := st.Events(ctx)
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]int{}
	for _, e := range events {
		seen[e.Event.DeliveryID]++
	}
	ds, err := st.ListDeliveries(ctx, "", 1<<20)
	if err != nil {
		t.Fatal(err)
	}
	if len(events) != len(ds) {
		t.Errorf("%d events for %d stored deliveries", len(events), len(ds))
	}
	for _, d := range ds {
		if d.State != store.StateDone {
			t.Errorf("delivery %s is %s", d.ID, d.State)
		}
	}
	if len(acked) < 3*150 {
		t.Fatalf("only %d deliveries acknowledged", len(acked))
	}
	for id := range acked {
		if seen[id] != 1 {
			t.Errorf("acknowledged delivery %s processed %d times", id, seen[id])
		}
	}
	// Sent again, an acknowledged delivery is a duplicate.
	i := 0
	for id := range acked {
		if i++; i > 20 {
			break
		}
		if code := s.post("github", githubHeaders("issue_comment", id, githubSecret, body), body); code != http.StatusOK {
			t.Errorf("%s again: %d, want 200", id, code)
		}
	}
	t.Logf("%d deliveries acknowledged across 3 kills, %d stored, all processed once", len(acked), len(ds))
}

// TestIntakeMemoryUnderLargeClaims opens 64 connections that each claim a
// 25 MiB body and trickle a few bytes of it, unsigned, then sends eight
// unsigned 24 MiB chunked bodies at once, and reads the server's peak
// resident memory (VmHWM) from /proc: it stays under 150 MB, where reading
// into buffers sized by the claims took hundreds. A signed small delivery
// sent while the claims hold their connections is stored (202): each
// claim holds 64 KiB of the 32 MiB budget, not 25 MiB.
//
//	ACCORD_SLOW_TESTS=1 go test ./cmd/accord -run TestIntakeMemoryUnderLargeClaims -v
func TestIntakeMemoryUnderLargeClaims(t *testing.T) {
	if os.Getenv("ACCORD_SLOW_TESTS") == "" {
		t.Skip("slow (about 10 s, reads /proc): run with ACCORD_SLOW_TESTS=1")
	}
	s := startServer(t, t.TempDir())
	pid := s.cmd.Process.Pid
	idle := procStatusKB(t, pid, "VmRSS")
	addr := strings.TrimPrefix(s.url, "http://")
	var conns []net.Conn
	for i := range 64 {
		c, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		fmt.Fprintf(c, "POST /hooks/github HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nX-GitHub-Event: issues\r\nX-GitHub-Delivery: claim-%d\r\nContent-Length: %d\r\n\r\n{", i, 25<<20)
		conns = append(conns, c)
	}
	stop := make(chan struct{})
	defer close(stop)
	go func() { // a byte each per 100 ms
		for {
			select {
			case <-stop:
				return
			case <-time.After(100 * time.Millisecond):
			}
			for _, c := range conns {
				c.Write([]byte(" "))
			}
		}
	}()
	time.Sleep(time.Second)
	held := procStatusKB(t, pid, "VmRSS")

	body, err := os.ReadFile("../../forges/github/testdata/payloads/issue_comment.created.1.json")
	if err != nil {
		t.Fatal(err)
	}
	if code := s.post("github", githubHeaders("issue_comment", "small", githubSecret, body), body); code != http.StatusAccepted {
		t.Errorf("signed small delivery beside the claims: %d, want 202", code)
	}

	var wg sync.WaitGroup
	for i := range 8 {
		wg.Go(func() {
			req, _ := http.NewRequest("POST", s.url+"/hooks/github", io.MultiReader(&zeroReader{n: 24 << 20}))
			req.ContentLength = -1
			req.Header.Set("X-GitHub-Event", "issues")
			req.Header.Set("X-GitHub-Delivery", fmt.Sprintf("chunked-%d", i))
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				return // closed while sending: answered before the body ended
			}
			resp.Body.Close()
			if resp.StatusCode != http.StatusUnauthorized && resp.StatusCode != http.StatusServiceUnavailable {
				t.Errorf("unsigned chunked 24 MiB: %d, want 401 or 503", resp.StatusCode)
			}
		})
	}
	wg.Wait()
	rss, peak := procStatusKB(t, pid, "VmRSS"), procStatusKB(t, pid, "VmHWM")
	t.Logf("RSS idle %d MB, with 64 claims of 25 MiB %d MB, after 8 unsigned chunked 24 MiB bodies %d MB; peak %d MB",
		idle/1000, held/1000, rss/1000, peak/1000)
	if peak >= 150_000 {
		t.Errorf("peak RSS %d MB, want under 150 MB", peak/1000)
	}
}

// procStatusKB reads a field of /proc/PID/status, in kB.
func procStatusKB(t *testing.T, pid int, field string) int64 {
	t.Helper()
	raw, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range strings.Split(string(raw), "\n") {
		if v, ok := strings.CutPrefix(line, field+":"); ok {
			var kb int64
			fmt.Sscanf(strings.TrimSpace(v), "%d kB", &kb)
			return kb
		}
	}
	t.Fatalf("no %s in /proc/%d/status", field, pid)
	return 0
}
