package web

import (
	"html"
	"html/template"
	"strings"
)

// FiltersHTML renders the list's filter form. Like the rows (RowsHTML) it
// is written in Go: a list page has a dozen filter fields, some with
// hundreds of options, and walking them in the template engine cost a
// third of the page.
func (lp *listPage) FiltersHTML() template.HTML {
	var b strings.Builder
	b.Grow(4096)
	esc := func(s string) { b.WriteString(html.EscapeString(s)) }
	b.WriteString(`<details class="filters"`)
	if lp.Active > 0 {
		b.WriteString(` open`)
	}
	b.WriteString(">\n  <summary>")
	esc(lp.T("filter.title"))
	if lp.Active > 0 {
		b.WriteString(` <span class="count">`)
		esc(lp.T("filter.active", "n", lp.Active))
		b.WriteString(`</span>`)
	}
	b.WriteString("</summary>\n  <form method=\"get\" action=\"")
	esc(lp.Action)
	b.WriteString("\" data-autosubmit>\n")
	for _, h := range lp.Hidden {
		b.WriteString(`    <input type="hidden" name="`)
		esc(h.K)
		b.WriteString(`" value="`)
		esc(h.V)
		b.WriteString("\">\n")
	}
	if lp.Keyword != nil {
		writeFilterField(&b, lp.Keyword)
	}
	for i := range lp.Filters {
		writeFilterField(&b, &lp.Filters[i])
	}
	if len(lp.More) > 0 {
		b.WriteString(`<details class="more-filters"`)
		if lp.MoreOpen {
			b.WriteString(` open`)
		}
		b.WriteString(">\n      <summary>")
		esc(lp.T("filter.more"))
		b.WriteString("</summary>\n      <div class=\"more-body\">")
		for i := range lp.More {
			writeFilterField(&b, &lp.More[i])
		}
		b.WriteString("</div>\n    </details>")
	}
	b.WriteString("\n    <div class=\"filters-actions\">\n      <a class=\"btn btn-ghost\" href=\"")
	esc(lp.Reset)
	b.WriteString(`">`)
	esc(lp.T("filter.reset"))
	b.WriteString("</a>\n      <button class=\"btn btn-primary\" type=\"submit\">")
	esc(lp.T("filter.apply"))
	b.WriteString("</button>\n    </div>\n  </form>\n</details>")
	return template.HTML(b.String())
}

// writeFilterField writes one field of the filter form.
func writeFilterField(b *strings.Builder, f *filterField) {
	esc := func(s string) { b.WriteString(html.EscapeString(s)) }
	b.WriteString(`<div class="field`)
	if f.Kind == "range" {
		b.WriteString(` range-field`)
	}
	if f.Name == "q" {
		b.WriteString(` grow`)
	}
	b.WriteString("\">\n  <label for=\"")
	esc(f.ID)
	b.WriteString(`">`)
	esc(f.Label)
	b.WriteString("</label>\n  ")
	switch f.Kind {
	case "select":
		b.WriteString(`<select id="`)
		esc(f.ID)
		b.WriteString(`" name="`)
		esc(f.Name)
		b.WriteString(`">`)
		b.WriteString(string(optionsHTML(f.Options)))
		b.WriteString("</select>\n  ")
	case "lookup":
		b.WriteString(`<div class="lookup" data-lookup-url="`)
		esc(f.LookupURL)
		b.WriteString("\">\n    <input type=\"text\" id=\"")
		esc(f.ID)
		b.WriteString(`" class="lookup-input" value="`)
		esc(f.LookupTitle)
		b.WriteString("\" autocomplete=\"off\" aria-autocomplete=\"list\">\n    <input type=\"hidden\" name=\"")
		esc(f.Name)
		b.WriteString(`" value="`)
		esc(f.Value)
		b.WriteString("\">\n    <ul class=\"lookup-list\" role=\"listbox\" hidden></ul>\n  </div>\n  ")
	case "range":
		decimal := ""
		if f.InputType != "date" {
			decimal = ` inputmode="decimal"`
		}
		b.WriteString(`<div class="range"><input type="`)
		esc(f.InputType)
		b.WriteString(`" id="`)
		esc(f.ID)
		b.WriteString(`" name="`)
		esc(f.Name)
		b.WriteString(`" value="`)
		esc(f.Value)
		b.WriteString(`" aria-label="`)
		esc(f.Label + " ≥")
		b.WriteString(`"` + decimal + `><span class="range-sep" aria-hidden="true">–</span><input type="`)
		esc(f.InputType)
		b.WriteString(`" name="`)
		esc(f.Name2)
		b.WriteString(`" value="`)
		esc(f.Val2)
		b.WriteString(`" aria-label="`)
		esc(f.Label + " ≤")
		b.WriteString(`"` + decimal + "></div>\n  ")
	default:
		b.WriteString(`<input type="`)
		esc(f.InputType)
		b.WriteString(`" id="`)
		esc(f.ID)
		b.WriteString(`" name="`)
		esc(f.Name)
		b.WriteString(`" value="`)
		esc(f.Value)
		b.WriteString("\" maxlength=\"100\">\n  ")
	}
	b.WriteString("</div>")
}
