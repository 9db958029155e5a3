package web

import (
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"closeloop/internal/access"
	"closeloop/internal/api"
	"closeloop/internal/crm"
	"closeloop/internal/entity"
	"closeloop/internal/errs"
	"closeloop/internal/finance"
	"closeloop/internal/sheet"
)

// Finance pages: the receivables ageing (账龄) with its chart and
// downloads; on a contract its plan with what was invoiced and received,
// its invoices and payments, and the dialogs to issue an invoice and to
// record a payment; void on an invoice, reverse and allocate on a
// payment; the receivables of a customer and the money of an opportunity
// in side cards. Every step calls the finance service the API calls.

func init() {
	areaRoutes = append(areaRoutes, func(s *Server, m *http.ServeMux) {
		m.HandleFunc("GET /reports/receivables", s.page(s.receivables))
		m.HandleFunc("POST /reports/receivables/settings", s.page(s.receivableSettings))
		m.HandleFunc("POST /contracts/{id}/invoices", s.page(s.issueInvoice))
		m.HandleFunc("POST /contracts/{id}/payments", s.page(s.recordPayment))
		m.HandleFunc("POST /invoices/{id}/void", s.page(s.voidInvoice))
		m.HandleFunc("POST /payments/{id}/reverse", s.page(s.reversePayment))
		m.HandleFunc("POST /payments/{id}/allocate", s.page(s.allocateCredit))
	})
	onDetail("contract", (*Server).contractFinance)
	onDetail("invoice", (*Server).extendInvoice)
	onDetail("payment", (*Server).extendPayment)
	onDetail("customer", (*Server).customerReceivables)
	onDetail("opportunity", (*Server).opportunityFinance)
	for code, tone := range map[string]string{crm.InvoiceIssued: "badge-success", crm.InvoiceVoided: "badge-muted",
		crm.PaymentReceived: "badge-success", crm.PaymentReversed: "badge-muted", crm.InstalmentPaid: "badge-success", crm.InstalmentPartly: "badge-warning"} {
		tones[code] = tone
	}
}

// The dialogs of the finance steps.
const (
	dlgInvoice = "dlg-fin-invoice"
	dlgPayment = "dlg-fin-payment"
	dlgVoid    = "dlg-fin-void"
	dlgReverse = "dlg-fin-reverse"
)

// money shows an amount of a record in its currency.
func money(r entity.Record, field string) string {
	cur := r.Str("currency")
	if cur == "" {
		cur = "CNY"
	}
	return moneyText(cur, r.Int(field))
}

// --- The receivables page ------------------------------------------------

type recvRow struct {
	Name, Href, Currency                    string
	Bands                                   []string
	Due, Overdue, Outstanding, OverdueCount string
	HasOverdue, Old                         bool
}

type recvPage struct {
	*base
	AsOf, Group                 string
	Groups, Owners, Teams       []option
	Customer, CustomerTitle     string
	Bands                       []string
	Rows, Totals                []recvRow
	More                        int
	Chart                       string
	CSV, XLSX, Overdue          string
	Errors                      []string
	FirstCol                    string
	RemindDays                  int
	CanSetDays, CanExport, Show bool
}

func (c *rc) recvRow(r finance.AgeingRow, group string) recvRow {
	name := r.Name
	if name == "" {
		name = c.T("fin.unassigned")
	}
	row := recvRow{Name: name, Currency: r.Currency, Due: moneyText(r.Currency, r.Due), Overdue: moneyText(r.Currency, r.Overdue),
		Outstanding: moneyText(r.Currency, r.Outstanding), OverdueCount: formatInt(int(r.OverdueCount)), HasOverdue: r.Overdue > 0, Old: r.Over90 > 0}
	for _, v := range r.Bands() {
		row.Bands = append(row.Bands, moneyText(r.Currency, v))
	}
	if r.Key != "" {
		switch group {
		case finance.GroupCustomer:
			row.Href = "/customers/" + r.Key
		case finance.GroupOwner:
			row.Href = "/reports/receivables?" + url.Values{"owner_id": {r.Key}}.Encode()
		case finance.GroupTeam:
			row.Href = "/reports/receivables?" + url.Values{"team_id": {r.Key}, "group": {finance.GroupOwner}}.Encode()
		}
	}
	return row
}

