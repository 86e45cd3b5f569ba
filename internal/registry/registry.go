// Package registry talks to an OCI distribution registry directly, for what
// the Docker engine cannot do for mycompose: push a compose project as an
// OCI artifact (publish) and resolve image tags to digests (config
// --resolve-image-digests). It speaks the distribution API over HTTPS, or
// plain HTTP for loopback registries and those the user marks insecure (as
// the Docker engine does), with basic or bearer-token authentication.
package registry

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync"

	"github.com/distribution/reference"
	"github.com/opencontainers/go-digest"
)

// ErrUnexpectedStatus is wrapped by the error of a request the registry
// answered with an unexpected status; StatusError carries the code.
var ErrUnexpectedStatus = errors.New("unexpected registry status")

// StatusError is a registry answer with an unexpected status.
type StatusError struct {
	Op         string
	StatusCode int
	Body       string
}

func (e *StatusError) Error() string {
	msg := fmt.Sprintf("%s: registry answered %d %s", e.Op, e.StatusCode, http.StatusText(e.StatusCode))
	if e.Body != "" {
		msg += ": " + e.Body
	}
	return msg
}

func (e *StatusError) Unwrap() error { return ErrUnexpectedStatus }

// Credentials returns the user's credentials for a registry host ("" when
// none): a user and password, or an identity token.
type Credentials func(host string) (user, password string, err error)

// Client is a registry client.
type Client struct {
	HTTP        *http.Client
	Credentials Credentials
	// Insecure lists registry hosts reached over plain HTTP besides the
	// loopback ones.
	Insecure []string

	mu     sync.Mutex
	tokens map[string]string // "host scope" -> Authorization header value
}

// Repo is one repository of a registry.
type Repo struct {
	c    *Client
	host string // registry host as in references (docker.io)
	base string // scheme://api-host
	name string // path in the registry
}

// Repository returns the repository a reference names.
func (c *Client) Repository(named reference.Named) *Repo {
	host := reference.Domain(named)
	api := host
	if host == "docker.io" {
		api = "registry-1.docker.io"
	}
	scheme := "https"
	if c.insecure(host) {
		scheme = "http"
	}
	return &Repo{c: c, host: host, base: scheme + "://" + api, name: reference.Path(named)}
}

func (c *Client) insecure(host string) bool {
	for _, h := range c.Insecure {
		if h == host {
			return true
		}
	}
	name := host
	if h, _, err := net.SplitHostPort(host); err == nil {
		name = h
	}
	if name == "localhost" {
		return true
	}
	ip := net.ParseIP(name)
	return ip != nil && ip.IsLoopback()
}

// do sends a request built by mk, answering an authentication challenge
// once (basic, or a bearer token for scope).
func (r *Repo) do(ctx context.Context, scope string, mk func() (*http.Request, error)) (*http.Response, error) {
	client := r.c.HTTP
	if client == nil {
		client = http.DefaultClient
	}
	key := r.host + " " + scope
	for attempt := 0; ; attempt++ {
		req, err := mk()
		if err != nil {
			return nil, err
		}
		req = req.WithContext(ctx)
		r.c.mu.Lock()
		if a := r.c.tokens[key]; a != "" {
			req.Header.Set("Authorization", a)
		}
		r.c.mu.Unlock()
		resp, err := client.Do(req)
		if err != nil {
			return nil, err
		}
		if resp.StatusCode != http.StatusUnauthorized || attempt > 0 {
			return resp, nil
		}
		challenge := resp.Header.Get("WWW-Authenticate")
		resp.Body.Close()
		auth, err := r.authorize(ctx, client, challenge, scope)
		if err != nil {
			return nil, err
		}
		r.c.mu.Lock()
		if r.c.tokens == nil {
			r.c.tokens = map[string]string{}
		}
		r.c.tokens[key] = auth
		r.c.mu.Unlock()
	}
}

// authorize answers a WWW-Authenticate challenge.
func (r *Repo) authorize(ctx context.Context, client *http.Client, challenge, scope string) (string, error) {
	var user, pass string
	if r.c.Credentials != nil {
		var err error
		if user, pass, err = r.c.Credentials(r.host); err != nil {
			return "", err
		}
	}
	scheme, params := parseChallenge(challenge)
	switch strings.ToLower(scheme) {
	case "basic":
		if user == "" {
			return "", fmt.Errorf("registry %s asks for credentials: docker login %s", r.host, r.host)
		}
		req, _ := http.NewRequest("GET", "http://x", nil)
		req.SetBasicAuth(user, pass)
		return req.Header.Get("Authorization"), nil
	case "bearer":
		u, err := url.Parse(params["realm"])
		if err != nil || params["realm"] == "" {
			return "", fmt.Errorf("registry %s: bad token realm %q", r.host, params["realm"])
		}
		q := u.Query()
		if s := params["service"]; s != "" {
			q.Set("service", s)
		}
		q.Set("scope", scope)
		u.RawQuery = q.Encode()
		req, err := http.NewRequestWithContext(ctx, "GET", u.String(), nil)
		if err != nil {
			return "", err
		}
		if user != "" {
			req.SetBasicAuth(user, pass)
		}
		resp, err := client.Do(req)
		if err != nil {
			return "", err
		}
		defer resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			return "", &StatusError{Op: "get a token from " + u.Host, StatusCode: resp.StatusCode}
		}
		var tok struct {
			Token       string `json:"token"`
			AccessToken string `json:"access_token"`
		}
		if err := json.NewDecoder(io.LimitReader(resp.Body, 1<<20)).Decode(&tok); err != nil {
			return "", fmt.Errorf("registry %s: token: %w", r.host, err)
		}
		if tok.Token == "" {
			tok.Token = tok.AccessToken
		}
		return "Bearer " + tok.Token, nil
	}
	return "", fmt.Errorf("registry %s: unsupported authentication %q", r.host, scheme)
}

