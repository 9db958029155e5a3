package web

import (
	"net/http"
	"strings"

	"closeloop/internal/admin"
	"closeloop/internal/entity"
	"closeloop/internal/errs"
	"closeloop/internal/i18n"
)

// fieldsPage lists custom fields and adds new ones; deleting one asks the
// admin to type its name, since its data goes with it.
type fieldsPage struct {
	*base
	Fields    []cfRow
	Entities  []option
	Kinds     []option
	Picklists []option
	Form      admin.CustomField
	NewList   string
	Errors    []string
}

type cfRow struct {
	Entity, Name, Label, Kind, Picklist, Delete string
	Required                                    bool
}

func (s *Server) fieldsPage(c *rc) error {
	return c.render(http.StatusOK, "fields", s.fieldsView(c, admin.CustomField{Kind: entity.Text}, "", nil))
}

func (s *Server) fieldsView(c *rc, form admin.CustomField, newList string, errors []string) *fieldsPage {
	fp := &fieldsPage{base: c.settingsBase(c.T("set.fields"), "settings"), Form: form, NewList: newList, Errors: errors}
	for _, cf := range s.app.Admin.CustomFields() {
		e := c.schema.Entity(cf.Entity)
		row := cfRow{Entity: cf.Entity, Name: cf.Name, Label: i18n.T(cf.Zh, cf.En).In(c.L), Kind: c.T("kind." + string(cf.Kind)), Required: cf.Required,
			Delete: "/settings/fields/" + cf.Entity + "/" + cf.Name + "/delete"}
		if e != nil {
			row.Entity = e.Label.In(c.L)
		}
		if cf.Picklist != "" {
			row.Picklist = c.picklistLabel(cf.Picklist)
		}
		fp.Fields = append(fp.Fields, row)
	}
	for _, e := range c.schema.Entities() {
		if e.Customizable {
			fp.Entities = append(fp.Entities, option{Value: e.Name, Label: e.Label.In(c.L), Selected: e.Name == form.Entity})
		}
	}
	for _, k := range entity.CustomKinds {
		fp.Kinds = append(fp.Kinds, option{Value: string(k), Label: c.T("kind." + string(k)), Selected: k == form.Kind})
	}
	fp.Picklists = []option{{Value: "", Label: c.T("form.choose")}}
	for _, n := range s.app.Admin.PicklistNames() {
		fp.Picklists = append(fp.Picklists, option{Value: n, Label: c.picklistLabel(n), Selected: n == form.Picklist && newList == ""})
	}
	return fp
}

func (s *Server) fieldAdd(c *rc) error {
	if err := c.r.ParseForm(); err != nil {
		return errs.New(errs.Invalid, "validation")
	}
	f := c.r.PostForm
	cf := admin.CustomField{Entity: f.Get("entity"), Name: strings.TrimSpace(f.Get("name")), Zh: f.Get("label_zh"), En: f.Get("label_en"),
		Kind: entity.Kind(f.Get("kind")), Picklist: f.Get("picklist"), Required: f.Get("required") == "1"}
	newList := strings.TrimSpace(f.Get("new_picklist"))
	if newList != "" {
		cf.Picklist = newList
	}
	if cf.Kind != entity.Select && cf.Kind != entity.MultiSelect {
		cf.Picklist = ""
	}
	name, err := s.app.Admin.AddCustomField(c.ctx(), c.p, cf)
	if err != nil {
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
		return c.render(httpStatus(err), "fields", s.fieldsView(c, cf, newList, msgs))
	}
	c.flash("success", c.T("cf.added", "name", name))
	return c.redirect("/settings/fields")
}

// fieldDelete drops a custom field after the admin typed its name.
func (s *Server) fieldDelete(c *rc) error {
	ent, name := c.r.PathValue("entity"), c.r.PathValue("name")
	if strings.TrimSpace(c.r.PostFormValue("confirm")) != name {
		c.flash("error", c.T("cf.confirm_mismatch", "name", name))
		return c.redirect("/settings/fields")
	}
	if err := s.app.Admin.DropCustomField(c.ctx(), c.p, ent, name); err != nil {
		if errs.KindOf(err) == errs.Internal {
			return err
		}
		c.flash("error", c.errText(err))
		return c.redirect("/settings/fields")
	}
	c.flash("success", c.T("cf.deleted", "name", name))
	return c.redirect("/settings/fields")
}
