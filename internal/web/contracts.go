package web

import (
	"fmt"
	"html/template"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"time"

	"closeloop/internal/access"
	"closeloop/internal/contracts"
	"closeloop/internal/crm"
	"closeloop/internal/entity"
	"closeloop/internal/errs"
	"closeloop/internal/httpx"
)

// The contract's page (term checklist, payment plan, signing, execution,
// termination), the plan editor, the hand-over's page and print view, the
// home card of hand-overs to acknowledge, and the cards on the customer,
// opportunity and quote pages — on the same service as the API.

func init() {
	areaRoutes = append(areaRoutes, func(s *Server, m *http.ServeMux) {
		m.HandleFunc("POST /quotes/{id}/contract", s.page(s.contractFromQuote))
		m.HandleFunc("POST /contracts/{id}/confirm-term", s.page(s.confirmTerm))
		m.HandleFunc("POST /contracts/{id}/submit", s.page(s.submitContract))
		m.HandleFunc("POST /contracts/{id}/sign", s.page(s.signContract))
		m.HandleFunc("POST /contracts/{id}/start", s.page(s.contractMove))
		m.HandleFunc("POST /contracts/{id}/complete", s.page(s.contractMove))
		m.HandleFunc("POST /contracts/{id}/terminate", s.page(s.terminateContract))
		m.HandleFunc("GET /contracts/{id}/payment-plan", s.page(s.planEditor))
		m.HandleFunc("POST /contracts/{id}/payment-plan", s.page(s.planSave))
		m.HandleFunc("POST /contracts/{id}/payment-plan/propose", s.page(s.planPropose))
		m.HandleFunc("POST /handovers/{id}/acknowledge", s.page(s.acknowledgeHandover))
		m.HandleFunc("GET /handovers/{id}/print", s.page(s.handoverPrint))
	})
	onDetail("contract", (*Server).extendContract)
	onDetail("handover", (*Server).extendHandover)
	onDetail("customer", (*Server).customerHandovers)
	onDetail("opportunity", (*Server).opportunityContracts)
	onDetail("quote", (*Server).quoteContract)
	onHome((*Server).homeHandovers)
	for code, tone := range map[string]string{"draft": "badge-muted", "in_approval": "badge-info", "signed": "badge-success", "in_execution": "badge-accent",
		"completed": "badge-success", "terminated": "badge-danger", "pending": "badge-warning", "partly": "badge-info", "acknowledged": "badge-success",
		"open": "badge-muted", "partly_paid": "badge-info", "paid": "badge-success"} {
		tones[code] = tone
	}
}

const (
	dlgSign      = "dlg-ct-sign"
	dlgTerminate = "dlg-ct-terminate"
	dlgSubmit    = "dlg-ct-submit"
	dlgAck       = "dlg-ho-ack"
)

// contractView is what the contract's partials show.
type contractView struct {
	T         func(string, ...any) string
	ID        string
	Version   int64
	Locked    string
	Terms     []termRow
	Confirm   bool // the user may confirm terms now
	Refusals  []string
	Ready     bool
	Draft     bool
	Plan      []planRow
	PlanSum   string
	Amount    string
	PlanDiff  string
	PlanOK    bool
	PlanEdit  string
	Handover  *sideRow
	Dialogs   []*dialogForm
	Start     bool
	Complete  bool
	Currency  string
	Invoiced  string
	Paid      string
	Remaining string
}

type termRow struct {
	Item, Label, By, At string
	Confirmed           bool
}

type planRow struct {
	No, Label, Kind, Due, Amount, Condition, Invoiced, Paid, Remaining string
	Status                                                             cell
}

