package bot

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

func TestBudgetAcquireWaitsThenGivesUp(t *testing.T) {
	b := newBudget(100)
	ctx := context.Background()
	if !b.acquire(ctx, 60, 0) || b.acquire(ctx, 50, 10*time.Millisecond) {
		t.Fatal("60 then 50 of 100: the second should not fit")
	}
	if b.acquire(ctx, 101, time.Second) {
		t.Fatal("more than the whole budget was granted")
	}
	go func() { time.Sleep(20 * time.Millisecond); b.release(60) }()
	if !b.acquire(ctx, 50, 5*time.Second) {
		t.Fatal("50 not granted once 60 were given back")
	}
	if b.inUse() != 50 {
		t.Fatalf("in use %d, want 50", b.inUse())
	}
	cctx, cancel := context.WithCancel(ctx)
	cancel()
	if b.acquire(cctx, 60, time.Minute) {
		t.Fatal("granted after the context ended")
	}
	b.release(50)
	if b.inUse() != 0 {
		t.Fatalf("in use %d after all was given back", b.inUse())
	}
}

// budgetServer is the test intake behind a real HTTP server, with a small
// budget and a short wait, and a sampler of the budget's peak use.
func budgetServer(t *testing.T, max int64) (*Intake, *httptest.Server, func() int64) {
	t.Helper()
	in, _ := newTestIntake(t)
	in.SetMaxInflightBytes(max)
	in.BudgetWait = 200 * time.Millisecond
	mux := http.NewServeMux()
	mux.Handle("POST /hooks/{forge}", in)
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	var peak atomic.Int64
	stop := make(chan struct{})
	done := make(chan struct{})
	go func() {
		defer close(done)
		for {
			if n := in.InflightBytes(); n > peak.Load() {
				peak.Store(n)
			}
			select {
			case <-stop:
				return
			case <-time.After(time.Millisecond):
			}
		}
	}()
	var once sync.Once
	t.Cleanup(func() { once.Do(func() { close(stop); <-done }) })
	return in, srv, peak.Load
}

// waitReleased waits until the intake holds no budget.
func waitReleased(t *testing.T, in *Intake) {
	t.Helper()
	for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); time.Sleep(5 * time.Millisecond) {
		if in.InflightBytes() == 0 {
			return
		}
	}
	t.Fatalf("%d bytes of budget still held after every request ended", in.InflightBytes())
}

// claim opens a connection that claims a body of length bytes and sends
// only sent of them.
func claim(t *testing.T, url string, length int64, sent string, headers string) net.Conn {
	t.Helper()
	c, err := net.Dial("tcp", strings.TrimPrefix(url, "http://"))
	if err != nil {
		t.Fatal(err)
	}
	fmt.Fprintf(c, "POST /hooks/f HTTP/1.1\r\nHost: x\r\nContent-Length: %d\r\n%s\r\n%s", length, headers, sent)
	return c
}

func TestBudgetBoundsManyLargeClaims(t *testing.T) {
	const max = 1 << 20 // room for 16 first chunks of 64 KiB
	in, srv, peak := budgetServer(t, max)
	var conns []net.Conn
	for i := range 64 {
		conns = append(conns, claim(t, srv.URL, 25<<20, "{", fmt.Sprintf("Id: c%d\r\nEvent: issue\r\n", i)))
	}
	// Those that got no budget are answered 503 with Retry-After after the
	// wait; the others are still reading.
	var busy atomic.Int64
	var wg sync.WaitGroup
	for _, c := range conns {
		wg.Go(func() {
			c.SetReadDeadline(time.Now().Add(time.Second))
			resp, err := http.ReadResponse(bufio.NewReader(c), nil)
			if err != nil {
				return // still reading its body
			}
			if resp.StatusCode != http.StatusServiceUnavailable || resp.Header.Get("Retry-After") == "" {
				t.Errorf("got %d (Retry-After %q), want 503 with Retry-After", resp.StatusCode, resp.Header.Get("Retry-After"))
			}
			busy.Add(1)
		})
	}
	wg.Wait()
	if busy.Load() != 64-max/firstChunk {
		t.Errorf("%d answered 503, want %d", busy.Load(), 64-max/firstChunk)
	}
	if p := peak(); p > max {
		t.Errorf("peak in flight %d, over the budget of %d", p, max)
	}
	// Those reading hold one first chunk each, not 25 MiB.
	if n := in.InflightBytes(); n != max {
		t.Errorf("in flight %d while 16 claims of 25 MiB read, want %d", n, max)
	}
	// While the budget is full, a small delivery waits, then gets 503.
	r, _ := http.NewRequest("POST", srv.URL+"/hooks/f", strings.NewReader(`{"a":1}`))
	r.Header.Set("Id", "small")
	r.Header.Set("Event", "issue")
	r.Header.Set("Sig", "ok")
	if resp, err := http.DefaultClient.Do(r); err != nil || resp.StatusCode != http.StatusServiceUnavailable {
		t.Errorf("small delivery while full: %v %v, want 503", resp, err)
	}
	// Disconnected clients give their budget back.
	for _, c := range conns {
		c.Close()
	}
	waitReleased(t, in)
	r, _ = http.NewRequest("POST", srv.URL+"/hooks/f", strings.NewReader(`{"a":1}`))
	r.Header.Set("Id", "small2")
	r.Header.Set("Event", "issue")
	r.Header.Set("Sig", "ok")
	if resp, err := http.DefaultClient.Do(r); err != nil || resp.StatusCode != http.StatusAccepted {
		t.Errorf("small delivery after: %v %v, want 202", resp, err)
	}
	waitReleased(t, in)
}

