// Command benchweb measures how fast a running `accord serve` answers its
// pages and API: each path is asked -n times by -c clients at once, after a
// warm-up, and its latency percentiles are printed beside those of the
// baseline path (by default /healthz, which does no work) measured in the
// same run, with their ratio. Every answer must be 200.
//
//	go run ./tools/benchweb -base http://127.0.0.1:8080 -n 200 / /ledger /api/v1/federation
//
// tools/bench-web.sh runs it against a server on a generated 1,000,000-fact
// ledger; docs/BENCHMARKS.md records the figures.
package main

import (
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"slices"
	"sync"
	"time"
)

func main() {
	base := flag.String("base", "http://127.0.0.1:8080", "the server's base URL")
	n := flag.Int("n", 200, "requests per path")
	c := flag.Int("c", 2, "requests at once")
	warm := flag.Int("warm", 5, "requests per path before timing")
	baseline := flag.String("baseline", "/healthz", "the path measured as the baseline")
	flag.Parse()
	if flag.NArg() == 0 {
		fmt.Fprintln(os.Stderr, "benchweb: give the paths to measure")
		os.Exit(2)
	}
	client := &http.Client{Timeout: time.Minute}
	b, err := measure(client, *base+*baseline, *n, *c, *warm)
	if err != nil {
		fmt.Fprintln(os.Stderr, "benchweb:", err)
		os.Exit(1)
	}
	fmt.Printf("%-40s p50 %8s  p95 %8s  max %8s  (baseline)\n", *baseline, ms(b.p50), ms(b.p95), ms(b.max))
	failed := false
	for _, path := range flag.Args() {
		r, err := measure(client, *base+path, *n, *c, *warm)
		if err != nil {
			fmt.Fprintf(os.Stderr, "benchweb: %s: %v\n", path, err)
			failed = true
			continue
		}
		fmt.Printf("%-40s p50 %8s  p95 %8s  max %8s  p95 ratio to baseline %.1f\n", path, ms(r.p50), ms(r.p95), ms(r.max),
			float64(r.p95)/float64(max(b.p95, time.Microsecond)))
	}
	if failed {
		os.Exit(1)
	}
}

type result struct{ p50, p95, max time.Duration }

// measure asks url n times, c at once, after warm untimed requests.
func measure(client *http.Client, url string, n, c, warm int) (result, error) {
	for range warm {
		if _, err := get(client, url); err != nil {
			return result{}, err
		}
	}
	var (
		mu    sync.Mutex
		took  []time.Duration
		first error
		wg    sync.WaitGroup
	)
	next := make(chan struct{}, n)
	for range n {
		next <- struct{}{}
	}
	close(next)
	for range c {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range next {
				d, err := get(client, url)
				mu.Lock()
				if err != nil && first == nil {
					first = err
				}
				took = append(took, d)
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	if first != nil {
		return result{}, first
	}
	slices.Sort(took)
	at := func(q float64) time.Duration { return took[min(int(q*float64(len(took))), len(took)-1)] }
	return result{p50: at(0.50), p95: at(0.95), max: took[len(took)-1]}, nil
}

// get asks url once and times it to the end of the body.
func get(client *http.Client, url string) (time.Duration, error) {
	start := time.Now()
	resp, err := client.Get(url)
	if err != nil {
		return 0, err
	}
	_, err = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	took := time.Since(start)
	if err == nil && resp.StatusCode != http.StatusOK {
		err = fmt.Errorf("GET %s: %s", url, resp.Status)
	}
	return took, err
}

func ms(d time.Duration) string { return fmt.Sprintf("%.2fms", float64(d)/float64(time.Millisecond)) }
