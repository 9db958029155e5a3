package web

import (
	"bytes"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"closeloop/internal/admin"
	"closeloop/internal/api"
	"closeloop/internal/errs"
	"closeloop/internal/httpx"
	"closeloop/internal/i18n"
	"closeloop/internal/mail"
	"closeloop/internal/pdfdoc"
)

// Admin pages for documents and mail: the company letterhead with its
// logo and a PDF preview, the SMTP server with a test message, and the
// outbox (filter by status, resend a failed message after confirming).
// Every step goes through admin.Service and mail.Service, as the API does.

func init() {
	areaRoutes = append(areaRoutes, func(s *Server, m *http.ServeMux) {
		m.HandleFunc("GET /settings/company", s.adminPage(s.companyPage))
		m.HandleFunc("POST /settings/company", s.adminPage(s.companySave))
		m.HandleFunc("GET /settings/company/logo", s.adminPage(s.companyLogo))
		m.HandleFunc("POST /settings/company/logo", s.adminPage(s.companyLogoUpload))
		m.HandleFunc("POST /settings/company/logo/delete", s.adminPage(s.companyLogoDelete))
		m.HandleFunc("GET /settings/company/preview.pdf", s.adminPage(s.companyPreview))
		m.HandleFunc("GET /settings/mail", s.adminPage(s.mailPage))
		m.HandleFunc("POST /settings/mail", s.adminPage(s.mailSave))
		m.HandleFunc("POST /settings/mail/test", s.adminPage(s.mailTest))
		m.HandleFunc("GET /settings/mail/outbox", s.adminPage(s.outboxPage))
		m.HandleFunc("GET /settings/mail/outbox/{id}", s.adminPage(s.outboxMessage))
		m.HandleFunc("POST /settings/mail/outbox/{id}/resend", s.adminPage(s.outboxResend))
	})
	settingsSections = append(settingsSections,
		settingsLink{"company", "/settings/company"}, settingsLink{"mail", "/settings/mail"}, settingsLink{"outbox", "/settings/mail/outbox"})
}

// fieldMessages renders a refusal's field errors with labels from the
// catalogue (prefix + field name).
func (c *rc) fieldMessages(err error, prefix string) []string {
	ee := errs.As(err)
	if ee == nil {
		return []string{c.errText(err)}
	}
	var out []string
	for _, fe := range ee.Fields {
		label := fe.Field
		if k := prefix + fe.Field; i18n.Has(c.L, k) {
			label = c.T(k)
		}
		fe.Args = c.localArgs(fe.Args)
		out = append(out, httpx.FieldMessage(c.L, fe, label))
	}
	if len(out) == 0 {
		out = append(out, c.errText(err))
	}
	return out
}

// userError reports an error the page shows to the user (a refusal of the
// input) rather than answering with an error page.
func userError(err error) bool {
	k := errs.KindOf(err)
	return k == errs.Invalid || k == errs.Unprocessable || k == errs.Conflict
}

// --- the company letterhead ---

type companyPage struct {
	*base
	Form    pdfdoc.Company
	Logo    *admin.LogoInfo
	LogoURL string
	LogoMB  int
	Errors  []string
}

func (s *Server) companyPage(c *rc) error {
	prof, err := s.app.Admin.CompanyProfile(c.ctx(), c.p)
	if err != nil {
		return err
	}
	return c.render(http.StatusOK, "company", s.companyView(c, prof.Company, prof.Logo, nil))
}

func (s *Server) companyView(c *rc, form pdfdoc.Company, logo *admin.LogoInfo, errors []string) *companyPage {
	p := &companyPage{base: c.settingsBase(c.T("set.company"), "settings"), Form: form, Logo: logo, LogoMB: admin.MaxLogoSize >> 20, Errors: errors}
	if logo != nil {
		p.LogoURL = "/settings/company/logo?v=" + logo.SHA256[:12]
	}
	return p
}

func (s *Server) companySave(c *rc) error {
	if err := c.r.ParseForm(); err != nil {
		return errs.New(errs.Invalid, "validation")
	}
	f := c.r.PostForm
	co := pdfdoc.Company{Name: f.Get("name"), NameEn: f.Get("name_en"), Address: f.Get("address"), Phone: f.Get("phone"), Email: f.Get("email"),
		Website: f.Get("website"), TaxNumber: f.Get("tax_number"), BankName: f.Get("bank_name"), BankAccount: f.Get("bank_account")}
	if err := s.app.Admin.SaveCompany(c.ctx(), c.p, co); err != nil {
		if !userError(err) {
			return err
		}
		prof, perr := s.app.Admin.CompanyProfile(c.ctx(), c.p)
		if perr != nil {
			return perr
		}
		return c.render(httpStatus(err), "company", s.companyView(c, co, prof.Logo, c.fieldMessages(err, "co.field.")))
	}
	c.flash("success", c.T("co.saved"))
	return c.redirect("/settings/company")
}

