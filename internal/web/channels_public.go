package web

import (
	"errors"
	"io"
	"log/slog"
	"net/http"
	"strconv"
	"strings"

	"closeloop/internal/channels"
	"closeloop/internal/crm"
	"closeloop/internal/errs"
	"closeloop/internal/httpx"
	"closeloop/internal/i18n"
	"closeloop/internal/records"
)

// The customer's side of the service desk, without a sign-in: the public
// service form (/service/request, phone-sized, Chinese first with an
// English switch), the portal-link request (/portal) and the portal
// itself (/portal/{token}: the customer's tickets, orders, deliveries and
// the public knowledge base; a ticket's public conversation with a box to
// add to it; a new request). A wrong portal token answers one 404 page
// that says nothing more, and counts against the visitor's address (the
// sign-in throttle) like a wrong sign-off link. Forms post same-origin,
// which the server's cross-origin protection lets through.

func init() {
	areaRoutes = append(areaRoutes, func(s *Server, m *http.ServeMux) {
		m.HandleFunc("GET /service/request", s.public(s.serviceForm))
		m.HandleFunc("POST /service/request", s.public(s.serviceFormPost))
		m.HandleFunc("GET /portal", s.public(s.portalAsk))
		m.HandleFunc("POST /portal", s.public(s.portalAskPost))
		m.HandleFunc("GET /portal/{token}", s.public(s.portalHome))
		m.HandleFunc("GET /portal/{token}/tickets/{id}", s.public(s.portalTicket))
		m.HandleFunc("POST /portal/{token}/tickets/{id}", s.public(s.portalTicketPost))
		m.HandleFunc("GET /portal/{token}/request", s.public(s.portalRequest))
		m.HandleFunc("POST /portal/{token}/request", s.public(s.portalRequestPost))
	})
}

// chnPage is what the public channels template shows.
type chnPage struct {
	L       i18n.Lang
	Title   string
	ReqID   string
	State   string // form, done, neutral, ask, asked, portal, ticket, unknown, expired, too_many, failed
	Company string
	Switch  string
	Other   string
	Action  string
	Stamp   string
	Errors  []string
	Err     map[string]string
	Val     map[string]string
	Kinds   []option
	Prods   []option
	Number  string
	Hint    string
	Home    string // the portal's address (on portal pages)
	Expires string
	Created string

	Portal     *channels.Portal
	Tickets    []chnTicketRow
	Orders     []chnRow
	Deliveries []chnRow
	Articles   []channels.Article
	Ticket     *channels.TicketView
	TStatus    string
	Messages   []chnMessage
	Sent       bool
	MaxPhotos  int
	MaxMB      int64
}

type chnTicketRow struct {
	Href, Number, Subject, Status, Kind, Created string
}

type chnRow struct{ A, B, C, D string }

type chnMessage struct {
	Ours       bool
	From, When string
	Body       string
}

// T translates in the page's language.
func (p *chnPage) T(key string, args ...any) string { return i18n.Msg(p.L, key, args...) }

// LangTag is the <html lang> value.
func (p *chnPage) LangTag() string { return string(p.L) }

// ErrOf is the message of an input.
func (p *chnPage) ErrOf(name string) string { return p.Err[name] }

func (s *Server) newChn(c *rc, path string) *chnPage {
	s.publicLang(c)
	p := &chnPage{L: c.L, ReqID: records.RequestID(c.ctx()), Err: map[string]string{}, Val: map[string]string{}, Action: path,
		MaxPhotos: channels.MaxPhotos, MaxMB: s.app.Files.MaxSize >> 20}
	other := i18n.EN
	p.Other = "English"
	if c.L == i18n.EN {
		other, p.Other = i18n.ZH, "简体中文"
	}
	p.Switch = path + "?lang=" + string(other)
	if co, err := s.app.Admin.Company(c.ctx()); err == nil {
		p.Company = co.Name
		if c.L == i18n.EN && co.NameEn != "" {
			p.Company = co.NameEn
		}
	}
	return p
}

