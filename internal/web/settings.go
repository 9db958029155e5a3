package web

import (
	"net/http"
)

// settingsPage is the index of the admin's settings.
type settingsPage struct {
	*base
	Sections []section
}

type section struct {
	Title, Text, Href string
}

// settingsLink is a card of the settings index: its title and text are
// the catalogue's "set.<key>" and "set.<key>_text".
type settingsLink struct{ key, href string }

// settingsSections are the settings pages of later areas, added from init
// in each area's own file; they follow the core ones.
var settingsSections []settingsLink

func (s *Server) settingsIndex(c *rc) error {
	sp := &settingsPage{base: c.newBase(c.T("nav.settings"), "settings")}
	for _, k := range append([]settingsLink{
		{"users", "/settings/users"}, {"teams", "/settings/teams"}, {"roles", "/settings/roles"},
		{"picklists", "/settings/picklists"}, {"fields", "/settings/fields"}, {"pool", "/settings/pool"}, {"audit", "/settings/audit"},
	}, settingsSections...) {
		sp.Sections = append(sp.Sections, section{Title: c.T("set." + k.key), Text: c.T("set." + k.key + "_text"), Href: k.href})
	}
	return c.render(http.StatusOK, "settings", sp)
}

// settingsBase is the common header of a settings page.
func (c *rc) settingsBase(title, nav string) *base {
	b := c.newBase(title, nav)
	b.Crumbs = []link{{Text: c.T("nav.settings"), Href: "/settings"}, {Text: title}}
	return b
}
