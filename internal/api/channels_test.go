package api_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"

	"closeloop/internal/apptest"
)

// The public endpoints need no token, take only their listed fields and
// are limited per client address.
func TestPublicServiceRequests(t *testing.T) {
	f := apptest.NewFixture(t)
	base := newServer(t, f)
	anon := &anonClient{t: t, base: base}
	png := append([]byte("\x89PNG\r\n\x1a\n"), make([]byte, 32)...)
	st, b := anon.do("POST", "/api/v1/public/service-requests", map[string]any{"name": "李工", "email": "li@example.com", "kind": "repair",
		"description": "设备无法开机", "photos": []map[string]any{{"name": "a.png", "content_base64": base64.StdEncoding.EncodeToString(png)}}})
	if st != 201 {
		t.Fatalf("anonymous request: %d %s", st, b)
	}
	got := decode(t, b)
	if n, _ := got["number"].(string); !strings.HasPrefix(n, "GD-") || got["status"] != "new" || got["portal_hint"] == "" {
		t.Errorf("answer %v", got)
	}
	if _, ok := got["customer_id"]; ok {
		t.Error("the answer discloses the customer")
	}
	for _, c := range []struct {
		body  any
		st    int
		field string
	}{
		{map[string]any{"name": "x", "email": "x@example.com", "description": "d", "customer_id": "01900000-0000-7000-8000-000000000001"}, 400, "customer_id"},
		{map[string]any{"name": "x", "email": "x@example.com", "description": "d", "status": "closed"}, 400, "status"},
		{map[string]any{"name": "x", "email": "x@example.com", "description": "d", "photos": []map[string]any{{"name": "a", "url": "http://x"}}}, 400, "photos.url"},
		{map[string]any{"name": "x", "description": "d"}, 422, "email"},
		{map[string]any{"name": 12, "email": "x@example.com", "description": "d"}, 422, "name"},
		{map[string]any{"name": "x", "email": "x@example.com", "description": "d", "photos": []map[string]any{{"name": "a.png", "content_base64": base64.StdEncoding.EncodeToString([]byte("<html><script>x</script>"))}}}, 422, "photos"},
	} {
		st, b := anon.do("POST", "/api/v1/public/service-requests", c.body)
		if st != c.st || !strings.Contains(string(b), c.field) {
			t.Errorf("%v: %d %s", c.body, st, b)
		}
	}
	var n int
	if err := f.App.DB.R().QueryRowContext(context.Background(), `SELECT count(*) FROM tickets`).Scan(&n); err != nil || n != 1 {
		t.Fatalf("tickets after refused requests: %d %v", n, err)
	}
	// 5 per address per 10 minutes: the first one counted, 4 more, then 429.
	for i := 0; i < 4; i++ {
		if st, b := anon.do("POST", "/api/v1/public/service-requests", map[string]any{"name": "x", "phone": "13900000000", "description": "d"}); st != 201 {
			t.Fatalf("request %d: %d %s", i+2, st, b)
		}
	}
	req := map[string]any{"name": "x", "phone": "13900000000", "description": "d"}
	st, b = anon.do("POST", "/api/v1/public/service-requests", req)
	if st != 429 || !strings.Contains(string(b), "too_many_requests") {
		t.Fatalf("6th request: %d %s", st, b)
	}
	// The portal link request says the same for a known and an unknown address.
	st1, b1 := anon.do("POST", "/api/v1/public/portal-links", map[string]any{"email": "li@example.com"})
	st2, b2 := anon.do("POST", "/api/v1/public/portal-links", map[string]any{"email": "nobody@example.com"})
	if st1 != 202 || st2 != 202 || string(b1) != string(b2) {
		t.Errorf("portal link requests: %d %s / %d %s", st1, b1, st2, b2)
	}
	if st, b := anon.do("POST", "/api/v1/public/portal-links", map[string]any{"email": "a@b.c", "customer": "x"}); st != 400 {
		t.Errorf("portal link with an extra field: %d %s", st, b)
	}
	// The signed-in endpoints are not public.
	for _, p := range []string{"/api/v1/channels/mail-in"} {
		if st, _ := anon.do("GET", p, nil); st != 401 {
			t.Errorf("GET %s without a token: %d", p, st)
		}
	}
	rep := &client{t: t, base: base, token: tokenFor(t, f, f.Rep1, "write"), name: "rep1"}
	if st, _ := rep.do("GET", "/api/v1/channels/mail-in", nil); st != 403 {
		t.Errorf("a rep reads the mailbox settings: %d", st)
	}
	adm := &client{t: t, base: base, token: tokenFor(t, f, f.Admin, "write"), name: "admin"}
	if st, b := adm.do("PUT", "/api/v1/channels/mail-in", map[string]any{"enabled": true, "host": "imap.example.com", "username": "svc", "password": "pw", "security": "tls"}); st != 200 || strings.Contains(string(b), `"pw"`) {
		t.Errorf("admin saves the mailbox: %d %s", st, b)
	}
	if st, b := adm.do("PUT", "/api/v1/channels/mail-in", map[string]any{"enabled": true, "host": "imap.example.com", "port": 99999, "username": "svc"}); st != 422 || !strings.Contains(string(b), "port") {
		t.Errorf("a bad port: %d %s", st, b)
	}
}

// anonClient calls the API without any token.
type anonClient struct {
	t    *testing.T
	base string
}

func (c *anonClient) do(method, path string, body any) (int, []byte) {
	c.t.Helper()
	var rd io.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		rd = bytes.NewReader(b)
	}
	req, _ := http.NewRequest(method, c.base+path, rd)
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		c.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode >= 500 {
		c.t.Errorf("anonymous %s %s: %d %s", method, path, resp.StatusCode, b)
	}
	if resp.StatusCode == 429 && resp.Header.Get("Retry-After") == "" {
		c.t.Errorf("%s %s: 429 without Retry-After", method, path)
	}
	return resp.StatusCode, b
}
