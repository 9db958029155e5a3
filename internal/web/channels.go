package web

import (
	"net/http"
	"strconv"
	"strings"

	"closeloop/internal/channels"
	"closeloop/internal/errs"
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
