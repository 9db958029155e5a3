package crm

import (
	"cmp"
	"slices"
	"time"

	"closeloop/internal/entity"
	"closeloop/internal/errs"
	"closeloop/internal/i18n"
)

// Finance (发票与回款): invoices issued against a contract's payment plan,
// payments received and matched to its instalments, receivables and their
// ageing, reminders before and after an instalment falls due. The rules
// here are pure — how an invoice or a payment is spread over instalments,
// what status a paid amount gives, which age band a day count falls in,
// which reminder is due — and the finance service applies them in the
// writing transaction.

// Invoice kinds (发票种类).
var InvoiceKinds = []entity.Option{
	opt("vat_special", "增值税专用发票", "VAT special invoice"),
	opt("vat_general", "增值税普通发票", "VAT general invoice"),
	opt("electronic", "电子发票", "Electronic invoice"),
}

// Invoice statuses: an issued invoice counts against its instalments; a
// voided one (作废, with a reason) no longer does. Nothing else changes a
// tax invoice once issued: a wrong one is voided and issued again.
const (
	InvoiceIssued = "issued"
	InvoiceVoided = "voided"
)

// Payment statuses: a received payment counts on its instalments; a
// reversed one (冲销: a bounced bill, money sent back, a payment recorded
// twice) no longer does.
const (
	PaymentReceived = "received"
	PaymentReversed = "reversed"
)

// Invoice is a tax invoice issued to the customer against a contract (发票).
var Invoice = (&entity.Entity{
	Name: "invoice", Resource: "invoices", Table: "invoices",
	Label: i18n.T("发票", "Invoice"), Plural: i18n.T("发票", "Invoices"),
	Title: "number", Subtitle: "internal_no", DefaultSort: "-issue_date",
	Vis:          entity.Visibility{Parents: []string{"contract_id"}},
	Customizable: true,
	Fields: []*entity.Field{
		{Name: "number", Label: i18n.T("发票号码", "Invoice number"), Kind: entity.Text, Required: true, MaxLen: 40, Flags: std | entity.Listed | entity.Search | entity.NotNull | entity.Unique,
			Help: i18n.T("税务发票上的号码，由财务录入", "The number printed on the tax invoice, as typed by finance")},
		{Name: "internal_no", Label: i18n.T("内部编号", "Internal number"), Kind: entity.Text, MaxLen: 40, Flags: entity.ReadOnly | f | s | entity.Listed | entity.Search | entity.Export | entity.NotNull},
		{Name: "kind", Label: i18n.T("发票种类", "Kind"), Kind: entity.Select, Options: InvoiceKinds, Required: true, Default: "vat_special", Flags: std | entity.Listed | entity.NotNull},
		{Name: "contract_id", Label: i18n.T("合同", "Contract"), Kind: entity.Ref, Ref: "contract", Required: true, Flags: f | entity.Export | entity.Import | entity.Listed | entity.NotNull},
		{Name: "customer_id", Label: i18n.T("客户", "Customer"), Kind: entity.Ref, Ref: "customer", Flags: entity.ReadOnly | f | entity.Export | entity.Listed},
		{Name: "opportunity_id", Label: i18n.T("商机", "Opportunity"), Kind: entity.Ref, Ref: "opportunity", Flags: entity.ReadOnly | f | entity.Export},
		{Name: "instalment_ids", Label: i18n.T("对应回款期次", "Instalments covered"), Kind: entity.Refs, Ref: "payment_instalment", Flags: entity.Export | entity.Import,
			Help: i18n.T("不选则按到期先后自动分摊到未开票的期次", "Leave empty to spread the amount over the instalments not yet invoiced, earliest due first")},
		{Name: "currency", Label: i18n.T("币种", "Currency"), Kind: entity.Select, Options: Currencies, Default: "CNY", Flags: entity.ReadOnly | f | entity.Export | entity.NotNull},
		{Name: "amount", Label: i18n.T("开票金额（含税）", "Amount (incl. tax)"), Kind: entity.Money, Required: true, Min: ptr(1), Max: ptr(1e15), Flags: std | entity.Listed | entity.NotNull},
		{Name: "tax_amount", Label: i18n.T("税额", "Tax"), Kind: entity.Money, Required: true, Min: ptr(0), Max: ptr(1e15), Flags: std | entity.Listed | entity.NotNull},
		{Name: "net_amount", Label: i18n.T("不含税金额", "Net amount"), Kind: entity.Money, Default: int64(0), Flags: entity.ReadOnly | f | s | entity.Export | entity.NotNull},
		{Name: "issue_date", Label: i18n.T("开票日期", "Issue date"), Kind: entity.Date, Flags: std | entity.Listed | entity.NotNull,
			Help: i18n.T("不填则为今天", "Today when left empty")},
		{Name: "buyer_name", Label: i18n.T("购方名称", "Buyer"), Kind: entity.Text, MaxLen: 200, Flags: std | entity.Search},
		{Name: "buyer_tax_id", Label: i18n.T("购方税号", "Buyer's tax ID"), Kind: entity.Text, MaxLen: 30, Flags: std},
		{Name: "status", Label: i18n.T("状态", "Status"), Kind: entity.Select, Default: InvoiceIssued, Flags: entity.ReadOnly | f | s | entity.Export | entity.Listed | entity.NotNull, Options: []entity.Option{
			opt(InvoiceIssued, "已开具", "Issued"), opt(InvoiceVoided, "已作废", "Voided")}},
		{Name: "void_reason", Label: i18n.T("作废原因", "Why voided"), Kind: entity.LongText, Flags: entity.ReadOnly | entity.Export},
		{Name: "voided_at", Label: i18n.T("作废时间", "Voided at"), Kind: entity.DateTime, Flags: entity.ReadOnly | f | s | entity.Export},
		{Name: "voided_by", Label: i18n.T("作废人", "Voided by"), Kind: entity.User, Flags: entity.ReadOnly | f | entity.Export},
		{Name: "notes", Label: i18n.T("备注", "Notes"), Kind: entity.LongText, Flags: entity.Export | entity.Import},
	},
}).Init()

