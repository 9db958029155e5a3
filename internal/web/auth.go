package web

import (
	"html/template"
	"net/http"
	"strings"
	"time"

	"closeloop/internal/entity"
	"closeloop/internal/errs"
	"closeloop/internal/httpx"
	"closeloop/internal/i18n"
)

// authPage is the data of the sign-in, setup and second-factor pages.
type authPage struct {
	*base
	Heading string
	Error   string
	Email   string
	Name    string
	Next    string
	Token   string
	QR      template.URL // data: URL of the enrolment QR code
	Secret  string
	Begun   bool
	Fields  map[string]string // field errors by name
}

func (c *rc) authBase(title string) *authPage {
	b := c.newBase(title, "")
	return &authPage{base: b, Heading: title, Next: safeNext(c.r.URL.Query().Get("next")), Fields: map[string]string{}}
}

func (s *Server) loginPage(c *rc) error {
	if c.p != nil {
		return c.redirect(safeNext(c.r.URL.Query().Get("next")))
	}
	return c.render(http.StatusOK, "login", c.authBase(c.T("auth.login")))
}

// loginPost signs a user in. The same message answers an unknown e-mail
// and a wrong password; throttling says how long to wait. Every sign-in
// gets a new session (an old one is ended), so a planted session id is
// worthless.
func (s *Server) loginPost(c *rc) error {
	pg := c.authBase(c.T("auth.login"))
	pg.Next = safeNext(c.r.PostFormValue("next"))
	pg.Email = strings.TrimSpace(c.r.PostFormValue("email"))
	pw := c.r.PostFormValue("password")
	if pg.Email == "" || pw == "" {
		pg.Error = c.T("auth.failed")
		return c.render(http.StatusUnauthorized, "login", pg)
	}
	u, err := s.app.Auth.Login(c.ctx(), pg.Email, pw, httpx.ClientIP(c.r))
	if err != nil {
		e := errs.As(err)
		switch {
		case e != nil && e.Kind == errs.TooMany:
			pg.Error = c.T("auth.throttled", "seconds", e.Args["seconds"])
			if sec, ok := e.Args["seconds"].(int); ok {
				c.w.Header().Set("Retry-After", formatInt(sec))
			}
			return c.render(http.StatusTooManyRequests, "login", pg)
		case e != nil && e.Kind == errs.Unauthorized:
			pg.Error = c.T("auth.failed")
			return c.render(http.StatusUnauthorized, "login", pg)
		}
		return err
	}
	if err := s.startSession(c, u.ID); err != nil {
		return err
	}
	return c.redirect(pg.Next)
}

// startSession replaces any session of this browser with a new one.
func (s *Server) startSession(c *rc, userID string) error {
	if ck, err := c.r.Cookie(httpx.SessionCookie); err == nil && ck.Value != "" {
		_ = s.app.Auth.Logout(c.ctx(), ck.Value)
	}
	secret, exp, err := s.app.Auth.NewSession(c.ctx(), userID, false, httpx.ClientIP(c.r), c.r.UserAgent())
	if err != nil {
		return err
	}
	http.SetCookie(c.w, &http.Cookie{Name: httpx.SessionCookie, Value: secret, Path: "/", Expires: exp, HttpOnly: true,
		SameSite: http.SameSiteLaxMode, Secure: c.r.TLS != nil})
	return nil
}

func (s *Server) logout(c *rc) error {
	if ck, err := c.r.Cookie(httpx.SessionCookie); err == nil && ck.Value != "" {
		if err := s.app.Auth.Logout(c.ctx(), ck.Value); err != nil {
			return err
		}
	}
	http.SetCookie(c.w, &http.Cookie{Name: httpx.SessionCookie, Value: "", Path: "/", MaxAge: -1, HttpOnly: true, SameSite: http.SameSiteLaxMode, Secure: c.r.TLS != nil})
	c.flash("success", c.T("auth.signed_out"))
	return c.redirect("/login")
}

