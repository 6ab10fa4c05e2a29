package bench

import (
	"io"
	"net/http"
	"sync/atomic"
)

// OTLPSink is an OTLP/HTTP trace endpoint that reads every export and
// discards it, answering each as a collector that kept it all: what
// `stepwise bench --otlp-sink` serves, in a process of its own, so that a
// traced bench run pays for making and exporting its spans but not for
// receiving them, as with a real collector.
type OTLPSink struct {
	requests, bytes atomic.Int64
}

// ServeHTTP answers POST /v1/traces with an empty
// ExportTraceServiceResponse (an empty protobuf message: no bytes).
func (s *OTLPSink) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost || r.URL.Path != "/v1/traces" {
		http.NotFound(w, r)
		return
	}
	n, _ := io.Copy(io.Discard, r.Body)
	s.requests.Add(1)
	s.bytes.Add(n)
	w.Header().Set("Content-Type", "application/x-protobuf")
	w.WriteHeader(http.StatusOK)
}

// Received returns the exports and the bytes received so far.
func (s *OTLPSink) Received() (requests, bytes int64) {
	return s.requests.Load(), s.bytes.Load()
}
