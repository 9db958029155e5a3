package web_test

import (
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/pquerna/otp/totp"

	"closeloop/internal/apptest"
	"closeloop/internal/server"
)

func TestSignIn(t *testing.T) {
	e := newEnv(t)
	b := e.browser(t)

	// A visitor is sent to sign in and comes back afterwards.
	r := b.get("/customers?level=A")
	if r.status != http.StatusSeeOther || !strings.HasPrefix(r.loc, "/login?next=") {
		t.Fatalf("visitor: %d %q", r.status, r.loc)
	}
	r = b.follow(r)
	if r.status != http.StatusOK || !strings.Contains(r.body, `name="next" value="/customers?level=A"`) {
		t.Fatalf("login page keeps next: %d\n%s", r.status, snippet(r.body))
	}

	tests := []struct {
		name, email, pw string
		want            int
	}{
		{"unknown user", "nobody@example.com", apptest.Password, http.StatusUnauthorized},
		{"wrong password", e.Rep1.Email, "wrong password!", http.StatusUnauthorized},
		{"empty", "", "", http.StatusUnauthorized},
	}
	var msgs []string
	for _, tc := range tests {
		r := b.post("/login", url.Values{"email": {tc.email}, "password": {tc.pw}})
		if r.status != tc.want {
			t.Errorf("%s: status %d", tc.name, r.status)
		}
		if !strings.Contains(r.body, "邮箱或密码不正确") {
			t.Errorf("%s: no failure message", tc.name)
		}
		msgs = append(msgs, text(r.body[strings.Index(r.body, "alert"):]))
	}
	if msgs[0] != msgs[1] {
		t.Errorf("unknown user and wrong password answer differently")
	}

	// Success: a new session, back to the page asked for, only same-site.
	before, _ := url.Parse(e.srv.URL)
	old := b.c.Jar.Cookies(before)
	r = b.post("/login", url.Values{"email": {e.Rep1.Email}, "password": {apptest.Password}, "next": {"/customers?level=A"}})
	if r.status != http.StatusSeeOther || r.loc != "/customers?level=A" {
		t.Fatalf("sign in: %d %q", r.status, r.loc)
	}
	sess := ""
	for _, c := range b.c.Jar.Cookies(before) {
		if c.Name == "closeloop_session" {
			sess = c.Value
		}
	}
	if sess == "" {
		t.Fatal("no session cookie")
	}
	for _, c := range old {
		if c.Name == "closeloop_session" && c.Value == sess {
			t.Fatal("session not rotated")
		}
	}
	b.mustGet("/customers")

	// Signing in again rotates the session: the old cookie is dead.
	other := e.browser(t)
	u, _ := url.Parse(e.srv.URL)
	other.c.Jar.SetCookies(u, []*http.Cookie{{Name: "closeloop_session", Value: sess, Path: "/"}})
	other.mustGet("/")
	r = b.post("/login", url.Values{"email": {e.Rep1.Email}, "password": {apptest.Password}})
	if r.status != http.StatusSeeOther {
		t.Fatal(r.status)
	}
	if r := other.get("/"); r.status != http.StatusSeeOther {
		t.Errorf("old session still valid after a new sign-in: %d", r.status)
	}

	for _, next := range []string{"//evil.example/x", "https://evil.example/", "/\\evil", "javascript:alert(1)"} {
		b2 := e.browser(t)
		r := b2.post("/login", url.Values{"email": {e.Rep2.Email}, "password": {apptest.Password}, "next": {next}})
		if r.loc != "/" {
			t.Errorf("next %q: redirected to %q", next, r.loc)
		}
	}

	// Sign out ends the session.
	r = b.post("/logout", nil)
	if r.status != http.StatusSeeOther || r.loc != "/login" {
		t.Fatalf("logout: %d %q", r.status, r.loc)
	}
	if r := b.get("/"); r.status != http.StatusSeeOther {
		t.Errorf("signed out but / answers %d", r.status)
	}
}

func TestSignInThrottled(t *testing.T) {
	e := newEnv(t)
	b := e.browser(t)
	var last resp
	for i := 0; i < 8; i++ {
		last = b.post("/login", url.Values{"email": {e.Rep2.Email}, "password": {"nope-nope-nope"}})
		if last.status == http.StatusTooManyRequests {
			break
		}
	}
	if last.status != http.StatusTooManyRequests {
		t.Fatalf("never throttled: %d", last.status)
	}
	if !strings.Contains(last.body, "秒后再试") || last.hdr.Get("Retry-After") == "" {
		t.Errorf("throttle message without seconds:\n%s", snippet(last.body))
	}
	// Even the right password waits.
	r := b.post("/login", url.Values{"email": {e.Rep2.Email}, "password": {apptest.Password}})
	if r.status != http.StatusTooManyRequests {
		t.Errorf("right password while throttled: %d", r.status)
	}
}

