package httpinvoke

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/stepwise-dev/stepwise/engine"
)

// connHeadersKey is the context key of the header names a request's
// connection set, which a redirect to another host drops.
type connHeadersKey struct{}

// call sends the request p describes with conn's parameters and
// credentials and makes the task's output of the response.
func (s *Service) call(ctx context.Context, p *params, conn *Connection, red *redactor) (string, error) {
	// Merge the connection's parameters over the task's (AWS: the
	// connection's values win).
	headers := mergePairs(p.headers, conn.Headers, true)
	query := mergePairs(p.query, conn.QueryParameters, false)
	body, contentType, err := requestBody(p, conn)
	if err != nil {
		return "", err
	}

	u := *p.endpoint
	if q := encodePairs(query); q != "" {
		if u.RawQuery != "" {
			u.RawQuery += "&" + q
		} else {
			u.RawQuery = q
		}
	}
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	parent := ctx
	ctx, cancel := context.WithTimeout(ctx, s.cfg.Timeout)
	defer cancel()
	connHeaders := map[string]bool{}
	ctx = context.WithValue(ctx, connHeadersKey{}, connHeaders)
	req, err := http.NewRequestWithContext(ctx, p.method, u.String(), rd)
	if err != nil {
		return "", runtimeFailure("cannot make the request: %v", err)
	}
	for _, kv := range headers {
		req.Header.Add(kv[0], kv[1])
	}
	for k := range conn.Headers {
		connHeaders[http.CanonicalHeaderKey(k)] = true
	}
	if body != nil && req.Header.Get("Content-Type") == "" {
		req.Header.Set("Content-Type", contentType)
	}
	req.Header.Set("User-Agent", "Amazon|StepFunctions|HttpInvoke|"+s.cfg.Region)
	req.Header.Set("Range", fmt.Sprintf("bytes=0-%d", s.cfg.MaxResponseBytes))

	var token string
	switch {
	case conn.Basic != nil:
		req.SetBasicAuth(conn.Basic.Username, conn.Basic.Password)
		connHeaders["Authorization"] = true
	case conn.APIKey != nil:
		req.Header.Set(conn.APIKey.Header, conn.APIKey.Value)
		connHeaders[http.CanonicalHeaderKey(conn.APIKey.Header)] = true
	case conn.OAuth != nil:
		if token, err = s.bearer(ctx, conn, red); err != nil {
			return "", err
		}
		req.Header.Set("Authorization", "Bearer "+token)
		connHeaders["Authorization"] = true
	}

	resp, err := s.client.Do(req)
	if err != nil {
		if parent.Err() != nil {
			return "", parent.Err() // the engine is stopping: the task is dispatched again
		}
		if ctx.Err() != nil {
			return "", &engine.TaskFailure{Name: ErrSocket, Cause: fmt.Sprintf(
				"%s %s timed out after %s", p.method, endpointText(p), s.cfg.Timeout)}
		}
		return "", &engine.TaskFailure{Name: ErrSocket, Cause: fmt.Sprintf(
			"%s %s: %s", p.method, endpointText(p), transportCause(err))}
	}
	defer resp.Body.Close()

	if token != "" && resp.StatusCode == http.StatusUnauthorized {
		s.dropToken(conn.Name, token) // the next attempt gets a new one
	}
	if media, _, _ := mime.ParseMediaType(resp.Header.Get("Content-Type")); binaryMedia(media) {
		return "", runtimeFailure("the response's content type %s is not supported by the HTTP task", media)
	}
	data, err := io.ReadAll(io.LimitReader(resp.Body, s.cfg.MaxResponseBytes+1))
	if err != nil {
		if parent.Err() != nil {
			return "", parent.Err()
		}
		if ctx.Err() != nil {
			return "", &engine.TaskFailure{Name: ErrSocket, Cause: fmt.Sprintf(
				"%s %s timed out after %s reading the response", p.method, endpointText(p), s.cfg.Timeout)}
		}
		return "", &engine.TaskFailure{Name: ErrSocket, Cause: fmt.Sprintf(
			"%s %s: reading the response: %s", p.method, endpointText(p), transportCause(err))}
	}
	if int64(len(data)) > s.cfg.MaxResponseBytes {
		return "", &engine.TaskFailure{Name: ErrDataLimitExceeded, Cause: fmt.Sprintf(
			"the response body of %s %s is larger than %d bytes", p.method, endpointText(p), s.cfg.MaxResponseBytes)}
	}
	if !utf8.Valid(data) {
		return "", runtimeFailure("the response body is not valid UTF-8 text, which the HTTP task does not support")
	}

	statusText := strings.TrimSpace(strings.TrimPrefix(resp.Status, strconv.Itoa(resp.StatusCode)))
	if statusText == "" {
		statusText = http.StatusText(resp.StatusCode)
	}
	if resp.StatusCode/100 != 2 {
		return "", &engine.TaskFailure{Name: ErrStatusCodePrefix + strconv.Itoa(resp.StatusCode), Cause: statusText}
	}
	return red.text(output(resp, data, statusText)), nil
}

