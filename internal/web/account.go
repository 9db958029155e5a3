package web

import (
	"encoding/base64"
	"html/template"
	"net/http"
	"strings"

	"closeloop/internal/api"
	"closeloop/internal/errs"
	"closeloop/internal/httpx"
	"closeloop/internal/i18n"
)

// accountPage is the user's own settings: language, password, second
// factor and API tokens.
type accountPage struct {
	*base
	Langs       []option
	TOTPOn      bool
	TOTPForced  bool
	QR          template.URL
	Secret      string
	TOTPError   string
	PwErrors    map[string]string
	Tokens      []tokenRow
	NewToken    string
	TokenErrors []string
	Expiries    []option
	Email       string
}

type tokenRow struct {
	Name, Scope, Created, Expires, LastUsed, Revoke string
	Revoked, Expired                                bool
}

// tokenCookie carries a new token to the page that shows it once (post,
// redirect, get): it is read and cleared on that page.
const tokenCookie = "cl_token"

func (s *Server) accountView(c *rc) (*accountPage, error) {
	ap := &accountPage{base: c.newBase(c.T("nav.account"), "account"), PwErrors: map[string]string{}, Email: c.p.Email}
	for _, l := range i18n.Langs {
		ap.Langs = append(ap.Langs, option{Value: string(l), Label: c.T("lang." + string(l)), Selected: l == c.L})
	}
	if su := httpx.Session(c.r); su != nil {
		ap.TOTPOn = su.User.TOTPEnabled
	}
	ap.TOTPForced = c.p.NeedsTOTP()
	ts, err := s.app.DB.Tokens(c.ctx(), c.p.UserID)
	if err != nil {
		return nil, err
	}
	for _, t := range ts {
		row := tokenRow{Name: t.Name, Scope: c.T("token.scope." + t.Scope), Created: c.fmtTime(t.CreatedAt), Expires: c.T("token.never"), LastUsed: "—"}
		if t.ExpiresAt != nil {
			row.Expires = c.fmtTime(*t.ExpiresAt)
			row.Expired = t.ExpiresAt.Before(c.now())
		}
		if t.LastUsed != nil {
			row.LastUsed = c.fmtTime(*t.LastUsed)
		}
		row.Revoked = t.RevokedAt != nil
		if !row.Revoked && !row.Expired {
			row.Revoke = "/account/tokens/" + t.ID + "/revoke"
		}
		ap.Tokens = append(ap.Tokens, row)
	}
	for _, e := range []string{"30d", "90d", "365d", ""} {
		key := "token.expires.never"
		if e != "" {
			key = "token.expires." + strings.TrimSuffix(e, "d")
		}
		ap.Expiries = append(ap.Expiries, option{Value: e, Label: c.T(key), Selected: e == "90d"})
	}
	if ck, err := c.r.Cookie(tokenCookie); err == nil && ck.Value != "" {
		if b, err := base64.RawURLEncoding.DecodeString(ck.Value); err == nil {
			ap.NewToken = string(b)
		}
		http.SetCookie(c.w, &http.Cookie{Name: tokenCookie, Value: "", Path: "/account", MaxAge: -1, HttpOnly: true, SameSite: http.SameSiteStrictMode, Secure: c.r.TLS != nil})
	}
	return ap, nil
}

func (s *Server) account(c *rc) error {
	ap, err := s.accountView(c)
	if err != nil {
		return err
	}
	return c.render(http.StatusOK, "account", ap)
}

func (s *Server) accountLang(c *rc) error {
	l, ok := i18n.Parse(c.r.PostFormValue("lang"))
	if !ok {
		return errs.Validation([]errs.FieldError{{Field: "lang", Code: "invalid_option", Args: map[string]any{"value": c.r.PostFormValue("lang")}}})
	}
	if err := s.app.Auth.SetLanguage(c.ctx(), c.p, string(l)); err != nil {
		return err
	}
	setLangCookie(c, l)
	c.L = l
	c.flash("success", c.T("acct.lang_saved"))
	return c.redirect("/account")
}

