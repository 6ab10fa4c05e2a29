package main

import (
	"errors"
	"flag"
	"fmt"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/stepwise-dev/stepwise/engine"
	"github.com/stepwise-dev/stepwise/services/objects"
	"github.com/stepwise-dev/stepwise/services/objects/s3server"
)

// Object storage: the S3 client of the aws-sdk:s3 task resources and of
// the distributed Map's ItemReader and ResultWriter, `stepwise dev`'s
// embedded S3 endpoint at /s3/ on its HTTP port, and the object store of
// `stepwise run` (runObjects).

// objectsConfig is the object storage settings of `stepwise server` and
// `stepwise dev`.
type objectsConfig struct {
	// Endpoint is the S3 service's URL; "": AWS S3 (server), the
	// embedded endpoint (dev).
	Endpoint  string
	Region    string
	PathStyle bool
	// embedded: the client talks to the embedded endpoint, which takes
	// any credentials (stepwise/stepwise when AWS_* has none).
	embedded bool
}

// objectsPath is where `stepwise dev` serves its embedded S3 endpoint.
const objectsPath = "/s3"

// objectsFlags defines the object storage flags on fs; dev says whether
// an empty --s3-endpoint means the embedded endpoint.
func objectsFlags(fs *flag.FlagSet, c *objectsConfig, dev bool) {
	endpointHelp := "URL of the S3-compatible service of the aws-sdk:s3 tasks (MinIO: http://host:9000); empty: AWS S3 (STEPWISE_S3_ENDPOINT)"
	if dev {
		endpointHelp = "URL of the S3-compatible service of the aws-sdk:s3 tasks; empty: the embedded endpoint at " + objectsPath + "/ on the HTTP port, objects in <data-dir>/s3 (STEPWISE_S3_ENDPOINT)"
	}
	fs.StringVar(&c.Endpoint, "s3-endpoint", env("STEPWISE_S3_ENDPOINT", ""), endpointHelp)
	fs.StringVar(&c.Region, "s3-region", env("STEPWISE_S3_REGION", env("AWS_REGION", "us-east-1")), "region S3 requests are signed for (STEPWISE_S3_REGION, else AWS_REGION)")
	fs.BoolVar(&c.PathStyle, "s3-path-style", envBool("STEPWISE_S3_PATH_STYLE", false), "address buckets as <endpoint>/<bucket>/<key> (MinIO and most S3-compatible services need it) (STEPWISE_S3_PATH_STYLE)")
}

// objectStore returns the S3 client cfg describes, credentials from
// AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY and AWS_SESSION_TOKEN.
func (c *objectsConfig) objectStore() *objects.S3 {
	sc := objects.S3Config{Endpoint: c.Endpoint, Region: c.Region, UsePathStyle: c.PathStyle,
		AccessKeyID: os.Getenv("AWS_ACCESS_KEY_ID"), SecretAccessKey: os.Getenv("AWS_SECRET_ACCESS_KEY"), SessionToken: os.Getenv("AWS_SESSION_TOKEN")}
	if c.embedded && sc.AccessKeyID == "" {
		sc.AccessKeyID, sc.SecretAccessKey = "stepwise", "stepwise"
	}
	return objects.NewS3(sc)
}

// services returns the engine's built-in services of object storage.
func (c *objectsConfig) services() []engine.Service {
	st := c.objectStore()
	return []engine.Service{objects.NewService(st), objects.NewReaderService(st), objects.NewWriterService(st)}
}

// devObjects sets up dev mode's object storage: with no --s3-endpoint,
// the embedded endpoint on dataDir/s3, to be served at objectsPath on
// httpURL, with the client pointed at it (any credentials: it checks
// none). It returns the endpoint's handler (nil with --s3-endpoint) and
// a line for the banner.
func (c *objectsConfig) devObjects(dataDir, httpURL string) (http.Handler, string, error) {
	if c.Endpoint != "" {
		return nil, c.Endpoint, nil
	}
	dir := filepath.Join(dataDir, "s3")
	h, err := s3server.New(s3server.Config{Dir: dir})
	if err != nil {
		return nil, "", err
	}
	c.Endpoint, c.PathStyle, c.embedded = httpURL+objectsPath, true, true
	return h, c.Endpoint + "  (embedded, objects in " + dir + "; aws s3 --endpoint-url " + c.Endpoint + ")", nil
}