// extendContract adds the checklist, the plan and the steps of the
// contract's life.
func (s *Server) extendContract(c *rc, rec entity.Record, dp *detailPage) error {
	e := c.schema.Entity("contract")
	status := rec.Str("status")
	write := c.p.Perm(e.Name).Write != access.None && !c.p.ReadOnly
	v := &contractView{T: c.T, ID: rec.ID(), Version: rec.Version(), Draft: status == crm.ContractDraft, Currency: rec.Str("currency")}
	if !v.Draft {
		v.Locked = c.T("ct.locked_" + status)
	}
	cl, err := s.app.Contracts.Checklist(c.ctx(), c.p, rec.ID())
	if err != nil {
		return err
	}
	confirmed := map[string]contracts.TermState{}
	var users []string
	for _, ts := range cl.Terms {
		confirmed[ts.Item] = ts
		users = append(users, ts.ConfirmedBy)
	}
	names, _ := s.app.Customers.UserNames(c.ctx(), uniqStrings(users))
	for _, o := range crm.ContractTermItems {
		ts := confirmed[o.Code]
		row := termRow{Item: o.Code, Label: o.Label.In(c.L), Confirmed: ts.Confirmed, By: names[ts.ConfirmedBy]}
		if t, err := time.Parse(time.RFC3339, ts.ConfirmedAt); err == nil && ts.Confirmed {
			row.At = c.fmtTime(t)
		}
		v.Terms = append(v.Terms, row)
	}
	v.Confirm = write && crm.CanContract(status, crm.CtStepConfirm)
	if v.Draft {
		for _, r := range cl.Refusals {
			e := errs.New(errs.Unprocessable, r.Code)
			e.Args = crm.RefusalArgs(r)
			v.Refusals = append(v.Refusals, c.errText(e))
		}
		v.Ready = cl.CanSign
	}
	plan, err := s.app.Contracts.Plan(c.ctx(), c.p, rec.ID())
	if err != nil {
		return err
	}
	ie := c.schema.Entity("payment_instalment")
	var inv, paid int64
	for _, r := range plan.Instalments {
		inv += r.Int("invoiced_amount")
		paid += r.Int("paid_amount")
		v.Plan = append(v.Plan, planRow{No: strconv.FormatInt(r.Int("position"), 10), Label: r.Str("label"), Kind: c.schema.OptionLabel(ie.Field("kind"), r.Str("kind"), c.L),
			Due: r.Str("due_date"), Amount: entity.FormatMoney(r.Int("amount")), Condition: r.Str("condition"),
			Invoiced: entity.FormatMoney(r.Int("invoiced_amount")), Paid: entity.FormatMoney(r.Int("paid_amount")),
			Remaining: entity.FormatMoney(r.Int("amount") - r.Int("paid_amount")), Status: c.cell(ie.Field("status"), r["status"], &refs{})})
	}
	v.PlanSum, v.Amount = entity.FormatMoney(plan.Sum), entity.FormatMoney(rec.Int("amount"))
	v.Invoiced, v.Paid, v.Remaining = entity.FormatMoney(inv), entity.FormatMoney(paid), entity.FormatMoney(plan.Sum-paid)
	v.PlanOK = plan.Sum == rec.Int("amount") && len(plan.Instalments) > 0
	if !v.PlanOK {
		v.PlanDiff = entity.FormatMoney(rec.Int("amount") - plan.Sum)
	}
	if v.Draft && (write || c.p.Perm(ie.Name).Write != access.None) && !c.p.ReadOnly {
		v.PlanEdit = "/contracts/" + rec.ID() + "/payment-plan"
	}
	if status != crm.ContractDraft && status != crm.ContractInApproval {
		if h, err := s.app.Contracts.HandoverOf(c.ctx(), c.p, rec.ID()); err == nil {
			he := c.schema.Entity("handover")
			v.Handover = &sideRow{Href: "/handovers/" + h.ID(), Title: c.T("ho.version_n", "n", h.Int("version_no")),
				Tag: c.schema.OptionLabel(he.Field("ack_status"), h.Str("ack_status"), c.L)}
		}
	}
	if write {
		switch status {
		case crm.ContractDraft:
			if cl.NeedsApproval && !cl.Approved && s.app.Contracts.HasApprovals() {
				d := &dialogForm{ID: dlgSubmit, Title: c.T("ct.submit"), Button: c.T("ct.submit"), Action: "/contracts/" + rec.ID() + "/submit",
					Submit: c.T("ct.submit"), Hint: c.T("ct.submit_hint"), Version: rec.Version(),
					Fields: []formField{{ID: "ct-reason", Name: "reason", Label: c.T("ct.reason"), Kind: "textarea", Wide: true, MaxLen: 2000}}}
				d.apply(c.formStateOf(dlgSubmit))
				v.Dialogs = append(v.Dialogs, d)
			}
			v.Dialogs = append(v.Dialogs, s.signDialog(c, rec))
		case crm.ContractSigned, crm.ContractInExecution:
			v.Start, v.Complete = status == crm.ContractSigned, status == crm.ContractInExecution
			d := &dialogForm{ID: dlgTerminate, Title: c.T("ct.terminate"), Button: c.T("ct.terminate"), Action: "/contracts/" + rec.ID() + "/terminate",
				Submit: c.T("ct.terminate"), Hint: c.T("ct.terminate_hint"), Confirm: c.T("ct.terminate_confirm", "number", rec.Str("number")), Danger: true, Version: rec.Version(),
				Fields: []formField{{ID: "ct-term-reason", Name: "reason", Label: e.Field("terminated_reason").Label.In(c.L), Kind: "textarea", Wide: true, Required: true, MaxLen: 2000}}}
			d.apply(c.formStateOf(dlgTerminate))
			v.Dialogs = append(v.Dialogs, d)
		}
	}
	if !v.Draft {
		dp.Delete = "" // kept: the agreement the hand-over, orders and invoices rest on
	}
	actions, err := c.partial("ct_actions", v)
	if err != nil {
		return err
	}
	top, err := c.partial("ct_top", v)
	if err != nil {
		return err
	}
	panels, err := c.partial("ct_panels", v)
	if err != nil {
		return err
	}
	dp.Actions = append(dp.Actions, actions)
	dp.Top = append(dp.Top, top)
	dp.Panels = append([]template.HTML{panels}, dp.Panels...)
	return nil
}

// signDialog asks for the signing date and the customer's signatory.
func (s *Server) signDialog(c *rc, rec entity.Record) *dialogForm {
	e := c.schema.Entity("contract")
	ce := c.schema.Entity("contact")
	opts := []option{{Value: "", Label: c.T("form.choose")}}
	if page, err := s.app.Records.List(c.ctx(), c.p, "contact", entity.Query{Sort: ce.Field("name"), Limit: 200,
		Conds: []entity.Cond{{Field: ce.Field("customer_id"), Op: entity.Eq, Values: []any{rec.Str("customer_id")}}}}); err == nil {
		for _, ct := range page.Items {
			label := ct.Str("name")
			if t := ct.Str("title"); t != "" {
				label += c.T("ui.paren", "x", t)
			}
			opts = append(opts, option{Value: ct.ID(), Label: label, Selected: ct.ID() == rec.Str("signer_contact_id")})
		}
	}
	d := &dialogForm{ID: dlgSign, Title: c.T("ct.sign"), Button: c.T("ct.sign"), Action: "/contracts/" + rec.ID() + "/sign",
		Submit: c.T("ct.sign_submit"), Hint: c.T("ct.sign_hint"), Version: rec.Version(), Confirm: c.T("ct.sign_confirm", "number", rec.Str("number")),
		Fields: []formField{
			{ID: "ct-signed-on", Name: "signed_on", Label: e.Field("signed_on").Label.In(c.L), Kind: "input", InputType: "date", Required: true,
				Value: time.Now().In(s.app.Loc).Format(entity.DateLayout)},
			{ID: "ct-signer", Name: "signer_contact_id", Label: e.Field("signer_contact_id").Label.In(c.L), Kind: "select", Required: true, Options: opts},
		}}
	d.apply(c.formStateOf(dlgSign))
	return d
}

func contractID(c *rc) (string, error) {
	id := strings.ToLower(c.r.PathValue("id"))
	if !entity.LooksLikeID(id) {
		return "", errs.NotFoundf("contract")
	}
	return id, nil
}