func (s *Server) renderChn(c *rc, status int, p *chnPage) error {
	h := c.w.Header()
	h.Set("Referrer-Policy", "no-referrer")
	h.Set("X-Robots-Tag", "noindex, nofollow")
	return c.render(status, "channels_public", p)
}

// chnFailure answers what is not a page: unknown (404, counted), expired
// (410), too many (429 with Retry-After), anything else (500).
func (s *Server) chnFailure(c *rc, p *chnPage, err error) error {
	switch {
	case errs.KindOf(err) == errs.NotFound:
		if ferr := s.app.Auth.Failed(c.ctx(), publicKey(c.r)); ferr != nil {
			slog.Error("web: count a wrong portal link", "err", ferr)
		}
		p.State, p.Title, p.Home = "unknown", p.T("chn.portal.title"), ""
		return s.renderChn(c, http.StatusNotFound, p)
	case errs.CodeOf(err) == "portal_link_expired":
		p.State, p.Title = "expired", p.T("chn.portal.title")
		return s.renderChn(c, http.StatusGone, p)
	case errs.KindOf(err) == errs.TooMany:
		if e := errs.As(err); e != nil {
			if sec, ok := e.Args["seconds"].(int); ok {
				c.w.Header().Set("Retry-After", strconv.Itoa(sec))
			}
		}
		p.State = "too_many"
		if p.Title == "" {
			p.Title = p.T("chn.form.title")
		}
		return s.renderChn(c, http.StatusTooManyRequests, p)
	}
	slog.Error("web: public channels page", "request_id", p.ReqID, "err", err)
	p.State, p.Title = "failed", p.T("chn.form.title")
	return s.renderChn(c, http.StatusInternalServerError, p)
}

// fillForm prepares the request form (kinds, products, the stamp).
func (s *Server) fillForm(c *rc, p *chnPage) error {
	p.State, p.Title = "form", p.T("chn.form.title")
	stamp, err := s.app.Channels.Stamp(c.ctx())
	if err != nil {
		return err
	}
	p.Stamp = stamp
	kind := p.Val["kind"]
	if kind == "" {
		kind = crm.TicketRepair
	}
	for _, o := range crm.TicketKinds {
		p.Kinds = append(p.Kinds, option{Value: o.Code, Label: o.Label.In(c.L), Selected: o.Code == kind})
	}
	rows, err := s.app.DB.R().QueryContext(c.ctx(), `SELECT id, name FROM products WHERE active AND deleted_at IS NULL ORDER BY name LIMIT 300`)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var o option
		if err := rows.Scan(&o.Value, &o.Label); err != nil {
			return err
		}
		o.Selected = o.Value == p.Val["product_id"]
		p.Prods = append(p.Prods, o)
	}
	return rows.Err()
}

func (s *Server) serviceForm(c *rc) error {
	p := s.newChn(c, "/service/request")
	if err := s.fillForm(c, p); err != nil {
		return s.chnFailure(c, p, err)
	}
	return s.renderChn(c, http.StatusOK, p)
}

