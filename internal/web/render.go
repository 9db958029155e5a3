package web

import (
	"bytes"
	"embed"
	"html"
	"html/template"
	"io/fs"
	"log/slog"
	"net/http"
	"strconv"
	"strings"

	"closeloop/internal/access"
	"closeloop/internal/i18n"
	"closeloop/internal/records"
)

//go:embed templates
var templateFS embed.FS

// renderer holds one parsed template set per page: the layout and the
// shared partials, plus the page's own file.
type renderer struct {
	pages map[string]*template.Template
}

func newRenderer(a *assets) *renderer {
	funcs := template.FuncMap{
		"asset":   a.url,
		"num":     formatInt,
		"join":    strings.Join,
		"aria":    ariaAttrs,
		"pair":    func(a, b any) pairT { return pairT{A: a, B: b} },
		"options": optionsHTML,
	}
	shared, err := fs.Glob(templateFS, "templates/partials/*.html")
	if err != nil {
		panic(err)
	}
	base := template.Must(template.New("").Funcs(funcs).ParseFS(templateFS, append([]string{"templates/layout.html"}, shared...)...))
	pages, err := fs.Glob(templateFS, "templates/pages/*.html")
	if err != nil {
		panic(err)
	}
	r := &renderer{pages: map[string]*template.Template{}}
	for _, p := range pages {
		name := strings.TrimSuffix(strings.TrimPrefix(p, "templates/pages/"), ".html")
		t := template.Must(base.Clone())
		r.pages[name] = template.Must(t.ParseFS(templateFS, p))
	}
	return r
}

// base is what every page template receives (embedded in page data):
// the language, the user, navigation and the flash of the last redirect.
type base struct {
	L      i18n.Lang
	Title  string
	Nav    string
	User   *userInfo
	Flash  *flash
	Q      string
	Charts bool
	Crumbs []link
	// Path is the current page, for "come back here" links.
	Path  string
	ReqID string
	Menu  []navItem
	Admin bool
	// Unread counts the user's unread notifications (the bell).
	Unread int
}

// T translates a catalogue key in the page's language.
func (b *base) T(key string, args ...any) string { return i18n.Msg(b.L, key, args...) }

// LangTag is the <html lang> value.
func (b *base) LangTag() string { return string(b.L) }

// OtherLang is the language the switch offers.
func (b *base) OtherLang() string {
	if b.L == i18n.EN {
		return string(i18n.ZH)
	}
	return string(i18n.EN)
}

// OtherLangName is the switch's label, in its own language.
func (b *base) OtherLangName() string {
	if b.L == i18n.EN {
		return "简体中文"
	}
	return "English"
}

type link struct {
	Text, Href string
}

type navItem struct {
	Key, Text, Href string
	Section         bool // a section title, not a link
	Count           int  // a number shown beside it (approvals awaiting me)
}

type userInfo struct {
	ID, Name, Initial, Roles, Team string
}

// newBase fills the common page data for a request.
func (c *rc) newBase(title, nav string) *base {
	b := &base{L: c.L, Title: title, Nav: nav, Path: c.r.URL.RequestURI(), ReqID: records.RequestID(c.ctx())}
	if !c.htmx() {
		b.Flash = c.takeFlash()
	}
	if c.p != nil {
		b.User = c.userInfo()
		b.Menu = c.menu()
		b.Admin = c.p.IsAdmin()
		if !c.htmx() {
			b.Unread, _ = c.s.app.Notify.Unread(c.ctx(), c.p.UserID)
		}
	}
	return b
}

func (c *rc) userInfo() *userInfo {
	u := &userInfo{ID: c.p.UserID, Name: c.p.Name}
	if r := []rune(c.p.Name); len(r) > 0 {
		u.Initial = strings.ToUpper(string(r[0]))
	}
	var roles []string
	for _, r := range c.p.Roles {
		roles = append(roles, r.Label.In(c.L))
	}
	u.Roles = strings.Join(roles, c.T("ui.sep"))
	if c.p.TeamID != "" {
		if t, err := c.s.app.Records.Titles(c.ctx(), c.p, "team", []string{c.p.TeamID}); err == nil {
			u.Team = t[c.p.TeamID]
		}
	}
	return u
}

// navAfter adds pages to the menu after an entity's list (the agent's
// queue after tickets, the cause review after improvement items …),
// registered from init in each area's file; a function returns nothing
// when the user may not see its pages.
var navAfter = map[string][]func(c *rc) []navItem{}