// contractFailed shows the contract again with the refused dialog open,
// or says why a step was refused.
func (s *Server) contractFailed(c *rc, err error, id, dialog string, shown []string) error {
	e := c.schema.Entity("contract")
	if dialog != "" {
		st, ok := c.refusedForm(err, dialog, c.r.PostForm, shown, func(k string) string { return c.fieldLabel(e, k) }, nil)
		if ok && errs.KindOf(err) != errs.Conflict {
			c.withFormState(st)
			return s.showDetail(c, e, id, httpStatus(err), nil)
		}
	}
	return c.processFailed(err, "/contracts/"+id)
}

func (s *Server) contractFromQuote(c *rc) error {
	id := strings.ToLower(c.r.PathValue("id"))
	out, err := s.app.Contracts.CreateFromQuote(c.ctx(), c.p, id, contracts.FromQuote{})
	if err != nil {
		if e := errs.As(err); e != nil && e.Code == "quote_has_contract" {
			cid, _ := e.Args["id"].(string)
			c.flash("info", c.errText(err))
			return c.redirect("/contracts/" + cid)
		}
		return c.processFailed(err, "/quotes/"+id)
	}
	return c.processDone(c.T("ct.created", "number", out.Str("number")), "/contracts/"+out.ID())
}

func (s *Server) confirmTerm(c *rc) error {
	id, err := contractID(c)
	if err != nil {
		return err
	}
	_ = c.r.ParseForm()
	item := c.r.PostForm.Get("item")
	confirmed := c.r.PostForm.Get("confirmed") != "0"
	out, err := s.app.Contracts.ConfirmTerm(c.ctx(), c.p, id, formVersion(c.r.PostForm), item, confirmed)
	if err != nil {
		return c.processFailed(err, "/contracts/"+id+"#terms")
	}
	key := "ct.term_confirmed"
	if !confirmed {
		key = "ct.term_withdrawn"
	}
	label := item
	for _, o := range crm.ContractTermItems {
		if o.Code == item {
			label = o.Label.In(c.L)
		}
	}
	return c.processDone(c.T(key, "item", label, "number", out.Str("number")), "/contracts/"+id+"#terms")
}

func (s *Server) submitContract(c *rc) error {
	id, err := contractID(c)
	if err != nil {
		return err
	}
	_ = c.r.ParseForm()
	out, err := s.app.Contracts.Submit(c.ctx(), c.p, id, formVersion(c.r.PostForm), c.r.PostForm.Get("reason"))
	if err != nil {
		return s.contractFailed(c, err, id, dlgSubmit, []string{"reason"})
	}
	return c.processDone(c.T("ct.submitted", "number", out.Str("number")), "/contracts/"+id)
}

func (s *Server) signContract(c *rc) error {
	id, err := contractID(c)
	if err != nil {
		return err
	}
	_ = c.r.ParseForm()
	f := c.r.PostForm
	out, err := s.app.Contracts.Sign(c.ctx(), c.p, id, contracts.SignInput{SignedOn: f.Get("signed_on"), SignerContactID: f.Get("signer_contact_id"), Version: formVersion(f)})
	if err != nil {
		return s.contractFailed(c, err, id, dlgSign, []string{"signed_on", "signer_contact_id"})
	}
	h, err := s.app.Contracts.HandoverOf(c.ctx(), c.p, id)
	if err != nil {
		return c.processDone(c.T("ct.signed", "number", out.Str("number")), "/contracts/"+id)
	}
	return c.processDone(c.T("ct.signed_handover", "number", out.Str("number")), "/handovers/"+h.ID())
}

func (s *Server) contractMove(c *rc) error {
	id, err := contractID(c)
	if err != nil {
		return err
	}
	_ = c.r.ParseForm()
	v := formVersion(c.r.PostForm)
	var out entity.Record
	key := "ct.started"
	if strings.HasSuffix(c.r.URL.Path, "/complete") {
		key = "ct.completed"
		out, err = s.app.Contracts.Complete(c.ctx(), c.p, id, v)
	} else {
		out, err = s.app.Contracts.Start(c.ctx(), c.p, id, v)
	}
	if err != nil {
		return c.processFailed(err, "/contracts/"+id)
	}
	return c.processDone(c.T(key, "number", out.Str("number")), "/contracts/"+id)
}

func (s *Server) terminateContract(c *rc) error {
	id, err := contractID(c)
	if err != nil {
		return err
	}
	_ = c.r.ParseForm()
	out, err := s.app.Contracts.Terminate(c.ctx(), c.p, id, formVersion(c.r.PostForm), c.r.PostForm.Get("reason"))
	if err != nil {
		return s.contractFailed(c, err, id, dlgTerminate, []string{"reason"})
	}
	return c.processDone(c.T("ct.terminated", "number", out.Str("number")), "/contracts/"+id)
}

// planPage is the payment plan editor of a draft contract.
type planPage struct {
	*base
	ID, Number, Amount, Currency, Sum, Diff string
	Version                                 int64
	Rows                                    []planEditRow
	Errors                                  []string
	Percents, Days, From                    string
	ProposeErr                              string
	Proposed                                bool
	Back                                    string
}

type planEditRow struct {
	N                                   int
	Label                               string
	Kinds                               []option
	Due, Amount, Condition              string
	KindErr, DueErr, AmountErr, CondErr string
}

// planRows is how many rows the editor offers beyond the plan's.
const planSpare = 2