// receivables is the ageing page; ?format=csv|xlsx downloads every row.
func (s *Server) receivables(c *rc) error {
	if c.p.Perm("payment_instalment").Read == access.None {
		return errs.Denied()
	}
	q := c.r.URL.Query()
	f, err := api.AgeingFilter(q, "format")
	rp := &recvPage{base: c.newBase(c.T("nav.receivables"), "receivables"), AsOf: f.AsOf, Group: f.Group, Customer: f.CustomerID,
		CanSetDays: c.p.IsAdmin(), CanExport: c.p.Perm("payment_instalment").Export}
	rp.Charts = true
	for _, b := range crm.AgeBands {
		rp.Bands = append(rp.Bands, b.Label.In(c.L))
	}
	if err == nil {
		if format := q.Get("format"); format != "" {
			var buf strings.Builder
			if err := s.app.Finance.ExportAgeing(c.ctx(), c.p, f, sheet.Format(format), c.L, &buf); err != nil {
				return err
			}
			asOf := f.AsOf
			if asOf == "" {
				asOf = time.Now().In(s.app.Loc).Format(entity.DateLayout)
			}
			api.WriteDownload(c.w, "receivables-"+asOf+"."+format, sheet.Format(format), []byte(buf.String()))
			return nil
		}
	}
	var a finance.Ageing
	if err == nil {
		a, err = s.app.Finance.Ageing(c.ctx(), c.p, f)
	}
	status := http.StatusOK
	if err != nil {
		if errs.KindOf(err) != errs.Invalid {
			return err
		}
		for _, fe := range fieldErrors(err) {
			rp.Errors = append(rp.Errors, c.fieldText(nil, fe))
		}
		status = httpStatus(err)
		f = finance.AgeingFilter{}
		if a, err = s.app.Finance.Ageing(c.ctx(), c.p, f); err != nil {
			return err
		}
	}
	rp.AsOf, rp.Group, rp.More = a.AsOf, a.Group, a.More
	rp.FirstCol = c.T(map[string]string{finance.GroupCustomer: "fin.col.customer", finance.GroupOwner: "fin.col.owner", finance.GroupTeam: "fin.col.team"}[a.Group])
	for _, g := range []string{finance.GroupCustomer, finance.GroupOwner, finance.GroupTeam} {
		rp.Groups = append(rp.Groups, option{Value: g, Label: c.T("fin.group." + g), Selected: g == a.Group})
	}
	rp.Owners = c.activeUsers()
	for i := range rp.Owners {
		rp.Owners[i].Selected = rp.Owners[i].Value == f.OwnerID
	}
	if rp.Teams, err = s.teamOptions(c, f.TeamID); err != nil {
		return err
	}
	if f.CustomerID != "" {
		if t, err := s.app.Records.Titles(c.ctx(), c.p, "customer", []string{f.CustomerID}); err == nil {
			rp.CustomerTitle = t[f.CustomerID]
		}
	}
	for _, r := range a.Rows {
		rp.Rows = append(rp.Rows, c.recvRow(r, a.Group))
	}
	for _, t := range a.Totals {
		t.Name = c.T("fin.total")
		rp.Totals = append(rp.Totals, c.recvRow(t, ""))
	}
	rp.Show = len(rp.Rows) > 0
	// The chart: the most overdue groups (CNY), one stacked bar each.
	var names []string
	series := make([][]float64, len(crm.AgeBands))
	for _, r := range a.Rows {
		if r.Currency != "CNY" || len(names) >= 12 {
			continue
		}
		name := r.Name
		if name == "" {
			name = c.T("fin.unassigned")
		}
		names = append(names, name)
		for i, v := range r.Bands() {
			series[i] = append(series[i], float64(v)/100)
		}
	}
	colours := []string{"#94a3b8", "#60a5fa", "#fbbf24", "#f97316", "#dc2626"}
	var ss []any
	for i, b := range crm.AgeBands {
		ss = append(ss, map[string]any{"name": b.Label.In(c.L), "type": "bar", "stack": "age", "barMaxWidth": 28, "data": series[i],
			"itemStyle": map[string]any{"color": colours[i]}})
	}
	rp.Chart = chartJSON(map[string]any{
		"_fmt":    "money",
		"tooltip": map[string]any{"trigger": "axis"},
		"legend":  map[string]any{"bottom": 0},
		"grid":    map[string]any{"left": 8, "right": 16, "top": 8, "bottom": 32, "containLabel": true},
		"yAxis":   map[string]any{"type": "category", "data": names, "inverse": true, "axisTick": map[string]any{"show": false}},
		"xAxis":   map[string]any{"type": "value"},
		"series":  ss,
	})
	v := c.r.URL.Query()
	v.Set("format", "csv")
	rp.CSV = "/reports/receivables?" + v.Encode()
	v.Set("format", "xlsx")
	rp.XLSX = "/reports/receivables?" + v.Encode()
	ov := url.Values{"status": {crm.InstalmentOpen, crm.InstalmentPartly}, "due_date[lt]": {a.AsOf}, "sort": {"due_date"}}
	if f.CustomerID != "" {
		ov.Set("customer_id", f.CustomerID)
	}
	if f.OwnerID != "" {
		ov.Set("owner_id", f.OwnerID)
	}
	rp.Overdue = "/payment-instalments?" + ov.Encode()
	if rp.CanSetDays {
		if rp.RemindDays, err = s.app.Finance.RemindDays(c.ctx(), s.app.DB.R()); err != nil {
			return err
		}
	}
	return c.render(status, "receivables", rp)
}

