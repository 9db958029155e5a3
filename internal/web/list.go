package web

import (
	"context"
	"fmt"
	"html"
	"html/template"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
	"time"

	"closeloop/internal/access"
	"closeloop/internal/entity"
	"closeloop/internal/errs"
	"closeloop/internal/httpx"
	"closeloop/internal/store"
)

// listPage is the generic list of any entity, derived from its
// declaration: filters from Filter fields, columns from Listed fields,
// sortable headers from Sort fields, keyset paging.
type listPage struct {
	*base
	Heading   string
	Subtitle  string
	Action    string // the list's own path (filter form action)
	Tabs      []tab
	Keyword   *filterField
	Filters   []filterField
	More      []filterField
	Hidden    []kv // parameters the filter form keeps (sort, scope)
	Active    int  // number of filters in use
	MoreOpen  bool
	Reset     string
	Errors    []string
	Cols      []col
	Rows      []row
	Empty     string
	Next      string
	First     string
	Total     string
	TotalLink string
	Range     string
	ExportCSV string
	ExportXLS string
	NewHref   string
	NewText   string
	Import    string
	TrashLink string
	Trash     bool
	Bulk      bool // managers: assign selected rows
	BulkURL   string
	BulkUsers []option
	Claim     bool // pool: claim buttons
	Pool      bool
	Entity    string
	Tree      bool
	Quick     []link // extra quick links (e.g. exhibition lead capture)

	injected map[string]bool // default scope parameters the user did not choose
}

type kv struct{ K, V string }

type tab struct {
	Text    string
	Href    string
	Current bool
}

type col struct {
	Label string
	Href  string
	Sort  string // "ascending" / "descending" when the list is sorted by it
	Num   bool
}

type row struct {
	ID      string
	Href    string
	Cells   []cell
	Restore string // restore action in the trash
	ClaimAt string // claim action in the pool
	Depth   int
	Version int64
}

type filterField struct {
	ID, Label   string
	Kind        string // text, select, range, bool, lookup
	Name, Value string
	Name2, Val2 string // upper bound of a range
	InputType   string // date, number, text
	Options     []option
	LookupURL   string
	LookupTitle string
}

type option struct {
	Value, Label string
	Selected     bool
	// plain is the option's markup when not selected, when rendered
	// ahead (the user pickers: hundreds of options on every list page).
	plain string
}

// listOpts adapt the generic list to a context (the pool).
type listOpts struct {
	extra  []entity.Cond // conditions the page imposes
	ignore []string      // URL parameters that are the page's own
	action string
	pool   bool
	tabs   []tab // the pool's entity tabs
}

// listExtender adds an area's touches to a list page: quick links,
// badges on the rows' cells (rows are in the order of items).
type listExtender func(s *Server, c *rc, lp *listPage, items []entity.Record)

var listExtenders = map[string][]listExtender{}

// onList registers an extender for an entity's list page; areas call it
// from init in their own file.
func onList(entityName string, fn listExtender) {
	listExtenders[entityName] = append(listExtenders[entityName], fn)
}

// list serves /{resource}.
func (s *Server) list(c *rc) error {
	e, err := c.entityOf()
	if err != nil {
		return err
	}
	return s.renderList(c, e, listOpts{action: basePath(e)})
}

// entityOf resolves the entity of the current route.
func (c *rc) entityOf() (*entity.Entity, error) {
	path := strings.TrimPrefix(c.r.URL.Path, "/")
	path = strings.TrimPrefix(path, "settings/")
	res, _, _ := strings.Cut(path, "/")
	e := c.schema.ByResource(res)
	if e == nil {
		return nil, errs.NotFoundf(res)
	}
	return e, nil
}

// cleanQuery drops empty parameters (filter forms send every field).
func cleanQuery(v url.Values) url.Values {
	out := url.Values{}
	for k, vals := range v {
		for _, x := range vals {
			if strings.TrimSpace(x) != "" {
				out.Add(k, x)
			}
		}
	}
	return out
}

func withParams(path string, v url.Values) string {
	if len(v) == 0 {
		return path
	}
	return path + "?" + v.Encode()
}

