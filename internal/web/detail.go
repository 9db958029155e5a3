package web

import (
	"bytes"
	"html/template"
	"net/http"
	"strings"

	"closeloop/internal/access"
	"closeloop/internal/entity"
	"closeloop/internal/errs"
	"closeloop/internal/records"
)

// detailPage is the generic page of one record: its fields as the service
// returns them (masked where the user may not see contact details),
// references as links, and the actions the user may take. The customer
// base's processes add panels (timeline, contacts, conversion, consent).
type detailPage struct {
	*base
	Entity   string
	ID       string
	Heading  string
	Badges   []cell
	Fields   []dlItem
	Meta     []dlItem
	Related  []link
	EditHref string
	Delete   string
	Version  int64
	Deleted  bool
	Restore  string

	// Processes of the customer base.
	Claim          string
	Release        string
	ReleaseReasons []option
	Assign         string
	Merge          string
	Timeline       *timelineView
	Contacts       []contactRow
	NewContact     string
	Steps          []stepRow
	AllActivities  string
	Log            *activityForm
	Consent        *consentView
	Convert        *convertView
	UserAdmin      *userAdmin

	// Panels of later areas, rendered by their own partial templates (see
	// onDetail): buttons in the header, cards above and below the record's
	// fields, and in the aside.
	Actions []template.HTML
	Top     []template.HTML
	Panels  []template.HTML
	Side    []template.HTML
}

// detailExtender adds an area's panels and actions to a record's page.
type detailExtender func(s *Server, c *rc, rec entity.Record, dp *detailPage) error

var detailExtenders = map[string][]detailExtender{}

// onDetail registers an extender for an entity's detail page; areas call it
// from init in their own file, so that adding a panel touches no shared code.
func onDetail(entityName string, fn detailExtender) {
	detailExtenders[entityName] = append(detailExtenders[entityName], fn)
}

// partial renders one named template of the shared partials (an area's
// panel) to HTML for a page's Panels, Side or Actions.
func (c *rc) partial(name string, data any) (template.HTML, error) {
	var buf bytes.Buffer
	if err := c.s.tpl.pages["detail"].ExecuteTemplate(&buf, name, data); err != nil {
		return "", err
	}
	return template.HTML(buf.String()), nil
}

type dlItem struct {
	Label string
	Cell  cell
	Wide  bool
}

// metaFields are shown in the side card rather than the main grid.
var metaFields = []string{"owner_id", "team_id", "created_at", "created_by", "updated_at"}

// detail serves /{resource}/{id}.
func (s *Server) detail(c *rc) error {
	e, err := c.entityOf()
	if err != nil {
		return err
	}
	return s.showDetail(c, e, c.r.PathValue("id"), http.StatusOK, nil)
}