func TestLanguageSwitch(t *testing.T) {
	e := newEnv(t)
	v := e.browser(t)
	r := v.get("/lang?lang=en&next=/login")
	if r.status != http.StatusSeeOther {
		t.Fatal(r.status)
	}
	r = v.mustGet("/login")
	if !strings.Contains(r.body, `lang="en"`) || !strings.Contains(r.body, "Sign in") {
		t.Fatalf("visitor language not switched:\n%s", snippet(r.body))
	}
	b := e.as(t, e.Rep1)
	r = b.post("/lang", url.Values{"lang": {"en"}, "next": {"/customers"}})
	if r.status != http.StatusSeeOther || r.loc != "/customers" {
		t.Fatalf("lang: %d %q", r.status, r.loc)
	}
	if r := b.mustGet("/customers"); !strings.Contains(r.body, "Customers") {
		t.Errorf("not in English:\n%s", snippet(r.body))
	}
	// The choice is the user's: another browser of the same user sees it.
	b2 := e.as(t, e.Rep1)
	if r := b2.mustGet("/"); !strings.Contains(r.body, `<html lang="en">`) {
		t.Errorf("user setting not kept")
	}
	b2.post("/lang", url.Values{"lang": {"zh-CN"}, "next": {"/"}})
	if r := b2.mustGet("/"); !strings.Contains(r.body, `<html lang="zh-CN">`) {
		t.Errorf("switch back failed")
	}
}

func TestErrorPages(t *testing.T) {
	e := newEnv(t)
	b := e.as(t, e.Rep1)
	for _, tc := range []struct {
		method, path string
		want         int
	}{
		{"GET", "/no/such/page", 404},
		{"GET", "/customers/not-an-id", 404},
		{"GET", "/customers/0190e9a0-0000-7000-8000-000000000000", 404},
		{"POST", "/customers", 405},
		{"GET", "/activities/0190e9a0-0000-7000-8000-000000000000/done", 405},
		{"GET", "/settings", 403},
		{"GET", "/imports/xyz", 404},
		{"GET", "/customers?level=Z", 422},
		{"GET", "/search?q=" + strings.Repeat("长", 120), 400},
	} {
		var r resp
		if tc.method == "GET" {
			r = b.get(tc.path)
		} else {
			r = b.post(tc.path, nil)
		}
		if r.status != tc.want {
			t.Errorf("%s %s: %d, want %d", tc.method, tc.path, r.status, tc.want)
		}
		if !strings.Contains(r.body, `<html lang="zh-CN">`) {
			t.Errorf("%s %s: not a localized page", tc.method, tc.path)
		}
		if strings.Contains(r.body, "goroutine") || strings.Contains(r.body, "sql:") {
			t.Errorf("%s %s: leaks internals", tc.method, tc.path)
		}
	}
}

func TestStaticAssets(t *testing.T) {
	e := newEnv(t)
	b := e.as(t, e.Rep1)
	page := b.mustGet("/")
	i := strings.Index(page.body, `href="/static/`)
	if i < 0 {
		t.Fatal("no hashed asset link")
	}
	href := page.body[i+6:]
	href = href[:strings.IndexByte(href, '"')]
	r := b.get(href)
	if r.status != 200 || r.hdr.Get("Cache-Control") != "public, max-age=31536000, immutable" {
		t.Errorf("%s: %d %q", href, r.status, r.hdr.Get("Cache-Control"))
	}
	if r := b.get("/static/0000/app.css"); r.status != 200 || r.hdr.Get("Cache-Control") != "no-cache" {
		t.Errorf("stale hash: %d %q", r.status, r.hdr.Get("Cache-Control"))
	}
	if r := b.get("/static/0000/kit.html"); r.status != 404 {
		t.Errorf("kit demo served: %d", r.status)
	}
}