// receivableSettings saves the days of warning before a due date.
func (s *Server) receivableSettings(c *rc) error {
	n, err := strconv.Atoi(strings.TrimSpace(c.r.PostFormValue("remind_days")))
	if err != nil {
		n = -1
	}
	if err := s.app.Finance.SetRemindDays(c.ctx(), c.p, n); err != nil {
		return c.processFailed(err, "/reports/receivables")
	}
	return c.processDone(c.T("fin.days_saved", "n", n), "/reports/receivables")
}

// --- The contract's money against its plan --------------------------------

type finDoc struct {
	Href, Number, Date, Amount, Note string
	Status                           cell
}

type contractFinView struct {
	T                                                         func(string, ...any) string
	Invoices, Payments                                        []finDoc
	Planned, Invoiced, Received, Paid, Credit, Outstanding    string
	Overdue                                                   string
	HasOverdue, HasCredit, ShowInvoices, ShowPayments, NoPlan bool
	Dialogs                                                   []*dialogForm
	Receivables                                               string
}

// canFinance reports whether p may record invoices (or payments) on a
// contract in its status.
func canFinance(c *rc, entityName string, contract entity.Record) bool {
	if c.p.ReadOnly || !c.p.Perm(entityName).Create {
		return false
	}
	switch contract.Str("status") {
	case crm.ContractSigned, crm.ContractInExecution, crm.ContractCompleted:
		return true
	case crm.ContractTerminated:
		return entityName == "payment"
	}
	return false
}

// contractFinance shows a contract's invoices and payments against its
// plan (the plan itself, with what is invoiced and received on each
// instalment, is the contracts area's card) and offers to invoice and to
// record a payment.
func (s *Server) contractFinance(c *rc, rec entity.Record, dp *detailPage) error {
	if c.p.Perm("payment_instalment").Read == access.None {
		return nil
	}
	cf, err := s.app.Finance.ContractSummary(c.ctx(), c.p, rec.ID())
	if err != nil {
		return err
	}
	cur := cf.Currency
	v := &contractFinView{T: c.T, Planned: moneyText(cur, cf.Planned), Invoiced: moneyText(cur, cf.Invoiced), Received: moneyText(cur, cf.Received),
		Paid: moneyText(cur, cf.Paid), Credit: moneyText(cur, cf.Credit), Outstanding: moneyText(cur, cf.Outstanding), Overdue: moneyText(cur, cf.Overdue),
		HasOverdue: cf.Overdue > 0, HasCredit: cf.Credit > 0, NoPlan: len(cf.Plan) == 0,
		ShowInvoices: c.p.Perm("invoice").Read != access.None, ShowPayments: c.p.Perm("payment").Read != access.None,
		Receivables: "/reports/receivables?" + url.Values{"customer_id": {rec.Str("customer_id")}}.Encode()}
	ve, pe := c.schema.Entity("invoice"), c.schema.Entity("payment")
	for _, r := range cf.Invoices {
		v.Invoices = append(v.Invoices, finDoc{Href: "/invoices/" + r.ID(), Number: r.Str("number"), Date: r.Str("issue_date"), Amount: money(r, "amount"),
			Status: c.cell(ve.Field("status"), r.Str("status"), nil), Note: c.schema.OptionLabel(ve.Field("kind"), r.Str("kind"), c.L)})
	}
	for _, r := range cf.Payments {
		note := c.schema.OptionLabel(pe.Field("method"), r.Str("method"), c.L)
		if r.Int("unallocated_amount") > 0 && r.Str("status") == crm.PaymentReceived {
			note += c.T("ui.sep") + c.T("fin.credit_of", "amount", money(r, "unallocated_amount"))
		}
		v.Payments = append(v.Payments, finDoc{Href: "/payments/" + r.ID(), Number: r.Str("number"), Date: r.Str("received_on"), Amount: money(r, "amount"),
			Status: c.cell(pe.Field("status"), r.Str("status"), nil), Note: note})
	}
	if len(cf.Plan) > 0 && canFinance(c, "invoice", rec) {
		v.Dialogs = append(v.Dialogs, s.invoiceDialog(c, rec, cf))
	}
	if len(cf.Plan) > 0 && canFinance(c, "payment", rec) {
		v.Dialogs = append(v.Dialogs, s.paymentDialog(c, rec, cf))
	}
	html, err := c.partial("fin_contract", v)
	if err != nil {
		return err
	}
	dp.Panels = append(dp.Panels, html)
	if len(v.Dialogs) > 0 {
		actions, err := c.partial("fin_actions", v)
		if err != nil {
			return err
		}
		dp.Actions = append(dp.Actions, actions)
	}
	return nil
}