func (s *Server) newPlanPage(c *rc, id string) (*planPage, *contracts.Plan, error) {
	pl, err := s.app.Contracts.Plan(c.ctx(), c.p, id)
	if err != nil {
		return nil, nil, err
	}
	rec := pl.Contract
	if rec.Str("status") != crm.ContractDraft {
		return nil, nil, crm.CheckContractStep(rec.Str("status"), crm.CtStepPlan)
	}
	ce := c.schema.Entity("contract")
	pp := &planPage{base: c.newBase(c.T("ct.plan_edit_title", "number", rec.Str("number")), ce.Resource), ID: rec.ID(), Number: rec.Str("number"),
		Amount: entity.FormatMoney(rec.Int("amount")), Currency: rec.Str("currency"), Version: rec.Version(), Back: "/contracts/" + rec.ID(),
		Percents: "30/60/10", Days: "0/90/365", From: firstNonEmpty(rec.Str("signed_on"), time.Now().In(s.app.Loc).Format(entity.DateLayout))}
	pp.Crumbs = []link{{Text: ce.Plural.In(c.L), Href: "/contracts"}, {Text: rec.Str("number"), Href: pp.Back}, {Text: c.T("ct.plan")}}
	return pp, pl, nil
}

// setRows fills the editor's rows from values, with spare empty rows.
func (c *rc) setPlanRows(pp *planPage, rows []crm.PlanRow) {
	pp.Rows = nil
	ie := c.schema.Entity("payment_instalment")
	for i := 0; i < len(rows)+planSpare; i++ {
		r := crm.PlanRow{}
		if i < len(rows) {
			r = rows[i]
		}
		row := planEditRow{N: i, Label: c.T("ct.row_n", "n", i+1), Due: r.DueDate, Condition: r.Condition,
			Kinds: append([]option{{Value: "", Label: c.T("form.choose")}}, c.selectOptions(ie.Field("kind"), r.Kind)...)}
		if r.Amount != 0 {
			row.Amount = strings.ReplaceAll(entity.FormatMoney(r.Amount), ",", "")
		}
		pp.Rows = append(pp.Rows, row)
	}
	var sum int64
	for _, r := range rows {
		sum += r.Amount
	}
	pp.Sum = entity.FormatMoney(sum)
}

func (s *Server) planEditor(c *rc) error {
	id, err := contractID(c)
	if err != nil {
		return err
	}
	pp, pl, err := s.newPlanPage(c, id)
	if err != nil {
		return c.processFailed(err, "/contracts/"+id)
	}
	var rows []crm.PlanRow
	for _, r := range pl.Instalments {
		rows = append(rows, crm.PlanRow{Kind: r.Str("kind"), DueDate: r.Str("due_date"), Amount: r.Int("amount"), Condition: r.Str("condition")})
	}
	c.setPlanRows(pp, rows)
	return c.render(http.StatusOK, "contract_plan", pp)
}

// readPlanForm reads the editor's rows, skipping empty ones; index maps
// each row read to its row on the page.
func readPlanForm(f url.Values) (rows []crm.PlanRow, index []int, bad map[int]string) {
	n, _ := strconv.Atoi(f.Get("rows"))
	n = min(max(n, 0), crm.MaxInstalments+planSpare)
	bad = map[int]string{}
	for i := 0; i < n; i++ {
		k := strconv.Itoa(i)
		kind, due, amt, cond := strings.TrimSpace(f.Get("kind_"+k)), strings.TrimSpace(f.Get("due_"+k)), strings.TrimSpace(f.Get("amount_"+k)), strings.TrimSpace(f.Get("condition_"+k))
		if kind == "" && due == "" && amt == "" && cond == "" {
			continue
		}
		r := crm.PlanRow{Kind: kind, DueDate: due, Condition: cond}
		if amt != "" {
			v, ok := entity.ParseMoney(amt)
			if !ok {
				bad[i] = "invalid_money"
			}
			r.Amount = v
		}
		rows = append(rows, r)
		index = append(index, i)
	}
	return rows, index, bad
}

var planFieldRE = regexp.MustCompile(`^instalments\[(\d+)\]\.([a-z_]+)$`)

func (s *Server) planSave(c *rc) error {
	id, err := contractID(c)
	if err != nil {
		return err
	}
	if err := c.r.ParseForm(); err != nil {
		return errs.New(errs.Invalid, "validation")
	}
	f := c.r.PostForm
	rows, index, bad := readPlanForm(f)
	if len(bad) == 0 {
		_, err = s.app.Contracts.ReplacePlan(c.ctx(), c.p, id, formVersion(f), rows)
		if err == nil {
			return c.processDone(c.T("ct.plan_saved"), "/contracts/"+id+"#plan")
		}
		if k := errs.KindOf(err); k == errs.NotFound || k == errs.Forbidden || k == errs.Internal {
			return err
		}
		if errs.KindOf(err) == errs.Conflict || errs.CodeOf(err) == "contract_locked" {
			return c.processFailed(err, "/contracts/"+id)
		}
	}
	pp, pl, perr := s.newPlanPage(c, id)
	if perr != nil {
		return c.processFailed(perr, "/contracts/"+id)
	}
	if len(bad) > 0 {
		// Say every other problem of the rows at once too.
		if err = crm.CheckPlan(pl.Contract.Int("amount"), rows); errs.CodeOf(err) != "validation" {
			err = nil
		}
	}
	pp.Version = formVersion(f)
	// The rows as they were typed, where they were typed.
	n, _ := strconv.Atoi(f.Get("rows"))
	n = min(max(n, 0), crm.MaxInstalments+planSpare)
	ie := c.schema.Entity("payment_instalment")
	pp.Rows = nil
	for i := 0; i < n; i++ {
		k := strconv.Itoa(i)
		pp.Rows = append(pp.Rows, planEditRow{N: i, Label: c.T("ct.row_n", "n", i+1), Due: f.Get("due_" + k), Amount: f.Get("amount_" + k), Condition: f.Get("condition_" + k),
			Kinds: append([]option{{Value: "", Label: c.T("form.choose")}}, c.selectOptions(ie.Field("kind"), f.Get("kind_"+k))...)})
	}
	pp.Sum = entity.FormatMoney(crm.PlanSum(rows))
	amountLabel := ie.Field("amount").Label.In(c.L)
	for pos, code := range bad {
		if pos < len(pp.Rows) {
			pp.Rows[pos].AmountErr = httpx.FieldMessage(c.L, errs.FieldError{Field: "amount", Code: code}, amountLabel)
		}
	}
	nbad := len(bad)
	if e := errs.As(err); e != nil {
		for _, fe := range e.Fields {
			m := planFieldRE.FindStringSubmatch(fe.Field)
			fe.Args = c.localArgs(fe.Args)
			if m == nil {
				pp.Errors = append(pp.Errors, c.fieldText(ie, fe))
				continue
			}
			label := m[2]
			if fd := ie.Field(m[2]); fd != nil {
				label = fd.Label.In(c.L)
			}
			msg := httpx.FieldMessage(c.L, fe, label)
			j, _ := strconv.Atoi(m[1])
			if j >= len(index) || index[j] >= len(pp.Rows) {
				pp.Errors = append(pp.Errors, msg)
				continue
			}
			row := &pp.Rows[index[j]]
			var slot *string
			switch m[2] {
			case "kind":
				slot = &row.KindErr
			case "due_date":
				slot = &row.DueErr
			case "amount":
				slot = &row.AmountErr
			default:
				slot = &row.CondErr
			}
			if *slot == "" {
				*slot = msg
				nbad++
			}
		}
		if e.Code != "validation" {
			pp.Errors = append(pp.Errors, c.errText(err))
		}
	}
	if nbad > 0 {
		pp.Errors = append([]string{c.T("form.fix_errors", "n", nbad)}, pp.Errors...)
	}
	status := http.StatusUnprocessableEntity
	if err != nil {
		status = httpStatus(err)
	}
	return c.render(status, "contract_plan", pp)
}