// setupPage creates the first administrator from the one-time link
// printed at first start.
func (s *Server) setupPage(c *rc) error {
	pg := c.authBase(c.T("auth.setup"))
	pg.Token = c.r.URL.Query().Get("token")
	if pg.Token == "" {
		return errs.New(errs.Forbidden, "setup_link_invalid")
	}
	return c.render(http.StatusOK, "setup", pg)
}

func (s *Server) setupPost(c *rc) error {
	pg := c.authBase(c.T("auth.setup"))
	pg.Token = c.r.PostFormValue("token")
	pg.Name = strings.TrimSpace(c.r.PostFormValue("name"))
	pg.Email = strings.TrimSpace(c.r.PostFormValue("email"))
	pw := c.r.PostFormValue("password")
	ue := c.schema.Entity("user")
	rec := entity.Record{"lang": string(c.L)}
	var bad []errs.FieldError
	for name, raw := range map[string]string{"name": pg.Name, "email": pg.Email} {
		v, fe := c.schema.ParseText(ue.Field(name), raw)
		if fe != nil {
			bad = append(bad, *fe)
		}
		rec[name] = v
	}
	if pw != c.r.PostFormValue("password2") {
		pg.Fields["password2"] = c.T("acct.password_mismatch")
	}
	err := errs.Validation(bad)
	if err == nil && len(pg.Fields) == 0 {
		var u entity.Record
		u, err = s.app.Auth.CompleteSetup(c.ctx(), pg.Token, rec, pw)
		if err == nil {
			if err := s.startSession(c, u.ID()); err != nil {
				return err
			}
			c.flash("success", c.T("auth.setup_done"))
			return c.redirect("/")
		}
	}
	if e := errs.As(err); e != nil && e.Code == "validation" {
		for _, fe := range e.Fields {
			pg.Fields[fe.Field] = c.fieldText(ue, fe)
		}
		return c.render(http.StatusUnprocessableEntity, "setup", pg)
	}
	if err != nil {
		if errs.KindOf(err) == errs.Internal {
			return err
		}
		pg.Error = c.errText(err)
	}
	return c.render(http.StatusUnprocessableEntity, "setup", pg)
}

// totpPage asks for the second factor after the password.
func (s *Server) totpPage(c *rc) error {
	su := httpx.Session(c.r)
	if su == nil {
		return c.redirect("/login")
	}
	if !su.NeedTOTP {
		return c.redirect(safeNext(c.r.URL.Query().Get("next")))
	}
	if !su.User.TOTPEnabled {
		return c.redirect("/login/totp/setup")
	}
	return c.render(http.StatusOK, "totp", c.authBase(c.T("auth.totp")))
}

func (s *Server) totpPost(c *rc) error {
	su := httpx.Session(c.r)
	if su == nil {
		return c.redirect("/login")
	}
	pg := c.authBase(c.T("auth.totp"))
	pg.Next = safeNext(c.r.PostFormValue("next"))
	if err := s.app.Auth.VerifyTOTP(c.ctx(), su, c.r.PostFormValue("code"), httpx.ClientIP(c.r)); err != nil {
		return s.totpFailed(c, pg, "totp", err)
	}
	return c.redirect(pg.Next)
}

func (s *Server) totpFailed(c *rc, pg *authPage, page string, err error) error {
	e := errs.As(err)
	switch {
	case e != nil && e.Kind == errs.TooMany:
		pg.Error = c.T("auth.throttled", "seconds", e.Args["seconds"])
		return c.render(http.StatusTooManyRequests, page, pg)
	case e != nil && e.Code == "validation":
		pg.Error = c.T("auth.totp_wrong")
		return c.render(http.StatusUnprocessableEntity, page, pg)
	}
	return err
}

