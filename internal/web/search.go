package web

import (
	"net/http"
	"strings"
	"unicode/utf8"

	"closeloop/internal/access"
	"closeloop/internal/entity"
	"closeloop/internal/errs"
	"closeloop/internal/httpx"
	"closeloop/internal/records"
)

// searchPage shows the global search's results grouped by type.
type searchPage struct {
	*base
	Query  string
	Groups []searchGroup
	Count  int
	Error  string
}

type searchGroup struct {
	Label, Badge string
	Hits         []searchHit
}

type searchHit struct {
	Href   string
	Title  []seg
	Sub    []cell
	Pooled bool
}

// seg is a piece of a highlighted title.
type seg struct {
	Text string
	Mark bool
}

var searchBadges = map[string]string{"customer": "badge-accent", "contact": "badge-info", "lead": "badge-warning"}

func (s *Server) search(c *rc) error {
	q := strings.TrimSpace(c.r.URL.Query().Get("q"))
	sp := &searchPage{base: c.newBase(c.T("search.title"), ""), Query: q}
	sp.Q = q
	if q == "" {
		return c.render(http.StatusOK, "search", sp)
	}
	if utf8.RuneCountInString(q) > 100 || !utf8.ValidString(q) {
		sp.Error = c.T("search.too_long")
		return c.render(http.StatusBadRequest, "search", sp)
	}
	hits, err := s.app.Records.Search(c.ctx(), c.p, q, nil, 60)
	if err != nil {
		return err
	}
	sp.Count = len(hits)
	byType := map[string][]records.Hit{}
	for _, h := range hits {
		byType[h.Type] = append(byType[h.Type], h)
	}
	for _, name := range records.SearchEntities {
		hs := byType[name]
		e := c.schema.Entity(name)
		if len(hs) == 0 || e == nil {
			continue
		}
		g := searchGroup{Label: e.Plural.In(c.L), Badge: searchBadges[name]}
		var recs []entity.Record
		for _, h := range hs {
			recs = append(recs, h.Record)
		}
		subFields := hitSubFields(e)
		rf := c.collectRefs(subFields, recs...)
		for _, h := range hs {
			sh := searchHit{Href: string(c.recordHref(h.Type, h.ID)), Title: highlight(h.Title, q), Pooled: h.Pooled}
			for _, f := range subFields {
				if cl := c.cell(f, h.Record[f.Name], rf); !cl.Empty() {
					cl.Href = "" // one link per result: the title
					for i := range cl.Items {
						cl.Items[i].Href = ""
					}
					sh.Sub = append(sh.Sub, cl)
				}
			}
			g.Hits = append(g.Hits, sh)
		}
		sp.Groups = append(sp.Groups, g)
	}
	return c.render(http.StatusOK, "search", sp)
}

// hitSubFields describe a result under its title: the declared subtitle,
// the record it belongs to, its first contact detail (masked as the
// service returned it) and its owner.
func hitSubFields(e *entity.Entity) []*entity.Field {
	var out []*entity.Field
	if f := e.Field(e.Subtitle); f != nil {
		out = append(out, f)
	}
	for _, f := range e.Fields {
		if f.Kind == entity.Ref && f.Has(entity.Listed) {
			out = append(out, f)
			break
		}
	}
	for _, f := range e.Fields {
		if f.Has(entity.Contact) && f.Kind == entity.Phone {
			out = append(out, f)
			break
		}
	}
	if f := e.Field("owner_id"); f != nil {
		out = append(out, f)
	}
	return out
}

// highlight marks the occurrences of q in s (case-insensitively); the
// template escapes every piece.
func highlight(s, q string) []seg {
	if q == "" {
		return []seg{{Text: s}}
	}
	ls, lq := strings.ToLower(s), strings.ToLower(q)
	if len(ls) != len(s) { // lower-casing changed byte lengths: do not guess
		return []seg{{Text: s}}
	}
	var out []seg
	for {
		i := strings.Index(ls, lq)
		if i < 0 {
			break
		}
		if i > 0 {
			out = append(out, seg{Text: s[:i]})
		}
		out = append(out, seg{Text: s[i : i+len(q)], Mark: true})
		s, ls = s[i+len(q):], ls[i+len(q):]
	}
	if s != "" {
		out = append(out, seg{Text: s})
	}
	return out
}

type lookupItem struct {
	ID       string `json:"id"`
	Title    string `json:"title"`
	Subtitle string `json:"subtitle,omitempty"`
}

// lookup answers the lookup widget: {"items":[{id,title,subtitle}]},
// best matches first, only what the user may see.
func (s *Server) lookup(c *rc) error {
	e := c.schema.ByResource(c.r.PathValue("res"))
	if e == nil {
		return errs.NotFoundf(c.r.PathValue("res"))
	}
	if c.p.Perm(e.Name).Read == access.None {
		return errs.Denied()
	}
	q := strings.TrimSpace(c.r.URL.Query().Get("q"))
	if utf8.RuneCountInString(q) > 100 || !utf8.ValidString(q) {
		q = ""
	}
	items := []lookupItem{}
	sub := e.Field(e.Subtitle)
	subtitle := func(r entity.Record) string {
		if sub == nil {
			return ""
		}
		return c.plain(sub, r[sub.Name])
	}
	if len(e.FieldsWith(entity.Search)) > 0 && q != "" {
		hits, err := s.app.Records.Search(c.ctx(), c.p, q, []string{e.Name}, 20)
		if err != nil {
			return err
		}
		for _, h := range hits {
			items = append(items, lookupItem{ID: h.ID, Title: h.Title, Subtitle: subtitle(h.Record)})
		}
	} else {
		title := e.Field(e.Title)
		query := entity.Query{Sort: title, Limit: 20}
		if !title.Has(entity.Sort) {
			query.Sort = e.Field(strings.TrimPrefix(e.DefaultSort, "-"))
		}
		if q != "" && title.Has(entity.Filter) {
			query.Conds = append(query.Conds, entity.Cond{Field: title, Op: entity.Contains, Values: []any{q}})
		}
		if f := e.Field("active"); f != nil && f.Kind == entity.Bool {
			query.Conds = append(query.Conds, entity.Cond{Field: f, Op: entity.Eq, Values: []any{true}})
		}
		page, err := s.app.Records.List(c.ctx(), c.p, e.Name, query)
		if err != nil {
			return err
		}
		for _, r := range page.Items {
			items = append(items, lookupItem{ID: r.ID(), Title: r.Str(e.Title), Subtitle: subtitle(r)})
		}
	}
	httpx.JSON(c.w, http.StatusOK, map[string]any{"items": items})
	return nil
}
