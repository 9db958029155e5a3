// Package httpx holds what the API and the web UI share at the HTTP edge:
// request ids, JSON logs, panic recovery, security headers, metrics, the
// signed-in principal, the language of a request, and the one mapping from
// error kinds to HTTP status codes.
package httpx

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"regexp"
	"runtime/debug"
	"strconv"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"closeloop/internal/access"
	"closeloop/internal/auth"
	"closeloop/internal/errs"
	"closeloop/internal/i18n"
	"closeloop/internal/records"
)

type ctxKey int

const (
	principalKey ctxKey = iota
	sessionKey
	langKey
	routeKey
)

// NoteRoute records the matched route pattern for logs and metrics (the
// mux sets it on the request it dispatches, which is a copy of the one the
// outer middleware holds).
func NoteRoute(r *http.Request) {
	if h, ok := r.Context().Value(routeKey).(*string); ok && r.Pattern != "" {
		*h = r.Pattern
	}
}

// Principal returns the signed-in principal, or nil.
func Principal(r *http.Request) *access.Principal {
	p, _ := r.Context().Value(principalKey).(*access.Principal)
	return p
}

// Session returns the browser session, or nil (API tokens have none).
func Session(r *http.Request) *auth.SessionUser {
	s, _ := r.Context().Value(sessionKey).(*auth.SessionUser)
	return s
}

// Lang is the language of the response: the user's setting, then the
// "lang" cookie, then Accept-Language.
func Lang(r *http.Request) i18n.Lang {
	if l, ok := r.Context().Value(langKey).(i18n.Lang); ok {
		return l
	}
	return langOf(r, nil)
}

func langOf(r *http.Request, su *auth.SessionUser) i18n.Lang {
	if su != nil {
		if l, ok := i18n.Parse(su.User.Lang); ok {
			return l
		}
	}
	if c, err := r.Cookie("lang"); err == nil {
		if l, ok := i18n.Parse(c.Value); ok {
			return l
		}
	}
	return i18n.FromRequest(r)
}

// SessionCookie is the name of the session cookie.
const SessionCookie = "closeloop_session"

// Authenticate resolves a bearer token or a session cookie into the
// request's principal. It never rejects: handlers decide what needs a user.
// A bad bearer token is an error (the client meant to authenticate).
func Authenticate(a *auth.Service, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ctx := r.Context()
		if h := r.Header.Get("Authorization"); h != "" {
			scheme, tok, _ := strings.Cut(h, " ")
			if !strings.EqualFold(scheme, "Bearer") {
				Problem(w, r, errs.New(errs.Unauthorized, "bad_token"))
				return
			}
			p, err := a.TokenPrincipal(ctx, strings.TrimSpace(tok))
			if err != nil {
				Problem(w, r, err)
				return
			}
			ctx = context.WithValue(ctx, principalKey, p)
			ctx = context.WithValue(ctx, langKey, langOf(r, nil))
			next.ServeHTTP(w, r.WithContext(ctx))
			return
		}
		var su *auth.SessionUser
		if c, err := r.Cookie(SessionCookie); err == nil && c.Value != "" {
			if s, err := a.Session(ctx, c.Value); err == nil {
				su = s
				ctx = context.WithValue(ctx, sessionKey, s)
				if !s.NeedTOTP {
					ctx = context.WithValue(ctx, principalKey, s.Principal)
				}
			}
		}
		ctx = context.WithValue(ctx, langKey, langOf(r, su))
		next.ServeHTTP(w, r.WithContext(ctx))
	})
}

var reqIDRE = regexp.MustCompile(`^[A-Za-z0-9._-]{8,64}$`)

// RequestID gives every request an id (kept from X-Request-ID when sane),
// echoed in the response and recorded in logs and the audit log.
func RequestID(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		id := r.Header.Get("X-Request-ID")
		if !reqIDRE.MatchString(id) {
			b := make([]byte, 8)
			_, _ = rand.Read(b)
			id = hex.EncodeToString(b)
		}
		w.Header().Set("X-Request-ID", id)
		next.ServeHTTP(w, r.WithContext(records.WithRequestID(r.Context(), id)))
	})
}

type recorder struct {
	http.ResponseWriter
	status int
	bytes  int64
}

func (rw *recorder) WriteHeader(code int) {
	if rw.status == 0 {
		rw.status = code
	}
	rw.ResponseWriter.WriteHeader(code)
}

