package web

import (
	"net/http"
	"strconv"
	"strings"

	"closeloop/internal/channels"
	"closeloop/internal/entity"
	"closeloop/internal/errs"
	"closeloop/internal/store"
)

// The service mailbox settings (/settings/mail-in, admins): the IMAP
// server the service.mail_in job reads every minute. The password is
// write-only, as the SMTP password is: an empty input keeps it.

func init() {
	areaRoutes = append(areaRoutes, func(s *Server, m *http.ServeMux) {
		m.HandleFunc("GET /settings/mail-in", s.adminPage(s.mailInPage))
		m.HandleFunc("POST /settings/mail-in", s.adminPage(s.mailInSave))
	})
	settingsSections = append(settingsSections, settingsLink{"mail_in", "/settings/mail-in"})
}

type mailInPage struct {
	*base
	Form       channels.IMAP
	Port       string
	Errors     []string
	Securities []option
}

func (s *Server) mailInView(c *rc, st channels.IMAP, port string, errors []string) *mailInPage {
	p := &mailInPage{base: c.settingsBase(c.T("set.mail_in"), "settings"), Form: st, Port: port, Errors: errors}
	for _, sec := range []string{"tls", "starttls", "none"} {
		p.Securities = append(p.Securities, option{Value: sec, Label: c.T("chn.settings.security_" + sec), Selected: sec == st.Security})
	}
	return p
}

func (s *Server) mailInPage(c *rc) error {
	st, err := s.app.Channels.IMAPSettings(c.ctx(), c.p)
	if err != nil {
		return err
	}
	return c.render(http.StatusOK, "mail_in_settings", s.mailInView(c, st, strconv.Itoa(st.Port), nil))
}

func (s *Server) mailInSave(c *rc) error {
	if err := c.r.ParseForm(); err != nil {
		return errs.New(errs.Invalid, "validation")
	}
	f := c.r.PostForm
	u := channels.IMAPUpdate{Enabled: f.Get("enabled") == "1", Host: f.Get("host"), Security: f.Get("security"), Username: f.Get("username"), Folder: f.Get("folder")}
	var msgs []string
	if v := strings.TrimSpace(f.Get("port")); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil {
			msgs = append(msgs, c.T("err.invalid_integer", "field", c.T("chn.settings.port")))
		}
		u.Port = n
	}
	if pw := f.Get("password"); pw != "" {
		u.Password = &pw
	}
	if len(msgs) == 0 {
		_, err := s.app.Channels.SaveIMAPSettings(c.ctx(), c.p, u)
		if err != nil && !userError(err) {
			return err
		}
		if err != nil {
			msgs = c.fieldMessages(err, "chn.settings.")
		}
	}
	if len(msgs) > 0 {
		old, err := s.app.Channels.IMAPSettings(c.ctx(), c.p)
		if err != nil {
			return err
		}
		form := channels.IMAP{Enabled: u.Enabled, Host: u.Host, Security: u.Security, Username: u.Username, Folder: u.Folder, PasswordSet: old.PasswordSet}
		return c.render(http.StatusUnprocessableEntity, "mail_in_settings", s.mailInView(c, form, f.Get("port"), msgs))
	}
	c.flash("success", c.T("chn.settings.saved"))
	return c.redirect("/settings/mail-in")
}

// The agent's side of the portal: a contact's page makes a portal link to
// send by hand (shown this once: only its hash is kept), and a customer's
// page revokes every link of the customer after a confirmation.

func init() {
	areaRoutes = append(areaRoutes, func(s *Server, m *http.ServeMux) {
		m.HandleFunc("POST /contacts/{id}/portal-link", s.page(s.contactPortalLink))
		m.HandleFunc("POST /customers/{id}/portal-links/revoke", s.page(s.customerPortalRevoke))
	})
	onDetail("contact", (*Server).contactPortal)
	onDetail("customer", (*Server).customerPortal)
}

type portalKey struct{}

// chnPanel is what the channels partials show.
type chnPanel struct {
	T       func(string, ...any) string
	Action  string
	URL     string
	Expires string
	Active  int
	Confirm string
}

func (s *Server) contactPortal(c *rc, rec entity.Record, dp *detailPage) error {
	if !c.writable("contact", rec.ID()) {
		return nil
	}
	v := &chnPanel{T: c.T, Action: "/contacts/" + rec.ID() + "/portal-link"}
	if l, ok := c.ctx().Value(portalKey{}).(*channels.PortalLink); ok && l != nil {
		v.URL, v.Expires = s.linkURL(c, l.Path), c.fmtTime(l.ExpiresAt)
		if err := s.partialOr(c, "chn_link", v, &dp.Top); err != nil {
			return err
		}
	}
	return s.partialOr(c, "chn_link_button", v, &dp.Actions)
}

func (s *Server) contactPortalLink(c *rc) error {
	id := strings.ToLower(c.r.PathValue("id"))
	l, err := s.app.Channels.LinkFor(c.ctx(), c.p, id)
	if err != nil {
		return c.processFailed(err, "/contacts/"+id)
	}
	c.r = c.r.WithContext(contextWith(c, portalKey{}, &l))
	c.w.Header().Set("Referrer-Policy", "no-referrer")
	return s.showDetail(c, c.schema.Entity("contact"), id, http.StatusOK, nil)
}

func (s *Server) customerPortal(c *rc, rec entity.Record, dp *detailPage) error {
	if !c.writable("customer", rec.ID()) {
		return nil
	}
	v := &chnPanel{T: c.T, Action: "/customers/" + rec.ID() + "/portal-links/revoke", Confirm: c.T("chn.agent.revoke_confirm")}
	if err := s.app.DB.R().QueryRowContext(c.ctx(), `SELECT count(*) FROM portal_links WHERE customer_id = $1 AND revoked_at IS NULL AND expires_at > $2`,
		rec.ID(), store.Now()).Scan(&v.Active); err != nil {
		return err
	}
	if v.Active == 0 {
		return nil
	}
	return s.partialOr(c, "chn_revoke", v, &dp.Side)
}

func (s *Server) customerPortalRevoke(c *rc) error {
	id := strings.ToLower(c.r.PathValue("id"))
	n, err := s.app.Channels.Revoke(c.ctx(), c.p, id)
	if err != nil {
		return c.processFailed(err, "/customers/"+id)
	}
	c.flash("success", c.T("chn.agent.revoked", "n", n))
	return c.redirect("/customers/" + id)
}
