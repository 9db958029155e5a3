package web_test

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"mime/multipart"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"golang.org/x/net/html"

	"closeloop/internal/access"
	"closeloop/internal/apptest"
	"closeloop/internal/httpx"
	"closeloop/internal/server"
)

// env is the whole product in-process: the real handler with its
// middleware, on an apptest fixture, behind an httptest server.
type env struct {
	*apptest.Fixture
	srv *httptest.Server
}

func newEnv(t *testing.T) *env {
	t.Helper()
	f := apptest.NewFixture(t)
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	srv := httptest.NewServer(server.Handler(f.App, log))
	t.Cleanup(srv.Close)
	return &env{Fixture: f, srv: srv}
}

// browser is one user agent with its own cookies.
type browser struct {
	t   *testing.T
	e   *env
	c   *http.Client
	hdr http.Header
}

func (e *env) browser(t *testing.T) *browser {
	jar, _ := cookiejar.New(nil)
	return &browser{t: t, e: e, c: &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}, hdr: http.Header{}}
}

// as signs a fresh browser in as the fixture user p.
func (e *env) as(t *testing.T, p *access.Principal) *browser {
	t.Helper()
	b := e.browser(t)
	r := b.post("/login", url.Values{"email": {p.Email}, "password": {apptest.Password}})
	if r.status != http.StatusSeeOther {
		t.Fatalf("sign in as %s: status %d\n%s", p.Email, r.status, r.body)
	}
	return b
}

type resp struct {
	status int
	body   string
	hdr    http.Header
	loc    string
}

func (b *browser) do(req *http.Request) resp {
	b.t.Helper()
	for k, v := range b.hdr {
		req.Header[k] = v
	}
	res, err := b.c.Do(req)
	if err != nil {
		b.t.Fatalf("%s %s: %v", req.Method, req.URL, err)
	}
	defer res.Body.Close()
	body, _ := io.ReadAll(res.Body)
	r := resp{status: res.StatusCode, body: string(body), hdr: res.Header, loc: res.Header.Get("Location")}
	checkPage(b.t, req.Method+" "+req.URL.Path, r)
	return r
}

func (b *browser) get(path string) resp {
	b.t.Helper()
	req, _ := http.NewRequest(http.MethodGet, b.e.srv.URL+path, nil)
	return b.do(req)
}

func (b *browser) post(path string, form url.Values) resp {
	b.t.Helper()
	req, _ := http.NewRequest(http.MethodPost, b.e.srv.URL+path, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	return b.do(req)
}

func (b *browser) upload(path, file string, data []byte, fields url.Values) resp {
	b.t.Helper()
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	for k, vs := range fields {
		for _, v := range vs {
			_ = mw.WriteField(k, v)
		}
	}
	fw, _ := mw.CreateFormFile("file", file)
	_, _ = fw.Write(data)
	_ = mw.Close()
	req, _ := http.NewRequest(http.MethodPost, b.e.srv.URL+path, &buf)
	req.Header.Set("Content-Type", mw.FormDataContentType())
	return b.do(req)
}

// follow fetches the page a redirect points to.
func (b *browser) follow(r resp) resp {
	b.t.Helper()
	if r.status != http.StatusSeeOther && r.status != http.StatusFound {
		b.t.Fatalf("expected a redirect, got %d\n%s", r.status, snippet(r.body))
	}
	return b.get(r.loc)
}

// mustGet fetches a page that must answer 200.
func (b *browser) mustGet(path string) resp {
	b.t.Helper()
	r := b.get(path)
	if r.status != http.StatusOK {
		b.t.Fatalf("GET %s: status %d\n%s", path, r.status, snippet(r.body))
	}
	return r
}

func snippet(s string) string {
	if i := strings.Index(s, `<main`); i >= 0 {
		s = s[i:]
	}
	if len(s) > 3000 {
		s = s[:3000]
	}
	return s
}

// checkPage enforces the CSP contract on every HTML page the tests see:
// the header is there, and the markup has no inline script, no style
// attribute or element, and no on* handler attribute.
func checkPage(t *testing.T, what string, r resp) {
	t.Helper()
	if got := r.hdr.Get("Content-Security-Policy"); got != httpx.CSP {
		t.Errorf("%s: CSP header %q", what, got)
	}
	if !strings.HasPrefix(r.hdr.Get("Content-Type"), "text/html") || r.body == "" {
		return
	}
	z := html.NewTokenizer(strings.NewReader(r.body))
	inScript := false
	for {
		tt := z.Next()
		switch tt {
		case html.ErrorToken:
			return
		case html.TextToken:
			if inScript && strings.TrimSpace(string(z.Text())) != "" {
				t.Errorf("%s: inline script body", what)
			}
		case html.EndTagToken:
			name, _ := z.TagName()
			if string(name) == "script" {
				inScript = false
			}
		case html.StartTagToken, html.SelfClosingTagToken:
			name, hasAttr := z.TagName()
			tag := string(name)
			if tag == "style" {
				t.Errorf("%s: <style> element", what)
			}
			hasSrc := false
			for hasAttr {
				var k, v []byte
				k, v, hasAttr = z.TagAttr()
				key := string(k)
				switch {
				case key == "style":
					t.Errorf("%s: style attribute on <%s>", what, tag)
				case strings.HasPrefix(key, "on"):
					t.Errorf("%s: %s= handler on <%s>", what, key, tag)
				case strings.HasPrefix(key, "hx-on"):
					t.Errorf("%s: %s attribute on <%s>", what, key, tag)
				case key == "src" && tag == "script":
					hasSrc = true
				case key == "href" && strings.HasPrefix(strings.ToLower(strings.TrimSpace(string(v))), "javascript:"):
					t.Errorf("%s: javascript: URL", what)
				}
			}
			if tag == "script" {
				if !hasSrc {
					t.Errorf("%s: <script> without src", what)
				}
				inScript = tt == html.StartTagToken
			}
		}
	}
}

var tagRE = regexp.MustCompile(`<[^>]+>`)

// text is the visible text of a page (for asserting on messages).
func text(body string) string {
	return html.UnescapeString(tagRE.ReplaceAllString(body, " "))
}

func ctx() context.Context { return context.Background() }