// InvoiceAllocation is the part of an invoice that covers one instalment
// (written by the invoice process; it keeps the instalment's invoiced amount).
var InvoiceAllocation = (&entity.Entity{
	Name: "invoice_allocation", Resource: "invoice-allocations", Table: "invoice_allocations",
	Label: i18n.T("开票分摊", "Invoice allocation"), Plural: i18n.T("开票分摊", "Invoice allocations"),
	Title: "label", DefaultSort: "created_at",
	Vis: entity.Visibility{Parents: []string{"contract_id"}},
	Fields: []*entity.Field{
		{Name: "invoice_id", Label: i18n.T("发票", "Invoice"), Kind: entity.Ref, Ref: "invoice", Required: true, Flags: entity.ReadOnly | f | entity.Export | entity.Listed | entity.NotNull},
		{Name: "instalment_id", Label: i18n.T("回款期次", "Instalment"), Kind: entity.Ref, Ref: "payment_instalment", Required: true, Flags: entity.ReadOnly | f | entity.Export | entity.Listed | entity.NotNull},
		{Name: "contract_id", Label: i18n.T("合同", "Contract"), Kind: entity.Ref, Ref: "contract", Required: true, Flags: entity.ReadOnly | f | entity.Export | entity.NotNull},
		{Name: "label", Label: i18n.T("期次", "Instalment"), Kind: entity.Text, MaxLen: 200, Flags: entity.ReadOnly | entity.Export | entity.NotNull},
		{Name: "amount", Label: i18n.T("金额", "Amount"), Kind: entity.Money, Required: true, Flags: entity.ReadOnly | f | s | entity.Export | entity.Listed | entity.NotNull},
	},
}).Init()

