package web

import (
	"log/slog"
	"net/http"
	"regexp"
	"strconv"

	"closeloop/internal/crm"
	"closeloop/internal/errs"
	"closeloop/internal/fulfilment"
	"closeloop/internal/httpx"
	"closeloop/internal/i18n"
	"closeloop/internal/records"
)

// The customer's public page (/s/{token}): the receiver confirms a
// delivery (签收) or accepts a task (验收) on a phone, without a login. It
// shows only what the link is for — our company, the consignee, the
// document's number and its lines with quantities; no prices, no order,
// no navigation — in Chinese with an English switch (?lang=en). A wrong
// token answers one 404 page that says nothing more; every one counts
// against the visitor's address (the sign-in throttle), so guessing is
// slowed to nothing. The form posts same-origin, which the server's
// cross-origin protection lets through without a session.

// publicPage is what the public template shows.
type publicPage struct {
	L       i18n.Lang
	Title   string
	ReqID   string
	State   string // open, used, expired, unknown, too_many, failed
	Thanks  bool   // just confirmed
	Again   bool   // a second confirmation was refused
	Company string
	View    *fulfilment.PublicView
	Kind    string // task kind label
	Lines   []publicLineRow
	Errors  []string
	Err     map[string]string // input name → message
	Val     map[string]string // input name → value kept
	Issues  []option
	Action  string
	Switch  string
	Other   string
	When    string
	Start   string
	Expires string
	Reject  bool
}

type publicLineRow struct {
	ID, Pos, Name, Spec, Unit, Qty, Batch string
	Received, Issue, Remark               string
	Short, Flagged                        bool
}

// T translates in the page's language.
func (p *publicPage) T(key string, args ...any) string { return i18n.Msg(p.L, key, args...) }

// LangTag is the <html lang> value.
func (p *publicPage) LangTag() string { return string(p.L) }

var publicLineField = regexp.MustCompile(`^lines\[(\d+)\]\.(\w+)$`)

// publicKey is the throttle's key of a visitor.
func publicKey(r *http.Request) string { return "public-link:" + httpx.ClientIP(r) }

func (s *Server) publicLang(c *rc) {
	if l, ok := i18n.Parse(c.r.URL.Query().Get("lang")); ok && c.r.URL.Query().Get("lang") != "" {
		setLangCookie(c, l)
		c.L = l
	}
}

func (s *Server) newPublic(c *rc, token string) *publicPage {
	p := &publicPage{L: c.L, ReqID: records.RequestID(c.ctx()), Err: map[string]string{}, Val: map[string]string{}, Action: fulfilment.LinkPath + token}
	other := i18n.EN
	p.Other = "English"
	if c.L == i18n.EN {
		other, p.Other = i18n.ZH, "简体中文"
	}
	p.Switch = fulfilment.LinkPath + token + "?lang=" + string(other)
	p.Title = p.T("pub.title.unknown")
	return p
}

// renderPublic writes the public page with headers fit for a page that
// carries a secret in its address.
func (s *Server) renderPublic(c *rc, status int, p *publicPage) error {
	h := c.w.Header()
	h.Set("Referrer-Policy", "no-referrer")
	h.Set("X-Robots-Tag", "noindex, nofollow")
	return c.render(status, "public_link", p)
}

// publicFailure answers what is not a page of a link: unknown (404),
// too many tries (429), anything else (500) — each revealing nothing.
func (s *Server) publicFailure(c *rc, p *publicPage, err error) error {
	switch errs.KindOf(err) {
	case errs.NotFound:
		if ferr := s.app.Auth.Failed(c.ctx(), publicKey(c.r)); ferr != nil {
			slog.Error("web: count a wrong link", "err", ferr)
		}
		p.State, p.Title = "unknown", p.T("pub.title.unknown")
		return s.renderPublic(c, http.StatusNotFound, p)
	case errs.TooMany:
		e := errs.As(err)
		if sec, ok := e.Args["seconds"].(int); ok {
			c.w.Header().Set("Retry-After", strconv.Itoa(sec))
		}
		p.State, p.Title = "too_many", p.T("pub.title.too_many")
		return s.renderPublic(c, http.StatusTooManyRequests, p)
	}
	slog.Error("web: public link", "request_id", p.ReqID, "err", err)
	p.State, p.Title = "failed", p.T("pub.title.failed")
	return s.renderPublic(c, http.StatusInternalServerError, p)
}