// menu is the main navigation: what the user may read.
func (c *rc) menu() []navItem {
	items := []navItem{{Key: "home", Text: c.T("nav.home"), Href: "/"}}
	for _, name := range []string{"customer", "contact", "lead", "activity"} {
		e := c.schema.Entity(name)
		if e == nil || c.p.Perm(name).Read == access.None {
			continue
		}
		items = append(items, navItem{Key: e.Resource, Text: e.Plural.In(c.L), Href: basePath(e)})
	}
	if c.p.CanPool() || c.p.CanAssign() {
		items = append(items, navItem{Key: "pool", Text: c.T("nav.pool"), Href: "/pool"})
	}
	if c.p.Perm("approval").Read != access.None {
		n := 0
		if !c.htmx() {
			n, _ = c.s.app.Approvals.AwaitingCount(c.ctx(), c.p.UserID)
		}
		items = append(items, navItem{Key: "approvals", Text: c.T("nav.approvals"), Href: "/approvals", Count: n})
	}
	var deals []navItem
	for _, name := range []string{"opportunity", "presales_request", "solution", "bid", "sample", "appointment", "competitor", "knowledge_article"} {
		e := c.schema.Entity(name)
		if e == nil || c.p.Perm(name).Read == access.None {
			continue
		}
		deals = append(deals, navItem{Key: e.Resource, Text: e.Plural.In(c.L), Href: basePath(e)})
		if name == "presales_request" {
			deals = append(deals, navItem{Key: "presales-ageing", Text: c.T("nav.presales_ageing"), Href: "/reports/presales-ageing"},
				navItem{Key: "presales-summary", Text: c.T("nav.presales_summary"), Href: "/reports/presales-summary"})
		}
		if name == "opportunity" {
			deals = append(deals, navItem{Key: "board", Text: c.T("nav.board"), Href: "/opportunities/board"},
				navItem{Key: "forecast", Text: c.T("nav.forecast"), Href: "/reports/forecast"})
		}
		if name == "sample" {
			deals = append(deals, navItem{Key: "sample_report", Text: c.T("nav.sample_report"), Href: "/reports/samples"})
		}
	}
	if len(deals) > 0 {
		items = append(items, navItem{Section: true, Text: c.T("nav.presales")})
		items = append(items, deals...)
	}
	// In-sales (售中): every declared in-sales record the user may read;
	// names not declared (yet) are skipped, so each part's entity appears
	// once it lands.
	var sales []navItem
	for _, name := range []string{"product", "price_list", "quote", "contract", "handover", "sales_order", "delivery", "service_task",
		"invoice", "payment", "supply_problem"} {
		e := c.schema.Entity(name)
		if e == nil || c.p.Perm(name).Read == access.None {
			continue
		}
		sales = append(sales, navItem{Key: e.Resource, Text: e.Plural.In(c.L), Href: basePath(e)})
		if name == "payment" && c.p.Perm("payment_instalment").Read != access.None {
			sales = append(sales, navItem{Key: "receivables", Text: c.T("nav.receivables"), Href: "/reports/receivables"})
		}
	}
	if len(sales) > 0 {
		items = append(items, navItem{Section: true, Text: c.T("ct.nav_section")})
		items = append(items, sales...)
	}
	// After-sales (售后): the same way, with the pages each part adds
	// after its record (navAfter).
	var service []navItem
	for _, name := range []string{"ticket", "service_visit", "return_request", "spare_part", "stock_movement", "return_visit", "survey",
		"recovery_task", "improvement_item", "care_reminder", "sla_policy", "business_calendar", "service_agent", "return_visit_rule", "care_rule",
		"warehouse"} {
		e := c.schema.Entity(name)
		if e == nil || c.p.Perm(name).Read == access.None {
			continue
		}
		service = append(service, navItem{Key: e.Resource, Text: e.Plural.In(c.L), Href: basePath(e)})
		for _, more := range navAfter[name] {
			service = append(service, more(c)...)
		}
	}
	if len(service) > 0 {
		items = append(items, navItem{Section: true, Text: c.T("as.nav_section")})
		items = append(items, service...)
	}
	if c.p.IsAdmin() {
		items = append(items, navItem{Section: true, Text: c.T("nav.admin")},
			navItem{Key: "settings", Text: c.T("nav.settings"), Href: "/settings"},
			navItem{Key: "users", Text: c.T("set.users"), Href: "/settings/users"},
			navItem{Key: "teams", Text: c.T("set.teams"), Href: "/settings/teams"},
			navItem{Key: "roles", Text: c.T("set.roles"), Href: "/settings/roles"},
			navItem{Key: "pipelines", Text: c.T("nav.pipelines"), Href: "/pipelines"},
			navItem{Key: "approval-rules", Text: c.T("nav.approval_rules"), Href: "/settings/approval-rules"},
			navItem{Key: "audit", Text: c.T("set.audit"), Href: "/settings/audit"})
	}
	return items
}

