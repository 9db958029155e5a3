package web

import (
	"strings"

	"closeloop/internal/entity"
	"closeloop/internal/errs"
)

// userAdmin are the admin's actions on a user that are not field edits:
// a new password, turning off a lost second factor.
type userAdmin struct {
	Password    string
	TOTP        string
	TOTPEnabled bool
	Error       string
}

func (s *Server) extendUser(c *rc, rec entity.Record, dp *detailPage) error {
	if !c.p.IsAdmin() {
		return nil
	}
	dp.UserAdmin = &userAdmin{Password: "/settings/users/" + rec.ID() + "/password", TOTPEnabled: rec.Bool("totp_enabled")}
	if dp.UserAdmin.TOTPEnabled {
		dp.UserAdmin.TOTP = "/settings/users/" + rec.ID() + "/totp/disable"
	}
	return nil
}

// userPassword sets a user's password (an admin reset); every session of
// the user ends.
func (s *Server) userPassword(c *rc) error {
	id := strings.ToLower(c.r.PathValue("id"))
	if !entity.LooksLikeID(id) {
		return errs.NotFoundf("user")
	}
	if _, err := s.app.Records.Get(c.ctx(), c.p, "user", id); err != nil {
		return err
	}
	pw := c.r.PostFormValue("password")
	back := "/settings/users/" + id
	if pw != c.r.PostFormValue("password2") {
		c.flash("error", c.T("acct.password_mismatch"))
		return c.redirect(back)
	}
	if err := s.app.Auth.SetPassword(c.ctx(), c.p, id, pw); err != nil {
		if ee := errs.As(err); ee != nil && ee.Code == "validation" && len(ee.Fields) > 0 {
			c.flash("error", c.fieldText(nil, ee.Fields[0]))
			return c.redirect(back)
		}
		return err
	}
	c.flash("success", c.T("set.password_reset"))
	return c.redirect(back)
}

// userTOTPDisable turns off a user's second factor (a lost phone).
func (s *Server) userTOTPDisable(c *rc) error {
	id := strings.ToLower(c.r.PathValue("id"))
	if !entity.LooksLikeID(id) {
		return errs.NotFoundf("user")
	}
	if _, err := s.app.Records.Get(c.ctx(), c.p, "user", id); err != nil {
		return err
	}
	if err := s.app.Auth.DisableTOTP(c.ctx(), c.p, id); err != nil {
		return err
	}
	c.flash("success", c.T("set.totp_disabled"))
	return c.redirect("/settings/users/" + id)
}