// fill puts a view into the page.
func (s *Server) fill(c *rc, p *publicPage, v *fulfilment.PublicView) {
	p.View, p.State = v, v.State
	p.Company = v.Company.In(c.L)
	p.Expires = c.fmtTime(v.ExpiresAt)
	p.When = c.fmtTime(v.ConfirmedAt)
	if v.Purpose == fulfilment.PurposeAcceptance {
		p.Title = p.T("pub.title.acceptance")
		if f := c.schema.Entity("service_task").Field("kind"); f != nil {
			p.Kind = c.schema.OptionLabel(f, v.Kind, c.L)
		}
		p.Start = c.fmtTime(v.ScheduledStart)
	} else {
		p.Title = p.T("pub.title.sign_off")
	}
	if f := c.schema.Entity("delivery_line").Field("receipt_issue"); f != nil {
		p.Issues = c.selectOptions(f)
	}
	for _, l := range v.Lines {
		row := publicLineRow{ID: l.ID, Pos: strconv.FormatInt(l.Position, 10), Name: l.Name, Spec: l.Spec, Unit: l.Unit, Qty: strconv.FormatInt(l.Quantity, 10),
			Batch: l.BatchNo, Remark: l.Remark}
		if l.Received != nil {
			row.Received = strconv.FormatInt(*l.Received, 10)
			row.Short = *l.Received < l.Quantity
		}
		if l.Issue != "" && l.Issue != crm.IssueNone {
			row.Flagged = true
			if f := c.schema.Entity("delivery_line").Field("receipt_issue"); f != nil {
				row.Issue = c.schema.OptionLabel(f, l.Issue, c.L)
			}
		}
		if v.State == fulfilment.LinkOpen {
			row.Received = strconv.FormatInt(l.Quantity, 10)
		}
		p.Lines = append(p.Lines, row)
	}
}

// publicStatus is the HTTP status of a link's page in its state.
func publicStatus(state string) int {
	if state == fulfilment.LinkExpired {
		return http.StatusGone
	}
	return http.StatusOK
}

func (s *Server) publicLink(c *rc) error {
	s.publicLang(c)
	token := c.r.PathValue("token")
	p := s.newPublic(c, token)
	if err := s.app.Auth.Throttle(c.ctx(), publicKey(c.r)); err != nil {
		return s.publicFailure(c, p, err)
	}
	v, err := s.app.Fulfilment.Public(c.ctx(), token)
	if err != nil {
		return s.publicFailure(c, p, err)
	}
	s.fill(c, p, v)
	return s.renderPublic(c, publicStatus(v.State), p)
}