// planLabel names an instalment: 第1期 预付款 / No. 1 Advance.
func planLabel(c *rc, it entity.Record) string {
	label := c.schema.OptionLabel(c.schema.Entity("payment_instalment").Field("kind"), it.Str("kind"), c.L)
	return c.T("fin.instalment", "n", it.Int("position"), "label", label)
}

// allocFields are the optional per-instalment amounts of a dialog.
func allocFields(c *rc, cf *finance.ContractFinance, prefix string, left func(entity.Record) int64, hintKey string) []formField {
	var out []formField
	for _, it := range cf.Plan {
		l := left(it)
		if l <= 0 {
			continue
		}
		out = append(out, formField{ID: prefix + it.ID(), Name: "alloc_" + it.ID(), Label: planLabel(c, it) + c.T("ui.paren", "x", it.Str("due_date")),
			Kind: "input", InputType: "text", InputMode: "decimal", MaxLen: 20, Hint: c.T(hintKey, "amount", moneyText(cf.Currency, l))})
	}
	return out
}

func (s *Server) invoiceDialog(c *rc, rec entity.Record, cf *finance.ContractFinance) *dialogForm {
	e := c.schema.Entity("invoice")
	values := url.Values{"kind": {"vat_special"}, "issue_date": {time.Now().In(s.app.Loc).Format(entity.DateLayout)}, "buyer_name": {rec.Str("party_a")}}
	d := &dialogForm{ID: dlgInvoice, Title: c.T("fin.issue"), Button: c.T("fin.issue"), Action: "/contracts/" + rec.ID() + "/invoices",
		Submit: c.T("fin.issue_submit"), Hint: c.T("fin.issue_hint"), Large: true}
	for _, name := range []string{"number", "kind", "amount", "tax_amount", "issue_date", "buyer_name", "buyer_tax_id", "notes"} {
		ff := c.widget(e, e.Field(name), values, "", &refs{})
		ff.ID = "inv-" + name
		if name == "kind" && len(ff.Options) > 0 {
			ff.Options = ff.Options[1:]
		}
		d.Fields = append(d.Fields, ff)
	}
	d.Fields = append(d.Fields, allocFields(c, cf, "inv-a-", func(r entity.Record) int64 { return r.Int("amount") - r.Int("invoiced_amount") }, "fin.alloc_invoice_hint")...)
	d.apply(c.formStateOf(dlgInvoice))
	return d
}