func (s *Server) renderList(c *rc, e *entity.Entity, o listOpts) error {
	perm := c.p.Perm(e.Name)
	if perm.Read == access.None {
		return errs.Denied()
	}
	raw := cleanQuery(c.r.URL.Query())
	injected := map[string]bool{}
	if e.Vis.Owned && !e.Vis.Grants && !o.pool && raw.Get("owner_id") == "" && raw.Get("team_id") == "" && raw.Get("trash") == "" {
		// No scope chosen: the widest tab the user's read scope offers
		// (the shared pool has its own page). Entities with grants get no
		// scope injected: what a grant gives lies outside every scope.
		switch {
		case perm.Read == access.Own || (perm.Read == access.Team && len(c.p.Teams) == 0):
			raw.Set("owner_id", c.p.UserID)
			injected["owner_id"] = true
		case perm.Read == access.Team:
			raw["team_id"] = append([]string(nil), c.p.Teams...)
			injected["team_id"] = true
		}
	}
	lp := &listPage{base: c.newBase(e.Plural.In(c.L), e.Resource), Heading: e.Plural.In(c.L), Action: o.action, Entity: e.Name, Pool: o.pool}
	if o.pool {
		lp.Nav = "pool"
	}
	if adminEntities[e.Name] {
		lp.Nav = e.Resource
		lp.Crumbs = []link{{Text: c.T("nav.settings"), Href: "/settings"}, {Text: e.Plural.In(c.L)}}
	}
	lp.Trash = raw.Get("trash") == "1" || raw.Get("trash") == "true"
	if e.SoftDelete && perm.Delete != access.None && !o.pool {
		v := url.Values{}
		if !lp.Trash {
			v.Set("trash", "1")
		}
		lp.TrashLink = withParams(o.action, v)
	}
	if perm.Create && !o.pool && !lp.Trash {
		lp.NewHref, lp.NewText = basePath(e)+"/new", c.T("list.new", "entity", e.Label.In(c.L))
		if perm.Import && !adminEntities[e.Name] {
			lp.Import = basePath(e) + "/import"
		}
		if e.Name == "lead" {
			lp.Quick = append(lp.Quick, link{Text: c.T("lead.capture_expo"), Href: "/leads/new?source=exhibition"})
		}
	}
	lp.Tree = e.Field("path") != nil && e.DefaultSort == "path"
	lp.injected = injected

	q, qerr := c.schema.ParseQuery(e, raw, o.ignore...)
	if q.Sort == nil {
		q.Sort = e.Field(strings.TrimPrefix(e.DefaultSort, "-"))
		q.Desc = strings.HasPrefix(e.DefaultSort, "-")
	}
	q.Conds = append(q.Conds, o.extra...)
	lp.Tree = lp.Tree && q.Sort != nil && q.Sort.Name == "path"
	s.listChrome(c, lp, e, raw, q, o)
	if o.pool {
		lp.Tabs, lp.Heading, lp.Title = o.tabs, c.T("nav.pool"), c.T("nav.pool")
		lp.Subtitle = c.T("pool.subtitle")
	}
	if qerr != nil {
		for _, fe := range fieldErrors(qerr) {
			lp.Errors = append(lp.Errors, c.fieldText(e, fe))
		}
		if len(lp.Errors) == 0 {
			lp.Errors = append(lp.Errors, c.errText(qerr))
		}
		return c.render(httpStatus(qerr), "list", lp)
	}
	page, err := c.s.app.Records.List(c.ctx(), c.p, e.Name, q)
	if err != nil {
		if errs.KindOf(err) == errs.Invalid {
			lp.Errors = append(lp.Errors, c.errText(err))
			return c.render(httpStatus(err), "list", lp)
		}
		return err
	}
	s.listRows(c, lp, e, page, o)
	for _, fn := range listExtenders[e.Name] {
		fn(s, c, lp, page.Items)
	}
	// Paging: keyset, so "next" carries the cursor and "first" drops it.
	if page.Next != "" {
		v := cloneValues(raw)
		v.Set("cursor", page.Next)
		v.Del("total")
		lp.Next = withParams(o.action, v)
	}
	if raw.Get("cursor") != "" {
		v := cloneValues(raw)
		v.Del("cursor")
		lp.First = withParams(o.action, v)
	}
	switch {
	case page.Total > entity.TotalCap:
		lp.Total = c.T("list.total_capped", "n", formatInt(entity.TotalCap))
	case page.Total >= 0:
		lp.Total = c.T("list.total", "n", formatInt(page.Total))
	default:
		v := cloneValues(raw)
		v.Set("total", "1")
		lp.TotalLink = withParams(o.action, v)
	}
	if len(page.Items) == 0 {
		lp.Empty = c.T("list.empty", "entity", e.Plural.In(c.L))
	}
	return c.render(http.StatusOK, "list", lp)
}