func (s *Server) publicLinkPost(c *rc) error {
	token := c.r.PathValue("token")
	p := s.newPublic(c, token)
	if err := s.app.Auth.Throttle(c.ctx(), publicKey(c.r)); err != nil {
		return s.publicFailure(c, p, err)
	}
	v, err := s.app.Fulfilment.Public(c.ctx(), token)
	if err != nil {
		return s.publicFailure(c, p, err)
	}
	if err := c.r.ParseForm(); err != nil {
		return s.publicFailure(c, p, errs.New(errs.Invalid, "validation"))
	}
	f := c.r.PostForm
	ip := httpx.ClientIP(c.r)
	var out *fulfilment.PublicView
	if v.Purpose == fulfilment.PurposeAcceptance {
		out, err = s.app.Fulfilment.Accept(c.ctx(), token, ip, fulfilment.AcceptInput{Accept: f.Get("decision") != "reject", Reason: f.Get("reason"),
			Remarks: f.Get("remarks"), Name: f.Get("name"), Phone: f.Get("phone")})
	} else {
		in := fulfilment.SignOffInput{Remarks: f.Get("remarks"), Name: f.Get("name"), Phone: f.Get("phone")}
		for _, l := range v.Lines {
			in.Lines = append(in.Lines, fulfilment.ReceiptInput{LineID: l.ID, Received: f.Get("recv_" + l.ID), Issue: f.Get("issue_" + l.ID), Remark: f.Get("remark_" + l.ID)})
		}
		out, err = s.app.Fulfilment.SignOff(c.ctx(), token, ip, in)
	}
	if err == nil {
		s.fill(c, p, out)
		p.Thanks = true
		return s.renderPublic(c, http.StatusOK, p)
	}
	switch errs.CodeOf(err) {
	case "public_link_used", "public_link_expired":
		if v, rerr := s.app.Fulfilment.Public(c.ctx(), token); rerr == nil {
			s.fill(c, p, v)
		}
		status := http.StatusConflict
		if errs.CodeOf(err) == "public_link_expired" {
			p.State, status = fulfilment.LinkExpired, http.StatusGone
		} else {
			p.State, p.Again = fulfilment.LinkUsed, true
		}
		return s.renderPublic(c, status, p)
	}
	e := errs.As(err)
	if e == nil || e.Kind == errs.NotFound || e.Kind == errs.TooMany || e.Kind == errs.Internal {
		return s.publicFailure(c, p, err)
	}
	// A refused confirmation: the form again, with what was typed and
	// each problem at its input.
	s.fill(c, p, v)
	for i := range p.Lines {
		id := p.Lines[i].ID
		p.Lines[i].Received, p.Lines[i].Remark = f.Get("recv_"+id), f.Get("remark_"+id)
		p.Val["issue_"+id] = f.Get("issue_" + id)
	}
	for _, k := range []string{"name", "phone", "remarks", "reason", "decision"} {
		p.Val[k] = f.Get(k)
	}
	p.Reject = f.Get("decision") == "reject"
	for _, fe := range e.Fields {
		name, label := fe.Field, i18n.Msg(c.L, "pub.field."+fe.Field)
		if m := publicLineField.FindStringSubmatch(fe.Field); m != nil {
			i, _ := strconv.Atoi(m[1])
			if i < len(p.Lines) {
				prefix := map[string]string{"received": "recv_", "issue": "issue_", "remark": "remark_"}[m[2]]
				name = prefix + p.Lines[i].ID
				label = i18n.Msg(c.L, "ful.line_field", "n", i+1, "field", i18n.Msg(c.L, "pub.field."+m[2]))
			}
		}
		fe.Args = c.localArgs(fe.Args)
		msg := httpx.FieldMessage(c.L, fe, label)
		if p.Err[name] == "" {
			p.Err[name] = msg
		}
		p.Errors = append(p.Errors, msg)
	}
	if len(e.Fields) == 0 {
		p.Errors = append(p.Errors, c.errText(err))
	}
	return s.renderPublic(c, http.StatusUnprocessableEntity, p)
}

// Issue options of a line, with the one kept selected.
func (p *publicPage) IssueOptions(lineID string) []option {
	sel := p.Val["issue_"+lineID]
	out := make([]option, len(p.Issues))
	for i, o := range p.Issues {
		o.Selected, o.plain = o.Value == sel, ""
		out[i] = o
	}
	return out
}

// ErrOf is the message of an input.
func (p *publicPage) ErrOf(name string) string { return p.Err[name] }

// Joined is a field's id made of a prefix and a line's id.
func (p *publicPage) Joined(prefix, id string) string { return prefix + id }
