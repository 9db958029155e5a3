package web

import (
	"net/url"
	"strings"
	"time"

	"closeloop/internal/access"
	"closeloop/internal/entity"
	"closeloop/internal/errs"
)

type contactRow struct {
	Name, Href string
	Role       cell
	Title      string
	Phone      cell
	Primary    bool
}

type stepRow struct {
	Subject, Step, Due, Href string
	Overdue                  bool
}

// activityForm is the quick "log activity" form on customer and lead pages.
type activityForm struct {
	Action string
	Fields []formField
	Errors []string
	Open   bool
}

// activityQuick are the fields of the quick form, in order.
var activityQuick = []string{"kind", "subject", "occurred_at", "contact_id", "summary", "next_step", "next_step_due"}

func (s *Server) extendCustomer(c *rc, rec entity.Record, dp *detailPage) error {
	id := rec.ID()
	perm := c.p.Perm("customer")
	if perm.Write != access.None && perm.Delete != access.None {
		dp.Merge = "/customers/" + id + "/merge"
	}
	tv, err := s.timeline(c, "customer", id, "")
	if err != nil {
		return err
	}
	dp.Timeline = tv
	ce := c.schema.Entity("contact")
	var contactOpts []option
	if c.p.Perm("contact").Read != access.None {
		page, err := s.app.Records.List(c.ctx(), c.p, "contact", entity.Query{Sort: ce.Field("name"), Limit: 100,
			Conds: []entity.Cond{{Field: ce.Field("customer_id"), Op: entity.Eq, Values: []any{id}}}})
		if err != nil {
			return err
		}
		rf := &refs{}
		for _, ct := range page.Items {
			dp.Contacts = append(dp.Contacts, contactRow{Name: ct.Str("name"), Href: "/contacts/" + ct.ID(),
				Role: c.cell(ce.Field("decision_role"), ct["decision_role"], rf), Title: ct.Str("title"),
				Phone: c.cell(ce.Field("phone"), ct["phone"], rf), Primary: ct.Bool("is_primary")})
			contactOpts = append(contactOpts, option{Value: ct.ID(), Label: ct.Str("name")})
		}
		if c.p.Perm("contact").Create {
			dp.NewContact = "/contacts/new?customer_id=" + id
		}
	}
	if err := s.openSteps(c, dp, "customer_id", id); err != nil {
		return err
	}
	if c.p.Perm("activity").Create {
		dp.Log = c.activityForm("/customers/"+id+"/activity", contactOpts, nil, nil)
	}
	return nil
}

// openSteps lists the record's next steps not yet done, soonest first.
func (s *Server) openSteps(c *rc, dp *detailPage, col, id string) error {
	ae := c.schema.Entity("activity")
	if c.p.Perm("activity").Read == access.None {
		return nil
	}
	dp.AllActivities = "/activities?" + col + "=" + id
	page, err := s.app.Records.List(c.ctx(), c.p, "activity", entity.Query{Sort: ae.Field("next_step_due"), Limit: 10, Conds: []entity.Cond{
		{Field: ae.Field(col), Op: entity.Eq, Values: []any{id}},
		{Field: ae.Field("next_step_done"), Op: entity.Eq, Values: []any{false}},
		{Field: ae.Field("next_step"), Op: entity.Empty, Values: []any{false}},
	}})
	if err != nil {
		return err
	}
	today := time.Now().In(s.app.Loc).Format(entity.DateLayout)
	for _, a := range page.Items {
		due := a.Str("next_step_due")
		dp.Steps = append(dp.Steps, stepRow{Subject: a.Str("subject"), Step: a.Str("next_step"), Due: due, Href: "/activities/" + a.ID(), Overdue: due != "" && due < today})
	}
	return nil
}

// activityForm builds the quick form from the activity declaration.
func (c *rc) activityForm(action string, contacts []option, values url.Values, fieldErrs map[string]string) *activityForm {
	ae := c.schema.Entity("activity")
	if values == nil {
		values = url.Values{}
		values.Set("kind", "call")
		values.Set("occurred_at", time.Now().In(c.s.app.Loc).Format("2006-01-02T15:04"))
	}
	af := &activityForm{Action: action}
	rf := &refs{}
	for _, name := range activityQuick {
		f := ae.Field(name)
		if f == nil {
			continue
		}
		if name == "contact_id" {
			if len(contacts) == 0 {
				continue
			}
			ff := formField{ID: "act-contact_id", Name: name, Label: f.Label.In(c.L), Kind: "select", Error: fieldErrs[name]}
			ff.Options = []option{{Value: "", Label: c.T("form.choose")}}
			for _, o := range contacts {
				o.Selected = o.Value == values.Get(name)
				ff.Options = append(ff.Options, o)
			}
			af.Fields = append(af.Fields, ff)
			continue
		}
		ff := c.widget(ae, f, values, fieldErrs[name], rf)
		ff.ID = "act-" + name
		if name == "kind" && len(ff.Options) > 0 {
			ff.Options = ff.Options[1:] // a kind is required: no empty choice
		}
		af.Fields = append(af.Fields, ff)
	}
	return af
}