func (s *Server) companyLogo(c *rc) error {
	data, info, err := s.app.Admin.CompanyLogo(c.ctx(), c.p)
	if err != nil {
		return err
	}
	h := c.w.Header()
	h.Set("Content-Type", info.ContentType)
	h.Set("Content-Length", strconv.Itoa(len(data)))
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Cache-Control", "private, max-age=86400") // the URL names the version
	c.w.WriteHeader(http.StatusOK)
	_, _ = c.w.Write(data)
	return nil
}

func (s *Server) companyLogoUpload(c *rc) error {
	body := c.r.Body
	tooLarge := func() error {
		return errs.Validation([]errs.FieldError{{Field: "file", Code: "file_too_large", Args: map[string]any{"max_mb": admin.MaxLogoSize >> 20}}})
	}
	up, err := api.ReadUpload(c.w, c.r, admin.MaxLogoSize, tooLarge)
	if err == nil {
		_, err = s.app.Admin.SetCompanyLogo(c.ctx(), c.p, up.Data)
	}
	if err != nil {
		if !userError(err) {
			return err
		}
		if fe := errs.As(err); fe != nil && len(fe.Fields) > 0 && fe.Fields[0].Code == "file_too_large" {
			// Read what the browser is still sending, so it sees the answer.
			_, _ = io.Copy(io.Discard, io.LimitReader(body, 8<<20))
		}
		c.flash("error", strings.Join(c.fieldMessages(err, "co.field."), " "))
		return c.redirect("/settings/company")
	}
	c.flash("success", c.T("co.logo_saved"))
	return c.redirect("/settings/company")
}

func (s *Server) companyLogoDelete(c *rc) error {
	if err := s.app.Admin.DeleteCompanyLogo(c.ctx(), c.p); err != nil {
		return err
	}
	c.flash("success", c.T("co.logo_deleted"))
	return c.redirect("/settings/company")
}

// companyPreview shows the sample quote on the saved letterhead in the
// browser's PDF viewer (?lang=en for English).
func (s *Server) companyPreview(c *rc) error {
	lang := c.L
	if l := c.r.URL.Query().Get("lang"); l == string(i18n.EN) || l == string(i18n.ZH) {
		lang = i18n.Lang(l)
	}
	var buf bytes.Buffer
	if err := s.app.Admin.LetterheadPreview(c.ctx(), c.p, lang, time.Now().In(s.app.Loc), &buf); err != nil {
		return err
	}
	api.WritePDF(c.w, "letterhead-preview.pdf", buf.Bytes(), true)
	return nil
}

// --- the SMTP server ---

type mailPage struct {
	*base
	Form       mail.SMTP
	Port       string
	Securities []option
	TestTo     string
	Errors     []string
}

func (s *Server) mailPage(c *rc) error {
	st, err := s.app.Mail.Settings(c.ctx(), c.p)
	if err != nil {
		return err
	}
	return c.render(http.StatusOK, "mail_settings", s.mailView(c, st, strconv.Itoa(st.Port), nil))
}

func (s *Server) mailView(c *rc, st mail.SMTP, port string, errors []string) *mailPage {
	p := &mailPage{base: c.settingsBase(c.T("set.mail"), "settings"), Form: st, Port: port, TestTo: c.p.Email, Errors: errors}
	for _, sec := range mail.Securities {
		p.Securities = append(p.Securities, option{Value: string(sec), Label: c.T("smtp.security_" + string(sec)), Selected: sec == st.Security})
	}
	return p
}

func (s *Server) mailSave(c *rc) error {
	if err := c.r.ParseForm(); err != nil {
		return errs.New(errs.Invalid, "validation")
	}
	f := c.r.PostForm
	u := mail.SMTPUpdate{Host: f.Get("host"), Username: f.Get("username"), FromAddress: f.Get("from_address"), FromName: f.Get("from_name"), Security: mail.Security(f.Get("security"))}
	var msgs []string
	if v := strings.TrimSpace(f.Get("port")); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil {
			msgs = append(msgs, c.T("err.invalid_integer", "field", c.T("smtp.field.port")))
		}
		u.Port = n
	}
	// An empty password field keeps the stored password; a ticked box clears it.
	if pw := f.Get("password"); pw != "" {
		u.Password = &pw
	} else if f.Get("clear_password") == "1" {
		empty := ""
		u.Password = &empty
	}
	var err error
	if len(msgs) == 0 {
		_, err = s.app.Mail.SaveSettings(c.ctx(), c.p, u)
		if err != nil && !userError(err) {
			return err
		}
		if err != nil {
			msgs = c.fieldMessages(err, "smtp.field.")
		}
	}
	if len(msgs) > 0 {
		old, serr := s.app.Mail.Settings(c.ctx(), c.p)
		if serr != nil {
			return serr
		}
		form := mail.SMTP{Host: u.Host, Username: u.Username, FromAddress: u.FromAddress, FromName: u.FromName, Security: u.Security, PasswordSet: old.PasswordSet}
		return c.render(http.StatusUnprocessableEntity, "mail_settings", s.mailView(c, form, f.Get("port"), msgs))
	}
	c.flash("success", c.T("smtp.saved"))
	return c.redirect("/settings/mail")
}