// planPropose fills the editor with a plan proposed from percentages
// (not saved until the person saves it).
func (s *Server) planPropose(c *rc) error {
	id, err := contractID(c)
	if err != nil {
		return err
	}
	_ = c.r.ParseForm()
	f := c.r.PostForm
	pp, pl, err := s.newPlanPage(c, id)
	if err != nil {
		return c.processFailed(err, "/contracts/"+id)
	}
	pp.Percents, pp.Days, pp.From = f.Get("percents"), f.Get("days"), f.Get("from")
	var current []crm.PlanRow
	for _, r := range pl.Instalments {
		current = append(current, crm.PlanRow{Kind: r.Str("kind"), DueDate: r.Str("due_date"), Amount: r.Int("amount"), Condition: r.Str("condition")})
	}
	bps, err := crm.ParsePercents(pp.Percents)
	var parts []crm.PlanPart
	if err == nil {
		days := strings.FieldsFunc(pp.Days, func(r rune) bool { return r == '/' || r == ',' || r == '，' || r == ' ' || r == '、' })
		for i, bp := range bps {
			d := 0
			if i < len(days) {
				if d, err = strconv.Atoi(days[i]); err != nil {
					err = errs.Validation([]errs.FieldError{{Field: "days", Code: "invalid_integer"}})
					break
				}
			}
			parts = append(parts, crm.PlanPart{PercentBP: bp, Days: d})
		}
	}
	var rows []crm.PlanRow
	if err == nil {
		rows, err = s.app.Contracts.ProposePlan(c.ctx(), c.p, id, pp.From, parts)
	}
	if err != nil {
		if k := errs.KindOf(err); k == errs.NotFound || k == errs.Forbidden || k == errs.Internal {
			return err
		}
		pp.ProposeErr = c.planErrText(err)
		c.setPlanRows(pp, current)
		return c.render(http.StatusUnprocessableEntity, "contract_plan", pp)
	}
	pp.Proposed = true
	c.setPlanRows(pp, rows)
	return c.render(http.StatusOK, "contract_plan", pp)
}

// planErrText names a proposal's problem for people.
func (c *rc) planErrText(err error) string {
	e := errs.As(err)
	if e == nil || e.Code != "validation" || len(e.Fields) == 0 {
		return c.errText(err)
	}
	fe := e.Fields[0]
	label := c.T("ct.percents")
	switch {
	case fe.Field == "from":
		label = c.T("ct.from")
	case fe.Field == "days" || strings.HasSuffix(fe.Field, ".days"):
		label = c.T("ct.days")
	}
	fe.Args = c.localArgs(fe.Args)
	return httpx.FieldMessage(c.L, fe, label)
}

// handoverView is what the hand-over's partials show.
type handoverView struct {
	T           func(string, ...any) string
	ID          string
	Title       string
	Version     int64
	VersionNo   int64
	Current     bool
	Notice      string
	Print       string
	Recipients  []recipientRow
	Ack         *dialogForm
	Versions    []hoVersion
	Contract    link
	Customer    string
	SignedOn    string
	Amount      string
	Plan        []planRow
	Needs       []dlItem
	Solution    *link
	Highlights  string
	Promises    []promiseRow
	Others      []string
	Special     string
	Contacts    []hoContact
	Competitors []hoCompetitor
	Risks       []string
	Notes       string
	Generated   string
	PrintMode   bool
}

type recipientRow struct {
	Name, Role, At, Comment string
	State                   cell
}

type hoVersion struct {
	Label, Href, At, By string
	Current, Shown      bool
}

type promiseRow struct {
	Source, Label, Text string
}

type hoContact struct {
	Name, Href, Title, Role, Attitude, Notes string
	Phone                                    cell
	Primary, Signer                          bool
}

type hoCompetitor struct {
	Name, Threat, Price, Strengths, Weaknesses string
}

