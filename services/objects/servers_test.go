package objects_test

import (
	"net/http/httptest"
	"testing"

	"github.com/johannesboyne/gofakes3"
	"github.com/johannesboyne/gofakes3/backend/s3mem"

	"github.com/stepwise-dev/stepwise/services/objects"
)

// s3Servers are the S3-compatible servers the engine tests run against:
// the embedded endpoint of `stepwise dev`, and gofakes3, an independent
// implementation of the S3 API (in memory) started in the test, so that a
// behaviour both the client and the embedded endpoint get wrong the same
// way shows.
var s3Servers = []struct {
	name  string
	start func(t *testing.T) *objects.S3
}{
	{"embedded", func(t *testing.T) *objects.S3 { st, _, _ := endpoint(t); return st }},
	{"gofakes3", gofakes3Endpoint},
}

// gofakes3Endpoint starts a gofakes3 server (path-style) and returns a
// Store on it.
func gofakes3Endpoint(t *testing.T) *objects.S3 {
	t.Helper()
	srv := httptest.NewServer(gofakes3.New(s3mem.New()).Server())
	t.Cleanup(srv.Close)
	return objects.NewS3(objects.S3Config{Endpoint: srv.URL, UsePathStyle: true, AccessKeyID: "any", SecretAccessKey: "any"})
}

// eachS3Server runs test against every S3-compatible server, in parallel.
func eachS3Server(t *testing.T, test func(t *testing.T, st *objects.S3)) {
	for _, s := range s3Servers {
		t.Run(s.name, func(t *testing.T) {
			t.Parallel()
			test(t, s.start(t))
		})
	}
}
