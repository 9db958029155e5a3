package web

import (
	"html"
	"html/template"
	"strings"
	"time"

	"closeloop/internal/access"
	"closeloop/internal/entity"
)

// cell is one value ready to show: text, or a link, a masked contact
// detail, a badge, or a list of such.
type cell struct {
	Text   string
	Href   template.URL
	Masked bool
	Badge  string // badge class (badge-success …) when shown as a badge
	Level  bool   // single-letter level badge
	Tag    bool   // a free tag chip
	Muted  bool
	Pre    bool // keep line breaks
	Num    bool // right-aligned number
	Items  []cell
	Sep    string // between items that are not tags
}

// Empty reports a value with nothing to show.
func (c cell) Empty() bool { return c.Text == "" && len(c.Items) == 0 }

// tones colour option codes that carry a state (levels, statuses, consent).
var tones = map[string]string{
	"A": "badge-success", "B": "badge-info", "C": "badge-warning", "D": "badge-muted",
	"prospect": "badge-muted", "intent": "badge-info", "won": "badge-success", "lost": "badge-danger",
	"new": "badge-info", "contacted": "badge-accent", "qualified": "badge-success", "converted": "badge-success", "disqualified": "badge-muted",
	"granted": "badge-success", "withdrawn": "badge-danger", "unknown": "badge-muted",
}

// refs resolves the titles of referenced records and the names of users
// for a page, in one query per target entity (never one per row).
type refs struct {
	titles map[string]map[string]string // entity → id → title
	users  map[string]string
}

// collectRefs gathers every reference of the given fields in recs and
// resolves them in batches, as p may see them.
func (c *rc) collectRefs(fields []*entity.Field, recs ...entity.Record) *refs {
	want := map[string][]string{}
	var users []string
	for _, r := range recs {
		for _, f := range fields {
			switch f.Kind {
			case entity.User:
				if v := r.Str(f.Name); v != "" {
					users = append(users, v)
				}
			case entity.Ref:
				if v := r.Str(f.Name); v != "" {
					want[f.Ref] = append(want[f.Ref], v)
				}
			case entity.Refs:
				if f.Ref == "user" {
					users = append(users, r.List(f.Name)...)
				} else {
					want[f.Ref] = append(want[f.Ref], r.List(f.Name)...)
				}
			}
		}
	}
	return c.resolve(want, users)
}

// resolve looks up titles by entity and user names.
func (c *rc) resolve(want map[string][]string, users []string) *refs {
	out := &refs{titles: map[string]map[string]string{}, users: map[string]string{}}
	for ent, ids := range want {
		if ent == "user" {
			users = append(users, ids...)
			continue
		}
		t, err := c.s.app.Records.Titles(c.ctx(), c.p, ent, ids)
		if err == nil {
			out.titles[ent] = t
		}
	}
	if len(users) > 0 {
		if n, err := c.s.app.Customers.UserNames(c.ctx(), uniqStrings(users)); err == nil {
			out.users = n
		}
	}
	return out
}

func (rf *refs) title(ent, id string) (string, bool) {
	if ent == "user" {
		n, ok := rf.users[id]
		return n, ok
	}
	t, ok := rf.titles[ent][id]
	return t, ok
}

func uniqStrings(in []string) []string {
	seen := map[string]bool{}
	var out []string
	for _, s := range in {
		if s != "" && !seen[s] {
			seen[s] = true
			out = append(out, s)
		}
	}
	return out
}

// recordHref is the page of a record of an entity.
func (c *rc) recordHref(entityName, id string) template.URL {
	e := c.schema.Entity(entityName)
	if e == nil || id == "" {
		return ""
	}
	if adminEntities[e.Name] && (c.p == nil || !c.p.IsAdmin()) {
		return ""
	}
	return template.URL(basePath(e) + "/" + id)
}