// handoverReport builds the readable report of a version.
func (s *Server) handoverReport(c *rc, id string, versionNo int64) (*handoverView, *contracts.Report, error) {
	rp, err := s.app.Contracts.Report(c.ctx(), c.p, id, versionNo)
	if err != nil {
		return nil, nil, err
	}
	h := rp.Handover
	he := c.schema.Entity("handover")
	v := &handoverView{T: c.T, ID: h.ID(), Title: h.Str("title"), Version: h.Version(), VersionNo: rp.VersionNo, Current: rp.Current,
		Print: "/handovers/" + h.ID() + "/print", SignedOn: rp.Sections.Contract.SignedOn, Generated: c.fmtTime(h.Time("created_at"))}
	if !rp.Current {
		v.Notice = c.T("ho.viewing_old", "n", rp.VersionNo, "current", h.Int("version_no"))
		v.Print += "?version_no=" + strconv.FormatInt(rp.VersionNo, 10)
	}
	sec := rp.Sections
	v.Contract = link{Text: sec.Contract.Number + " " + sec.Contract.Title, Href: "/contracts/" + sec.Contract.ID}
	v.Amount = entity.FormatMoney(sec.Contract.Amount) + " " + sec.Contract.Currency
	ie := c.schema.Entity("payment_instalment")
	for _, r := range sec.Contract.Plan {
		v.Plan = append(v.Plan, planRow{Label: r.Label, Kind: c.schema.OptionLabel(ie.Field("kind"), r.Kind, c.L), Due: r.DueDate, Amount: entity.FormatMoney(r.Amount), Condition: r.Condition})
	}
	if t, err := s.app.Records.Titles(c.ctx(), c.p, "customer", []string{h.Str("customer_id")}); err == nil {
		v.Customer = t[h.Str("customer_id")]
	}
	for _, name := range []string{"business_scenario", "pain_points", "budget_range", "decision_process", "decision_timeline", "explicit_needs", "latent_needs"} {
		f := he.Field(name)
		v.Needs = append(v.Needs, dlItem{Label: f.Label.In(c.L), Cell: c.cell(f, rp.Content[name], &refs{}), Wide: f.Kind == entity.LongText})
	}
	if sec.Solution != nil {
		v.Solution = &link{Text: sec.Solution.Title + " · " + c.T("ho.version_n", "n", sec.Solution.VersionNo), Href: "/solutions/" + sec.Solution.ID}
	}
	v.Highlights, v.Special, v.Notes = rp.Content.Str("solution_highlights"), rp.Content.Str("special_requirements"), rp.Content.Str("notes")
	for _, p := range sec.Promises {
		src := c.schema.Entity(p.Source)
		row := promiseRow{Label: crm.PromiseLabel(p, c.L), Text: p.Text}
		if src != nil {
			row.Source = src.Label.In(c.L) + " " + p.Number
		}
		v.Promises = append(v.Promises, row)
	}
	v.Others = crm.Paragraphs(rp.Content.Str("other_promises"))
	var cids []string
	for _, ct := range sec.Contacts {
		cids = append(cids, ct.ContactID)
	}
	live := map[string]entity.Record{}
	if len(cids) > 0 {
		ce := c.schema.Entity("contact")
		page, err := s.app.Records.List(c.ctx(), c.p, "contact", entity.Query{Sort: ce.Field("name"), Limit: 200, Conds: []entity.Cond{{Field: ce.Field("id"), Op: entity.In, Values: anyList(cids)}}})
		if err == nil {
			for _, r := range page.Items {
				live[r.ID()] = r
			}
		}
	}
	oce := c.schema.Entity("opportunity_contact")
	ce := c.schema.Entity("contact")
	for _, ct := range sec.Contacts {
		row := hoContact{Name: ct.Name, Title: ct.Title, Role: c.schema.OptionLabel(oce.Field("role"), ct.Role, c.L), Attitude: c.schema.OptionLabel(oce.Field("attitude"), ct.Attitude, c.L),
			Notes: ct.Notes, Primary: ct.Primary, Signer: ct.Signer}
		if ct.Role == "" {
			row.Role = ""
		}
		if r, ok := live[ct.ContactID]; ok {
			row.Href = "/contacts/" + r.ID()
			row.Phone = c.cell(ce.Field("phone"), r["phone"], &refs{})
		}
		v.Contacts = append(v.Contacts, row)
	}
	occ := c.schema.Entity("opportunity_competitor")
	for _, cp := range sec.Competitors {
		v.Competitors = append(v.Competitors, hoCompetitor{Name: cp.Name, Threat: c.schema.OptionLabel(occ.Field("threat"), cp.Threat, c.L),
			Price: c.schema.OptionLabel(occ.Field("price_position"), cp.PricePosition, c.L), Strengths: cp.Strengths, Weaknesses: cp.Weaknesses})
	}
	for _, r := range sec.Risks {
		v.Risks = append(v.Risks, crm.RiskText(r, c.L))
	}
	v.Risks = append(v.Risks, crm.Paragraphs(rp.Content.Str("risks"))...)
	ae := c.schema.Entity("handover_ack")
	for _, r := range rp.Recipients {
		row := recipientRow{Name: r.Name, Role: c.schema.OptionLabel(ae.Field("role"), r.Role, c.L), Comment: r.Comment}
		switch {
		case r.Acknowledged:
			row.State = cell{Text: c.T("ho.ack_done", "n", r.LastVersion), Badge: "badge-success"}
		case r.LastVersion > 0:
			row.State = cell{Text: c.T("ho.ack_old", "n", r.LastVersion), Badge: "badge-warning"}
		default:
			row.State = cell{Text: c.T("ho.ack_waiting"), Badge: "badge-warning"}
		}
		if r.AcknowledgedAt != nil {
			row.At = c.fmtTime(*r.AcknowledgedAt)
		}
		v.Recipients = append(v.Recipients, row)
	}
	var editors []string
	for _, ver := range rp.Versions {
		editors = append(editors, ver.EditedBy)
	}
	names, _ := s.app.Customers.UserNames(c.ctx(), uniqStrings(editors))
	for _, ver := range rp.Versions {
		hv := hoVersion{Label: c.T("ho.version_n", "n", ver.VersionNo), At: c.fmtTime(ver.EditedAt), By: names[ver.EditedBy],
			Current: ver.VersionNo == h.Int("version_no"), Shown: ver.VersionNo == rp.VersionNo, Href: "/handovers/" + h.ID()}
		if !hv.Current {
			hv.Href += "?version_no=" + strconv.FormatInt(ver.VersionNo, 10)
		}
		v.Versions = append(v.Versions, hv)
	}
	return v, rp, nil
}