// Payment is money received from the customer against a contract (回款).
// Its allocations say which instalments it pays; what is left over is
// kept as the payment's unallocated credit.
var Payment = (&entity.Entity{
	Name: "payment", Resource: "payments", Table: "payments",
	Label: i18n.T("回款", "Payment"), Plural: i18n.T("回款", "Payments"),
	Title: "number", Subtitle: "payer", DefaultSort: "-received_on",
	Vis:          entity.Visibility{Parents: []string{"contract_id"}},
	Customizable: true,
	Fields: []*entity.Field{
		{Name: "number", Label: i18n.T("收款单号", "Number"), Kind: entity.Text, MaxLen: 40, Flags: entity.ReadOnly | f | s | entity.Listed | entity.Search | entity.Export | entity.NotNull},
		{Name: "contract_id", Label: i18n.T("合同", "Contract"), Kind: entity.Ref, Ref: "contract", Required: true, Flags: f | entity.Export | entity.Import | entity.Listed | entity.NotNull},
		{Name: "customer_id", Label: i18n.T("客户", "Customer"), Kind: entity.Ref, Ref: "customer", Flags: entity.ReadOnly | f | entity.Export | entity.Listed},
		{Name: "opportunity_id", Label: i18n.T("商机", "Opportunity"), Kind: entity.Ref, Ref: "opportunity", Flags: entity.ReadOnly | f | entity.Export},
		{Name: "currency", Label: i18n.T("币种", "Currency"), Kind: entity.Select, Options: Currencies, Default: "CNY", Flags: entity.ReadOnly | f | entity.Export | entity.NotNull},
		{Name: "amount", Label: i18n.T("回款金额", "Amount"), Kind: entity.Money, Required: true, Min: ptr(1), Max: ptr(1e15), Flags: std | entity.Listed | entity.NotNull},
		{Name: "received_on", Label: i18n.T("到账日期", "Received on"), Kind: entity.Date, Flags: std | entity.Listed | entity.NotNull,
			Help: i18n.T("不填则为今天", "Today when left empty")},
		{Name: "method", Label: i18n.T("付款方式", "Method"), Kind: entity.Select, Options: PaymentMethods, Required: true, Default: "bank_transfer", Flags: std | entity.Listed | entity.NotNull},
		{Name: "bank_ref", Label: i18n.T("银行流水号/票据号", "Bank reference"), Kind: entity.Text, MaxLen: 100, Flags: std | entity.Search},
		{Name: "payer", Label: i18n.T("付款方", "Payer"), Kind: entity.Text, MaxLen: 200, Flags: std | entity.Listed | entity.Search},
		{Name: "allocated_amount", Label: i18n.T("已核销金额", "Allocated"), Kind: entity.Money, Default: int64(0), Flags: entity.ReadOnly | f | s | entity.Export | entity.NotNull},
		{Name: "unallocated_amount", Label: i18n.T("未核销余额", "Unallocated credit"), Kind: entity.Money, Default: int64(0), Flags: entity.ReadOnly | f | s | entity.Export | entity.Listed | entity.NotNull},
		{Name: "status", Label: i18n.T("状态", "Status"), Kind: entity.Select, Default: PaymentReceived, Flags: entity.ReadOnly | f | s | entity.Export | entity.Listed | entity.NotNull, Options: []entity.Option{
			opt(PaymentReceived, "已到账", "Received"), opt(PaymentReversed, "已冲销", "Reversed")}},
		{Name: "reversed_reason", Label: i18n.T("冲销原因", "Why reversed"), Kind: entity.LongText, Flags: entity.ReadOnly | entity.Export},
		{Name: "reversed_at", Label: i18n.T("冲销时间", "Reversed at"), Kind: entity.DateTime, Flags: entity.ReadOnly | f | s | entity.Export},
		{Name: "reversed_by", Label: i18n.T("冲销人", "Reversed by"), Kind: entity.User, Flags: entity.ReadOnly | f | entity.Export},
		{Name: "notes", Label: i18n.T("备注", "Notes"), Kind: entity.LongText, Flags: entity.Export | entity.Import},
	},
}).Init()