// endpointText is the endpoint without its query (which may carry
// secrets).
func endpointText(p *params) string {
	u := *p.endpoint
	u.RawQuery, u.User, u.Fragment = "", nil, ""
	return u.String()
}

// transportCause is err's text without the request URL (which may carry
// secrets in its query).
func transportCause(err error) string {
	var ue *url.Error
	if errors.As(err, &ue) {
		err = ue.Err
	}
	return err.Error()
}

// checkRedirect follows at most MaxRedirects redirects and, to another
// host, drops the headers the connection set.
func (s *Service) checkRedirect(req *http.Request, via []*http.Request) error {
	if s.cfg.MaxRedirects < 0 || len(via) >= s.cfg.MaxRedirects {
		return http.ErrUseLastResponse
	}
	if req.URL.Host != via[0].URL.Host {
		if h, ok := req.Context().Value(connHeadersKey{}).(map[string]bool); ok {
			for k := range h {
				req.Header.Del(k)
			}
		}
	}
	return nil
}

// mergePairs puts conn's values over pairs: a key of conn replaces every
// pair of that key (header names compared without case).
func mergePairs(pairs [][2]string, conn map[string]string, header bool) [][2]string {
	if len(conn) == 0 {
		return pairs
	}
	same := func(a, b string) bool {
		if header {
			return strings.EqualFold(a, b)
		}
		return a == b
	}
	keys := make([]string, 0, len(conn))
	for k := range conn {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var out [][2]string
	for _, kv := range pairs {
		overridden := false
		for _, k := range keys {
			if same(kv[0], k) {
				overridden = true
			}
		}
		if !overridden {
			out = append(out, kv)
		}
	}
	for _, k := range keys {
		out = append(out, [2]string{k, conn[k]})
	}
	return out
}

// requestBody is the request's body and its default content type: the
// RequestBody with the connection's body parameters merged over it, as
// JSON, form data (URL_ENCODED) or, for a string, the string itself.
func requestBody(p *params, conn *Connection) ([]byte, string, error) {
	b := p.body
	if len(conn.BodyParameters) > 0 {
		switch v := b.(type) {
		case string:
			return nil, "", runtimeFailure("the RequestBody is a string and the connection %q has body parameters: they cannot be merged", conn.Name)
		case object:
			b = append(object{}, v...)
		case nil:
			b = object{}
		default:
			return nil, "", runtimeFailure("the RequestBody is not a JSON object and the connection %q has body parameters: they cannot be merged", conn.Name)
		}
		o := b.(object)
		keys := make([]string, 0, len(conn.BodyParameters))
		for k := range conn.BodyParameters {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			o.set(k, conn.BodyParameters[k])
		}
		b = o
	} else if !p.hasBody || b == nil {
		return nil, "", nil
	}
	if s, ok := b.(string); ok {
		ct := "text/plain; charset=UTF-8"
		if p.urlEncoded {
			ct = "application/x-www-form-urlencoded"
		}
		return []byte(s), ct, nil
	}
	if p.urlEncoded {
		var pairs [][2]string
		formPairs("", b, p.arrayFormat, &pairs)
		return []byte(encodePairs(pairs)), "application/x-www-form-urlencoded", nil
	}
	data, err := json.Marshal(b)
	if err != nil {
		return nil, "", runtimeFailure("cannot serialise the RequestBody: %v", err)
	}
	return data, "application/json; charset=UTF-8", nil
}

func binaryMedia(media string) bool {
	return media == "application/octet-stream" || strings.HasPrefix(media, "image/") ||
		strings.HasPrefix(media, "video/") || strings.HasPrefix(media, "audio/")
}

func jsonMedia(media string) bool {
	return media == "application/json" || strings.HasSuffix(media, "+json")
}

// output is the task's output for a 2xx response.
func output(resp *http.Response, data []byte, statusText string) string {
	names := make([]string, 0, len(resp.Header))
	for k := range resp.Header {
		names = append(names, k)
	}
	sort.Strings(names)
	headers := object{}
	for _, k := range names {
		vals := make([]any, len(resp.Header[k]))
		for i, v := range resp.Header[k] {
			vals[i] = v
		}
		headers.set(strings.ToLower(k), vals)
	}
	var body any = string(data)
	media, _, _ := mime.ParseMediaType(resp.Header.Get("Content-Type"))
	if jsonMedia(media) && json.Valid(data) {
		var c bytes.Buffer
		_ = json.Compact(&c, data)
		body = json.RawMessage(c.Bytes())
	}
	out, _ := json.Marshal(object{
		{"Headers", headers},
		{"ResponseBody", body},
		{"StatusCode", resp.StatusCode},
		{"StatusText", statusText},
	})
	return string(out)
}
