package web

import (
	"log/slog"
	"net/http"
	"strconv"

	"closeloop/internal/errs"
	"closeloop/internal/fieldservice"
	"closeloop/internal/httpx"
	"closeloop/internal/i18n"
	"closeloop/internal/records"
)

// The customer's confirmation of a visit (/v/{token}): on the engineer's
// phone (or their own), without a login, the customer sees the visit's
// number, what was done and the parts used — nothing else — and confirms
// with their name and remarks. A wrong token answers one 404 page that
// says nothing more, and counts against the visitor's address like the
// sign-off links do.

type visitPublicPage struct {
	L              i18n.Lang
	Title, ReqID   string
	State          string // open, used, expired, unknown, too_many, failed
	Thanks, Again  bool
	View           *fieldservice.PublicVisit
	Parts          []fieldservice.PublicPart
	In, Out, When  string
	Expires        string
	Errors         []string
	Name, Remarks  string
	NameErr        string
	Action, Switch string
	Other          string
}

// T translates in the page's language.
func (p *visitPublicPage) T(key string, args ...any) string { return i18n.Msg(p.L, key, args...) }

// LangTag is the <html lang> value.
func (p *visitPublicPage) LangTag() string { return string(p.L) }

func (s *Server) newVisitPublic(c *rc, token string) *visitPublicPage {
	p := &visitPublicPage{L: c.L, ReqID: records.RequestID(c.ctx()), Action: fieldservice.ConfirmPath + token}
	other := i18n.EN
	p.Other = "English"
	if c.L == i18n.EN {
		other, p.Other = i18n.ZH, "简体中文"
	}
	p.Switch = fieldservice.ConfirmPath + token + "?lang=" + string(other)
	p.Title = p.T("fs.pub.title")
	return p
}

func (s *Server) renderVisitPublic(c *rc, status int, p *visitPublicPage) error {
	h := c.w.Header()
	h.Set("Referrer-Policy", "no-referrer")
	h.Set("X-Robots-Tag", "noindex, nofollow")
	return c.render(status, "fieldservice_public", p)
}

func (s *Server) visitPublicFailure(c *rc, p *visitPublicPage, err error) error {
	switch errs.KindOf(err) {
	case errs.NotFound:
		if ferr := s.app.Auth.Failed(c.ctx(), publicKey(c.r)); ferr != nil {
			slog.Error("web: count a wrong link", "err", ferr)
		}
		p.State = "unknown"
		return s.renderVisitPublic(c, http.StatusNotFound, p)
	case errs.TooMany:
		e := errs.As(err)
		if sec, ok := e.Args["seconds"].(int); ok {
			c.w.Header().Set("Retry-After", strconv.Itoa(sec))
		}
		p.State = "too_many"
		return s.renderVisitPublic(c, http.StatusTooManyRequests, p)
	}
	slog.Error("web: visit link", "request_id", p.ReqID, "err", err)
	p.State = "failed"
	return s.renderVisitPublic(c, http.StatusInternalServerError, p)
}

func (s *Server) fillVisit(c *rc, p *visitPublicPage, v *fieldservice.PublicVisit) {
	p.View, p.State, p.Parts = v, v.State, v.Parts
	p.In, p.Out, p.When, p.Expires = c.fmtTime(v.CheckedIn), c.fmtTime(v.CheckedOut), c.fmtTime(v.ConfirmedAt), c.fmtTime(v.ExpiresAt)
}

func (s *Server) visitPublic(c *rc) error {
	s.publicLang(c)
	token := c.r.PathValue("token")
	p := s.newVisitPublic(c, token)
	if err := s.app.Auth.Throttle(c.ctx(), publicKey(c.r)); err != nil {
		return s.visitPublicFailure(c, p, err)
	}
	v, err := s.app.FieldService.Public(c.ctx(), token)
	if err != nil {
		return s.visitPublicFailure(c, p, err)
	}
	s.fillVisit(c, p, v)
	return s.renderVisitPublic(c, http.StatusOK, p)
}

func (s *Server) visitPublicPost(c *rc) error {
	token := c.r.PathValue("token")
	p := s.newVisitPublic(c, token)
	if err := s.app.Auth.Throttle(c.ctx(), publicKey(c.r)); err != nil {
		return s.visitPublicFailure(c, p, err)
	}
	if err := c.r.ParseForm(); err != nil {
		return s.visitPublicFailure(c, p, errs.New(errs.Invalid, "validation"))
	}
	p.Name, p.Remarks = c.r.PostFormValue("name"), c.r.PostFormValue("remarks")
	out, err := s.app.FieldService.Confirm(c.ctx(), token, httpx.ClientIP(c.r), fieldservice.ConfirmInput{Name: p.Name, Remarks: p.Remarks})
	if err == nil {
		s.fillVisit(c, p, out)
		p.Thanks = true
		return s.renderVisitPublic(c, http.StatusOK, p)
	}
	switch errs.KindOf(err) {
	case errs.Invalid, errs.Conflict, errs.Unprocessable:
		v, verr := s.app.FieldService.Public(c.ctx(), token)
		if verr != nil {
			return s.visitPublicFailure(c, p, verr)
		}
		s.fillVisit(c, p, v)
		if errs.KindOf(err) == errs.Conflict {
			p.Again = true
		} else if fe := fieldErrors(err); len(fe) > 0 {
			for _, f := range fe {
				msg := c.T("fs.pub.err." + f.Field + "_" + f.Code)
				if f.Field == "name" {
					p.NameErr = msg
				}
				p.Errors = append(p.Errors, msg)
			}
		} else {
			p.Errors = append(p.Errors, c.errText(err))
		}
		return s.renderVisitPublic(c, httpStatus(err), p)
	}
	return s.visitPublicFailure(c, p, err)
}