// readRequest reads the posted form: only its own inputs, the photos
// bounded before they are read.
func (s *Server) readRequest(c *rc, p *chnPage) (channels.Request, error) {
	limit := int64(channels.MaxPhotos)*s.app.Files.MaxSize + 1<<20
	c.r.Body = http.MaxBytesReader(c.w, c.r.Body, limit)
	if err := c.r.ParseMultipartForm(8 << 20); err != nil && !errors.Is(err, http.ErrNotMultipart) {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return channels.Request{}, errs.Validation([]errs.FieldError{{Field: "photos", Code: "file_too_large", Args: map[string]any{"max": s.app.Files.MaxSize >> 20}}})
		}
		return channels.Request{}, errs.New(errs.Invalid, "validation")
	} else if errors.Is(err, http.ErrNotMultipart) {
		if err := c.r.ParseForm(); err != nil {
			return channels.Request{}, errs.New(errs.Invalid, "validation")
		}
	}
	f := c.r.PostForm
	for _, k := range []string{"name", "company", "phone", "email", "product_id", "product", "order_no", "kind", "description"} {
		p.Val[k] = f.Get(k)
	}
	r := channels.Request{Name: f.Get("name"), Company: f.Get("company"), Phone: f.Get("phone"), Email: f.Get("email"), ProductID: f.Get("product_id"),
		Product: f.Get("product"), OrderNo: f.Get("order_no"), Kind: f.Get("kind"), Description: f.Get("description"),
		Channel: crm.ChannelWebForm, IP: httpx.ClientIP(c.r), Lang: c.L, Guarded: true, Honeypot: f.Get("website"), Stamp: f.Get("stamp")}
	if c.r.MultipartForm != nil {
		for _, fh := range c.r.MultipartForm.File["photos"] {
			if fh.Size == 0 && fh.Filename == "" {
				continue
			}
			fl, err := fh.Open()
			if err != nil {
				return r, err
			}
			b, err := io.ReadAll(io.LimitReader(fl, s.app.Files.MaxSize+1))
			fl.Close()
			if err != nil {
				return r, err
			}
			r.Photos = append(r.Photos, channels.Photo{Name: fh.Filename, Data: b})
		}
	}
	return r, nil
}

// refused shows the form again with what was typed and each problem at
// its input.
func (s *Server) refused(c *rc, p *chnPage, err error) error {
	e := errs.As(err)
	if e == nil || e.Kind == errs.Internal || e.Kind == errs.NotFound || e.Kind == errs.TooMany {
		return s.chnFailure(c, p, err)
	}
	if ferr := s.fillForm(c, p); ferr != nil {
		return s.chnFailure(c, p, ferr)
	}
	for _, fe := range e.Fields {
		fe.Args = c.localArgs(fe.Args)
		msg := httpx.FieldMessage(c.L, fe, i18n.Msg(c.L, "chn.form."+fe.Field))
		if fe.Field == "product_id" {
			msg = httpx.FieldMessage(c.L, fe, i18n.Msg(c.L, "chn.form.product"))
		}
		if p.Err[fe.Field] == "" {
			p.Err[fe.Field] = msg
		}
		p.Errors = append(p.Errors, msg)
	}
	if len(e.Fields) == 0 {
		p.Errors = append(p.Errors, c.errText(err))
	}
	return s.renderChn(c, http.StatusUnprocessableEntity, p)
}

func (s *Server) serviceFormPost(c *rc) error {
	p := s.newChn(c, "/service/request")
	r, err := s.readRequest(c, p)
	if err != nil {
		return s.refused(c, p, err)
	}
	rc, err := s.app.Channels.Submit(c.ctx(), r)
	if err != nil {
		return s.refused(c, p, err)
	}
	return s.done(c, p, rc)
}

func (s *Server) done(c *rc, p *chnPage, rc channels.Receipt) error {
	p.Title = p.T("chn.form.done_title")
	if rc.Bot() {
		p.State = "neutral"
		return s.renderChn(c, http.StatusOK, p)
	}
	p.State, p.Number, p.Hint = "done", rc.Number, rc.PortalHint
	return s.renderChn(c, http.StatusOK, p)
}

func (s *Server) portalAsk(c *rc) error {
	p := s.newChn(c, "/portal")
	p.State, p.Title = "ask", p.T("chn.portal.title")
	return s.renderChn(c, http.StatusOK, p)
}

