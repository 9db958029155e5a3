package web

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"time"
	"unicode/utf8"

	"closeloop/internal/access"
	"closeloop/internal/entity"
	"closeloop/internal/errs"
	"closeloop/internal/httpx"
	"closeloop/internal/i18n"
	"closeloop/internal/records"
)

// rc is one request as a handler sees it.
type rc struct {
	s      *Server
	w      http.ResponseWriter
	r      *http.Request
	p      *access.Principal // nil on public pages for visitors
	L      i18n.Lang
	schema *entity.Schema
	users  []option // active users, loaded once per request
}

type handler func(c *rc) error

func (s *Server) newRC(w http.ResponseWriter, r *http.Request) *rc {
	httpx.NoteRoute(r)
	return &rc{s: s, w: w, r: r, p: httpx.Principal(r), L: httpx.Lang(r), schema: s.app.DB.Schema()}
}

// public serves pages anyone may open (sign-in, setup, errors).
func (s *Server) public(fn handler) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		c := s.newRC(w, r)
		if err := fn(c); err != nil {
			c.fail(err)
		}
	}
}

// page serves pages that need a signed-in user; visitors are sent to the
// sign-in page and come back afterwards.
func (s *Server) page(fn handler) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		c := s.newRC(w, r)
		if c.p == nil {
			c.toSignIn()
			return
		}
		if err := fn(c); err != nil {
			c.fail(err)
		}
	}
}

// adminPage serves settings: others get a 403 page.
func (s *Server) adminPage(fn handler) http.HandlerFunc {
	return s.page(func(c *rc) error {
		if !c.p.IsAdmin() {
			return errs.Denied()
		}
		return fn(c)
	})
}

// toSignIn sends a visitor to sign in (or to the second factor they owe).
func (c *rc) toSignIn() {
	target := "/login"
	if su := httpx.Session(c.r); su != nil && su.NeedTOTP {
		target = "/login/totp"
		if !su.User.TOTPEnabled {
			target = "/login/totp/setup"
		}
	}
	next := c.r.URL.RequestURI()
	if c.htmx() {
		if u, err := url.Parse(c.r.Header.Get("HX-Current-URL")); err == nil {
			next = u.RequestURI()
		}
	}
	if c.r.Method == http.MethodGet || c.htmx() {
		if n := safeNext(next); n != "/" {
			target += "?next=" + url.QueryEscape(n)
		}
	}
	if c.htmx() {
		c.w.Header().Set("HX-Redirect", target)
		c.w.WriteHeader(http.StatusUnauthorized)
		return
	}
	http.Redirect(c.w, c.r, target, http.StatusSeeOther)
}

// safeNext keeps only same-site relative paths, so a sign-in link cannot
// send a user to another site.
func safeNext(next string) string {
	if next == "" || !strings.HasPrefix(next, "/") || strings.HasPrefix(next, "//") || strings.HasPrefix(next, "/\\") || strings.ContainsAny(next, "\r\n\t") {
		return "/"
	}
	u, err := url.Parse(next)
	if err != nil || u.Scheme != "" || u.Host != "" || u.User != nil {
		return "/"
	}
	if strings.HasPrefix(u.Path, "/login") || strings.HasPrefix(u.Path, "/logout") || strings.HasPrefix(u.Path, "/setup") {
		return "/"
	}
	return u.RequestURI()
}

func (c *rc) ctx() context.Context { return c.r.Context() }

// htmx reports an htmx request (it wants a fragment, not a page).
func (c *rc) htmx() bool { return c.r.Header.Get("HX-Request") == "true" }

// now is the current time (one place, so tests could move it).
func (c *rc) now() time.Time { return time.Now() }

func hasKey(l i18n.Lang, key string) bool { return i18n.Has(l, key) }

// T translates a catalogue key.
func (c *rc) T(key string, args ...any) string { return i18n.Msg(c.L, key, args...) }

// redirect ends a POST (post-redirect-get) or sends an htmx client elsewhere.
func (c *rc) redirect(to string) error {
	if c.htmx() {
		c.w.Header().Set("HX-Redirect", to)
		c.w.WriteHeader(http.StatusOK)
		return nil
	}
	http.Redirect(c.w, c.r, to, http.StatusSeeOther)
	return nil
}

// back redirects to the page the form came from, if it is one of ours.
func (c *rc) back(fallback string) error {
	if n := c.r.FormValue("next"); n != "" {
		return c.redirect(safeNext(n))
	}
	return c.redirect(fallback)
}

// Flash messages survive one redirect in a short-lived cookie: servers
// keep no memory between requests.

const flashCookie = "cl_flash"

type flash struct {
	Kind string `json:"k"` // success, info, warning, error
	Text string `json:"m"`
}

func (c *rc) flash(kind, text string) {
	if utf8.RuneCountInString(text) > 500 {
		text = string([]rune(text)[:500])
	}
	b, _ := json.Marshal(flash{Kind: kind, Text: text})
	http.SetCookie(c.w, &http.Cookie{Name: flashCookie, Value: base64.RawURLEncoding.EncodeToString(b), Path: "/", MaxAge: 60,
		HttpOnly: true, SameSite: http.SameSiteLaxMode, Secure: c.r.TLS != nil})
}

