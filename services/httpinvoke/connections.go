package httpinvoke

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"regexp"
	"sort"
	"strings"
	"sync"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/stepwise-dev/stepwise/engine"
)

// Connection is a named set of credentials and request parameters that
// HTTP tasks select by their ConnectionArn, as an EventBridge connection
// on AWS. At most one of Basic, APIKey and OAuth is set; with none, the
// connection adds only its parameters (a Stepwise extension, for APIs
// without authentication).
type Connection struct {
	Name   string                  `yaml:"-"`
	Basic  *BasicAuth              `yaml:"basic"`
	APIKey *APIKeyAuth             `yaml:"api_key"`
	OAuth  *OAuthClientCredentials `yaml:"oauth"`
	// Headers, QueryParameters and BodyParameters are merged over the
	// task's (the connection's win, as on AWS).
	Headers         map[string]string `yaml:"headers"`
	QueryParameters map[string]string `yaml:"query_parameters"`
	BodyParameters  map[string]string `yaml:"body_parameters"`
}

// BasicAuth is HTTP Basic authentication.
type BasicAuth struct {
	Username string `yaml:"username"`
	Password string `yaml:"password"`
}

// APIKeyAuth sends an API key in a header.
type APIKeyAuth struct {
	Header string `yaml:"header"`
	Value  string `yaml:"value"`
}

// OAuthClientCredentials gets a bearer token from an OAuth 2.0 token
// endpoint with the client-credentials grant; the token is cached until
// 30 s before it expires (expires_in), or, without expires_in, until the
// API answers 401.
type OAuthClientCredentials struct {
	TokenEndpoint string   `yaml:"token_endpoint"`
	ClientID      string   `yaml:"client_id"`
	ClientSecret  string   `yaml:"client_secret"`
	Scopes        []string `yaml:"scopes"`
	// ClientAuth is how the client authenticates to the token endpoint:
	// "basic" (HTTP Basic, the default) or "body" (client_id and
	// client_secret form parameters).
	ClientAuth string `yaml:"client_auth"`
	// Parameters are extra form parameters of the token request (e.g.
	// audience).
	Parameters map[string]string `yaml:"parameters"`
}

func (c *Connection) validate() error {
	var problems []string
	n := 0
	if c.Name == "" || strings.ContainsAny(c.Name, "/:") {
		problems = append(problems, "a name without '/' or ':' is required")
	}
	if b := c.Basic; b != nil {
		n++
		if b.Username == "" {
			problems = append(problems, "basic.username is required")
		}
	}
	if k := c.APIKey; k != nil {
		n++
		if k.Header == "" || k.Value == "" {
			problems = append(problems, "api_key.header and api_key.value are required")
		}
	}
	if o := c.OAuth; o != nil {
		n++
		if u, err := url.Parse(o.TokenEndpoint); err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
			problems = append(problems, "oauth.token_endpoint must be an http(s) URL")
		}
		if o.ClientID == "" {
			problems = append(problems, "oauth.client_id is required")
		}
		if o.ClientAuth != "" && o.ClientAuth != "basic" && o.ClientAuth != "body" {
			problems = append(problems, "oauth.client_auth must be basic or body")
		}
	}
	if n > 1 {
		problems = append(problems, "only one of basic, api_key and oauth may be set")
	}
	if len(problems) > 0 {
		return fmt.Errorf("connection %q: %s", c.Name, strings.Join(problems, ", "))
	}
	return nil
}

// connectionsFile is the file LoadConnections reads.
type connectionsFile struct {
	Connections map[string]*Connection `yaml:"connections"`
}

var envRef = regexp.MustCompile(`\$\{([A-Za-z_][A-Za-z0-9_]*)\}`)

