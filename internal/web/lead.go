package web

import (
	"strings"

	"closeloop/internal/access"
	"closeloop/internal/crm"
	"closeloop/internal/customers"
	"closeloop/internal/entity"
	"closeloop/internal/errs"
)

// convertView is the lead conversion form: a new customer (named after
// the lead's company) or an existing one, and the contact's role.
type convertView struct {
	Action        string
	Mode          string // new, existing
	Name          string
	NameErr       string
	CustomerID    string
	CustomerTitle string
	CustomerErr   string
	Roles         []option
	RoleErr       string
	SkipContact   bool
	Dups          []dupView
	AllowDup      bool
	Errors        []string
	Open          bool
}

func (s *Server) extendLead(c *rc, rec entity.Record, dp *detailPage) error {
	id := rec.ID()
	tv, err := s.timeline(c, "lead", id, "")
	if err != nil {
		return err
	}
	dp.Timeline = tv
	if err := s.openSteps(c, dp, "lead_id", id); err != nil {
		return err
	}
	if c.p.Perm("activity").Create && rec.Str("status") != crm.LeadConverted {
		dp.Log = c.activityForm("/leads/"+id+"/activity", nil, nil, nil)
	}
	if crm.Convertible(rec.Str("status")) && c.p.Perm("lead").Write != access.None && c.p.Perm("customer").Create {
		name := rec.Str("company")
		if name == "" {
			name = rec.Str("name")
		}
		dp.Convert = &convertView{Action: "/leads/" + id + "/convert", Mode: "new", Name: name,
			Roles: append([]option{{Value: "", Label: c.T("form.choose")}}, c.selectOptions(c.schema.Entity("contact").Field("decision_role"))...)}
	}
	return nil
}

// convert turns a lead into a customer and contact (one transaction in
// the service); on a possible duplicate the candidates are listed and the
// user may create anyway or pick the existing customer.
func (s *Server) convert(c *rc) error {
	id := strings.ToLower(c.r.PathValue("id"))
	le := c.schema.Entity("lead")
	if !entity.LooksLikeID(id) {
		return errs.NotFoundf("lead")
	}
	if err := c.r.ParseForm(); err != nil {
		return errs.New(errs.Invalid, "validation")
	}
	f := c.r.PostForm
	cv := &convertView{Action: "/leads/" + id + "/convert", Mode: f.Get("mode"), Name: strings.TrimSpace(f.Get("customer_name")),
		CustomerID: strings.TrimSpace(f.Get("customer_id")), SkipContact: f.Get("skip_contact") == "1", AllowDup: f.Get("allow_duplicate") == "1", Open: true}
	ce, cte := c.schema.Entity("customer"), c.schema.Entity("contact")
	role := f.Get("decision_role")
	cv.Roles = append([]option{{Value: "", Label: c.T("form.choose")}}, c.selectOptions(cte.Field("decision_role"), role)...)
	in := customers.ConvertInput{SkipContact: cv.SkipContact, AllowDuplicate: cv.AllowDup}
	var bad []errs.FieldError
	if cv.Mode == "existing" {
		if !entity.LooksLikeID(cv.CustomerID) {
			bad = append(bad, errs.FieldError{Field: "customer_id", Code: "required"})
		}
		in.CustomerID = strings.ToLower(cv.CustomerID)
	} else {
		cv.Mode = "new"
		v, fe := c.schema.ParseText(ce.Field("name"), cv.Name)
		if fe != nil {
			fe.Field = "customer.name"
			bad = append(bad, *fe)
		} else if v != nil {
			in.Customer = entity.Record{"name": v}
		}
	}
	if !cv.SkipContact {
		if v, fe := c.schema.ParseText(cte.Field("decision_role"), role); fe != nil {
			fe.Field = "contact.decision_role"
			bad = append(bad, *fe)
		} else if v != nil {
			in.Contact = entity.Record{"decision_role": v}
		}
	}
	err := errs.Validation(bad)
	var res customers.ConvertResult
	if err == nil {
		res, err = s.app.Customers.Convert(c.ctx(), c.p, id, in)
	}
	if err == nil {
		c.flash("success", c.T("convert.done"))
		return c.redirect("/customers/" + res.CustomerID)
	}
	ee := errs.As(err)
	if ee == nil || ee.Kind == errs.Internal || ee.Kind == errs.NotFound || ee.Kind == errs.Forbidden {
		return err
	}
	for _, fe := range ee.Fields {
		msg := c.fieldText(le, fe)
		switch fe.Field {
		case "customer.name":
			cv.NameErr = msg
		case "customer_id":
			cv.CustomerErr = msg
		case "contact.decision_role":
			cv.RoleErr = msg
		default:
			cv.Errors = append(cv.Errors, msg)
		}
	}
	if ee.Code == "possible_duplicate" {
		cv.Dups = c.dupViews(ee.Data)
	}
	if ee.Code != "validation" || len(cv.Errors) == 0 && cv.NameErr == "" && cv.CustomerErr == "" && cv.RoleErr == "" {
		cv.Errors = append(cv.Errors, c.errText(err))
	}
	if cv.CustomerID != "" {
		if t, _ := c.resolve(map[string][]string{"customer": {strings.ToLower(cv.CustomerID)}}, nil).title("customer", strings.ToLower(cv.CustomerID)); t != "" {
			cv.CustomerTitle = t
		}
	}
	return s.showDetail(c, le, id, httpStatus(err), func(dp *detailPage) {
		if dp.Convert != nil {
			dp.Convert = cv
		} else {
			dp.Flash = &flash{Kind: "error", Text: c.errText(err)}
		}
	})
}