func fieldErrors(err error) []errs.FieldError {
	if e := errs.As(err); e != nil {
		return e.Fields
	}
	return nil
}

func cloneValues(v url.Values) url.Values {
	out := url.Values{}
	for k, x := range v {
		out[k] = append([]string(nil), x...)
	}
	return out
}

// listChrome builds tabs, filters, sortable headers and export links.
func (s *Server) listChrome(c *rc, lp *listPage, e *entity.Entity, raw url.Values, q entity.Query, o listOpts) {
	perm := c.p.Perm(e.Name)
	// Scope tabs for owned entities: mine / team / all, as far as the
	// principal's read scope reaches. They set the API's own filters.
	if e.Vis.Owned && !o.pool && !lp.Trash {
		base := cloneValues(raw)
		for _, k := range []string{"owner_id", "team_id", "cursor", "total"} {
			base.Del(k)
		}
		mine := cloneValues(base)
		mine.Set("owner_id", c.p.UserID)
		isMine := raw.Get("owner_id") == c.p.UserID && len(raw["owner_id"]) == 1 && raw.Get("team_id") == ""
		lp.Tabs = append(lp.Tabs, tab{Text: c.T("list.scope.mine"), Href: withParams(o.action, mine), Current: isMine})
		if perm.Read >= access.Team && len(c.p.Teams) > 0 {
			team := cloneValues(base)
			for _, t := range c.p.Teams {
				team.Add("team_id", t)
			}
			isTeam := raw.Get("owner_id") == "" && slices.Equal(sortedCopy(raw["team_id"]), sortedCopy(c.p.Teams))
			lp.Tabs = append(lp.Tabs, tab{Text: c.T("list.scope.team"), Href: withParams(o.action, team), Current: isTeam})
		}
		if perm.Read == access.All || e.Vis.Grants {
			// Records given by a grant (a pre-sales engineer's deals) lie
			// outside every scope tab: "all" is what the user can see.
			isAll := raw.Get("owner_id") == "" && raw.Get("team_id") == ""
			lp.Tabs = append(lp.Tabs, tab{Text: c.T("list.scope.all"), Href: withParams(o.action, base), Current: isAll})
		}
		if len(lp.Tabs) == 1 {
			lp.Tabs = nil // one scope only: nothing to choose
		}
	}
	// The filter form keeps what is not one of its own fields.
	own := map[string]bool{"q": true, "cursor": true, "total": true}
	lp.Reset = o.action
	if lp.Trash {
		lp.Reset = o.action + "?trash=1"
	}
	users := c.userOptions(e)
	if len(e.FieldsWith(entity.Search)) > 0 {
		lp.Keyword = &filterField{ID: "f-q", Label: c.T("list.keyword"), Kind: "text", Name: "q", Value: raw.Get("q"), InputType: "search"}
		if lp.Keyword.Value != "" {
			lp.Active++
		}
	}
	var refVals = map[string][]string{}
	for _, f := range e.Fields {
		if f.Kind == entity.Ref || f.Kind == entity.Refs {
			if v := raw.Get(f.Name); v != "" && entity.LooksLikeID(v) {
				refVals[f.Ref] = append(refVals[f.Ref], v)
			}
		}
	}
	rf := c.resolve(refVals, nil)
	for _, f := range e.Fields {
		if !f.Has(entity.Filter) || f.Has(entity.Hidden) {
			continue
		}
		if e.Vis.Owned && f.Name == "team_id" {
			continue // the scope tabs set it; kept as hidden parameters
		}
		if o.pool && f.Name == "owner_id" {
			continue // nobody owns what lies in the pool
		}
		ff, names := c.filterFor(e, f, raw, users, rf)
		if ff == nil {
			continue
		}
		for _, n := range names {
			own[n] = true
			if raw.Get(n) != "" && !lp.injected[n] {
				lp.Active++
			}
		}
		if f.Has(entity.Listed) {
			lp.Filters = append(lp.Filters, *ff)
		} else {
			lp.More = append(lp.More, *ff)
			for _, n := range names {
				if raw.Get(n) != "" {
					lp.MoreOpen = true
				}
			}
		}
	}
	for k, vals := range raw {
		if own[k] || slices.Contains(o.ignore, k) {
			continue
		}
		for _, v := range vals {
			lp.Hidden = append(lp.Hidden, kv{k, v})
		}
	}
	slices.SortFunc(lp.Hidden, func(a, b kv) int { return strings.Compare(a.K+a.V, b.K+b.V) })
	for _, k := range o.ignore {
		if v := raw.Get(k); v != "" {
			lp.Hidden = append(lp.Hidden, kv{k, v})
		}
	}

	// Columns: the title first, then Listed fields.
	for _, f := range lp.columns(e) {
		cl := col{Label: f.Label.In(c.L), Num: f.Kind == entity.Money || f.Kind == entity.Integer || f.Kind == entity.Number}
		if f.Has(entity.Sort) && q.Sort != nil {
			v := cloneValues(raw)
			v.Del("cursor")
			next := f.Name
			if q.Sort.Name == f.Name {
				if q.Desc {
					cl.Sort = "descending"
				} else {
					cl.Sort, next = "ascending", "-"+f.Name
				}
			}
			v.Set("sort", next)
			cl.Href = withParams(o.action, v)
		}
		lp.Cols = append(lp.Cols, cl)
	}

	if perm.Export && !lp.Trash {
		v := cloneValues(raw)
		for _, k := range append([]string{"cursor", "total", "limit"}, o.ignore...) {
			v.Del(k)
		}
		if o.pool {
			v.Set("owner_id[empty]", "true")
		}
		v.Set("format", "csv")
		lp.ExportCSV = withParams("/api/v1/"+e.Resource+"/export", v)
		v.Set("format", "xlsx")
		lp.ExportXLS = withParams("/api/v1/"+e.Resource+"/export", v)
	}
	lp.Bulk = e.Vis.Owned && c.p.CanAssign() && perm.Write != access.None && !lp.Trash
	lp.BulkURL = basePath(e) + "/assign"
	lp.Claim = o.pool && c.p.CanPool()
}