func (s *Server) portalAskPost(c *rc) error {
	p := s.newChn(c, "/portal")
	p.Title = p.T("chn.portal.title")
	if err := c.r.ParseForm(); err != nil {
		return s.chnFailure(c, p, errs.New(errs.Invalid, "validation"))
	}
	p.Val["email"] = c.r.PostForm.Get("email")
	err := s.app.Channels.RequestLink(c.ctx(), c.r.PostForm.Get("email"), httpx.ClientIP(c.r), c.L)
	if e := errs.As(err); e != nil && len(e.Fields) > 0 {
		p.State = "ask"
		fe := e.Fields[0]
		msg := httpx.FieldMessage(c.L, fe, p.T("chn.portal.ask_email"))
		p.Err["email"], p.Errors = msg, []string{msg}
		return s.renderChn(c, http.StatusUnprocessableEntity, p)
	}
	if err != nil {
		return s.chnFailure(c, p, err)
	}
	p.State = "asked"
	return s.renderChn(c, http.StatusOK, p)
}

// openPortal resolves the token of the address, throttled per visitor.
func (s *Server) openPortal(c *rc, p *chnPage) (*channels.Portal, error) {
	if err := s.app.Auth.Throttle(c.ctx(), publicKey(c.r)); err != nil {
		return nil, err
	}
	token := c.r.PathValue("token")
	pt, err := s.app.Channels.Open(c.ctx(), token)
	if err != nil {
		return nil, err
	}
	p.Portal, p.Home, p.Title = pt, channels.PortalPath+token, p.T("chn.portal.title")
	p.Expires = c.fmtTime(pt.ExpiresAt)
	if pt.Customer != "" {
		p.Title = pt.Customer
	}
	return pt, nil
}

func (s *Server) ticketStatus(c *rc, code string) string {
	for _, o := range crm.TicketStatuses {
		if o.Code == code {
			return o.Label.In(c.L)
		}
	}
	return code
}

func (s *Server) kindLabel(c *rc, code string) string {
	for _, o := range crm.TicketKinds {
		if o.Code == code {
			return o.Label.In(c.L)
		}
	}
	return code
}

func (s *Server) portalHome(c *rc) error {
	p := s.newChn(c, c.r.URL.Path)
	pt, err := s.openPortal(c, p)
	if err != nil {
		return s.chnFailure(c, p, err)
	}
	p.State = "portal"
	list, err := s.app.Channels.PortalTickets(c.ctx(), pt)
	if err != nil {
		return s.chnFailure(c, p, err)
	}
	for _, t := range list {
		p.Tickets = append(p.Tickets, chnTicketRow{Href: p.Home + "/tickets/" + t.ID, Number: t.Number, Subject: t.Subject,
			Status: s.ticketStatus(c, t.Status), Kind: s.kindLabel(c, t.Kind), Created: c.fmtTime(t.CreatedAt)})
	}
	orders, err := s.app.Channels.Orders(c.ctx(), pt)
	if err != nil {
		return s.chnFailure(c, p, err)
	}
	of := c.schema.Entity("sales_order").Field("status")
	for _, o := range orders {
		st := o.Status
		if of != nil {
			st = c.schema.OptionLabel(of, o.Status, c.L)
		}
		p.Orders = append(p.Orders, chnRow{A: o.Number, B: st, C: c.fmtTime(o.CreatedAt), D: strconv.FormatFloat(float64(o.Total)/100, 'f', 2, 64) + " " + o.Currency})
	}
	dl, err := s.app.Channels.Deliveries(c.ctx(), pt)
	if err != nil {
		return s.chnFailure(c, p, err)
	}
	df := c.schema.Entity("delivery").Field("status")
	for _, d := range dl {
		st := d.Status
		if df != nil {
			st = c.schema.OptionLabel(df, d.Status, c.L)
		}
		p.Deliveries = append(p.Deliveries, chnRow{A: d.Number, B: st, C: strings.TrimSpace(d.Carrier + " " + d.TrackingNo), D: c.fmtTime(d.ShippedAt)})
	}
	if p.Articles, err = s.app.Channels.Articles(c.ctx()); err != nil {
		return s.chnFailure(c, p, err)
	}
	return s.renderChn(c, http.StatusOK, p)
}