// totpSetupPage is the forced enrolment when a role requires a second
// factor the user has not set up yet.
func (s *Server) totpSetupPage(c *rc) error {
	su := httpx.Session(c.r)
	if su == nil {
		return c.redirect("/login")
	}
	if !su.NeedTOTP || su.User.TOTPEnabled {
		return c.redirect("/login/totp")
	}
	return c.render(http.StatusOK, "totp_setup", c.authBase(c.T("auth.totp_setup")))
}

// totpSetupPost begins enrolment (step "begin": a new secret and its QR
// code) or confirms it with a code, which also completes this sign-in.
func (s *Server) totpSetupPost(c *rc) error {
	su := httpx.Session(c.r)
	if su == nil {
		return c.redirect("/login")
	}
	if !su.NeedTOTP || su.User.TOTPEnabled {
		return c.redirect("/login/totp")
	}
	pg := c.authBase(c.T("auth.totp_setup"))
	pg.Next = safeNext(c.r.PostFormValue("next"))
	if c.r.PostFormValue("step") == "begin" {
		en, err := s.app.Auth.BeginTOTP(c.ctx(), su.User.ID)
		if err != nil {
			return err
		}
		pg.Begun, pg.QR, pg.Secret = true, qrURL(en.QR), en.Secret
		c.w.Header().Set("Cache-Control", "no-store")
		return c.render(http.StatusOK, "totp_setup", pg)
	}
	code := c.r.PostFormValue("code")
	if err := s.app.Auth.ConfirmTOTP(c.ctx(), su.User.ID, code); err != nil {
		pg.Begun = true
		pg.Error = c.T("auth.totp_wrong_setup")
		if errs.KindOf(err) == errs.Internal {
			return err
		}
		return c.render(http.StatusUnprocessableEntity, "totp_setup", pg)
	}
	// The code just proved the app works: it also stands as this session's
	// second factor (reload the session to see the enabled factor).
	if ck, err := c.r.Cookie(httpx.SessionCookie); err == nil {
		if fresh, err := s.app.Auth.Session(c.ctx(), ck.Value); err == nil {
			if s.app.Auth.VerifyTOTP(c.ctx(), fresh, code, httpx.ClientIP(c.r)) == nil {
				c.flash("success", c.T("acct.totp_enabled"))
				return c.redirect(pg.Next)
			}
		}
	}
	return c.redirect("/login/totp?next=" + pg.Next)
}

// langGet switches the language of a visitor (sign-in pages): a cookie.
func (s *Server) langGet(c *rc) error {
	l, ok := i18n.Parse(c.r.URL.Query().Get("lang"))
	if !ok {
		l = i18n.Default
	}
	setLangCookie(c, l)
	return c.redirect(safeNext(c.r.URL.Query().Get("next")))
}

// langPost switches the language: the cookie, and the user's own setting
// when signed in.
func (s *Server) langPost(c *rc) error {
	l, ok := i18n.Parse(c.r.PostFormValue("lang"))
	if !ok {
		l = i18n.Default
	}
	setLangCookie(c, l)
	if c.p != nil {
		if err := s.app.Auth.SetLanguage(c.ctx(), c.p, string(l)); err != nil {
			return err
		}
	}
	return c.redirect(safeNext(c.r.PostFormValue("next")))
}

func setLangCookie(c *rc, l i18n.Lang) {
	http.SetCookie(c.w, &http.Cookie{Name: "lang", Value: string(l), Path: "/", MaxAge: int((365 * 24 * time.Hour).Seconds()),
		SameSite: http.SameSiteLaxMode, Secure: c.r.TLS != nil})
}

// qrURL trusts the QR code's data: URL (a PNG the auth service drew) so
// the template puts it in <img src>; anything else is dropped.
func qrURL(s string) template.URL {
	if strings.HasPrefix(s, "data:image/png;base64,") && !strings.ContainsAny(s, "\"'<> ") {
		return template.URL(s)
	}
	return ""
}
