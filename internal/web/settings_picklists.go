package web

import (
	"net/http"
	"slices"
	"strconv"
	"strings"

	"closeloop/internal/admin"
	"closeloop/internal/errs"
)

// picklistsPage lists the admin-edited option lists and where they are used.
type picklistsPage struct {
	*base
	Lists []plRow
}

type plRow struct {
	Name, Href, UsedBy string
	Count              int
}

func (s *Server) picklistsPage(c *rc) error {
	pp := &picklistsPage{base: c.settingsBase(c.T("set.picklists"), "settings")}
	for _, name := range s.app.Admin.PicklistNames() {
		row := plRow{Name: c.picklistLabel(name), Href: "/settings/picklists/" + name, UsedBy: strings.Join(c.picklistUsers(name), c.T("ui.sep"))}
		row.Count = len(c.schema.Picklists[name])
		pp.Lists = append(pp.Lists, row)
	}
	return c.render(http.StatusOK, "picklists", pp)
}

// picklistLabel names a list by the first field that uses it.
func (c *rc) picklistLabel(name string) string {
	if k := "picklist." + name; hasKey(c.L, k) {
		return c.T(k)
	}
	if users := c.picklistUsers(name); len(users) > 0 {
		_, field, _ := strings.Cut(users[0], " · ")
		return field
	}
	return name
}

func (c *rc) picklistUsers(name string) []string {
	var out []string
	for _, e := range c.schema.Entities() {
		for _, f := range e.Fields {
			if f.Picklist == name {
				out = append(out, e.Label.In(c.L)+" · "+f.Label.In(c.L))
			}
		}
	}
	return out
}

// picklistPage edits one list: code / 中文 / English / active, add,
// reorder. Codes of existing options never change (records keep them).
type picklistPage struct {
	*base
	Name, Action string
	Items        []plItem
	Errors       []string
}

type plItem struct {
	Index        int
	Code, Zh, En string
	Active, New  bool
	First, Last  bool
}

func (s *Server) picklistEdit(c *rc) error {
	name := c.r.PathValue("list")
	if !slices.Contains(s.app.Admin.PicklistNames(), name) {
		return errs.NotFoundf("picklist")
	}
	items, err := s.app.Admin.Picklist(c.ctx(), name)
	if err != nil {
		return err
	}
	return c.render(http.StatusOK, "picklist", c.picklistPage(name, items, nil))
}

func (c *rc) picklistPage(name string, items []admin.PicklistItem, errors []string) *picklistPage {
	title := c.picklistLabel(name)
	b := c.newBase(title, "settings")
	b.Crumbs = []link{{Text: c.T("nav.settings"), Href: "/settings"}, {Text: c.T("set.picklists"), Href: "/settings/picklists"}, {Text: title}}
	pp := &picklistPage{base: b, Name: name, Action: "/settings/picklists/" + name, Errors: errors}
	for i, it := range items {
		pp.Items = append(pp.Items, plItem{Index: i, Code: it.Code, Zh: it.Zh, En: it.En, Active: it.Active, First: i == 0, Last: i == len(items)-1})
	}
	pp.Items = append(pp.Items, plItem{Index: len(items), New: true, Active: true})
	return pp
}

// picklistSave saves the list as submitted; a "move" button reorders a
// row first, so up/down is one save too.
func (s *Server) picklistSave(c *rc) error {
	name := c.r.PathValue("list")
	if !slices.Contains(s.app.Admin.PicklistNames(), name) {
		return errs.NotFoundf("picklist")
	}
	if err := c.r.ParseForm(); err != nil {
		return errs.New(errs.Invalid, "validation")
	}
	f := c.r.PostForm
	n, _ := strconv.Atoi(f.Get("count"))
	n = min(max(n, 0), 1000)
	var items []admin.PicklistItem
	for i := 0; i <= n; i++ {
		k := strconv.Itoa(i)
		it := admin.PicklistItem{Code: strings.TrimSpace(f.Get("code." + k)), Zh: f.Get("zh." + k), En: f.Get("en." + k), Active: f.Get("active."+k) == "1"}
		if it.Code == "" && strings.TrimSpace(it.Zh) == "" && strings.TrimSpace(it.En) == "" {
			continue // the empty "add" row
		}
		items = append(items, it)
	}
	if mv := f.Get("move"); mv != "" {
		dir, idx, _ := strings.Cut(mv, ":")
		i, err := strconv.Atoi(idx)
		if err == nil && i >= 0 && i < len(items) {
			j := i - 1
			if dir == "down" {
				j = i + 1
			}
			if j >= 0 && j < len(items) {
				items[i], items[j] = items[j], items[i]
			}
		}
	}
	if err := s.app.Admin.SavePicklist(c.ctx(), c.p, name, items); err != nil {
		ee := errs.As(err)
		if ee == nil || ee.Kind == errs.Internal || ee.Kind == errs.Forbidden {
			return err
		}
		var msgs []string
		for _, fe := range ee.Fields {
			msgs = append(msgs, c.fieldText(nil, fe))
		}
		if len(msgs) == 0 {
			msgs = append(msgs, c.errText(err))
		}
		return c.render(httpStatus(err), "picklist", c.picklistPage(name, items, msgs))
	}
	c.flash("success", c.T("pl.saved"))
	return c.redirect("/settings/picklists/" + name)
}