// PaymentAllocation is the part of a payment that pays one instalment (核销).
var PaymentAllocation = (&entity.Entity{
	Name: "payment_allocation", Resource: "payment-allocations", Table: "payment_allocations",
	Label: i18n.T("回款核销", "Payment allocation"), Plural: i18n.T("回款核销", "Payment allocations"),
	Title: "label", DefaultSort: "created_at",
	Vis: entity.Visibility{Parents: []string{"contract_id"}},
	Fields: []*entity.Field{
		{Name: "payment_id", Label: i18n.T("回款", "Payment"), Kind: entity.Ref, Ref: "payment", Required: true, Flags: entity.ReadOnly | f | entity.Export | entity.Listed | entity.NotNull},
		{Name: "instalment_id", Label: i18n.T("回款期次", "Instalment"), Kind: entity.Ref, Ref: "payment_instalment", Required: true, Flags: entity.ReadOnly | f | entity.Export | entity.Listed | entity.NotNull},
		{Name: "contract_id", Label: i18n.T("合同", "Contract"), Kind: entity.Ref, Ref: "contract", Required: true, Flags: entity.ReadOnly | f | entity.Export | entity.NotNull},
		{Name: "label", Label: i18n.T("期次", "Instalment"), Kind: entity.Text, MaxLen: 200, Flags: entity.ReadOnly | entity.Export | entity.NotNull},
		{Name: "amount", Label: i18n.T("金额", "Amount"), Kind: entity.Money, Required: true, Flags: entity.ReadOnly | f | s | entity.Export | entity.Listed | entity.NotNull},
	},
}).Init()

// ContractReceivable says whether the plan of a contract in status counts
// as receivable: from signing on (a terminated contract was signed, and
// what it still owes is owed); a draft or one in approval is a plan, not
// a debt.
func ContractReceivable(status string) bool {
	switch status {
	case ContractSigned, ContractInExecution, ContractCompleted, ContractTerminated:
		return true
	}
	return false
}

// FinanceEntities are the finance declarations, in dependency order.
func FinanceEntities() []*entity.Entity {
	return []*entity.Entity{Invoice, InvoiceAllocation, Payment, PaymentAllocation}
}

// InstalmentStatus is the status an instalment's received amount gives it.
func InstalmentStatus(amount, paid int64) string {
	switch {
	case paid <= 0:
		return InstalmentOpen
	case paid >= amount:
		return InstalmentPaid
	}
	return InstalmentPartly
}

// PlanItem is one instalment of a contract's plan as invoices and
// payments see it.
type PlanItem struct {
	ID       string
	Position int64
	Label    string // 第2期 到货款
	LabelEn  string // No. 2 On delivery
	Due      string // 2006-01-02
	Amount   int64
	Invoiced int64
	Paid     int64
}

// Uninvoiced is what may still be invoiced against the instalment.
func (p PlanItem) Uninvoiced() int64 { return max(0, p.Amount-p.Invoiced) }

// Unpaid is what is still to be received on the instalment.
func (p PlanItem) Unpaid() int64 { return max(0, p.Amount-p.Paid) }

// Allocation is an amount put against one instalment.
type Allocation struct {
	InstalmentID string `json:"instalment_id"`
	Amount       int64  `json:"amount"`
}

// EarliestFirst orders a plan the way automatic allocation walks it:
// earliest due date, then the plan's order, then id.
func EarliestFirst(plan []PlanItem) []PlanItem {
	out := slices.Clone(plan)
	slices.SortStableFunc(out, func(a, b PlanItem) int {
		return cmp.Or(cmp.Compare(a.Due, b.Due), cmp.Compare(a.Position, b.Position), cmp.Compare(a.ID, b.ID))
	})
	return out
}

func byID(plan []PlanItem) map[string]PlanItem {
	m := make(map[string]PlanItem, len(plan))
	for _, p := range plan {
		m[p.ID] = p
	}
	return m
}

// checkExplicit validates allocations named by the caller: every
// instalment is of the plan, named once, with a positive amount at most
// left(instalment). field prefixes the problems ("allocations").
func checkExplicit(plan []PlanItem, allocs []Allocation, left func(PlanItem) int64, exceeds string) (int64, error) {
	idx := byID(plan)
	seen := map[string]bool{}
	var bad []errs.FieldError
	var sum int64
	for _, a := range allocs {
		p, ok := idx[a.InstalmentID]
		switch {
		case !ok:
			bad = append(bad, errs.FieldError{Field: "allocations", Code: "instalment_not_of_contract", Args: map[string]any{"value": a.InstalmentID}})
		case seen[a.InstalmentID]:
			bad = append(bad, errs.FieldError{Field: "allocations", Code: "instalment_named_twice", Args: map[string]any{"position": p.Position}})
		case a.Amount <= 0:
			bad = append(bad, errs.FieldError{Field: "allocations", Code: "out_of_range", Args: map[string]any{"min": "0.01"}})
		case a.Amount > left(p):
			return 0, exceedsErr(exceeds, p, left(p))
		}
		seen[a.InstalmentID] = true
		sum += a.Amount
	}
	return sum, errs.Validation(bad)
}

