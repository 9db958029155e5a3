package web

import (
	"log/slog"
	"net/http"
	"strconv"
	"strings"

	"closeloop/internal/crm"
	"closeloop/internal/errs"
	"closeloop/internal/feedback"
	"closeloop/internal/httpx"
	"closeloop/internal/i18n"
	"closeloop/internal/records"
)

// The customer's survey page (/survey/{token}): no sign-in, Chinese first
// with an English switch, phone-sized. Satisfaction 1–5, NPS 0–10 and a
// comment; a second answer, an expired link or an unknown token each get
// a clear page and change nothing. Wrong tokens count against the
// visitor's address (the sign-in throttle), like the other public links.

type fbPublicPage struct {
	L        i18n.Lang
	Title    string
	ReqID    string
	State    string // open, answered, expired, unknown, too_many, failed
	Thanks   bool
	Again    bool
	Subject  string
	Expires  string
	Action   string
	Switch   string
	Other    string
	Errors   []string
	Sat, NPS string
	Comment  string
	Scale5   []int
	Scale10  []int
}

// T translates in the page's language.
func (p *fbPublicPage) T(key string, args ...any) string { return i18n.Msg(p.L, key, args...) }

// LangTag is the <html lang> value.
func (p *fbPublicPage) LangTag() string { return string(p.L) }

// Is reports whether a kept value equals n (the radio checked).
func (p *fbPublicPage) Is(v string, n int) bool { return v == strconv.Itoa(n) }

func (s *Server) fbNewPublic(c *rc, token string) *fbPublicPage {
	s.publicLang(c)
	p := &fbPublicPage{L: c.L, ReqID: records.RequestID(c.ctx()), Action: feedback.SurveyPath + token, Scale5: []int{1, 2, 3, 4, 5}, Scale10: []int{0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10}}
	other := i18n.EN
	p.Other = "English"
	if c.L == i18n.EN {
		other, p.Other = i18n.ZH, "简体中文"
	}
	p.Switch = feedback.SurveyPath + token + "?lang=" + string(other)
	p.Title = p.T("fb.pub.title")
	return p
}

func (s *Server) fbRenderPublic(c *rc, status int, p *fbPublicPage) error {
	h := c.w.Header()
	h.Set("Referrer-Policy", "no-referrer")
	h.Set("X-Robots-Tag", "noindex, nofollow")
	return c.render(status, "fb_survey_public", p)
}

func (s *Server) fbPublicFailure(c *rc, p *fbPublicPage, err error) error {
	switch errs.KindOf(err) {
	case errs.NotFound:
		if ferr := s.app.Auth.Failed(c.ctx(), publicKey(c.r)); ferr != nil {
			slog.Error("web: count a wrong survey link", "err", ferr)
		}
		p.State = "unknown"
		return s.fbRenderPublic(c, http.StatusNotFound, p)
	case errs.TooMany:
		p.State = "too_many"
		return s.fbRenderPublic(c, http.StatusTooManyRequests, p)
	}
	slog.Error("web: survey link", "request_id", p.ReqID, "err", err)
	p.State = "failed"
	return s.fbRenderPublic(c, http.StatusInternalServerError, p)
}

func (s *Server) fbFill(c *rc, p *fbPublicPage, v *feedback.PublicSurvey) {
	p.State, p.Subject, p.Expires = v.State, v.Subject, c.fmtTime(v.ExpiresAt)
	if v.State == feedback.StateAnswered {
		p.Sat, p.NPS = strconv.Itoa(v.Satisfaction), strconv.Itoa(v.NPS)
	}
}

func fbPublicStatus(state string) int {
	if state == feedback.StateExpired {
		return http.StatusGone
	}
	return http.StatusOK
}

func (s *Server) fbPublic(c *rc) error {
	token := c.r.PathValue("token")
	p := s.fbNewPublic(c, token)
	if err := s.app.Auth.Throttle(c.ctx(), publicKey(c.r)); err != nil {
		return s.fbPublicFailure(c, p, err)
	}
	v, err := s.app.Feedback.Public(c.ctx(), token)
	if err != nil {
		return s.fbPublicFailure(c, p, err)
	}
	s.fbFill(c, p, v)
	return s.fbRenderPublic(c, fbPublicStatus(v.State), p)
}

func (s *Server) fbPublicPost(c *rc) error {
	token := c.r.PathValue("token")
	p := s.fbNewPublic(c, token)
	if err := s.app.Auth.Throttle(c.ctx(), publicKey(c.r)); err != nil {
		return s.fbPublicFailure(c, p, err)
	}
	if err := c.r.ParseForm(); err != nil {
		return s.fbPublicFailure(c, p, errs.New(errs.Invalid, "validation"))
	}
	f := c.r.PostForm
	var a crm.SurveyAnswer
	satRaw, npsRaw := strings.TrimSpace(f.Get("satisfaction")), strings.TrimSpace(f.Get("nps"))
	var satOK, npsOK bool
	var err error
	if satRaw != "" {
		if a.Satisfaction, err = strconv.Atoi(satRaw); err != nil {
			a.Satisfaction = -1
		}
		satOK = true
	}
	if npsRaw != "" {
		if a.NPS, err = strconv.Atoi(npsRaw); err != nil {
			a.NPS = -1
		}
		npsOK = true
	}
	a.Comment = f.Get("comment")
	out, err := s.app.Feedback.Answer(c.ctx(), token, httpx.ClientIP(c.r), a, satOK, npsOK)
	if err == nil {
		s.fbFill(c, p, out)
		p.Thanks = true
		return s.fbRenderPublic(c, http.StatusOK, p)
	}
	switch errs.CodeOf(err) {
	case "survey_answered", "public_link_expired":
		if v, rerr := s.app.Feedback.Public(c.ctx(), token); rerr == nil {
			s.fbFill(c, p, v)
		}
		if errs.CodeOf(err) == "public_link_expired" {
			p.State = feedback.StateExpired
			return s.fbRenderPublic(c, http.StatusGone, p)
		}
		p.Again = true
		return s.fbRenderPublic(c, http.StatusConflict, p)
	}
	e := errs.As(err)
	if e == nil || e.Kind == errs.NotFound || e.Kind == errs.TooMany || e.Kind == errs.Internal {
		return s.fbPublicFailure(c, p, err)
	}
	if v, rerr := s.app.Feedback.Public(c.ctx(), token); rerr == nil {
		s.fbFill(c, p, v)
	}
	p.Sat, p.NPS, p.Comment = satRaw, npsRaw, a.Comment
	for _, fe := range e.Fields {
		fe.Args = c.localArgs(fe.Args)
		p.Errors = append(p.Errors, httpx.FieldMessage(c.L, fe, i18n.Msg(c.L, "fb.pub.field."+fe.Field)))
	}
	if len(e.Fields) == 0 {
		p.Errors = append(p.Errors, c.errText(err))
	}
	return s.fbRenderPublic(c, http.StatusUnprocessableEntity, p)
}