// showDetail renders a record's page; adjust lets a failed process keep
// its form's input and errors on the page.
func (s *Server) showDetail(c *rc, e *entity.Entity, id string, status int, adjust func(*detailPage)) error {
	id = strings.ToLower(id)
	if !entity.LooksLikeID(id) {
		return errs.NotFoundf(e.Name)
	}
	perm := c.p.Perm(e.Name)
	rec, err := s.app.Records.Get(c.ctx(), c.p, e.Name, id)
	deleted := false
	if errs.KindOf(err) == errs.NotFound && e.SoftDelete && perm.Delete != access.None {
		// A record in the trash: shown with a restore button.
		if r, derr := s.app.Records.GetDeleted(c.ctx(), c.p, e.Name, id); derr == nil && r["deleted_at"] != nil {
			rec, err, deleted = r, nil, true
		}
	}
	if err != nil {
		return err
	}
	if e.AuditReads {
		s.app.Records.LogRead(c.ctx(), c.p, e.Name, rec.ID(), records.RequestID(c.ctx()))
	}
	title := rec.Str(e.Title)
	if title == "" {
		title = c.T("ui.untitled")
	}
	base := basePath(e)
	dp := &detailPage{base: c.newBase(title, e.Resource), Entity: e.Name, ID: rec.ID(), Heading: title, Version: rec.Version(), Deleted: deleted}
	if adminEntities[e.Name] {
		dp.Crumbs = []link{{Text: c.T("nav.settings"), Href: "/settings"}, {Text: e.Plural.In(c.L), Href: base}, {Text: title}}
	} else {
		dp.Crumbs = []link{{Text: e.Plural.In(c.L), Href: base}, {Text: title}}
	}
	var shown []*entity.Field
	for _, f := range e.Fields {
		if !f.Has(entity.Hidden) {
			shown = append(shown, f)
		}
	}
	rf := c.collectRefs(shown, rec)
	for _, f := range shown {
		item := dlItem{Label: f.Label.In(c.L), Cell: c.cell(f, rec[f.Name], rf), Wide: f.Kind == entity.LongText || f.MaxChars() > 200}
		switch {
		case f.Name == e.Title:
			continue
		case contains(metaFields, f.Name):
			dp.Meta = append(dp.Meta, item)
			continue
		case f.Has(entity.ReadOnly) && entity.IsEmpty(rec[f.Name]):
			continue // system fields that never happened (released_at …)
		}
		if (f.Name == "status" || f.Name == "level") && f.Kind == entity.Select && !item.Cell.Empty() {
			dp.Badges = append(dp.Badges, item.Cell)
		}
		dp.Fields = append(dp.Fields, item)
	}
	if deleted {
		if perm.Delete != access.None {
			dp.Restore = base + "/" + rec.ID() + "/restore"
		}
	} else {
		if perm.Write != access.None {
			dp.EditHref = base + "/" + rec.ID() + "/edit"
		}
		if perm.Delete != access.None && e.SoftDelete {
			dp.Delete = base + "/" + rec.ID() + "/delete"
		}
		// Lists of records that point here, found through the declarations.
		for _, other := range c.schema.Entities() {
			if c.p.Perm(other.Name).Read == access.None || adminEntities[other.Name] != adminEntities[e.Name] {
				continue
			}
			for _, f := range other.Fields {
				if f.Kind == entity.Ref && f.Ref == e.Name && f.Has(entity.Filter) && !f.Has(entity.Hidden) && f.Name != "merged_into" {
					text := other.Plural.In(c.L)
					if f.Name != e.Name+"_id" {
						text = other.Plural.In(c.L) + c.T("ui.paren", "x", f.Label.In(c.L))
					}
					dp.Related = append(dp.Related, link{Text: text, Href: basePath(other) + "?" + f.Name + "=" + rec.ID()})
				}
			}
		}
		if err := s.extend(c, e, rec, dp); err != nil {
			return err
		}
	}
	if adjust != nil {
		adjust(dp)
	}
	return c.render(status, "detail", dp)
}

// extend adds the panels of the customer base's processes.
func (s *Server) extend(c *rc, e *entity.Entity, rec entity.Record, dp *detailPage) error {
	if e.Vis.Pool || e.Vis.Owned {
		s.ownerActions(c, e, rec, dp)
	}
	switch e.Name {
	case "customer":
		if err := s.extendCustomer(c, rec, dp); err != nil {
			return err
		}
	case "lead":
		if err := s.extendLead(c, rec, dp); err != nil {
			return err
		}
	case "contact":
		if err := s.extendContact(c, rec, dp); err != nil {
			return err
		}
	case "user":
		if err := s.extendUser(c, rec, dp); err != nil {
			return err
		}
	}
	for _, fn := range detailExtenders[e.Name] {
		if err := fn(s, c, rec, dp); err != nil {
			return err
		}
	}
	for _, fn := range detailExtenders["*"] {
		if err := fn(s, c, rec, dp); err != nil {
			return err
		}
	}
	return nil
}

// ownerActions offers claim, release and assign where the user may.
func (s *Server) ownerActions(c *rc, e *entity.Entity, rec entity.Record, dp *detailPage) {
	base := basePath(e) + "/" + rec.ID()
	owner := rec.Str("owner_id")
	perm := c.p.Perm(e.Name)
	if e.Vis.Pool {
		if owner == "" && c.p.CanPool() {
			dp.Claim = base + "/claim"
		}
		if owner != "" && perm.Write != access.None && ((owner == c.p.UserID && c.p.CanPool()) || c.p.CanAssign()) {
			dp.Release = base + "/release"
			if f := e.Field("release_reason"); f != nil {
				for _, o := range c.selectOptions(f) {
					if o.Value != "auto" {
						dp.ReleaseReasons = append(dp.ReleaseReasons, o)
					}
				}
			}
		}
	}
	if e.Vis.Owned && c.p.CanAssign() && perm.Write != access.None {
		dp.Assign = base + "/assign"
	}
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}