// cell renders one field value of a record.
func (c *rc) cell(f *entity.Field, v any, rf *refs) cell {
	if entity.IsEmpty(v) {
		return cell{}
	}
	switch f.Kind {
	case entity.Select:
		code, _ := v.(string)
		out := cell{Text: c.schema.OptionLabel(f, code, c.L), Badge: tones[code]}
		if out.Badge != "" && len([]rune(code)) == 1 {
			out.Level, out.Text = true, code
		}
		return out
	case entity.MultiSelect:
		var items []cell
		for _, code := range v.([]string) {
			items = append(items, cell{Text: c.schema.OptionLabel(f, code, c.L), Tag: true})
		}
		return cell{Items: items}
	case entity.Tags:
		var items []cell
		for _, t := range v.([]string) {
			items = append(items, cell{Text: t, Tag: true})
		}
		return cell{Items: items}
	case entity.User, entity.Ref:
		id, _ := v.(string)
		ent := f.Ref
		if f.Kind == entity.User {
			ent = "user"
		}
		return c.refCell(ent, id, rf)
	case entity.Refs:
		var items []cell
		for _, id := range v.([]string) {
			items = append(items, c.refCell(f.Ref, id, rf))
		}
		return cell{Items: items, Sep: c.T("ui.sep")}
	case entity.Phone, entity.Email, entity.Text:
		s, _ := v.(string)
		if f.Has(entity.Contact) && access.IsMasked(s) {
			return cell{Text: s, Masked: true}
		}
		if f.Kind == entity.Phone && entity.NormalizePhone(s) == s {
			return cell{Text: s, Href: template.URL("tel:" + s)}
		}
		if f.Kind == entity.Email && !strings.ContainsAny(s, "<>\"' ") {
			return cell{Text: s, Href: template.URL("mailto:" + s)}
		}
		return cell{Text: s}
	case entity.LongText:
		s, _ := v.(string)
		return cell{Text: s, Pre: true}
	case entity.Integer, entity.Number, entity.Money:
		return cell{Text: c.schema.Format(f, v, c.L, c.s.app.Loc), Num: true}
	case entity.DateTime:
		t, _ := v.(time.Time)
		return cell{Text: t.In(c.s.app.Loc).Format("2006-01-02 15:04")}
	}
	return cell{Text: c.schema.Format(f, v, c.L, c.s.app.Loc)}
}

func (c *rc) refCell(ent, id string, rf *refs) cell {
	if id == "" {
		return cell{}
	}
	t, ok := rf.title(ent, id)
	if !ok {
		return cell{Text: c.T("ui.not_visible"), Muted: true}
	}
	if t == "" {
		t = id[:8]
	}
	if ent == "user" {
		if c.p != nil && c.p.IsAdmin() {
			return cell{Text: t, Href: template.URL("/settings/users/" + id)}
		}
		return cell{Text: t}
	}
	return cell{Text: t, Href: c.recordHref(ent, id)}
}

// plain formats a value as text (for titles, messages, subtitles).
func (c *rc) plain(f *entity.Field, v any) string {
	if f == nil || entity.IsEmpty(v) {
		return ""
	}
	if t, ok := v.(time.Time); ok {
		return t.In(c.s.app.Loc).Format("2006-01-02 15:04")
	}
	return c.schema.Format(f, v, c.L, c.s.app.Loc)
}

// fmtTime renders a time in the company time zone.
func (c *rc) fmtTime(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.In(c.s.app.Loc).Format("2006-01-02 15:04")
}

// HTML renders the cell as the "cell" partial shows it. Tables of fifty rows
// show hundreds of cells; rendered here they cost a fraction of the same
// markup walked by the template engine.
func (c cell) HTML() template.HTML {
	var b strings.Builder
	c.write(&b)
	return template.HTML(b.String())
}

func (c cell) write(b *strings.Builder) {
	if len(c.Items) == 0 {
		c.write1(b)
		return
	}
	if c.Items[0].Tag {
		b.WriteString(`<span class="tags">`)
		for _, x := range c.Items {
			b.WriteString(`<span class="tag">`)
			b.WriteString(html.EscapeString(x.Text))
			b.WriteString(`</span>`)
		}
		b.WriteString(`</span>`)
		return
	}
	for i, x := range c.Items {
		if i > 0 {
			b.WriteString(html.EscapeString(c.Sep))
		}
		x.write1(b)
	}
}

func (c cell) write1(b *strings.Builder) {
	span := func(class string) {
		b.WriteString(`<span class="`)
		b.WriteString(html.EscapeString(class))
		b.WriteString(`">`)
		b.WriteString(html.EscapeString(c.Text))
		b.WriteString(`</span>`)
	}
	switch {
	case c.Tag:
		span("tag")
	case c.Href != "":
		b.WriteString(`<a href="`)
		b.WriteString(html.EscapeString(string(c.Href)))
		if isDocNumber(c.Text) {
			b.WriteString(`" class="nowrap`)
		}
		b.WriteString(`">`)
		b.WriteString(html.EscapeString(c.Text))
		b.WriteString(`</a>`)
	case c.Masked:
		span("masked")
	case c.Level:
		span("badge badge-level " + c.Badge)
	case c.Badge != "":
		span("badge " + c.Badge)
	case c.Muted:
		span("muted")
	case c.Pre:
		span("pre-line")
	case isDocNumber(c.Text) && strings.ContainsAny(c.Text, "-/"):
		span("nowrap") // a date, a number with hyphens
	default:
		b.WriteString(html.EscapeString(c.Text))
	}
}

// isDocNumber reports whether a cell's text is a document number or code
// (HT-202612-0004, SEN-100, 2026-12-02): short, no spaces, ASCII, with a digit. Lists
// keep such text on one line; a browser would break it at every hyphen.
func isDocNumber(s string) bool {
	if s == "" || len(s) > 32 {
		return false
	}
	digit := false
	for i := 0; i < len(s); i++ {
		switch ch := s[i]; {
		case ch <= ' ' || ch >= 0x7f:
			return false
		case ch >= '0' && ch <= '9':
			digit = true
		}
	}
	return digit
}