func (rw *recorder) Write(b []byte) (int, error) {
	if rw.status == 0 {
		rw.status = http.StatusOK
	}
	n, err := rw.ResponseWriter.Write(b)
	rw.bytes += int64(n)
	return n, err
}

func (rw *recorder) Flush() {
	if f, ok := rw.ResponseWriter.(http.Flusher); ok {
		f.Flush()
	}
}

func (rw *recorder) Unwrap() http.ResponseWriter { return rw.ResponseWriter }

// Metrics are the HTTP metrics exported at /metrics.
var (
	reqCount = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "closeloop_http_requests_total", Help: "HTTP requests by route, method and status.",
	}, []string{"route", "method", "code"})
	reqDur = prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name: "closeloop_http_request_duration_seconds", Help: "HTTP request latency by route.",
		Buckets: []float64{.001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10},
	}, []string{"route", "method"})
)

// Register adds the HTTP metrics to a registry.
func Register(reg prometheus.Registerer) {
	reg.MustRegister(reqCount, reqDur)
}

// Observe logs each request as one JSON line and records metrics; a panic
// becomes a 500 problem (never a dropped connection) and is logged with its
// stack.
func Observe(log *slog.Logger, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		rw := &recorder{ResponseWriter: w}
		route := new(string)
		r = r.WithContext(context.WithValue(r.Context(), routeKey, route))
		defer func() {
			if p := recover(); p != nil {
				if p == http.ErrAbortHandler {
					panic(p)
				}
				log.Error("panic", "request_id", records.RequestID(r.Context()), "panic", fmt.Sprint(p), "stack", string(debug.Stack()))
				if rw.status == 0 {
					Problem(rw, r, errors.New("panic"))
				}
			}
			status := rw.status
			if status == 0 {
				status = http.StatusOK
			}
			route := *route
			if route == "" {
				route = "unmatched"
			}
			d := time.Since(start)
			reqCount.WithLabelValues(route, r.Method, strconv.Itoa(status)).Inc()
			reqDur.WithLabelValues(route, r.Method).Observe(d.Seconds())
			attrs := []any{"method", r.Method, "path", LogPath(r.URL.Path), "route", route, "status", status,
				"bytes", rw.bytes, "ms", float64(d.Microseconds()) / 1000, "request_id", records.RequestID(r.Context()), "ip", ClientIP(r)}
			if p := Principal(r); p != nil {
				attrs = append(attrs, "user", p.UserID)
			}
			if status >= 500 {
				log.Error("request", attrs...)
			} else if r.URL.Path != "/healthz" && r.URL.Path != "/readyz" && r.URL.Path != "/metrics" {
				log.Info("request", attrs...)
			}
		}()
		next.ServeHTTP(rw, r)
	})
}

// LogPath is a request path as logs keep it: the token of a customer's
// public link (/s/{token}) is a bearer secret and is not written down.
func LogPath(p string) string {
	if strings.HasPrefix(p, "/s/") {
		return "/s/…"
	}
	return p
}

// CSP is the Content-Security-Policy of every page: only our own scripts
// and styles, no inline code.
const CSP = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'"

// SecurityHeaders sets the headers every response carries.
func SecurityHeaders(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("Content-Security-Policy", CSP)
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("X-Frame-Options", "DENY")
		h.Set("Referrer-Policy", "same-origin")
		h.Set("Cross-Origin-Opener-Policy", "same-origin")
		next.ServeHTTP(w, r)
	})
}

// ClientIP is the client's address (the direct peer; a proxy in front must
// be trusted explicitly, which Closeloop does not do implicitly).
func ClientIP(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}

// Status maps an error kind to an HTTP status — the only such mapping.
func Status(err error) int {
	switch errs.KindOf(err) {
	case errs.Invalid:
		if e := errs.As(err); e != nil && e.Code == "validation" {
			return http.StatusUnprocessableEntity
		}
		return http.StatusBadRequest
	case errs.NotFound:
		return http.StatusNotFound
	case errs.Conflict:
		return http.StatusConflict
	case errs.Forbidden:
		return http.StatusForbidden
	case errs.Unauthorized:
		return http.StatusUnauthorized
	case errs.TooMany:
		return http.StatusTooManyRequests
	case errs.Unprocessable:
		return http.StatusUnprocessableEntity
	}
	return http.StatusInternalServerError
}