// logActivity records a call, visit … from a customer's or lead's page.
func (s *Server) logActivity(c *rc) error {
	e, err := c.entityOf()
	if err != nil {
		return err
	}
	id := strings.ToLower(c.r.PathValue("id"))
	if !entity.LooksLikeID(id) {
		return errs.NotFoundf(e.Name)
	}
	if _, err := s.app.Records.Get(c.ctx(), c.p, e.Name, id); err != nil {
		return err
	}
	if err := c.r.ParseForm(); err != nil {
		return errs.New(errs.Invalid, "validation")
	}
	ae := c.schema.Entity("activity")
	rec := entity.Record{}
	var bad []errs.FieldError
	for _, name := range activityQuick {
		f := ae.Field(name)
		if f == nil {
			continue
		}
		v, fe := c.schema.ParseText(f, c.r.PostFormValue(name))
		if fe != nil {
			bad = append(bad, *fe)
			continue
		}
		if v != nil {
			rec[name] = v
		}
	}
	rec[e.Name+"_id"] = id
	if err = errs.Validation(bad); err == nil {
		_, err = s.app.Records.Create(c.ctx(), c.p, "activity", rec)
	}
	if err == nil {
		c.flash("success", c.T("act.logged"))
		return c.redirect(basePath(e) + "/" + id + "#timeline")
	}
	ee := errs.As(err)
	if ee == nil || ee.Kind == errs.Internal || ee.Kind == errs.NotFound || ee.Kind == errs.Forbidden {
		return err
	}
	fieldErrs := map[string]string{}
	var general []string
	for _, fe := range ee.Fields {
		if contains(activityQuick, fe.Field) {
			fieldErrs[fe.Field] = c.fieldText(ae, fe)
		} else {
			general = append(general, c.fieldText(ae, fe))
		}
	}
	if len(ee.Fields) == 0 {
		general = append(general, c.errText(err))
	}
	return s.showDetail(c, e, id, httpStatus(err), func(dp *detailPage) {
		if dp.Log == nil {
			return
		}
		var contacts []option
		for _, ct := range dp.Contacts {
			contacts = append(contacts, option{Value: strings.TrimPrefix(ct.Href, "/contacts/"), Label: ct.Name})
		}
		dp.Log = c.activityForm(dp.Log.Action, contacts, c.r.PostForm, fieldErrs)
		dp.Log.Errors, dp.Log.Open = general, true
		if len(general) == 0 {
			dp.Log.Errors = []string{c.T("form.fix_errors", "n", len(fieldErrs))}
		}
	})
}

// merge folds another customer into this one and reports what moved.
func (s *Server) merge(c *rc) error {
	id := strings.ToLower(c.r.PathValue("id"))
	other := strings.ToLower(strings.TrimSpace(c.r.PostFormValue("other_id")))
	back := "/customers/" + id
	if !entity.LooksLikeID(id) {
		return errs.NotFoundf("customer")
	}
	if other == "" || !entity.LooksLikeID(other) {
		c.flash("error", c.T("merge.pick"))
		return c.redirect(back)
	}
	res, err := s.app.Customers.Merge(c.ctx(), c.p, id, other)
	if err != nil {
		if errs.KindOf(err) == errs.Internal {
			return err
		}
		c.flash("error", c.mergeError(err))
		return c.redirect(back)
	}
	ce := c.schema.Entity("customer")
	moved := map[string]any{}
	for k, v := range res.Moved {
		moved[k] = v
	}
	msg := c.T("merge.done")
	if len(moved) > 0 {
		msg += " " + c.movedText(moved)
	}
	if len(res.Filled) > 0 {
		var labels []string
		for _, f := range res.Filled {
			if fd := ce.Field(f); fd != nil {
				labels = append(labels, fd.Label.In(c.L))
			}
		}
		msg += " " + c.T("merge.filled", "fields", strings.Join(labels, c.T("ui.sep")))
	}
	c.flash("success", msg)
	return c.redirect(back)
}

func (c *rc) mergeError(err error) string {
	if e := errs.As(err); e != nil && e.Code == "validation" && len(e.Fields) > 0 {
		return c.fieldText(c.schema.Entity("customer"), e.Fields[0])
	}
	return c.errText(err)
}
