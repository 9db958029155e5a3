package web

import (
	"strings"

	"closeloop/internal/access"
	"closeloop/internal/customers"
	"closeloop/internal/entity"
	"closeloop/internal/errs"
)

// consentView is a contact's marketing consent: its state, who changed it
// when and how, and the form to record what the contact said.
type consentView struct {
	State   cell
	DNC     bool
	History []consentRow
	Action  string
	Methods []option
	States  []option
	Note    string
	Errors  []string
	Open    bool
}

type consentRow struct {
	Time, Actor, Field, Old, New, Method, Note string
}

func (s *Server) extendContact(c *rc, rec entity.Record, dp *detailPage) error {
	ce := c.schema.Entity("contact")
	hist, err := s.app.Customers.ConsentHistory(c.ctx(), c.p, rec.ID())
	if err != nil {
		return err
	}
	cv := &consentView{State: c.cell(ce.Field("marketing_consent"), rec["marketing_consent"], &refs{}), DNC: rec.Bool("do_not_contact")}
	for _, h := range hist {
		row := consentRow{Time: c.fmtTime(h.At), Actor: h.Actor, Method: c.T("consent.method." + h.Method), Note: h.Note}
		switch h.Field {
		case "marketing_consent":
			f := ce.Field("marketing_consent")
			row.Field = f.Label.In(c.L)
			row.Old, row.New = c.schema.OptionLabel(f, h.OldValue, c.L), c.schema.OptionLabel(f, h.NewValue, c.L)
		case "do_not_contact":
			row.Field = ce.Field("do_not_contact").Label.In(c.L)
			row.Old, row.New = c.yesNo(h.OldValue == "true"), c.yesNo(h.NewValue == "true")
		default:
			row.Field, row.Old, row.New = h.Field, h.OldValue, h.NewValue
		}
		cv.History = append(cv.History, row)
	}
	if c.p.Perm("contact").Write != access.None {
		cv.Action = "/contacts/" + rec.ID() + "/consent"
		cv.States, cv.Methods = c.consentOptions("", "")
	}
	dp.Consent = cv
	return nil
}

func (c *rc) yesNo(b bool) string {
	if b {
		return c.T("value.yes")
	}
	return c.T("value.no")
}

func (c *rc) consentOptions(state, method string) (states, methods []option) {
	states = []option{{Value: "", Label: c.T("consent.unchanged")}}
	states = append(states, c.selectOptions(c.schema.Entity("contact").Field("marketing_consent"), state)...)
	for _, m := range customers.ConsentMethods {
		methods = append(methods, option{Value: m, Label: c.T("consent.method." + m), Selected: m == method})
	}
	return states, methods
}

// consent records what a contact said about being contacted.
func (s *Server) consent(c *rc) error {
	id := strings.ToLower(c.r.PathValue("id"))
	if !entity.LooksLikeID(id) {
		return errs.NotFoundf("contact")
	}
	in := customers.ConsentInput{Consent: c.r.PostFormValue("marketing_consent"), Method: c.r.PostFormValue("method"), Note: strings.TrimSpace(c.r.PostFormValue("note"))}
	switch c.r.PostFormValue("do_not_contact") {
	case "true":
		t := true
		in.DoNotContact = &t
	case "false":
		f := false
		in.DoNotContact = &f
	}
	_, err := s.app.Customers.RecordConsent(c.ctx(), c.p, id, in)
	if err == nil {
		c.flash("success", c.T("consent.saved"))
		return c.redirect("/contacts/" + id)
	}
	ee := errs.As(err)
	if ee == nil || ee.Kind == errs.Internal || ee.Kind == errs.NotFound || ee.Kind == errs.Forbidden {
		return err
	}
	var msgs []string
	for _, fe := range ee.Fields {
		msgs = append(msgs, c.fieldText(c.schema.Entity("contact"), fe))
	}
	if len(msgs) == 0 {
		msgs = append(msgs, c.errText(err))
	}
	return s.showDetail(c, c.schema.Entity("contact"), id, httpStatus(err), func(dp *detailPage) {
		if dp.Consent != nil {
			dp.Consent.States, dp.Consent.Methods = c.consentOptions(in.Consent, in.Method)
			dp.Consent.Note, dp.Consent.Errors, dp.Consent.Open = in.Note, msgs, true
		}
	})
}