// takeFlash reads and clears the flash of the previous request.
func (c *rc) takeFlash() *flash {
	ck, err := c.r.Cookie(flashCookie)
	if err != nil || ck.Value == "" {
		return nil
	}
	http.SetCookie(c.w, &http.Cookie{Name: flashCookie, Value: "", Path: "/", MaxAge: -1, HttpOnly: true, SameSite: http.SameSiteLaxMode, Secure: c.r.TLS != nil})
	b, err := base64.RawURLEncoding.DecodeString(ck.Value)
	if err != nil {
		return nil
	}
	var f flash
	if json.Unmarshal(b, &f) != nil || f.Text == "" {
		return nil
	}
	switch f.Kind {
	case "success", "info", "warning", "error":
	default:
		f.Kind = "info"
	}
	return &f
}

// toast sends a message to an htmx client through the HX-Trigger header
// (JSON-escaped: header values must stay ASCII).
func (c *rc) toast(kind, text string) {
	b, _ := json.Marshal(map[string]any{"toast": map[string]string{"message": text, "kind": kind}})
	c.w.Header().Set("HX-Trigger", asciiJSON(string(b)))
}

func asciiJSON(s string) string {
	var b strings.Builder
	for _, r := range s {
		if r < 0x80 {
			b.WriteRune(r)
			continue
		}
		for _, u := range utf16(r) {
			b.WriteString(`\u`)
			const hex = "0123456789abcdef"
			b.WriteByte(hex[u>>12&0xf])
			b.WriteByte(hex[u>>8&0xf])
			b.WriteByte(hex[u>>4&0xf])
			b.WriteByte(hex[u&0xf])
		}
	}
	return b.String()
}

func utf16(r rune) []uint16 {
	if r < 0x10000 {
		return []uint16{uint16(r)}
	}
	r -= 0x10000
	return []uint16{uint16(0xd800 + (r>>10)&0x3ff), uint16(0xdc00 + r&0x3ff)}
}

// errText renders an error for people: the error catalogue's message when
// there is one, otherwise a plain sentence for its kind. Internal causes are
// never shown.
func (c *rc) errText(err error) string {
	e := errs.As(err)
	if e == nil {
		return c.T("error.internal")
	}
	if e.Code == "validation" && len(e.Fields) > 0 {
		return c.fieldText(nil, e.Fields[0])
	}
	if i18n.Has(c.L, "err."+e.Code) {
		return i18n.MsgMap(c.L, "err."+e.Code, c.localArgs(e.Args))
	}
	return c.T("error.kind." + kindName(e.Kind))
}

// fieldText renders a field error naming the field by its label.
func (c *rc) fieldText(e *entity.Entity, fe errs.FieldError) string {
	label := c.fieldLabel(e, fe.Field)
	fe.Args = c.localArgs(fe.Args)
	if !i18n.Has(c.L, "err."+fe.Code) {
		return c.T("error.field", "field", label)
	}
	return httpx.FieldMessage(c.L, fe, label)
}

// fieldLabel names a field of an error: "level[gte]" and "customer.name"
// are resolved to their labels.
func (c *rc) fieldLabel(e *entity.Entity, name string) string {
	if i := strings.IndexByte(name, '['); i > 0 {
		name = name[:i]
	}
	if ent, rest, ok := strings.Cut(name, "."); ok {
		if sub := c.schema.Entity(ent); sub != nil {
			e, name = sub, rest
		}
	}
	if e != nil {
		if f := e.Field(name); f != nil {
			return f.Label.In(c.L)
		}
	}
	if k := "field." + name; i18n.Has(c.L, k) {
		return c.T(k)
	}
	return name
}

// localArgs formats message arguments for people (times in the company
// time zone).
func (c *rc) localArgs(in map[string]any) map[string]any {
	if len(in) == 0 {
		return in
	}
	out := make(map[string]any, len(in))
	for k, v := range in {
		if s, ok := v.(string); ok {
			if t, err := time.Parse(time.RFC3339Nano, s); err == nil {
				v = t.In(c.s.app.Loc).Format("2006-01-02 15:04")
			}
		}
		if t, ok := v.(time.Time); ok {
			v = t.In(c.s.app.Loc).Format("2006-01-02 15:04")
		}
		out[k] = v
	}
	return out
}

func kindName(k errs.Kind) string {
	switch k {
	case errs.Invalid:
		return "invalid"
	case errs.NotFound:
		return "not_found"
	case errs.Conflict:
		return "conflict"
	case errs.Forbidden:
		return "forbidden"
	case errs.Unauthorized:
		return "unauthorized"
	case errs.TooMany:
		return "too_many"
	case errs.Unprocessable:
		return "unprocessable"
	}
	return "internal"
}

// fail answers an error: a friendly, localized page (or a toast for htmx),
// with the status from the one mapping in httpx. Internal causes are
// logged with the request id, never shown.
func (c *rc) fail(err error) {
	status := httpx.Status(err)
	if status >= 500 {
		slog.Error("web: internal error", "request_id", records.RequestID(c.ctx()), "path", c.r.URL.Path, "err", err)
	}
	if status == http.StatusUnauthorized && c.p == nil {
		c.toSignIn()
		return
	}
	msg := c.errText(err)
	if c.htmx() {
		c.toast("error", msg)
		c.w.WriteHeader(status)
		return
	}
	c.errorPage(status, msg)
}