// Every way a request ends gives its budget back: stored, duplicate, bad
// signature, bad JSON, too large, a body shorter than announced, a client
// gone mid-body, unannounced bodies over the budget.
func TestBudgetReleasedOnEveryPath(t *testing.T) {
	const max = 4 << 20
	in, srv, peak := budgetServer(t, max)
	post := func(id, sig string, body io.Reader, length int64) int {
		r, _ := http.NewRequest("POST", srv.URL+"/hooks/f", body)
		r.ContentLength = length
		r.Header.Set("Id", id)
		r.Header.Set("Event", "issue")
		r.Header.Set("Sig", sig)
		resp, err := http.DefaultClient.Do(r)
		if err != nil {
			return 0
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		return resp.StatusCode
	}
	big := bytes.Repeat([]byte(" "), 3<<20)
	big[len(big)-2], big[len(big)-1] = '{', '}'
	for _, c := range []struct {
		name   string
		id     string
		sig    string
		body   []byte
		length int64
		want   int
	}{
		{"stored", "a", "ok", []byte(`{"a":1}`), -2, 202},
		{"duplicate", "a", "ok", []byte(`{"a":1}`), -2, 200},
		{"bad signature", "b", "no", []byte(`{"a":1}`), -2, 401},
		{"bad JSON", "c", "ok", []byte(`{"a":`), -2, 400},
		{"3 MiB, announced", "d", "ok", big, -2, 202},
		{"3 MiB, chunked", "e", "ok", big, -1, 202},
		{"3 MiB, unsigned", "f", "no", big, -1, 401},
		{"26 MiB chunked, over this budget", "g", "ok", nil, -1, 503},
	} {
		var body io.Reader = bytes.NewReader(c.body)
		length := int64(len(c.body))
		if c.length == -1 {
			length = -1
			body = io.MultiReader(body) // hides the length
		}
		if c.body == nil {
			body = &zeros{n: 26 << 20}
		}
		code := post(c.id, c.sig, body, length)
		if code != c.want {
			t.Errorf("%s: got %d, want %d", c.name, code, c.want)
		}
		waitReleased(t, in)
	}

	// A body shorter than announced: the client closes after half of it.
	c := claim(t, srv.URL, 1000, strings.Repeat("x", 500), "Id: h\r\nEvent: issue\r\nSig: ok\r\n")
	c.(*net.TCPConn).CloseWrite()
	c.SetReadDeadline(time.Now().Add(5 * time.Second))
	if resp, err := http.ReadResponse(bufio.NewReader(c), nil); err == nil && resp.StatusCode != 400 {
		t.Errorf("short body: got %d, want 400", resp.StatusCode)
	}
	c.Close()
	waitReleased(t, in)

	// Gone mid-body, after the buffer grew past its first chunk.
	c = claim(t, srv.URL, 20<<20, strings.Repeat("x", 1<<20), "Id: i\r\nEvent: issue\r\nSig: ok\r\n")
	time.Sleep(50 * time.Millisecond)
	c.Close()
	waitReleased(t, in)

	// Eight unannounced 3 MiB bodies at once, under a 4 MiB budget: each is
	// answered (401 or 503), the budget is never exceeded and all of it
	// comes back.
	var wg sync.WaitGroup
	var codes sync.Map
	for i := range 8 {
		wg.Go(func() {
			codes.Store(i, post(fmt.Sprintf("j%d", i), "no", io.MultiReader(bytes.NewReader(big)), -1))
		})
	}
	wg.Wait()
	codes.Range(func(k, v any) bool {
		if v != 401 && v != 503 {
			t.Errorf("concurrent unsigned body %v: got %v, want 401 or 503", k, v)
		}
		return true
	})
	waitReleased(t, in)
	if p := peak(); p > max {
		t.Errorf("peak in flight %d, over the budget of %d", p, max)
	}
}

type zeros struct{ n int }

func (z *zeros) Read(p []byte) (int, error) {
	if z.n <= 0 {
		return 0, io.EOF
	}
	p = p[:min(len(p), z.n)]
	clear(p)
	z.n -= len(p)
	return len(p), nil
}

// A body that trickles in slower than minBodyRate is cut off (400) and its
// budget given back, well before the server's 2-minute read timeout.
func TestSlowBodyTimesOut(t *testing.T) {
	in, srv, _ := budgetServer(t, 1<<20)
	in.bodyGrace = 300 * time.Millisecond
	c := claim(t, srv.URL, 25<<20, "{", "Id: s\r\nEvent: issue\r\nSig: ok\r\n")
	defer c.Close()
	start := time.Now()
	go func() {
		for range 20 {
			time.Sleep(100 * time.Millisecond)
			if _, err := c.Write([]byte(" ")); err != nil {
				return
			}
		}
	}()
	c.SetReadDeadline(time.Now().Add(10 * time.Second))
	resp, err := http.ReadResponse(bufio.NewReader(c), nil)
	if err != nil {
		t.Fatal(err)
	}
	// 64 KiB at 32 KiB/s is 2 s, plus the grace.
	if took := time.Since(start); resp.StatusCode != http.StatusBadRequest || took > 4*time.Second {
		t.Errorf("got %d after %s, want 400 within about 2.3 s", resp.StatusCode, took)
	}
	waitReleased(t, in)
}