func sortedCopy(in []string) []string {
	out := append([]string(nil), in...)
	slices.Sort(out)
	return out
}

// listColumns are the title and the Listed fields, in declaration order.
func listColumns(e *entity.Entity) []*entity.Field {
	title := e.Field(e.Title)
	cols := []*entity.Field{title}
	for _, f := range e.Fields {
		if f != title && f.Has(entity.Listed) && !f.Has(entity.Hidden) {
			cols = append(cols, f)
		}
	}
	return cols
}

// columns of this list: in the pool, where nobody owns anything, the
// previous owner and why it was returned replace the owner.
func (lp *listPage) columns(e *entity.Entity) []*entity.Field {
	cols := listColumns(e)
	if !lp.Pool {
		return cols
	}
	out := cols[:0:0]
	for _, f := range cols {
		if f.Name != "owner_id" {
			out = append(out, f)
		}
	}
	for _, n := range []string{"released_by", "release_reason", "released_at"} {
		if f := e.Field(n); f != nil && !f.Has(entity.Hidden) {
			out = append(out, f)
		}
	}
	return out
}

// filterFor builds the filter widget of a field; names are the URL
// parameters it owns.
func (c *rc) filterFor(e *entity.Entity, f *entity.Field, raw url.Values, users []option, rf *refs) (*filterField, []string) {
	ff := &filterField{ID: "f-" + f.Name, Label: f.Label.In(c.L)}
	switch f.Kind {
	case entity.Select, entity.MultiSelect:
		ff.Kind, ff.Name, ff.Value = "select", f.Name, raw.Get(f.Name)
		ff.Options = append([]option{{Value: "", Label: c.T("filter.any")}}, c.selectOptions(f, ff.Value)...)
		return ff, []string{f.Name}
	case entity.Bool:
		ff.Kind, ff.Name, ff.Value = "select", f.Name, raw.Get(f.Name)
		ff.Options = []option{{Value: "", Label: c.T("filter.any")}, {Value: "true", Label: c.T("value.yes")}, {Value: "false", Label: c.T("value.no")}}
		for i := range ff.Options {
			ff.Options[i].Selected = ff.Options[i].Value == ff.Value && ff.Value != ""
		}
		return ff, []string{f.Name}
	case entity.User:
		ff.Kind, ff.Name, ff.Value = "select", f.Name, raw.Get(f.Name)
		ff.Options = []option{{Value: "", Label: c.T("filter.any")}}
		if c.p != nil {
			ff.Options = append(ff.Options, option{Value: c.p.UserID, Label: c.T("filter.me"), Selected: ff.Value == c.p.UserID})
		}
		for _, u := range users {
			if u.Value == c.p.UserID {
				continue
			}
			u.Selected = u.Value == ff.Value
			ff.Options = append(ff.Options, u)
		}
		return ff, []string{f.Name}
	case entity.Ref, entity.Refs:
		target := c.schema.Entity(f.Ref)
		if target == nil {
			return nil, nil
		}
		ff.Kind, ff.Name, ff.Value = "lookup", f.Name, raw.Get(f.Name)
		ff.LookupURL = "/ui/lookup/" + target.Resource
		if ff.Value != "" {
			ff.LookupTitle, _ = rf.title(f.Ref, ff.Value)
		}
		return ff, []string{f.Name}
	case entity.Date, entity.DateTime:
		ff.Kind, ff.InputType = "range", "date"
		ff.Name, ff.Name2 = f.Name+"[gte]", f.Name+"[lte]"
		ff.Value, ff.Val2 = raw.Get(ff.Name), raw.Get(ff.Name2)
		return ff, []string{ff.Name, ff.Name2}
	case entity.Integer, entity.Number, entity.Money:
		ff.Kind, ff.InputType = "range", "text"
		ff.Name, ff.Name2 = f.Name+"[gte]", f.Name+"[lte]"
		ff.Value, ff.Val2 = raw.Get(ff.Name), raw.Get(ff.Name2)
		return ff, []string{ff.Name, ff.Name2}
	default: // text kinds and tags
		ff.Kind, ff.Name, ff.InputType = "text", f.Name+"[contains]", "search"
		ff.Value = raw.Get(ff.Name)
		return ff, []string{ff.Name}
	}
}