func TestFirstAdminSetup(t *testing.T) {
	a := apptest.New(t)
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	srv := httptest.NewServer(server.Handler(a, log))
	t.Cleanup(srv.Close)
	e := &env{Fixture: &apptest.Fixture{App: a}, srv: srv}
	tok, err := a.Auth.NewSetupToken(ctx())
	if err != nil {
		t.Fatal(err)
	}
	b := e.browser(t)
	if r := b.get("/setup?token=wrong"); r.status != http.StatusOK {
		t.Fatalf("setup page: %d", r.status)
	}
	if r := b.post("/setup", url.Values{"token": {"wrong"}, "name": {"周敏"}, "email": {"zhoumin@example.com"}, "password": {"long-enough-pw"}, "password2": {"long-enough-pw"}}); r.status < 400 || !strings.Contains(r.body, "alert-error") {
		t.Errorf("wrong token: %d", r.status)
	}
	r := b.post("/setup", url.Values{"token": {tok}, "name": {"周敏"}, "email": {"not-an-email"}, "password": {"long-enough-pw"}, "password2": {"long-enough-pw"}})
	if r.status != http.StatusUnprocessableEntity || !strings.Contains(r.body, "邮箱") || !strings.Contains(r.body, `value="周敏"`) {
		t.Errorf("bad e-mail: %d", r.status)
	}
	r = b.post("/setup", url.Values{"token": {tok}, "name": {"周敏"}, "email": {"zhoumin@example.com"}, "password": {"long-enough-pw"}, "password2": {"long-enough-pw"}})
	if r.status != http.StatusSeeOther || r.loc != "/" {
		t.Fatalf("setup: %d %q\n%s", r.status, r.loc, snippet(r.body))
	}
	if page := b.mustGet("/").body; !strings.Contains(page, `href="/settings"`) {
		t.Error("first user is not an admin")
	}
	// The link is spent.
	if r := e.browser(t).post("/setup", url.Values{"token": {tok}, "name": {"又一个"}, "email": {"x@example.com"}, "password": {"long-enough-pw"}, "password2": {"long-enough-pw"}}); r.status < 400 {
		t.Errorf("setup link reused: %d", r.status)
	}
}

var secretRE = regexp.MustCompile(`<code class="secret">([A-Z2-7]+)</code>`)

// A role that requires a second factor forces enrolment at sign-in; later
// sign-ins ask for the code.
func TestTOTPForcedEnrolment(t *testing.T) {
	e := newEnv(t)
	roles, _ := e.App.DB.Roles(ctx())
	for _, r := range roles {
		if r.Code == "sales" {
			r.RequireTOTP = true
			if err := e.App.Admin.SaveRole(ctx(), e.Admin, r); err != nil {
				t.Fatal(err)
			}
		}
	}
	b := e.browser(t)
	r := b.post("/login", url.Values{"email": {e.Rep1.Email}, "password": {apptest.Password}, "next": {"/customers"}})
	if r.status != http.StatusSeeOther {
		t.Fatal(r.status)
	}
	r = b.follow(r) // /customers → owes a second factor
	if r.status != http.StatusSeeOther || !strings.HasPrefix(r.loc, "/login/totp") {
		t.Fatalf("not asked for a second factor: %d %q", r.status, r.loc)
	}
	r = b.follow(r)
	if r.status == http.StatusSeeOther {
		r = b.follow(r)
	}
	if !strings.Contains(r.body, "设置两步验证") {
		t.Fatalf("no enrolment page:\n%s", snippet(r.body))
	}
	r = b.post("/login/totp/setup", url.Values{"step": {"begin"}, "next": {"/customers"}})
	m := secretRE.FindStringSubmatch(r.body)
	if m == nil || !strings.Contains(r.body, `src="data:image/png;base64,`) {
		t.Fatalf("no QR code:\n%s", snippet(r.body))
	}
	if r := b.post("/login/totp/setup", url.Values{"code": {"000000"}}); r.status != http.StatusUnprocessableEntity {
		t.Errorf("wrong code: %d", r.status)
	}
	code, _ := totp.GenerateCode(m[1], time.Now())
	r = b.post("/login/totp/setup", url.Values{"code": {code}, "next": {"/customers"}})
	if r.status != http.StatusSeeOther || r.loc != "/customers" {
		t.Fatalf("confirm: %d %q", r.status, r.loc)
	}
	b.mustGet("/customers")

	// Next sign-in: the code is asked for.
	b2 := e.browser(t)
	b2.post("/login", url.Values{"email": {e.Rep1.Email}, "password": {apptest.Password}})
	if r := b2.get("/"); r.status != http.StatusSeeOther || !strings.HasPrefix(r.loc, "/login/totp") {
		t.Fatalf("second sign-in not asked: %d %q", r.status, r.loc)
	}
	if r := b2.post("/login/totp", url.Values{"code": {"123456"}}); r.status != http.StatusUnprocessableEntity || !strings.Contains(r.body, "验证码不正确") {
		t.Errorf("wrong code: %d", r.status)
	}
	code, _ = totp.GenerateCode(m[1], time.Now())
	if r := b2.post("/login/totp", url.Values{"code": {code}, "next": {"/"}}); r.status != http.StatusSeeOther {
		t.Fatalf("code: %d", r.status)
	}
	b2.mustGet("/")
	// It cannot be turned off while the role requires it.
	if page := b2.mustGet("/account").body; strings.Contains(page, "/account/totp/disable") {
		t.Error("required second factor can be turned off")
	}
}