// mountObjects serves s3 (nil: nothing) at objectsPath in front of api,
// the API handler. S3 requests do not pass the API front door's checks:
// S3 clients send XML and binary bodies, of any size, signed with SigV4
// rather than a bearer token. They are routed before the ServeMux, which
// would redirect keys such as a//b to a cleaned path. Cross-site browser
// requests are refused as on the APIs (S3 clients send no Origin).
// Only `stepwise dev`, which has no token, serves the endpoint.
func mountObjects(api, s3 http.Handler) http.Handler {
	if s3 == nil {
		return api
	}
	strip := http.StripPrefix(objectsPath, s3)
	cop := http.NewCrossOriginProtection()
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != objectsPath && !strings.HasPrefix(r.URL.Path, objectsPath+"/") {
			api.ServeHTTP(w, r)
			return
		}
		if err := cop.Check(r); err != nil {
			w.Header().Set("Content-Type", "application/xml")
			w.WriteHeader(http.StatusForbidden)
			_, _ = w.Write([]byte(`<?xml version="1.0" encoding="UTF-8"?>` + "\n<Error><Code>AccessDenied</Code><Message>cross-site request refused</Message></Error>"))
			return
		}
		if r.URL.Path == objectsPath {
			r.URL.Path = objectsPath + "/"
		}
		strip.ServeHTTP(w, r)
	})
}

// runObjects is the object storage of `stepwise run`: a folder served as
// dev mode serves <data-dir>/s3 (--objects), or an S3-compatible service
// (--s3-endpoint and co., as for `stepwise server`); neither: none, and
// an ItemReader or a ResultWriter fails.
type runObjects struct {
	dir string
	objectsConfig
}

// flags defines --objects and the object storage flags on fs.
func (o *runObjects) flags(fs *flag.FlagSet) {
	fs.StringVar(&o.dir, "objects", "", "serve this folder as the object store of the aws-sdk:s3 tasks and the distributed Map's ItemReader "+
		"and ResultWriter, a bucket a subfolder (the layout of stepwise dev's <data-dir>/s3)")
	objectsFlags(fs, &o.objectsConfig, false)
	fs.Lookup("s3-endpoint").Usage = "URL of the S3-compatible service of the aws-sdk:s3 tasks, the ItemReader and the ResultWriter " +
		"(instead of --objects); credentials from AWS_* (STEPWISE_S3_ENDPOINT)"
}

// services returns the object storage services of a local run (none
// without --objects or --s3-endpoint) and what stops them. With
// --objects, the folder is served by dev mode's embedded endpoint on a
// loopback port for the length of the run.
func (o *runObjects) services() ([]engine.Service, func(), error) {
	switch {
	case o.dir != "" && o.Endpoint != "":
		return nil, nil, errors.New("--objects and --s3-endpoint exclude each other")
	case o.Endpoint != "":
		return o.objectsConfig.services(), func() {}, nil
	case o.dir == "":
		return nil, func() {}, nil
	}
	if fi, err := os.Stat(o.dir); err != nil || !fi.IsDir() {
		return nil, nil, fmt.Errorf("--objects %s: not a folder", o.dir)
	}
	h, err := s3server.New(s3server.Config{Dir: o.dir})
	if err != nil {
		return nil, nil, err
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, nil, err
	}
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second}
	done := make(chan struct{})
	go func() { defer close(done); _ = srv.Serve(ln) }()
	o.Endpoint, o.PathStyle, o.embedded = "http://"+ln.Addr().String(), true, true
	return o.objectsConfig.services(), func() { _ = srv.Close(); <-done }, nil
}
