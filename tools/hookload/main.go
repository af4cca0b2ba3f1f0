// Command hookload sends signed GitHub deliveries at a fixed rate (open loop)
// and reports latency percentiles, measured from when each request was due,
// so a slow server cannot hide its queueing (no coordinated omission).
//
//	go run ./tools/hookload -url http://127.0.0.1:8080/hooks/github \
//	    -body forges/github/testdata/payloads/issue_comment.created.2.json \
//	    -secret bench -rate 1000 -duration 20s
package main

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
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
	url := flag.String("url", "http://127.0.0.1:8080/hooks/github", "hook URL")
	bodyFile := flag.String("body", "", "payload file")
	event := flag.String("event", "issue_comment", "X-GitHub-Event")
	secret := flag.String("secret", "", "webhook secret")
	rate := flag.Int("rate", 1000, "requests per second")
	duration := flag.Duration("duration", 20*time.Second, "how long to send")
	run := flag.String("run", fmt.Sprint(time.Now().UnixNano()), "prefix of delivery IDs")
	flag.Parse()
	body, err := os.ReadFile(*bodyFile)
	if err != nil {
		fmt.Fprintln(os.Stderr, "hookload:", err)
		os.Exit(1)
	}
	m := hmac.New(sha256.New, []byte(*secret))
	m.Write(body)
	sig := "sha256=" + hex.EncodeToString(m.Sum(nil))

	total := int(float64(*rate) * duration.Seconds())
	interval := time.Second / time.Duration(*rate)
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 1024}, Timeout: 30 * time.Second}
	lat := make([]time.Duration, total)
	codes := make([]int, total)
	var wg sync.WaitGroup
	start := time.Now()
	for i := 0; i < total; i++ {
		due := start.Add(time.Duration(i) * interval)
		time.Sleep(time.Until(due))
		wg.Add(1)
		go func(i int, due time.Time) {
			defer wg.Done()
			req, _ := http.NewRequest("POST", *url, bytes.NewReader(body))
			req.Header.Set("Content-Type", "application/json")
			req.Header.Set("X-GitHub-Event", *event)
			req.Header.Set("X-GitHub-Delivery", fmt.Sprintf("%s-%d", *run, i))
			req.Header.Set("X-Hub-Signature-256", sig)
			resp, err := client.Do(req)
			if err != nil {
				codes[i] = -1
			} else {
				io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				codes[i] = resp.StatusCode
			}
			lat[i] = time.Since(due)
		}(i, due)
	}
	wg.Wait()
	elapsed := time.Since(start)
	byCode := map[int]int{}
	for _, c := range codes {
		byCode[c]++
	}
	slices.Sort(lat)
	pct := func(p float64) time.Duration { return lat[min(len(lat)-1, int(p*float64(len(lat))))] }
	fmt.Printf("requests %d in %.1fs (%.0f/s), status %v\n", total, elapsed.Seconds(), float64(total)/elapsed.Seconds(), byCode)
	fmt.Printf("latency p50 %v p90 %v p99 %v p99.9 %v max %v\n",
		pct(0.50).Round(10*time.Microsecond), pct(0.90).Round(10*time.Microsecond), pct(0.99).Round(10*time.Microsecond),
		pct(0.999).Round(10*time.Microsecond), lat[len(lat)-1].Round(10*time.Microsecond))
}