func (s *Server) paymentDialog(c *rc, rec entity.Record, cf *finance.ContractFinance) *dialogForm {
	e := c.schema.Entity("payment")
	payer := rec.Str("party_a")
	values := url.Values{"method": {"bank_transfer"}, "received_on": {time.Now().In(s.app.Loc).Format(entity.DateLayout)}, "payer": {payer}}
	if m := rec.Str("payment_method"); m != "" {
		values.Set("method", m)
	}
	d := &dialogForm{ID: dlgPayment, Title: c.T("fin.record"), Button: c.T("fin.record"), Action: "/contracts/" + rec.ID() + "/payments",
		Submit: c.T("fin.record_submit"), Hint: c.T("fin.record_hint"), Large: true}
	for _, name := range []string{"amount", "received_on", "method", "bank_ref", "payer", "notes"} {
		ff := c.widget(e, e.Field(name), values, "", &refs{})
		ff.ID = "pay-" + name
		if name == "method" && len(ff.Options) > 0 {
			ff.Options = ff.Options[1:]
		}
		d.Fields = append(d.Fields, ff)
	}
	d.Fields = append(d.Fields, allocFields(c, cf, "pay-a-", func(r entity.Record) int64 { return r.Int("amount") - r.Int("paid_amount") }, "fin.alloc_payment_hint")...)
	d.apply(c.formStateOf(dlgPayment))
	return d
}

// financeForm reads a finance dialog: the named fields of e and the
// per-instalment amounts.
func (c *rc) financeForm(e *entity.Entity, names []string) (entity.Record, []crm.Allocation, []errs.FieldError) {
	f := c.r.PostForm
	rec := entity.Record{}
	var bad []errs.FieldError
	for _, name := range names {
		raw := strings.TrimSpace(f.Get(name))
		if raw == "" {
			continue
		}
		v, fe := c.schema.ParseText(e.Field(name), raw)
		if fe != nil {
			bad = append(bad, *fe)
			continue
		}
		rec[name] = v
	}
	var allocs []crm.Allocation
	amount := e.Field("amount")
	for k, vs := range f {
		id, ok := strings.CutPrefix(k, "alloc_")
		if !ok || len(vs) == 0 || strings.TrimSpace(vs[0]) == "" {
			continue
		}
		v, fe := c.schema.ParseText(amount, strings.TrimSpace(vs[0]))
		if fe != nil {
			fe.Field = k
			bad = append(bad, *fe)
			continue
		}
		n, _ := v.(int64)
		allocs = append(allocs, crm.Allocation{InstalmentID: strings.ToLower(id), Amount: n})
	}
	return rec, allocs, bad
}

// finContractFailed shows the contract again with the refused dialog open.
func (s *Server) finContractFailed(c *rc, err error, dialog string, e *entity.Entity, shown []string) error {
	id := strings.ToLower(c.r.PathValue("id"))
	for k := range c.r.PostForm {
		if strings.HasPrefix(k, "alloc_") {
			shown = append(shown, k)
		}
	}
	label := func(field string) string {
		if f := e.Field(field); f != nil {
			return f.Label.In(c.L)
		}
		if strings.HasPrefix(field, "alloc_") || field == "allocations" {
			return c.T("fin.allocations")
		}
		return ""
	}
	st, ok := c.refusedForm(err, dialog, c.r.PostForm, shown, label, nil)
	if !ok {
		return c.processFailed(err, "/contracts/"+id)
	}
	c.withFormState(st)
	return s.showDetail(c, c.schema.Entity("contract"), id, httpStatus(err), nil)
}

var (
	invoiceInputs = []string{"number", "kind", "amount", "tax_amount", "issue_date", "buyer_name", "buyer_tax_id", "notes"}
	paymentInputs = []string{"amount", "received_on", "method", "bank_ref", "payer", "notes"}
)

func (s *Server) issueInvoice(c *rc) error {
	if err := c.r.ParseForm(); err != nil {
		return errs.New(errs.Invalid, "validation")
	}
	e := c.schema.Entity("invoice")
	rec, allocs, bad := c.financeForm(e, invoiceInputs)
	rec["contract_id"] = strings.ToLower(c.r.PathValue("id"))
	err := errs.Validation(bad)
	var out entity.Record
	if err == nil {
		out, err = s.app.Finance.IssueInvoice(c.ctx(), c.p, rec, allocs)
	}
	if err != nil {
		return s.finContractFailed(c, err, dlgInvoice, e, invoiceInputs)
	}
	return c.processDone(c.T("fin.issued", "number", out.Str("number"), "amount", money(out, "amount")), "/contracts/"+out.Str("contract_id")+"#finance")
}

