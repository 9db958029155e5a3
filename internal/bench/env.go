package bench

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"sync"
	"time"

	"closeloop/internal/access"
	"closeloop/internal/app"
	"closeloop/internal/httpx"
)

// Env is a benchmark target: a running server at URL and, beside it, the
// same database opened directly for the raw comparisons and for credentials.
type Env struct {
	App  *app.App
	Info *Info
	URL  string
	HTTP *http.Client

	mu       sync.Mutex
	tokens   map[string]string
	sessions map[string]string
	princ    map[string]*access.Principal
}

// NewEnv prepares a target; url is the server's base URL (no trailing /).
func NewEnv(a *app.App, info *Info, url string) *Env {
	tr := &http.Transport{MaxIdleConns: 256, MaxIdleConnsPerHost: 256, IdleConnTimeout: time.Minute, DisableCompression: true}
	return &Env{App: a, Info: info, URL: url, HTTP: &http.Client{Transport: tr, Timeout: 60 * time.Second},
		tokens: map[string]string{}, sessions: map[string]string{}, princ: map[string]*access.Principal{}}
}

// Token returns a write-scoped API token of u, made once per run.
func (e *Env) Token(ctx context.Context, u User) (string, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if t, ok := e.tokens[u.ID]; ok {
		return t, nil
	}
	t, _, err := e.App.Auth.CreateToken(ctx, access.SystemPrincipal(), u.ID, "closeloop-bench", "write", 24*time.Hour)
	if err != nil {
		return "", err
	}
	e.tokens[u.ID] = t
	return t, nil
}

// Session returns a session cookie value of u, as a browser would hold
// after signing in (made directly, without the argon2 sign-in).
func (e *Env) Session(ctx context.Context, u User) (string, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if s, ok := e.sessions[u.ID]; ok {
		return s, nil
	}
	s, _, err := e.App.Auth.NewSession(ctx, u.ID, true, "127.0.0.1", "closeloop-bench")
	if err != nil {
		return "", err
	}
	e.sessions[u.ID] = s
	return s, nil
}

// Principal returns u's principal (roles and team subtree).
func (e *Env) Principal(ctx context.Context, u User) (*access.Principal, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if p, ok := e.princ[u.ID]; ok {
		return p, nil
	}
	p, err := e.App.DB.LoadPrincipal(ctx, u.ID)
	if err != nil {
		return nil, err
	}
	e.princ[u.ID] = p
	return p, nil
}

// cred is how a request authenticates: a bearer token or a session cookie.
type cred struct{ token, cookie string }

// do sends a request and reads the whole answer; a status other than
// want is an error. The body is returned only when keep is set.
func (e *Env) do(ctx context.Context, method, path string, c cred, body any, want int, keep bool) ([]byte, error) {
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return nil, err
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, e.URL+path, rd)
	if err != nil {
		return nil, err
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if c.token != "" {
		req.Header.Set("Authorization", "Bearer "+c.token)
	}
	if c.cookie != "" {
		req.AddCookie(&http.Cookie{Name: httpx.SessionCookie, Value: c.cookie})
	}
	req.Header.Set("Accept-Language", "zh-CN")
	resp, err := e.HTTP.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	var out []byte
	if keep || resp.StatusCode != want {
		out, err = io.ReadAll(resp.Body)
	} else {
		_, err = io.Copy(io.Discard, resp.Body)
	}
	if err != nil {
		return nil, err
	}
	if resp.StatusCode != want {
		if len(out) > 300 {
			out = out[:300]
		}
		return nil, fmt.Errorf("%s %s: %d %s", method, path, resp.StatusCode, out)
	}
	return out, nil
}