// parseChallenge parses `Bearer realm="...",service="..."`.
func parseChallenge(h string) (string, map[string]string) {
	scheme, rest, _ := strings.Cut(strings.TrimSpace(h), " ")
	params := map[string]string{}
	for _, part := range strings.Split(rest, ",") {
		k, v, ok := strings.Cut(strings.TrimSpace(part), "=")
		if ok {
			params[strings.ToLower(k)] = strings.Trim(v, `"`)
		}
	}
	return scheme, params
}

func (r *Repo) url(path string) string { return r.base + "/v2/" + r.name + path }

func (r *Repo) scope(actions string) string { return "repository:" + r.name + ":" + actions }

// PushBlob uploads content unless the registry has it already.
func (r *Repo) PushBlob(ctx context.Context, d digest.Digest, content []byte) error {
	scope := r.scope("pull,push")
	resp, err := r.do(ctx, scope, func() (*http.Request, error) { return http.NewRequest("HEAD", r.url("/blobs/"+d.String()), nil) })
	if err != nil {
		return err
	}
	resp.Body.Close()
	if resp.StatusCode == http.StatusOK {
		return nil
	}
	resp, err = r.do(ctx, scope, func() (*http.Request, error) { return http.NewRequest("POST", r.url("/blobs/uploads/"), nil) })
	if err != nil {
		return err
	}
	if err := expect(resp, "start a blob upload", http.StatusAccepted); err != nil {
		return err
	}
	loc, err := resp.Request.URL.Parse(resp.Header.Get("Location"))
	if err != nil {
		return fmt.Errorf("blob upload location: %w", err)
	}
	q := loc.Query()
	q.Set("digest", d.String())
	loc.RawQuery = q.Encode()
	resp, err = r.do(ctx, scope, func() (*http.Request, error) {
		req, err := http.NewRequest("PUT", loc.String(), bytes.NewReader(content))
		if err == nil {
			req.Header.Set("Content-Type", "application/octet-stream")
			req.ContentLength = int64(len(content))
		}
		return req, err
	})
	if err != nil {
		return err
	}
	return expect(resp, "upload blob "+d.String(), http.StatusCreated)
}

// PushManifest stores a manifest under tag (or its digest when tag is "").
func (r *Repo) PushManifest(ctx context.Context, tag, mediaType string, manifest []byte) error {
	ref := tag
	if ref == "" {
		ref = digest.FromBytes(manifest).String()
	}
	resp, err := r.do(ctx, r.scope("pull,push"), func() (*http.Request, error) {
		req, err := http.NewRequest("PUT", r.url("/manifests/"+ref), bytes.NewReader(manifest))
		if err == nil {
			req.Header.Set("Content-Type", mediaType)
			req.ContentLength = int64(len(manifest))
		}
		return req, err
	})
	if err != nil {
		return err
	}
	return expect(resp, "push manifest "+r.name+":"+ref, http.StatusCreated)
}

// Manifest fetches a manifest by tag or digest.
func (r *Repo) Manifest(ctx context.Context, ref string) (mediaType string, body []byte, err error) {
	resp, err := r.do(ctx, r.scope("pull"), func() (*http.Request, error) {
		req, err := http.NewRequest("GET", r.url("/manifests/"+ref), nil)
		if err == nil {
			req.Header.Set("Accept", strings.Join(manifestTypes, ", "))
		}
		return req, err
	})
	if err != nil {
		return "", nil, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return "", nil, expect(resp, "get manifest "+r.name+":"+ref, http.StatusOK)
	}
	body, err = io.ReadAll(io.LimitReader(resp.Body, 4<<20))
	return resp.Header.Get("Content-Type"), body, err
}

// Blob fetches a blob.
func (r *Repo) Blob(ctx context.Context, d digest.Digest) ([]byte, error) {
	resp, err := r.do(ctx, r.scope("pull"), func() (*http.Request, error) { return http.NewRequest("GET", r.url("/blobs/"+d.String()), nil) })
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, expect(resp, "get blob "+d.String(), http.StatusOK)
	}
	return io.ReadAll(io.LimitReader(resp.Body, 64<<20))
}

var manifestTypes = []string{
	"application/vnd.oci.image.index.v1+json", "application/vnd.oci.image.manifest.v1+json",
	"application/vnd.docker.distribution.manifest.list.v2+json", "application/vnd.docker.distribution.manifest.v2+json",
}

// Resolve returns the digest of the manifest a tag names (the registry's
// Docker-Content-Digest, else the digest of the body).
func (r *Repo) Resolve(ctx context.Context, tag string) (digest.Digest, error) {
	resp, err := r.do(ctx, r.scope("pull"), func() (*http.Request, error) {
		req, err := http.NewRequest("GET", r.url("/manifests/"+tag), nil)
		if err == nil {
			req.Header.Set("Accept", strings.Join(manifestTypes, ", "))
		}
		return req, err
	})
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return "", expect(resp, "resolve "+r.host+"/"+r.name+":"+tag, http.StatusOK)
	}
	if d, err := digest.Parse(resp.Header.Get("Docker-Content-Digest")); err == nil {
		return d, nil
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, 4<<20))
	if err != nil {
		return "", err
	}
	return digest.FromBytes(body), nil
}

// expect closes resp and returns nil when its status is want.
func expect(resp *http.Response, op string, want int) error {
	defer resp.Body.Close()
	if resp.StatusCode == want {
		return nil
	}
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 512))
	return &StatusError{Op: op, StatusCode: resp.StatusCode, Body: strings.TrimSpace(string(body))}
}
