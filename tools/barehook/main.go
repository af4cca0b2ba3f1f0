// Command barehook is the baseline for intake benchmarks: a bare net/http
// server that reads each request body and answers 202, doing nothing else.
//
//	go run ./tools/barehook -listen 127.0.0.1:8090
package main

import (
	"flag"
	"fmt"
	"io"
	"log"
	"net/http"
	"os"
)

func main() {
	listen := flag.String("listen", "127.0.0.1:8090", "address to listen on")
	flag.Parse()
	http.HandleFunc("POST /hooks/{forge}", func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
		w.WriteHeader(http.StatusAccepted)
	})
	fmt.Fprintf(os.Stderr, "barehook: listening on http://%s\n", *listen)
	log.Fatal(http.ListenAndServe(*listen, nil))
}