func (s *Server) recordPayment(c *rc) error {
	if err := c.r.ParseForm(); err != nil {
		return errs.New(errs.Invalid, "validation")
	}
	e := c.schema.Entity("payment")
	rec, allocs, bad := c.financeForm(e, paymentInputs)
	rec["contract_id"] = strings.ToLower(c.r.PathValue("id"))
	err := errs.Validation(bad)
	var out entity.Record
	if err == nil {
		out, err = s.app.Finance.RecordPayment(c.ctx(), c.p, rec, allocs)
	}
	if err != nil {
		return s.finContractFailed(c, err, dlgPayment, e, paymentInputs)
	}
	msg := c.T("fin.recorded", "number", out.Str("number"), "amount", money(out, "amount"))
	if out.Int("unallocated_amount") > 0 {
		msg += " " + c.T("fin.recorded_credit", "amount", money(out, "unallocated_amount"))
	}
	return c.processDone(msg, "/contracts/"+out.Str("contract_id")+"#finance")
}

// --- Invoice and payment pages ---------------------------------------------

type allocRow struct {
	Href, Label, Due, Amount string
}

type finRecordView struct {
	T       func(string, ...any) string
	Title   string
	Rows    []allocRow
	Empty   string
	Dialogs []*dialogForm
	Credit  string
	Alloc   string
	Version int64
	Status  string
}

// allocations lists the allocations of an invoice or payment.
func (s *Server) allocations(c *rc, entityName, field, id string) ([]allocRow, error) {
	e := c.schema.Entity(entityName)
	page, err := s.app.Records.List(c.ctx(), c.p, entityName, entity.Query{Sort: e.Field("created_at"), Limit: entity.MaxLimit,
		Conds: []entity.Cond{{Field: e.Field(field), Op: entity.Eq, Values: []any{id}}}})
	if err != nil {
		return nil, err
	}
	var ids []string
	for _, r := range page.Items {
		ids = append(ids, r.Str("instalment_id"))
	}
	insts, err := s.app.DB.GetMany(c.ctx(), s.app.DB.R(), c.schema.Entity("payment_instalment"), ids, s.app.Records.ReadPred(c.schema.Entity("payment_instalment"), c.p))
	if err != nil {
		return nil, err
	}
	var out []allocRow
	for _, r := range page.Items {
		row := allocRow{Label: r.Str("label"), Amount: moneyText("CNY", r.Int("amount"))}
		if it, ok := insts[r.Str("instalment_id")]; ok {
			row.Label, row.Due, row.Amount = planLabel(c, it), it.Str("due_date"), moneyText(orCNY(it.Str("currency")), r.Int("amount"))
			row.Href = "/payment-instalments/" + it.ID()
		}
		out = append(out, row)
	}
	return out, nil
}

func orCNY(cur string) string {
	if cur == "" {
		return "CNY"
	}
	return cur
}

func reasonDialog(c *rc, id, title, button, action, hint, confirm string, version int64) *dialogForm {
	d := &dialogForm{ID: id, Title: title, Button: button, Action: action, Submit: button, Hint: hint, Confirm: confirm, Danger: true, Version: version,
		Fields: []formField{{ID: id + "-reason", Name: "reason", Label: c.T("fin.reason"), Kind: "textarea", Wide: true, Required: true, MaxLen: 2000}}}
	d.apply(c.formStateOf(id))
	return d
}

// extendInvoice lists what an invoice covers and offers to void it.
func (s *Server) extendInvoice(c *rc, rec entity.Record, dp *detailPage) error {
	rows, err := s.allocations(c, "invoice_allocation", "invoice_id", rec.ID())
	if err != nil {
		return err
	}
	v := &finRecordView{T: c.T, Title: c.T("fin.covers"), Rows: rows, Empty: c.T("fin.no_allocations")}
	if rec.Str("status") == crm.InvoiceVoided {
		dp.EditHref = ""
	} else if c.p.Perm("invoice").Write != access.None && !c.p.ReadOnly {
		v.Dialogs = append(v.Dialogs, reasonDialog(c, dlgVoid, c.T("fin.void"), c.T("fin.void"), "/invoices/"+rec.ID()+"/void",
			c.T("fin.void_hint"), c.T("fin.void_confirm", "number", rec.Str("number")), rec.Version()))
	}
	return s.finRecordPanels(c, v, dp)
}