// FieldProblem is one field error in a problem document.
type FieldProblem struct {
	Field  string         `json:"field"`
	Code   string         `json:"code"`
	Detail string         `json:"detail"`
	Row    int            `json:"row,omitempty"`
	Args   map[string]any `json:"args,omitempty"`
}

// ProblemDoc is an RFC 9457 problem document with Closeloop's stable code.
type ProblemDoc struct {
	Type     string         `json:"type"`
	Title    string         `json:"title"`
	Status   int            `json:"status"`
	Detail   string         `json:"detail"`
	Code     string         `json:"code"`
	Instance string         `json:"instance,omitempty"`
	Errors   []FieldProblem `json:"errors,omitempty"`
	Data     any            `json:"data,omitempty"`
}

// FieldMessage renders one field error in a language, naming the field by
// its label when label is given.
func FieldMessage(l i18n.Lang, fe errs.FieldError, label string) string {
	if label == "" {
		label = fe.Field
	}
	args := map[string]any{"field": label}
	for k, v := range fe.Args {
		if k != "field" {
			args[k] = v
		}
	}
	return i18n.MsgMap(l, "err."+fe.Code, args)
}

// ErrorMessage renders an error for people in a language.
func ErrorMessage(l i18n.Lang, err error) string {
	e := errs.As(err)
	if e == nil {
		return i18n.Msg(l, "err.internal")
	}
	return i18n.MsgMap(l, "err."+e.Code, e.Args)
}

// Labeler names fields for messages (the entity's labels).
type Labeler func(field string) string

// BuildProblem turns an error into a problem document.
func BuildProblem(r *http.Request, err error, label Labeler) ProblemDoc {
	l := Lang(r)
	status := Status(err)
	doc := ProblemDoc{Type: "about:blank", Status: status, Title: http.StatusText(status), Code: errs.CodeOf(err), Instance: records.RequestID(r.Context())}
	doc.Detail = ErrorMessage(l, err)
	if e := errs.As(err); e != nil {
		doc.Data = e.Data
		for _, fe := range e.Fields {
			name := ""
			if label != nil {
				name = label(fe.Field)
			}
			doc.Errors = append(doc.Errors, FieldProblem{Field: fe.Field, Code: fe.Code, Detail: FieldMessage(l, fe, name), Row: fe.Row, Args: fe.Args})
		}
		if len(doc.Errors) > 0 && e.Code == "validation" {
			doc.Detail = doc.Errors[0].Detail
		}
	}
	return doc
}

// Problem writes err as application/problem+json. Internal errors are
// logged with the request id and shown without their cause.
func Problem(w http.ResponseWriter, r *http.Request, err error) {
	ProblemLabeled(w, r, err, nil)
}

// ProblemLabeled is Problem with field labels.
func ProblemLabeled(w http.ResponseWriter, r *http.Request, err error, label Labeler) {
	doc := BuildProblem(r, err, label)
	if doc.Status >= 500 {
		slog.Error("internal error", "request_id", records.RequestID(r.Context()), "err", err)
	}
	if doc.Status == http.StatusTooManyRequests {
		if e := errs.As(err); e != nil {
			if s, ok := e.Args["seconds"].(int); ok {
				w.Header().Set("Retry-After", strconv.Itoa(s))
			}
		}
	}
	w.Header().Set("Content-Type", "application/problem+json")
	w.WriteHeader(doc.Status)
	_ = json.NewEncoder(w).Encode(doc)
}

// JSON writes v as JSON with a status.
func JSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(true)
	_ = enc.Encode(v)
}

// MaxBody is the largest JSON body accepted.
const MaxBody = 1 << 20

// ReadJSON decodes a JSON body (numbers kept exact), refusing trailing data
// and bodies over MaxBody.
func ReadJSON(r *http.Request, dst any) error {
	// Any content type is read as JSON (curl -d sends a form type); browsers
	// cannot post across origins (CrossOriginProtection), so this is safe.
	if strings.HasPrefix(r.Header.Get("Content-Type"), "multipart/") {
		return errs.New(errs.Invalid, "bad_content_type")
	}
	dec := json.NewDecoder(io.LimitReader(r.Body, MaxBody+1))
	dec.UseNumber()
	if err := dec.Decode(dst); err != nil {
		return errs.New(errs.Invalid, "bad_json").With(err)
	}
	if dec.More() {
		return errs.New(errs.Invalid, "bad_json")
	}
	return nil
}