func anyList(ids []string) []any {
	out := make([]any, len(ids))
	for i, id := range ids {
		out[i] = id
	}
	return out
}

// extendHandover shows the report (of the version asked for), who
// acknowledged what, and the acknowledgement for its recipients.
func (s *Server) extendHandover(c *rc, rec entity.Record, dp *detailPage) error {
	var n int64
	if q := c.r.URL.Query().Get("version_no"); q != "" {
		n, _ = strconv.ParseInt(q, 10, 64)
	}
	v, rp, err := s.handoverReport(c, rec.ID(), n)
	if err != nil {
		return err
	}
	role := crm.Recipients(rec.Str("delivery_owner_id"), rec.Str("service_owner_id"))[c.p.UserID]
	acked := false
	for _, r := range rp.Recipients {
		if r.UserID == c.p.UserID && r.Acknowledged {
			acked = true
		}
	}
	if role != "" && !acked && v.Current && !c.p.ReadOnly {
		v.Ack = &dialogForm{ID: dlgAck, Title: c.T("ho.ack"), Button: c.T("ho.ack"), Action: "/handovers/" + rec.ID() + "/acknowledge",
			Submit: c.T("ho.ack_submit"), Hint: c.T("ho.ack_hint", "n", rec.Int("version_no")), Version: rec.Version(),
			Fields: []formField{{ID: "ho-comment", Name: "comment", Label: c.T("ho.comment"), Kind: "textarea", Wide: true, MaxLen: 2000}}}
		v.Ack.apply(c.formStateOf(dlgAck))
	}
	// The report shows the content; the fields card keeps what frames it.
	var keep []dlItem
	content := map[string]bool{}
	he := c.schema.Entity("handover")
	for _, name := range crm.HandoverContentFields {
		content[he.Field(name).Label.In(c.L)] = true
	}
	for _, it := range dp.Fields {
		if !content[it.Label] {
			keep = append(keep, it)
		}
	}
	dp.Fields = keep
	actions, err := c.partial("ho_actions", v)
	if err != nil {
		return err
	}
	top, err := c.partial("ho_top", v)
	if err != nil {
		return err
	}
	report, err := c.partial("ho_report", v)
	if err != nil {
		return err
	}
	dp.Actions = append(dp.Actions, actions)
	dp.Top = append(dp.Top, top, report)
	return nil
}

// handoverPrint is the report alone, laid out for paper.
func (s *Server) handoverPrint(c *rc) error {
	id := strings.ToLower(c.r.PathValue("id"))
	if !entity.LooksLikeID(id) {
		return errs.NotFoundf("handover")
	}
	var n int64
	if q := c.r.URL.Query().Get("version_no"); q != "" {
		n, _ = strconv.ParseInt(q, 10, 64)
	}
	v, _, err := s.handoverReport(c, id, n)
	if err != nil {
		return err
	}
	v.PrintMode = true
	type page struct {
		*base
		Report *handoverView
	}
	p := page{base: c.newBase(v.Title, "handovers"), Report: v}
	p.Crumbs = []link{{Text: c.schema.Entity("handover").Plural.In(c.L), Href: "/handovers"}, {Text: v.Title, Href: "/handovers/" + id}}
	return c.render(http.StatusOK, "handover_print", p)
}

func (s *Server) acknowledgeHandover(c *rc) error {
	id := strings.ToLower(c.r.PathValue("id"))
	if !entity.LooksLikeID(id) {
		return errs.NotFoundf("handover")
	}
	_ = c.r.ParseForm()
	out, err := s.app.Contracts.Acknowledge(c.ctx(), c.p, id, formVersion(c.r.PostForm), c.r.PostForm.Get("comment"))
	if err != nil {
		st, ok := c.refusedForm(err, dlgAck, c.r.PostForm, []string{"comment"}, func(string) string { return c.T("ho.comment") }, nil)
		if ok && errs.CodeOf(err) == "validation" {
			c.withFormState(st)
			return s.showDetail(c, c.schema.Entity("handover"), id, httpStatus(err), nil)
		}
		return c.processFailed(err, "/handovers/"+id)
	}
	return c.processDone(c.T("ho.acked", "n", out.Int("version_no")), "/handovers/"+id)
}

// homeHandovers lists on the home page the hand-overs waiting for the
// user's acknowledgement.
func (s *Server) homeHandovers(c *rc, hp *homePage) error {
	items, err := s.app.Contracts.Pending(c.ctx(), c.p, 20)
	if err != nil || len(items) == 0 {
		return err
	}
	he := c.schema.Entity("handover")
	rf := c.collectRefs([]*entity.Field{he.Field("customer_id"), he.Field("contract_id")}, items...)
	card := struct {
		T    func(string, ...any) string
		Rows []homeHandoverRow
		All  string
	}{T: c.T, All: "/handovers?ack_status=pending&ack_status=partly"}
	for _, h := range items {
		row := homeHandoverRow{Href: "/handovers/" + h.ID(), Title: h.Str("title"), Customer: c.cell(he.Field("customer_id"), h["customer_id"], rf),
			Version: c.T("ho.version_n", "n", h.Int("version_no")), Since: h.Str("signed_on"), Revised: h.Int("version_no") > 1}
		role := crm.Recipients(h.Str("delivery_owner_id"), h.Str("service_owner_id"))[c.p.UserID]
		row.Role = c.schema.OptionLabel(c.schema.Entity("handover_ack").Field("role"), role, c.L)
		card.Rows = append(card.Rows, row)
	}
	html, err := c.partial("ho_home", card)
	if err != nil {
		return err
	}
	hp.Cards = append(hp.Cards, html)
	return nil
}

type homeHandoverRow struct {
	Href, Title, Version, Since, Role string
	Customer                          cell
	Revised                           bool
}