func exceedsErr(code string, p PlanItem, left int64) error {
	en := p.LabelEn
	if en == "" {
		en = p.Label
	}
	return errs.New(errs.Unprocessable, code, "position", p.Position, "label", p.Label, "label_en", en, "left", entity.FormatMoney(left)).
		WithData(map[string]any{"instalment_id": p.ID, "left": left})
}

// SplitInvoice spreads an invoice of amount (incl. tax) over a contract's
// plan. Explicit allocations must add up to the amount; otherwise the
// amount fills the covered instalments (all of the plan when none are
// named) earliest due first, each up to what is not yet invoiced. An
// instalment is never invoiced beyond its amount:
// invoice_exceeds_instalment names the first one that would be.
func SplitInvoice(amount int64, plan []PlanItem, covered []string, explicit []Allocation) ([]Allocation, error) {
	if len(plan) == 0 {
		return nil, errs.New(errs.Unprocessable, "contract_has_no_plan")
	}
	if len(explicit) > 0 {
		sum, err := checkExplicit(plan, explicit, PlanItem.Uninvoiced, "invoice_exceeds_instalment")
		if err != nil {
			return nil, err
		}
		if sum != amount {
			return nil, errs.New(errs.Unprocessable, "invoice_allocations_mismatch", "sum", entity.FormatMoney(sum), "amount", entity.FormatMoney(amount))
		}
		return slices.Clone(explicit), nil
	}
	targets := plan
	if len(covered) > 0 {
		idx := byID(plan)
		targets = nil
		for _, id := range covered {
			p, ok := idx[id]
			if !ok {
				return nil, errs.Validation([]errs.FieldError{{Field: "instalment_ids", Code: "instalment_not_of_contract", Args: map[string]any{"value": id}}})
			}
			targets = append(targets, p)
		}
	}
	var out []Allocation
	rest := amount
	ordered := EarliestFirst(targets)
	for _, p := range ordered {
		if rest == 0 {
			break
		}
		take := min(rest, p.Uninvoiced())
		if take > 0 {
			out = append(out, Allocation{InstalmentID: p.ID, Amount: take})
			rest -= take
		}
	}
	if rest > 0 {
		// Name the last instalment the amount ran over, with what all of
		// them had left.
		var left int64
		for _, p := range ordered {
			left += p.Uninvoiced()
		}
		return nil, exceedsErr("invoice_exceeds_instalment", ordered[len(ordered)-1], left)
	}
	return out, nil
}

// AllocatePayment matches a payment of amount to a contract's plan.
// Explicit allocations are taken as given (each at most what the
// instalment still lacks, together at most the amount); otherwise the
// amount pays the unpaid instalments earliest due first, the last one
// possibly in part. Whatever is left is returned as credit: money the
// customer sent beyond the plan is recorded as received and kept on the
// payment as unallocated credit, to be allocated when the plan grows
// (refusing it would make the books disagree with the bank).
func AllocatePayment(amount int64, plan []PlanItem, explicit []Allocation) (allocs []Allocation, credit int64, err error) {
	if len(explicit) > 0 {
		sum, err := checkExplicit(plan, explicit, PlanItem.Unpaid, "payment_exceeds_instalment")
		if err != nil {
			return nil, 0, err
		}
		if sum > amount {
			return nil, 0, errs.New(errs.Unprocessable, "allocations_exceed_payment", "sum", entity.FormatMoney(sum), "amount", entity.FormatMoney(amount))
		}
		return slices.Clone(explicit), amount - sum, nil
	}
	rest := amount
	for _, p := range EarliestFirst(plan) {
		if rest == 0 {
			break
		}
		take := min(rest, p.Unpaid())
		if take > 0 {
			allocs = append(allocs, Allocation{InstalmentID: p.ID, Amount: take})
			rest -= take
		}
	}
	return allocs, rest, nil
}