// selectOptions are a select field's options with the current value
// marked; a value no longer offered (an inactive option) stays choosable.
func (c *rc) selectOptions(f *entity.Field, current ...string) []option {
	var out []option
	found := map[string]bool{}
	for _, o := range c.schema.Options(f) {
		sel := slices.Contains(current, o.Code)
		found[o.Code] = sel
		out = append(out, option{Value: o.Code, Label: o.Label.In(c.L), Selected: sel})
	}
	for _, v := range current {
		if v != "" && !found[v] {
			if _, known := found[v]; !known {
				out = append(out, option{Value: v, Label: v, Selected: true})
			}
		}
	}
	return out
}

// userOptions lists active users for user filters and pickers, when the
// entity has a user field to filter by.
func (c *rc) userOptions(e *entity.Entity) []option {
	need := false
	for _, f := range e.Fields {
		need = need || (f.Kind == entity.User && f.Has(entity.Filter))
	}
	if !need {
		return nil
	}
	return c.activeUsers()
}

// activeUsers lists the active users by name, for pickers.
func (c *rc) activeUsers() []option {
	if c.users == nil {
		us, err := c.s.users.get(c.ctx(), c.s.app.DB)
		if err != nil {
			return nil
		}
		c.users = make([]option, 0, len(us))
		for _, u := range us {
			c.users = append(c.users, option{Value: u.ID, Label: u.Name, plain: u.Option})
		}
	}
	return append([]option(nil), c.users...)
}

// userCache keeps the picker list of active users for a few seconds: every
// list page offers it, and a person added or deactivated a moment ago
// matters little to a picker (the services check every chosen user).
type userCache struct {
	mu    sync.Mutex
	at    time.Time
	users []pickerUser
}

// userCacheTTL is how long the picker list is reused.
const userCacheTTL = 5 * time.Second

// pickerUser is an active user as pickers offer them, with the option
// markup rendered once per refresh.
type pickerUser struct {
	ID, Name, Option string
}

func (u *userCache) get(ctx context.Context, db *store.DB) ([]pickerUser, error) {
	u.mu.Lock()
	defer u.mu.Unlock()
	if u.users != nil && time.Since(u.at) < userCacheTTL {
		return u.users, nil
	}
	us, err := db.ActiveUserNames(ctx, entity.MaxLimit)
	if err != nil {
		return nil, err
	}
	out := make([]pickerUser, len(us))
	for i, x := range us {
		out[i] = pickerUser{ID: x.ID, Name: x.Name, Option: string(optionsHTML([]option{{Value: x.ID, Label: x.Name}}))}
	}
	u.users, u.at = out, time.Now()
	return out, nil
}