// ParseConnections reads connections from YAML (or JSON) text:
//
//	connections:
//	  <name>:
//	    basic: {username: u, password: "${PASSWORD}"}
//	    # or api_key: {header: x-api-key, value: "${KEY}"}
//	    # or oauth: {token_endpoint: https://..., client_id: id,
//	    #            client_secret: "${SECRET}", scopes: [a, b]}
//	    headers: {name: value}
//	    query_parameters: {name: value}
//	    body_parameters: {name: value}
//
// Every ${NAME} in a value is replaced by the variable lookup gives; a
// variable it does not have is an error. The connections come sorted by
// name.
func ParseConnections(data []byte, lookup func(string) (string, bool)) ([]Connection, error) {
	var f connectionsFile
	d := yaml.NewDecoder(bytes.NewReader(data))
	d.KnownFields(true)
	if err := d.Decode(&f); err != nil && !errors.Is(err, io.EOF) {
		return nil, err
	}
	var out []Connection
	var problems []string
	for name, c := range f.Connections {
		if c == nil {
			c = &Connection{}
		}
		c.Name = name
		expand := func(s *string) {
			*s = envRef.ReplaceAllStringFunc(*s, func(ref string) string {
				v, ok := lookup(ref[2 : len(ref)-1])
				if !ok {
					problems = append(problems, fmt.Sprintf("connection %q: the environment variable %s is not set", name, ref[2:len(ref)-1]))
				}
				return v
			})
		}
		c.expandStrings(expand)
		if err := c.validate(); err != nil {
			problems = append(problems, err.Error())
		}
		out = append(out, *c)
	}
	if len(problems) > 0 {
		sort.Strings(problems)
		return nil, errors.New(strings.Join(problems, "; "))
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out, nil
}

// LoadConnections reads the connections file at path (see
// ParseConnections), resolving ${NAME} from the environment.
func LoadConnections(path string) ([]Connection, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	conns, err := ParseConnections(data, os.LookupEnv)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return conns, nil
}

func (c *Connection) expandStrings(f func(*string)) {
	for _, m := range []map[string]string{c.Headers, c.QueryParameters, c.BodyParameters} {
		for k, v := range m {
			f(&v)
			m[k] = v
		}
	}
	if b := c.Basic; b != nil {
		f(&b.Username)
		f(&b.Password)
	}
	if k := c.APIKey; k != nil {
		f(&k.Header)
		f(&k.Value)
	}
	if o := c.OAuth; o != nil {
		f(&o.TokenEndpoint)
		f(&o.ClientID)
		f(&o.ClientSecret)
		for k, v := range o.Parameters {
			f(&v)
			o.Parameters[k] = v
		}
	}
}

// redactor masks a connection's secrets in text.
type redactor struct {
	secrets []string
}

// minSecret is the shortest secret masked: shorter ones would mask
// ordinary text.
const minSecret = 4

func (c *Connection) redactor() redactor {
	var r redactor
	if b := c.Basic; b != nil {
		r.add(b.Password)
		r.add(base64.StdEncoding.EncodeToString([]byte(b.Username + ":" + b.Password)))
	}
	if k := c.APIKey; k != nil {
		r.add(k.Value)
	}
	if o := c.OAuth; o != nil {
		r.add(o.ClientSecret)
		r.add(base64.StdEncoding.EncodeToString([]byte(url.QueryEscape(o.ClientID) + ":" + url.QueryEscape(o.ClientSecret))))
	}
	return r
}

func (r *redactor) add(secret string) {
	if len(secret) < minSecret {
		return
	}
	r.secrets = append(r.secrets, secret)
	if e := url.QueryEscape(secret); e != secret {
		r.secrets = append(r.secrets, e)
	}
	if e := escape(secret); e != secret {
		r.secrets = append(r.secrets, e)
	}
	if j, _ := json.Marshal(secret); string(j[1:len(j)-1]) != secret {
		r.secrets = append(r.secrets, string(j[1:len(j)-1]))
	}
}

func (r *redactor) text(s string) string {
	for _, sec := range r.secrets {
		s = strings.ReplaceAll(s, sec, "***")
	}
	return s
}

// tokenCache holds an OAuth connection's bearer token. mu is held while a
// token is fetched, so concurrent tasks wait for one request.
type tokenCache struct {
	mu      sync.Mutex
	token   string
	expires time.Time // zero: until the API answers 401
}

func (s *Service) tokenCache(name string) *tokenCache {
	s.mu.Lock()
	defer s.mu.Unlock()
	tc := s.tokens[name]
	if tc == nil {
		tc = &tokenCache{}
		s.tokens[name] = tc
	}
	return tc
}

// dropToken forgets token, the connection's bearer token an API refused.
func (s *Service) dropToken(name, token string) {
	tc := s.tokenCache(name)
	tc.mu.Lock()
	if tc.token == token {
		tc.token = ""
	}
	tc.mu.Unlock()
}

// bearer returns the connection's cached token, or fetches one and
// records it (r learns it, to mask it).
func (s *Service) bearer(ctx context.Context, c *Connection, r *redactor) (string, error) {
	tc := s.tokenCache(c.Name)
	tc.mu.Lock()
	defer tc.mu.Unlock()
	if tc.token != "" && (tc.expires.IsZero() || s.cfg.Now().Before(tc.expires)) {
		r.add(tc.token)
		return tc.token, nil
	}
	tok, ttl, err := s.fetchToken(ctx, c.OAuth, r)
	if err != nil {
		return "", &engine.TaskFailure{Name: ErrConnectionState, Cause: fmt.Sprintf("connection %q: %v", c.Name, err)}
	}
	r.add(tok)
	tc.token, tc.expires = tok, time.Time{}
	if ttl > 0 {
		tc.expires = s.cfg.Now().Add(ttl - min(30*time.Second, ttl/2))
	}
	return tok, nil
}

func (s *Service) fetchToken(ctx context.Context, o *OAuthClientCredentials, r *redactor) (string, time.Duration, error) {
	form := url.Values{"grant_type": {"client_credentials"}}
	if len(o.Scopes) > 0 {
		form.Set("scope", strings.Join(o.Scopes, " "))
	}
	for k, v := range o.Parameters {
		form.Set(k, v)
	}
	if o.ClientAuth == "body" {
		form.Set("client_id", o.ClientID)
		form.Set("client_secret", o.ClientSecret)
	}
	ctx, cancel := context.WithTimeout(ctx, s.cfg.Timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, o.TokenEndpoint, strings.NewReader(form.Encode()))
	if err != nil {
		return "", 0, err
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Accept", "application/json")
	if o.ClientAuth != "body" {
		// RFC 6749 §2.3.1: the client id and secret form-encoded, then Basic.
		req.SetBasicAuth(url.QueryEscape(o.ClientID), url.QueryEscape(o.ClientSecret))
	}
	resp, err := s.client.Do(req)
	if err != nil {
		return "", 0, fmt.Errorf("the OAuth token request failed: %s", r.text(transportCause(err)))
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return "", 0, fmt.Errorf("the OAuth token request failed: %s", r.text(transportCause(err)))
	}
	if resp.StatusCode/100 != 2 {
		return "", 0, fmt.Errorf("the OAuth token endpoint answered %s", resp.Status)
	}
	var tr struct {
		AccessToken string      `json:"access_token"`
		ExpiresIn   json.Number `json:"expires_in"`
	}
	if err := json.Unmarshal(body, &tr); err != nil || tr.AccessToken == "" {
		return "", 0, errors.New("the OAuth token endpoint's answer has no access_token")
	}
	secs, _ := tr.ExpiresIn.Float64()
	return tr.AccessToken, time.Duration(secs * float64(time.Second)), nil
}