// extendPayment lists what a payment pays and offers to allocate its
// credit and to reverse it.
func (s *Server) extendPayment(c *rc, rec entity.Record, dp *detailPage) error {
	rows, err := s.allocations(c, "payment_allocation", "payment_id", rec.ID())
	if err != nil {
		return err
	}
	v := &finRecordView{T: c.T, Title: c.T("fin.pays"), Rows: rows, Empty: c.T("fin.no_allocations"), Version: rec.Version()}
	writable := c.p.Perm("payment").Write != access.None && !c.p.ReadOnly
	if rec.Str("status") == crm.PaymentReversed {
		dp.EditHref = ""
	} else if writable {
		if rec.Int("unallocated_amount") > 0 {
			v.Credit, v.Alloc = money(rec, "unallocated_amount"), "/payments/"+rec.ID()+"/allocate"
		}
		v.Dialogs = append(v.Dialogs, reasonDialog(c, dlgReverse, c.T("fin.reverse"), c.T("fin.reverse"), "/payments/"+rec.ID()+"/reverse",
			c.T("fin.reverse_hint"), c.T("fin.reverse_confirm", "number", rec.Str("number")), rec.Version()))
	}
	return s.finRecordPanels(c, v, dp)
}

func (s *Server) finRecordPanels(c *rc, v *finRecordView, dp *detailPage) error {
	html, err := c.partial("fin_record", v)
	if err != nil {
		return err
	}
	dp.Panels = append(dp.Panels, html)
	if len(v.Dialogs) > 0 {
		actions, err := c.partial("fin_actions", v)
		if err != nil {
			return err
		}
		dp.Actions = append(dp.Actions, actions)
	}
	return nil
}

// recordFailed shows an invoice or payment again with the refused dialog open.
func (s *Server) recordFailed(c *rc, err error, entityName, dialog string) error {
	e := c.schema.Entity(entityName)
	id := strings.ToLower(c.r.PathValue("id"))
	st, ok := c.refusedForm(err, dialog, c.r.PostForm, []string{"reason"}, func(string) string { return c.T("fin.reason") }, nil)
	if !ok {
		return c.processFailed(err, basePath(e)+"/"+id)
	}
	c.withFormState(st)
	return s.showDetail(c, e, id, httpStatus(err), nil)
}

func (s *Server) voidInvoice(c *rc) error {
	if err := c.r.ParseForm(); err != nil {
		return errs.New(errs.Invalid, "validation")
	}
	out, err := s.app.Finance.VoidInvoice(c.ctx(), c.p, c.r.PathValue("id"), formVersion(c.r.PostForm), c.r.PostForm.Get("reason"))
	if err != nil {
		return s.recordFailed(c, err, "invoice", dlgVoid)
	}
	return c.processDone(c.T("fin.voided", "number", out.Str("number")), "/invoices/"+out.ID())
}

func (s *Server) reversePayment(c *rc) error {
	if err := c.r.ParseForm(); err != nil {
		return errs.New(errs.Invalid, "validation")
	}
	out, err := s.app.Finance.ReversePayment(c.ctx(), c.p, c.r.PathValue("id"), formVersion(c.r.PostForm), c.r.PostForm.Get("reason"))
	if err != nil {
		return s.recordFailed(c, err, "payment", dlgReverse)
	}
	return c.processDone(c.T("fin.reversed", "number", out.Str("number")), "/payments/"+out.ID())
}

func (s *Server) allocateCredit(c *rc) error {
	id := strings.ToLower(c.r.PathValue("id"))
	_ = c.r.ParseForm()
	out, err := s.app.Finance.AllocateCredit(c.ctx(), c.p, id, formVersion(c.r.PostForm), nil)
	if err != nil {
		return c.processFailed(err, "/payments/"+id)
	}
	return c.processDone(c.T("fin.allocated", "number", out.Str("number")), "/payments/"+out.ID())
}

// --- Side cards -----------------------------------------------------------

type custRecvView struct {
	T                         func(string, ...any) string
	Bands                     []bandCell
	Outstanding, Overdue, Due string
	HasOverdue, Any           bool
	Href, Instalments         string
	Next                      []sideRow
}

type bandCell struct {
	Label, Amount string
	Old, Zero     bool
}