// listRows formats a page of records, resolving references in batches.
func (s *Server) listRows(c *rc, lp *listPage, e *entity.Entity, page store.Page, o listOpts) {
	cols := lp.columns(e)
	rf := c.collectRefs(cols, page.Items...)
	base := basePath(e)
	for _, r := range page.Items {
		rw := row{ID: r.ID(), Href: base + "/" + r.ID(), Version: r.Version()}
		if lp.Trash {
			rw.Restore = base + "/" + r.ID() + "/restore"
		}
		if lp.Claim {
			rw.ClaimAt = base + "/" + r.ID() + "/claim"
		}
		if lp.Tree {
			rw.Depth = max(strings.Count(r.Str("path"), "/")-2, 0)
		}
		for _, f := range cols {
			rw.Cells = append(rw.Cells, c.cell(f, r[f.Name], rf))
		}
		if len(rw.Cells) > 0 && rw.Cells[0].Text == "" {
			rw.Cells[0] = cell{Text: c.T("ui.untitled"), Muted: true}
		}
		lp.Rows = append(lp.Rows, rw)
	}
	if lp.Bulk && len(page.Items) > 0 {
		// Managers hand rows to someone: the picker lists active users.
		lp.BulkUsers = c.activeUsers()
	}
}

// httpStatus is the status of an error page (the one mapping in httpx).
func httpStatus(err error) int { return httpx.Status(err) }

// RowsHTML renders the table rows of the page (see cell.HTML for why in Go).
func (lp *listPage) RowsHTML() template.HTML {
	var b strings.Builder
	b.Grow(len(lp.Rows) * 1024)
	esc := func(s string) { b.WriteString(html.EscapeString(s)) }
	selectLabel, restore, claim := lp.T("list.select"), lp.T("list.restore"), lp.T("pool.claim")
	for _, r := range lp.Rows {
		b.WriteString("<tr>\n")
		if lp.Bulk {
			b.WriteString(`<td class="select-col"><input type="checkbox" name="ids" value="`)
			esc(r.ID)
			b.WriteString(`" form="bulk-form" aria-label="`)
			esc(selectLabel)
			b.WriteString(`"></td>`)
		}
		for i, c := range r.Cells {
			label := ""
			if i < len(lp.Cols) {
				label = lp.Cols[i].Label
			}
			b.WriteString(`<td data-label="`)
			esc(label)
			if i == 0 {
				b.WriteString(`"><a class="title`)
				if isDocNumber(c.Text) {
					b.WriteString(" nowrap")
				}
				if r.Depth > 0 {
					fmt.Fprintf(&b, " depth-%d", r.Depth)
				}
				b.WriteString(`" href="`)
				esc(r.Href)
				b.WriteString(`">`)
				esc(c.Text)
				b.WriteString("</a></td>\n")
				continue
			}
			if c.Num {
				b.WriteString(`" class="num">`)
			} else {
				b.WriteString(`">`)
			}
			c.write(&b)
			b.WriteString("</td>\n")
		}
		b.WriteString(`<td class="actions">`)
		if r.Restore != "" {
			writePostButton(&b, r.Restore, restore)
		}
		if r.ClaimAt != "" {
			b.WriteString(`<form method="post" action="`)
			esc(r.ClaimAt)
			b.WriteString(`"><input type="hidden" name="next" value="`)
			esc(lp.Path)
			b.WriteString(`"><button class="btn btn-sm btn-primary" type="submit">`)
			esc(claim)
			b.WriteString(`</button></form>`)
		}
		b.WriteString("</td>\n</tr>\n")
	}
	return template.HTML(b.String())
}

// writePostButton writes a one-button form posting to action: the rows
// written in Go (lists, the ticket queue) share its markup.
func writePostButton(b *strings.Builder, action, label string) {
	b.WriteString(`<form method="post" action="`)
	b.WriteString(html.EscapeString(action))
	b.WriteString(`"><button class="btn btn-sm" type="submit">`)
	b.WriteString(html.EscapeString(label))
	b.WriteString(`</button></form>`)
}