// accountPassword changes one's own password; every session ends, so a
// new one is started for this browser.
func (s *Server) accountPassword(c *rc) error {
	cur, next := c.r.PostFormValue("current_password"), c.r.PostFormValue("password")
	ap, err := s.accountView(c)
	if err != nil {
		return err
	}
	if next != c.r.PostFormValue("password2") {
		ap.PwErrors["password2"] = c.T("acct.password_mismatch")
		return c.render(http.StatusUnprocessableEntity, "account", ap)
	}
	if err := s.app.Auth.ChangePassword(c.ctx(), c.p.UserID, cur, next); err != nil {
		ee := errs.As(err)
		if ee == nil || ee.Code != "validation" {
			return err
		}
		for _, fe := range ee.Fields {
			ap.PwErrors[fe.Field] = c.fieldText(nil, fe)
		}
		return c.render(http.StatusUnprocessableEntity, "account", ap)
	}
	if err := s.startSession(c, c.p.UserID); err != nil {
		return err
	}
	c.flash("success", c.T("acct.password_changed"))
	return c.redirect("/account")
}

// accountTOTP begins enrolment: the page shows the QR code of a fresh
// secret (rendered directly: the secret must not travel in a cookie).
func (s *Server) accountTOTP(c *rc) error {
	ap, err := s.accountView(c)
	if err != nil {
		return err
	}
	if ap.TOTPOn {
		return c.redirect("/account")
	}
	en, err := s.app.Auth.BeginTOTP(c.ctx(), c.p.UserID)
	if err != nil {
		return err
	}
	ap.QR, ap.Secret = qrURL(en.QR), en.Secret
	return c.render(http.StatusOK, "account", ap)
}

func (s *Server) accountTOTPConfirm(c *rc) error {
	if err := s.app.Auth.ConfirmTOTP(c.ctx(), c.p.UserID, c.r.PostFormValue("code")); err != nil {
		if errs.KindOf(err) == errs.Internal {
			return err
		}
		ap, verr := s.accountView(c)
		if verr != nil {
			return verr
		}
		ap.TOTPError = c.T("auth.totp_wrong_setup")
		return c.render(http.StatusUnprocessableEntity, "account", ap)
	}
	c.flash("success", c.T("acct.totp_enabled"))
	return c.redirect("/account")
}

func (s *Server) accountTOTPDisable(c *rc) error {
	if c.p.NeedsTOTP() {
		c.flash("error", c.T("acct.totp_required_by_role"))
		return c.redirect("/account")
	}
	if err := s.app.Auth.DisableTOTP(c.ctx(), c.p, c.p.UserID); err != nil {
		return err
	}
	c.flash("success", c.T("acct.totp_disabled"))
	return c.redirect("/account")
}

// tokenCreate issues an API token; it is shown once, on the next page.
func (s *Server) tokenCreate(c *rc) error {
	ttl, err := api.ParseTTL(c.r.PostFormValue("expires"))
	if err == nil {
		var plain string
		plain, _, err = s.app.Auth.CreateToken(c.ctx(), c.p, c.p.UserID, c.r.PostFormValue("name"), c.r.PostFormValue("scope"), ttl)
		if err == nil {
			http.SetCookie(c.w, &http.Cookie{Name: tokenCookie, Value: base64.RawURLEncoding.EncodeToString([]byte(plain)), Path: "/account", MaxAge: 120,
				HttpOnly: true, SameSite: http.SameSiteStrictMode, Secure: c.r.TLS != nil})
			return c.redirect("/account#tokens")
		}
	}
	ee := errs.As(err)
	if ee == nil || ee.Kind == errs.Internal || ee.Kind == errs.Forbidden {
		return err
	}
	ap, verr := s.accountView(c)
	if verr != nil {
		return verr
	}
	for _, fe := range ee.Fields {
		ap.TokenErrors = append(ap.TokenErrors, c.fieldText(nil, fe))
	}
	return c.render(http.StatusUnprocessableEntity, "account", ap)
}

func (s *Server) tokenRevoke(c *rc) error {
	if err := s.app.Auth.RevokeToken(c.ctx(), c.p, c.r.PathValue("id")); err != nil {
		return err
	}
	c.flash("success", c.T("token.revoked"))
	return c.redirect("/account#tokens")
}