func (s *Server) mailTest(c *rc) error {
	to := strings.TrimSpace(c.r.PostFormValue("to"))
	it, err := s.app.Mail.SendTest(c.ctx(), c.p, to, c.T("smtp.test_subject"), c.T("smtp.test_body"))
	switch {
	case err != nil && !userError(err):
		return err
	case err != nil:
		c.flash("error", strings.Join(c.fieldMessages(err, "smtp.field."), " "))
	case it.Status == mail.Sent:
		c.flash("success", c.T("smtp.test_sent", "to", to))
	default:
		c.flash("error", c.T("smtp.test_failed", "error", it.LastError))
	}
	return c.redirect("/settings/mail")
}

// --- the outbox ---

type outboxPage struct {
	*base
	Tabs   []outboxTab
	Rows   []outboxRow
	Next   string
	Status string
}

type outboxTab struct {
	Label, Href string
	Count       int
	Current     bool
}

type outboxRow struct {
	ID, At, To, Subject, Status, StatusLabel, Badge string
	Attempts                                        int
	Error, About, AboutHref, Href, Resend           string
	Attachments                                     int
}

var statusBadges = map[string]string{mail.Queued: "badge-info", mail.Sent: "badge-success", mail.Failed: "badge-danger"}

func (s *Server) outboxPage(c *rc) error {
	q := c.r.URL.Query()
	status := q.Get("status")
	page, err := s.app.Mail.List(c.ctx(), c.p, mail.Filter{Status: status, Cursor: q.Get("cursor"), Limit: 50})
	if err != nil {
		return err
	}
	counts, err := s.app.Mail.Counts(c.ctx(), c.p)
	if err != nil {
		return err
	}
	p := &outboxPage{base: c.settingsBase(c.T("set.outbox"), "settings"), Status: status}
	total := counts[mail.Queued] + counts[mail.Sent] + counts[mail.Failed]
	p.Tabs = append(p.Tabs, outboxTab{Label: c.T("ob.all"), Href: "/settings/mail/outbox", Count: total, Current: status == ""})
	for _, st := range []string{mail.Failed, mail.Queued, mail.Sent} {
		p.Tabs = append(p.Tabs, outboxTab{Label: c.T("ob.status_" + st), Href: "/settings/mail/outbox?status=" + st, Count: counts[st], Current: status == st})
	}
	for _, it := range page.Items {
		p.Rows = append(p.Rows, s.outboxRow(c, it))
	}
	if page.NextCursor != "" {
		v := url.Values{"cursor": {page.NextCursor}}
		if status != "" {
			v.Set("status", status)
		}
		p.Next = "/settings/mail/outbox?" + v.Encode()
	}
	return c.render(http.StatusOK, "outbox", p)
}

func (s *Server) outboxRow(c *rc, it mail.Item) outboxRow {
	r := outboxRow{ID: it.ID, At: c.fmtTime(it.CreatedAt), To: strings.Join(append(append([]string{}, it.To...), it.Cc...), ", "), Subject: it.Subject,
		Status: it.Status, StatusLabel: c.T("ob.status_" + it.Status), Badge: statusBadges[it.Status], Attempts: it.Attempts, Error: it.LastError,
		Href: "/settings/mail/outbox/" + it.ID, Attachments: len(it.Attachments)}
	if it.Status == mail.Sent && it.SentAt != nil {
		r.At = c.fmtTime(*it.SentAt)
	}
	if it.Status == mail.Failed {
		r.Resend = "/settings/mail/outbox/" + it.ID + "/resend"
	}
	switch {
	case it.Entity == "smtp_test":
		r.About = c.T("ob.test_message")
	case it.Entity != "":
		if e := c.schema.Entity(it.Entity); e != nil {
			r.About = e.Label.In(c.L)
			if it.RecordID != "" {
				r.AboutHref = basePath(e) + "/" + it.RecordID
			}
		} else {
			r.About = it.Entity
		}
	}
	return r
}

type outboxMessagePage struct {
	*base
	Row  outboxRow
	Item mail.Detail
	Sent string
}

func (s *Server) outboxMessage(c *rc) error {
	d, err := s.app.Mail.Get(c.ctx(), c.p, c.r.PathValue("id"))
	if err != nil {
		return err
	}
	b := c.settingsBase(d.Subject, "settings")
	b.Crumbs = []link{{Text: c.T("nav.settings"), Href: "/settings"}, {Text: c.T("set.outbox"), Href: "/settings/mail/outbox"}, {Text: d.Subject}}
	p := &outboxMessagePage{base: b, Row: s.outboxRow(c, d.Item), Item: d}
	if d.SentAt != nil {
		p.Sent = c.fmtTime(*d.SentAt)
	}
	return c.render(http.StatusOK, "outbox_message", p)
}

func (s *Server) outboxResend(c *rc) error {
	id := c.r.PathValue("id")
	if err := s.app.Mail.Resend(c.ctx(), c.p, id); err != nil {
		if !userError(err) {
			return err
		}
		c.flash("error", c.errText(err))
		return c.back("/settings/mail/outbox")
	}
	s.app.Jobs.Wake()
	c.flash("success", c.T("ob.resent"))
	return c.back("/settings/mail/outbox")
}