// render writes a full page.
func (c *rc) render(status int, page string, data any) error {
	t := c.s.tpl.pages[page]
	if t == nil {
		panic("web: unknown page " + page)
	}
	var buf bytes.Buffer
	if err := t.ExecuteTemplate(&buf, "page", data); err != nil {
		return err
	}
	c.writeHTML(status, buf.Bytes())
	return nil
}

// fragment writes one named template of a page (an htmx swap).
func (c *rc) fragment(status int, page, name string, data any) error {
	t := c.s.tpl.pages[page]
	if t == nil {
		panic("web: unknown page " + page)
	}
	var buf bytes.Buffer
	if err := t.ExecuteTemplate(&buf, name, data); err != nil {
		return err
	}
	c.writeHTML(status, buf.Bytes())
	return nil
}

func (c *rc) writeHTML(status int, b []byte) {
	h := c.w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Cache-Control", "no-store")
	h.Set("Content-Length", strconv.Itoa(len(b)))
	c.w.WriteHeader(status)
	if c.r.Method != http.MethodHead {
		_, _ = c.w.Write(b)
	}
}

// errorPage is the friendly page for 4xx and 5xx answers. It never shows
// internal causes; a 500 shows the request id to quote to support.
func (c *rc) errorPage(status int, msg string) {
	type page struct {
		*base
		Status  int
		Heading string
		Message string
	}
	key := "error.title.other"
	switch status {
	case http.StatusNotFound:
		key = "error.title.404"
	case http.StatusForbidden:
		key = "error.title.403"
	case http.StatusMethodNotAllowed:
		key = "error.title.405"
	case http.StatusInternalServerError:
		key = "error.title.500"
	}
	b := c.newBase(c.T(key), "")
	d := page{base: b, Status: status, Heading: c.T(key), Message: msg}
	name := "error"
	if c.p == nil {
		name = "error_public"
	}
	if err := c.render(status, name, d); err != nil {
		slog.Error("web: error page", "err", err)
		http.Error(c.w, http.StatusText(status), status)
	}
}

// notFound answers every path no route matched: 405 when the path exists
// for another method, else 404.
func (s *Server) notFound(c *rc) error {
	probe := c.r.Clone(c.ctx())
	for _, m := range []string{http.MethodGet, http.MethodPost} {
		if m == c.r.Method {
			continue
		}
		probe.Method = m
		if _, pat := s.mux.Handler(probe); pat != "" && pat != "/" {
			c.w.Header().Set("Allow", m)
			c.errorPage(http.StatusMethodNotAllowed, c.T("error.method"))
			return nil
		}
	}
	c.errorPage(http.StatusNotFound, c.T("error.page_missing"))
	return nil
}

// pairT passes two values to a template (the page and a row).
type pairT struct{ A, B any }

// ariaAttrs marks a form control invalid and points it at its error and
// hint (ids are built from field names, so they need no escaping).
func ariaAttrs(id, errText, hint string) template.HTMLAttr {
	var desc []string
	out := ""
	if errText != "" {
		out += ` aria-invalid="true"`
		desc = append(desc, template.HTMLEscapeString(id)+"-err")
	}
	if hint != "" {
		desc = append(desc, template.HTMLEscapeString(id)+"-hint")
	}
	if len(desc) > 0 {
		out += ` aria-describedby="` + strings.Join(desc, " ") + `"`
	}
	return template.HTMLAttr(out)
}

// formatInt writes a count with thousands separators.
func formatInt(n int) string {
	s := strconv.Itoa(n)
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	var b strings.Builder
	for i, ch := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(ch)
	}
	if neg {
		return "-" + b.String()
	}
	return b.String()
}

// optionsHTML renders the <option> elements of a select. Pickers of users
// list hundreds of people, several times on a list page; written here they
// cost a tenth of the same loop in the template engine.
func optionsHTML(opts []option) template.HTML {
	var b strings.Builder
	b.Grow(len(opts) * 64)
	for _, o := range opts {
		if o.plain != "" && !o.Selected {
			b.WriteString(o.plain)
			continue
		}
		b.WriteString(`<option value="`)
		b.WriteString(html.EscapeString(o.Value))
		if o.Selected {
			b.WriteString(`" selected>`)
		} else {
			b.WriteString(`">`)
		}
		b.WriteString(html.EscapeString(o.Label))
		b.WriteString(`</option>`)
	}
	return template.HTML(b.String())
}
