package telemetry

import (
	"bytes"
	"compress/gzip"
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"path"
	"strconv"
	"strings"
	"sync"
	"time"

	sdktrace "go.opentelemetry.io/otel/sdk/trace"
)

// otlpExporter is an OTLP/HTTP (protobuf) span exporter configured as
// the OTel SDK's otlptracehttp is, by the standard variables
// (OTEL_EXPORTER_OTLP_[TRACES_]ENDPOINT, _HEADERS, _TIMEOUT,
// _COMPRESSION, _CERTIFICATE, _CLIENT_CERTIFICATE, _CLIENT_KEY; the
// TRACES_ one wins), that writes the request's protobuf straight from the
// spans (otlpEncoder) instead of building the proto messages first. It
// retries a request answered 429, 502, 503 or 504 (or not answered)
// with backoff while its context lasts, as otlptracehttp does.
type otlpExporter struct {
	url      string
	headers  map[string]string
	gzip     bool
	timeout  time.Duration
	client   *http.Client
	stopped  chan struct{}
	stopOnce sync.Once

	mu  sync.Mutex // one export at a time (the batch span processor's)
	enc otlpEncoder
	zb  bytes.Buffer
	zw  *gzip.Writer
}

// otlpEnv reads OTEL_EXPORTER_OTLP_TRACES_<name>, else
// OTEL_EXPORTER_OTLP_<name>; traces says which one it was.
func otlpEnv(name string) (v string, traces bool) {
	if v, ok := os.LookupEnv("OTEL_EXPORTER_OTLP_TRACES_" + name); ok {
		return strings.TrimSpace(v), true
	}
	return strings.TrimSpace(os.Getenv("OTEL_EXPORTER_OTLP_" + name)), false
}

// newOTLPExporter returns the exporter the environment configures.
func newOTLPExporter() (*otlpExporter, error) {
	e := &otlpExporter{url: "http://localhost:4318/v1/traces", timeout: 10 * time.Second, stopped: make(chan struct{})}
	if v, traces := otlpEnv("ENDPOINT"); v != "" {
		u, err := url.Parse(v)
		if err != nil {
			return nil, fmt.Errorf("OTEL_EXPORTER_OTLP_ENDPOINT: %w", err)
		}
		switch {
		case traces && u.Path == "":
			u.Path = "/"
		case !traces:
			u.Path = path.Join(u.Path, "/v1/traces")
		}
		e.url = u.String()
	}
	if v, _ := otlpEnv("HEADERS"); v != "" {
		e.headers = map[string]string{}
		for _, kv := range strings.Split(v, ",") {
			k, v, ok := strings.Cut(kv, "=")
			k = strings.TrimSpace(k)
			if !ok || k == "" {
				continue
			}
			if d, err := url.PathUnescape(strings.TrimSpace(v)); err == nil {
				e.headers[k] = d
			}
		}
	}
	if v, _ := otlpEnv("TIMEOUT"); v != "" {
		if ms, err := strconv.Atoi(v); err == nil && ms >= 0 {
			e.timeout = time.Duration(ms) * time.Millisecond
		}
	}
	if v, _ := otlpEnv("COMPRESSION"); v == "gzip" {
		e.gzip = true
	}
	tr := http.DefaultTransport.(*http.Transport).Clone()
	var tc *tls.Config
	if v, _ := otlpEnv("CERTIFICATE"); v != "" {
		pem, err := os.ReadFile(v)
		if err != nil {
			return nil, fmt.Errorf("OTEL_EXPORTER_OTLP_CERTIFICATE: %w", err)
		}
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("OTEL_EXPORTER_OTLP_CERTIFICATE %s: no certificate", v)
		}
		tc = &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12}
	}
	cert, _ := otlpEnv("CLIENT_CERTIFICATE")
	key, _ := otlpEnv("CLIENT_KEY")
	if cert != "" && key != "" {
		c, err := tls.LoadX509KeyPair(cert, key)
		if err != nil {
			return nil, fmt.Errorf("OTEL_EXPORTER_OTLP_CLIENT_CERTIFICATE: %w", err)
		}
		if tc == nil {
			tc = &tls.Config{MinVersion: tls.VersionTLS12}
		}
		tc.Certificates = []tls.Certificate{c}
	}
	if tc != nil {
		tr.TLSClientConfig = tc
	}
	e.client = &http.Client{Transport: tr}
	return e, nil
}

// ExportSpans implements sdktrace.SpanExporter.
func (e *otlpExporter) ExportSpans(ctx context.Context, spans []sdktrace.ReadOnlySpan) error {
	select {
	case <-e.stopped:
		return nil
	default:
	}
	if len(spans) == 0 {
		return nil
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	body := e.enc.request(spans)
	if e.gzip {
		e.zb.Reset()
		if e.zw == nil {
			e.zw = gzip.NewWriter(&e.zb)
		} else {
			e.zw.Reset(&e.zb)
		}
		if _, err := e.zw.Write(body); err != nil {
			return err
		}
		if err := e.zw.Close(); err != nil {
			return err
		}
		body = e.zb.Bytes()
	}
	if e.timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, e.timeout)
		defer cancel()
	}
	wait := time.Second
	for {
		retry, after, err := e.post(ctx, body)
		if !retry {
			return err
		}
		if after > 0 {
			wait = after
		}
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return errors.Join(err, ctx.Err())
		case <-e.stopped:
			t.Stop()
			return err
		case <-t.C:
		}
		wait = min(2*wait, 30*time.Second)
	}
}

// post sends one request; retry says whether it may succeed again
// (after: the server's Retry-After).
func (e *otlpExporter) post(ctx context.Context, body []byte) (retry bool, after time.Duration, err error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, e.url, bytes.NewReader(body))
	if err != nil {
		return false, 0, err
	}
	req.Header.Set("Content-Type", "application/x-protobuf")
	req.Header.Set("User-Agent", "Stepwise OTLP/HTTP exporter")
	if e.gzip {
		req.Header.Set("Content-Encoding", "gzip")
	}
	for k, v := range e.headers {
		req.Header.Set(k, v)
	}
	resp, err := e.client.Do(req)
	if err != nil {
		return ctx.Err() == nil, 0, fmt.Errorf("otlp export: %w", err)
	}
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 1<<20)) // a partial success's message, ignored
	resp.Body.Close()
	switch resp.StatusCode {
	case http.StatusOK, http.StatusAccepted, http.StatusNoContent:
		return false, 0, nil
	case http.StatusTooManyRequests, http.StatusBadGateway, http.StatusServiceUnavailable, http.StatusGatewayTimeout:
		if s, err := strconv.Atoi(resp.Header.Get("Retry-After")); err == nil && s > 0 {
			after = time.Duration(s) * time.Second
		}
		return true, after, fmt.Errorf("otlp export: %s", resp.Status)
	}
	return false, 0, fmt.Errorf("otlp export: %s", resp.Status)
}

// Shutdown implements sdktrace.SpanExporter: later exports do nothing.
func (e *otlpExporter) Shutdown(context.Context) error {
	e.stopOnce.Do(func() { close(e.stopped) })
	e.client.CloseIdleConnections()
	return nil
}