// customerHandovers lists the customer's hand-overs beside its record:
// what sales handed to delivery and after-sales.
func (s *Server) customerHandovers(c *rc, rec entity.Record, dp *detailPage) error {
	he := c.schema.Entity("handover")
	if he == nil || c.p.Perm(he.Name).Read == access.None {
		return nil
	}
	page, err := s.app.Records.List(c.ctx(), c.p, he.Name, entity.Query{Sort: he.Field("created_at"), Desc: true, Limit: 10,
		Conds: []entity.Cond{{Field: he.Field("customer_id"), Op: entity.Eq, Values: []any{rec.ID()}}}})
	if err != nil {
		return err
	}
	if len(page.Items) == 0 {
		return nil
	}
	card := sideCard{T: c.T, ID: "handovers", Title: he.Plural.In(c.L), Empty: c.T("ho.none"),
		ViewAll: "/handovers?customer_id=" + rec.ID(), ViewAllTxt: c.T("ho.all_of_customer")}
	for _, h := range page.Items {
		card.Rows = append(card.Rows, sideRow{Href: "/handovers/" + h.ID(), Title: h.Str("signed_on") + " · " + c.T("ho.version_n", "n", h.Int("version_no")),
			Tag: c.schema.OptionLabel(he.Field("ack_status"), h.Str("ack_status"), c.L), Accent: h.Str("ack_status") != crm.AckAcknowledged})
	}
	html, err := c.partial("side_card", card)
	if err != nil {
		return err
	}
	dp.Side = append(dp.Side, html)
	return nil
}

// opportunityContracts lists the deal's contracts and what happened to
// them (created, signed, hand-over written and acknowledged …).
func (s *Server) opportunityContracts(c *rc, rec entity.Record, dp *detailPage) error {
	ce := c.schema.Entity("contract")
	if ce == nil || c.p.Perm(ce.Name).Read == access.None {
		return nil
	}
	page, err := s.app.Records.List(c.ctx(), c.p, ce.Name, entity.Query{Sort: ce.Field("created_at"), Desc: true, Limit: 10,
		Conds: []entity.Cond{{Field: ce.Field("opportunity_id"), Op: entity.Eq, Values: []any{rec.ID()}}}})
	if err != nil {
		return err
	}
	if len(page.Items) == 0 {
		if c.p.Perm(ce.Name).Create && rec.Str("status") != "lost" {
			dp.Actions = append(dp.Actions, template.HTML(`<a class="btn" href="`+template.HTMLEscapeString("/contracts/new?"+url.Values{
				"opportunity_id": {rec.ID()}, "customer_id": {rec.Str("customer_id")}, "title": {rec.Str("name")}}.Encode())+`">`+template.HTMLEscapeString(c.T("ct.new_for_deal"))+`</a>`))
		}
		return nil
	}
	card := struct {
		T      func(string, ...any) string
		Title  string
		Rows   []sideRow
		Events []tlItem
		All    string
	}{T: c.T, Title: ce.Plural.In(c.L), All: "/contracts?opportunity_id=" + rec.ID()}
	for _, r := range page.Items {
		card.Rows = append(card.Rows, sideRow{Href: "/contracts/" + r.ID(), Title: r.Str("number") + " " + r.Str("title"),
			Tag: c.schema.OptionLabel(ce.Field("status"), r.Str("status"), c.L), Note: entity.FormatMoney(r.Int("amount")) + " " + r.Str("currency")})
	}
	evs, err := s.app.Contracts.OpportunityEvents(c.ctx(), c.p, rec.ID(), 20)
	if err != nil {
		return err
	}
	var actors []string
	for _, ev := range evs {
		actors = append(actors, ev.ActorID)
	}
	names, _ := s.app.Customers.UserNames(c.ctx(), uniqStrings(actors))
	for _, ev := range evs {
		args := []any{}
		for k, v := range ev.Data {
			if s, ok := v.(string); ok {
				args = append(args, k, s)
			}
		}
		it := tlItem{ISO: ev.At.UTC().Format(time.RFC3339), Time: c.fmtTime(ev.At), Actor: names[ev.ActorID], Title: c.T("tl."+ev.Kind, args...)}
		if e := c.schema.Entity(ev.Entity); e != nil {
			it.TitleHref = basePath(e) + "/" + ev.RecordID
		}
		if n, _ := ev.Data["note"].(string); n != "" {
			it.Body = n
		}
		card.Events = append(card.Events, it)
	}
	html, err := c.partial("ct_deal", card)
	if err != nil {
		return err
	}
	dp.Panels = append(dp.Panels, html)
	return nil
}

// quoteContract offers to make a contract of an accepted quote, or links
// to the one made.
func (s *Server) quoteContract(c *rc, rec entity.Record, dp *detailPage) error {
	ce := c.schema.Entity("contract")
	if ce == nil || c.p.Perm(ce.Name).Read == access.None {
		return nil
	}
	page, err := s.app.Records.List(c.ctx(), c.p, ce.Name, entity.Query{Sort: ce.Field("created_at"), Desc: true, Limit: 1,
		Conds: []entity.Cond{{Field: ce.Field("quote_id"), Op: entity.Eq, Values: []any{rec.ID()}}}})
	if err != nil {
		return err
	}
	if len(page.Items) > 0 {
		ct := page.Items[0]
		dp.Actions = append(dp.Actions, template.HTML(fmt.Sprintf(`<a class="btn" href="/contracts/%s">%s</a>`, ct.ID(),
			template.HTMLEscapeString(c.T("ct.open_contract", "number", ct.Str("number"))))))
		return nil
	}
	if rec.Str("status") == crm.QuoteAccepted && c.p.Perm(ce.Name).Create && !c.p.ReadOnly {
		dp.Actions = append(dp.Actions, template.HTML(fmt.Sprintf(`<form method="post" action="/quotes/%s/contract"><button class="btn btn-primary" type="submit">%s</button></form>`,
			rec.ID(), template.HTMLEscapeString(c.T("ct.from_quote")))))
	}
	return nil
}