func (s *Server) showTicket(c *rc, p *chnPage, pt *channels.Portal) error {
	v, err := s.app.Channels.PortalTicket(c.ctx(), pt, c.r.PathValue("id"))
	if err != nil {
		return err
	}
	p.State, p.Ticket, p.TStatus = "ticket", v, s.ticketStatus(c, v.Status)
	p.Title, p.Created = v.Number, c.fmtTime(v.CreatedAt)
	for _, m := range v.Messages {
		cm := chnMessage{Ours: m.Kind == crm.MessageReply, Body: m.Body, When: c.fmtTime(m.At), From: m.From}
		if cm.Ours {
			cm.From = p.T("chn.portal.from_us")
		} else if cm.From == "" {
			cm.From = p.T("chn.portal.from_you")
		}
		p.Messages = append(p.Messages, cm)
	}
	p.Action = p.Home + "/tickets/" + v.ID
	return nil
}

func (s *Server) portalTicket(c *rc) error {
	p := s.newChn(c, c.r.URL.Path)
	pt, err := s.openPortal(c, p)
	if err == nil {
		err = s.showTicket(c, p, pt)
	}
	if err != nil {
		return s.chnFailure(c, p, err)
	}
	p.Sent = c.r.URL.Query().Get("sent") == "1"
	return s.renderChn(c, http.StatusOK, p)
}

func (s *Server) portalTicketPost(c *rc) error {
	p := s.newChn(c, c.r.URL.Path)
	pt, err := s.openPortal(c, p)
	if err != nil {
		return s.chnFailure(c, p, err)
	}
	if err := c.r.ParseForm(); err != nil {
		return s.chnFailure(c, p, errs.New(errs.Invalid, "validation"))
	}
	body := c.r.PostForm.Get("body")
	werr := s.app.Channels.Write(c.ctx(), pt, c.r.PathValue("id"), body, httpx.ClientIP(c.r))
	if werr == nil {
		return c.redirect(p.Home + "/tickets/" + strings.ToLower(c.r.PathValue("id")) + "?sent=1")
	}
	if err := s.showTicket(c, p, pt); err != nil {
		return s.chnFailure(c, p, err)
	}
	e := errs.As(werr)
	if e == nil || e.Kind == errs.Internal || e.Kind == errs.TooMany || e.Kind == errs.NotFound {
		return s.chnFailure(c, p, werr)
	}
	p.Val["body"] = body
	if len(e.Fields) > 0 {
		fe := e.Fields[0]
		fe.Args = c.localArgs(fe.Args)
		p.Err["body"] = httpx.FieldMessage(c.L, fe, p.T("chn.portal.write"))
		p.Errors = []string{p.Err["body"]}
	} else {
		p.Errors = []string{c.errText(werr)}
	}
	return s.renderChn(c, http.StatusUnprocessableEntity, p)
}

func (s *Server) portalRequest(c *rc) error {
	p := s.newChn(c, c.r.URL.Path)
	if _, err := s.openPortal(c, p); err != nil {
		return s.chnFailure(c, p, err)
	}
	p.Action = p.Home + "/request"
	if err := s.fillForm(c, p); err != nil {
		return s.chnFailure(c, p, err)
	}
	return s.renderChn(c, http.StatusOK, p)
}

func (s *Server) portalRequestPost(c *rc) error {
	p := s.newChn(c, c.r.URL.Path)
	pt, err := s.openPortal(c, p)
	if err != nil {
		return s.chnFailure(c, p, err)
	}
	p.Action = p.Home + "/request"
	r, err := s.readRequest(c, p)
	if err != nil {
		return s.refused(c, p, err)
	}
	rc, err := s.app.Channels.NewRequest(c.ctx(), pt, r)
	if err != nil {
		return s.refused(c, p, err)
	}
	return s.done(c, p, rc)
}
