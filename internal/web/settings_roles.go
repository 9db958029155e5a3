package web

import (
	"net/http"
	"slices"
	"strings"

	"closeloop/internal/access"
	"closeloop/internal/errs"
	"closeloop/internal/i18n"
)

// rolesPage lists the roles with what each may do.
type rolesPage struct {
	*base
	Roles []roleRow
}

type roleRow struct {
	Code, Label, Href string
	BuiltIn           bool
	Flags             []string
	Summary           []string
}

var roleFlags = []string{"see_contacts", "pool", "assign", "admin", "require_totp"}

func roleFlag(r *access.Role, name string) *bool {
	switch name {
	case "see_contacts":
		return &r.SeeContacts
	case "pool":
		return &r.Pool
	case "assign":
		return &r.Assign
	case "admin":
		return &r.Admin
	case "require_totp":
		return &r.RequireTOTP
	}
	return nil
}

func (s *Server) rolesPage(c *rc) error {
	roles, err := s.app.DB.Roles(c.ctx())
	if err != nil {
		return err
	}
	rp := &rolesPage{base: c.settingsBase(c.T("set.roles"), "roles")}
	for _, r := range roles {
		row := roleRow{Code: r.Code, Label: r.Label.In(c.L), Href: "/settings/roles/" + r.Code, BuiltIn: r.BuiltIn}
		for _, f := range roleFlags {
			if *roleFlag(&r, f) {
				row.Flags = append(row.Flags, c.T("role.flag."+f))
			}
		}
		for _, e := range c.schema.Entities() {
			if p, ok := r.Perms[e.Name]; ok && p.Read != access.None {
				row.Summary = append(row.Summary, e.Plural.In(c.L)+" "+c.T("role.scope."+p.Read.String()))
			}
		}
		rp.Roles = append(rp.Roles, row)
	}
	return c.render(http.StatusOK, "roles", rp)
}

// roleEditPage is the permission matrix of one role.
type roleEditPage struct {
	*base
	New     bool
	Code    string
	Zh, En  string
	BuiltIn bool
	Rows    []permRow
	Flags   []flagBox
	Scopes  []option
	Errors  []string
	Delete  string
	Holders string
}

type permRow struct {
	Entity, Label          string
	Read, Write, Delete    []option
	Create, Export, Import bool
}

type flagBox struct {
	Name, Label, Hint string
	On                bool
}

func (c *rc) scopeOptions(cur access.Scope) []option {
	var out []option
	for _, s := range []access.Scope{access.None, access.Own, access.Team, access.All} {
		out = append(out, option{Value: s.String(), Label: c.T("role.scope." + s.String()), Selected: s == cur})
	}
	return out
}

func (c *rc) roleEditPage(r access.Role, isNew bool) *roleEditPage {
	title := c.T("role.new")
	if !isNew {
		title = c.T("role.edit", "name", r.Label.In(c.L))
	}
	b := c.newBase(title, "roles")
	b.Crumbs = []link{{Text: c.T("nav.settings"), Href: "/settings"}, {Text: c.T("set.roles"), Href: "/settings/roles"}, {Text: title}}
	rp := &roleEditPage{base: b, New: isNew, Code: r.Code, Zh: r.Label.Zh, En: r.Label.En, BuiltIn: r.BuiltIn}
	for _, e := range c.schema.Entities() {
		p := r.Perms[e.Name]
		rp.Rows = append(rp.Rows, permRow{Entity: e.Name, Label: e.Plural.In(c.L), Read: c.scopeOptions(p.Read), Write: c.scopeOptions(p.Write),
			Delete: c.scopeOptions(p.Delete), Create: p.Create, Export: p.Export, Import: p.Import})
	}
	for _, f := range roleFlags {
		rp.Flags = append(rp.Flags, flagBox{Name: f, Label: c.T("role.flag." + f), Hint: c.T("role.flag." + f + "_hint"), On: *roleFlag(&r, f)})
	}
	if !isNew && !r.BuiltIn {
		rp.Delete = "/settings/roles/" + r.Code + "/delete"
	}
	return rp
}

func (s *Server) roleEdit(c *rc) error {
	code := c.r.PathValue("code")
	if code == "" {
		return c.render(http.StatusOK, "role_edit", c.roleEditPage(access.Role{Perms: map[string]access.Perm{}}, true))
	}
	roles, err := s.app.DB.Roles(c.ctx())
	if err != nil {
		return err
	}
	i := slices.IndexFunc(roles, func(r access.Role) bool { return r.Code == code })
	if i < 0 {
		return errs.NotFoundf("role")
	}
	return c.render(http.StatusOK, "role_edit", c.roleEditPage(roles[i], false))
}

// roleSave saves the matrix; "new" creates a role with the code typed.
func (s *Server) roleSave(c *rc) error {
	if err := c.r.ParseForm(); err != nil {
		return errs.New(errs.Invalid, "validation")
	}
	f := c.r.PostForm
	isNew := c.r.PathValue("code") == "new"
	r := access.Role{Code: c.r.PathValue("code"), Label: i18n.T(strings.TrimSpace(f.Get("label_zh")), strings.TrimSpace(f.Get("label_en"))), Perms: map[string]access.Perm{}}
	if isNew {
		r.Code = strings.TrimSpace(f.Get("code"))
	}
	for _, e := range c.schema.Entities() {
		var p access.Perm
		p.Read, _ = access.ParseScope(f.Get(e.Name + ".read"))
		p.Write, _ = access.ParseScope(f.Get(e.Name + ".write"))
		p.Delete, _ = access.ParseScope(f.Get(e.Name + ".delete"))
		p.Create = f.Get(e.Name+".create") == "1"
		p.Export = f.Get(e.Name+".export") == "1"
		p.Import = f.Get(e.Name+".import") == "1"
		if p != (access.Perm{}) {
			r.Perms[e.Name] = p
		}
	}
	for _, name := range roleFlags {
		*roleFlag(&r, name) = f.Get(name) == "1"
	}
	if isNew {
		roles, err := s.app.DB.Roles(c.ctx())
		if err != nil {
			return err
		}
		if slices.ContainsFunc(roles, func(x access.Role) bool { return x.Code == r.Code }) {
			rp := c.roleEditPage(r, true)
			rp.Errors = []string{c.T("role.code_taken", "code", r.Code)}
			return c.render(http.StatusUnprocessableEntity, "role_edit", rp)
		}
	}
	if err := s.app.Admin.SaveRole(c.ctx(), c.p, r); err != nil {
		ee := errs.As(err)
		if ee == nil || ee.Kind == errs.Internal || ee.Kind == errs.Forbidden {
			return err
		}
		rp := c.roleEditPage(r, isNew)
		for _, fe := range ee.Fields {
			rp.Errors = append(rp.Errors, c.fieldText(nil, fe))
		}
		if len(rp.Errors) == 0 {
			rp.Errors = append(rp.Errors, c.errText(err))
		}
		return c.render(httpStatus(err), "role_edit", rp)
	}
	c.flash("success", c.T("role.saved", "name", r.Label.In(c.L)))
	return c.redirect("/settings/roles")
}

func (s *Server) roleDelete(c *rc) error {
	code := c.r.PathValue("code")
	if err := s.app.Admin.DeleteRole(c.ctx(), c.p, code); err != nil {
		if errs.KindOf(err) == errs.Internal {
			return err
		}
		c.flash("error", c.errText(err))
		return c.redirect("/settings/roles/" + code)
	}
	c.flash("success", c.T("role.deleted", "code", code))
	return c.redirect("/settings/roles")
}