// Receivable age bands by days past due (账龄): not yet due, 0–30,
// 31–60, 61–90, over 90. An instalment due today is 0 days past due: due,
// in the first band, not yet overdue (overdue means at least one day).
const (
	AgeNotDue = "not_due"
	Age0To30  = "d0_30"
	Age31To60 = "d31_60"
	Age61To90 = "d61_90"
	AgeOver90 = "d90_plus"
)

// AgeBands are the bands in order, with their day ranges (Max -1: none).
var AgeBands = []struct {
	Key      string
	Min, Max int
	Label    i18n.Text
}{
	{AgeNotDue, -1 << 31, -1, i18n.T("未到期", "Not yet due")},
	{Age0To30, 0, 30, i18n.T("0–30 天", "0–30 days")},
	{Age31To60, 31, 60, i18n.T("31–60 天", "31–60 days")},
	{Age61To90, 61, 90, i18n.T("61–90 天", "61–90 days")},
	{AgeOver90, 91, -1, i18n.T("90 天以上", "Over 90 days")},
}

// AgeBand is the index in AgeBands of a count of days past due.
func AgeBand(daysPastDue int) int {
	switch {
	case daysPastDue < 0:
		return 0
	case daysPastDue <= 30:
		return 1
	case daysPastDue <= 60:
		return 2
	case daysPastDue <= 90:
		return 3
	}
	return 4
}

// DaysPastDue counts calendar days from a due date to asOf (both
// 2006-01-02; negative before the due date). Calendar arithmetic, so
// leap days count and time zones do not.
func DaysPastDue(due, asOf string) (int, error) {
	d, err := time.Parse(entity.DateLayout, due)
	if err != nil {
		return 0, err
	}
	a, err := time.Parse(entity.DateLayout, asOf)
	if err != nil {
		return 0, err
	}
	return int(a.Sub(d).Hours() / 24), nil
}

// BandEdges are the due dates at which the bands change for asOf, for
// comparing stored dates in SQL: a due date after NotDueAfter is not yet
// due; on or after From0 it is 0–30; on or after From31 31–60; on or after
// From61 61–90; before From61 over 90.
type BandEdges struct {
	NotDueAfter, From0, From31, From61 string
}

// EdgesAt computes the band edges of an as-of date.
func EdgesAt(asOf string) (BandEdges, error) {
	a, err := time.Parse(entity.DateLayout, asOf)
	if err != nil {
		return BandEdges{}, err
	}
	day := func(n int) string { return a.AddDate(0, 0, -n).Format(entity.DateLayout) }
	return BandEdges{NotDueAfter: asOf, From0: day(30), From31: day(60), From61: day(90)}, nil
}

// BandOf is the band of a due date by the edges (the same answer as
// AgeBand(DaysPastDue(due, asOf)), which the tests check).
func (e BandEdges) BandOf(due string) int {
	switch {
	case due > e.NotDueAfter:
		return 0
	case due >= e.From0:
		return 1
	case due >= e.From31:
		return 2
	case due >= e.From61:
		return 3
	}
	return 4
}

// Reminder kinds sent to a contract's owner about an instalment.
const (
	RemindDueSoon = "instalment_due_soon"
	RemindOverdue = "instalment_overdue"
)

// DefaultRemindDays is how many days before the due date the owner is
// reminded, unless an admin set another number.
const DefaultRemindDays = 7

// ReminderDue says which reminder an unpaid instalment due on due needs
// today (both 2006-01-02, the company's calendar), given the days of
// warning and which reminders were sent: "" for none. Each is sent once;
// an instalment found already overdue gets only the overdue one.
func ReminderDue(due, today string, days int, reminded, overdueSent bool) string {
	if due < today {
		if overdueSent {
			return ""
		}
		return RemindOverdue
	}
	if reminded {
		return ""
	}
	t, err := time.Parse(entity.DateLayout, today)
	if err != nil {
		return ""
	}
	if due <= t.AddDate(0, 0, days).Format(entity.DateLayout) {
		return RemindDueSoon
	}
	return ""
}