// customerReceivables shows what a customer owes by age band and the
// next instalments due.
func (s *Server) customerReceivables(c *rc, rec entity.Record, dp *detailPage) error {
	if c.p.Perm("payment_instalment").Read == access.None {
		return nil
	}
	a, err := s.app.Finance.Ageing(c.ctx(), c.p, finance.AgeingFilter{CustomerID: rec.ID()})
	if err != nil {
		return err
	}
	v := &custRecvView{T: c.T, Href: "/reports/receivables?" + url.Values{"customer_id": {rec.ID()}}.Encode(),
		Instalments: "/payment-instalments?" + url.Values{"customer_id": {rec.ID()}, "status": {crm.InstalmentOpen, crm.InstalmentPartly}, "sort": {"due_date"}}.Encode()}
	for _, r := range a.Rows {
		if r.Currency != "CNY" && len(a.Rows) > 1 {
			continue // the card shows one currency; the report has all
		}
		v.Any = true
		v.Outstanding, v.Overdue, v.Due, v.HasOverdue = moneyText(r.Currency, r.Outstanding), moneyText(r.Currency, r.Overdue), moneyText(r.Currency, r.Due), r.Overdue > 0
		for i, b := range r.Bands() {
			v.Bands = append(v.Bands, bandCell{Label: crm.AgeBands[i].Label.In(c.L), Amount: moneyText(r.Currency, b), Old: i >= 3 && b > 0, Zero: b == 0})
		}
		break
	}
	if v.Any {
		ie := c.schema.Entity("payment_instalment")
		page, err := s.app.Records.List(c.ctx(), c.p, ie.Name, entity.Query{Sort: ie.Field("due_date"), Limit: 5,
			Conds: []entity.Cond{{Field: ie.Field("customer_id"), Op: entity.Eq, Values: []any{rec.ID()}},
				{Field: ie.Field("status"), Op: entity.In, Values: []any{crm.InstalmentOpen, crm.InstalmentPartly}}}})
		if err != nil {
			return err
		}
		today := time.Now().In(s.app.Loc).Format(entity.DateLayout)
		for _, it := range page.Items {
			row := sideRow{Href: "/contracts/" + it.Str("contract_id") + "#finance", Title: planLabel(c, it),
				Note: it.Str("due_date") + " · " + moneyText(orCNY(it.Str("currency")), it.Int("amount")-it.Int("paid_amount"))}
			if it.Str("due_date") < today {
				row.Tag = c.T("fin.overdue")
			}
			v.Next = append(v.Next, row)
		}
	}
	html, err := c.partial("fin_customer", v)
	if err != nil {
		return err
	}
	dp.Side = append(dp.Side, html)
	return nil
}

// opportunityFinance lists the invoices and payments of the contracts of
// an opportunity.
func (s *Server) opportunityFinance(c *rc, rec entity.Record, dp *detailPage) error {
	for _, part := range []struct {
		entity, date, empty, title string
	}{{"invoice", "issue_date", "fin.no_invoices", "fin.invoices"}, {"payment", "received_on", "fin.no_payments", "fin.payments"}} {
		e := c.schema.Entity(part.entity)
		if c.p.Perm(part.entity).Read == access.None {
			continue
		}
		page, err := s.app.Records.List(c.ctx(), c.p, part.entity, entity.Query{Sort: e.Field(part.date), Desc: true, Limit: 10,
			Conds: []entity.Cond{{Field: e.Field("opportunity_id"), Op: entity.Eq, Values: []any{rec.ID()}}}})
		if err != nil {
			return err
		}
		if len(page.Items) == 0 {
			continue // nothing yet: no card (most deals have no contract)
		}
		card := sideCard{T: c.T, ID: "fin-" + part.entity, Title: c.T(part.title), Empty: c.T(part.empty),
			ViewAll: basePath(e) + "?opportunity_id=" + rec.ID(), ViewAllTxt: c.T("fin.all_of_deal")}
		for _, r := range page.Items {
			row := sideRow{Href: basePath(e) + "/" + r.ID(), Title: r.Str("number"), Note: r.Str(part.date) + " · " + money(r, "amount")}
			if st := r.Str("status"); st == crm.InvoiceVoided || st == crm.PaymentReversed {
				row.Tag = c.schema.OptionLabel(e.Field("status"), st, c.L)
			}
			card.Rows = append(card.Rows, row)
		}
		html, err := c.partial("side_card", card)
		if err != nil {
			return err
		}
		dp.Side = append(dp.Side, html)
	}
	return nil
}
