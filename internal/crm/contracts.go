package crm

import (
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"closeloop/internal/entity"
	"closeloop/internal/errs"
	"closeloop/internal/i18n"

	"github.com/shopspring/decimal"
)

// The contract's life (合同), its item-by-item confirmation of terms
// (逐条确认) and its payment plan (回款计划), as pure rules: which step each
// status allows, which terms a change reopens, what signing needs, and how
// a plan is checked and proposed from percentages. The service
// (internal/contracts) gathers the facts in the write transaction and asks
// these functions.

// ContractStep is one step of a contract's life.
type ContractStep string

// The steps of a contract.
const (
	CtStepEdit      ContractStep = "edit"      // change its terms (the generic update)
	CtStepConfirm   ContractStep = "confirm"   // confirm (or withdraw) one term
	CtStepPlan      ContractStep = "plan"      // replace the payment plan
	CtStepSubmit    ContractStep = "submit"    // send to approval
	CtStepSign      ContractStep = "sign"      // record the signing
	CtStepStart     ContractStep = "start"     // execution begins
	CtStepComplete  ContractStep = "complete"  // everything delivered and paid
	CtStepTerminate ContractStep = "terminate" // ended early, with a reason
)

// contractSteps lists the steps each status allows. Only a draft is edited;
// what is in approval is looked at as it was submitted; what is signed is
// the agreement and stays as signed (a change is a new contract or a
// supplement, not an edit).
var contractSteps = map[string][]ContractStep{
	ContractDraft:       {CtStepEdit, CtStepConfirm, CtStepPlan, CtStepSubmit, CtStepSign},
	ContractInApproval:  {},
	ContractSigned:      {CtStepStart, CtStepTerminate},
	ContractInExecution: {CtStepComplete, CtStepTerminate},
	ContractCompleted:   {},
	ContractTerminated:  {},
}

var contractRefused = map[ContractStep]string{
	CtStepEdit:      "contract_locked",
	CtStepConfirm:   "contract_locked",
	CtStepPlan:      "contract_locked",
	CtStepSubmit:    "contract_not_submittable",
	CtStepSign:      "contract_not_signable",
	CtStepStart:     "contract_not_signed",
	CtStepComplete:  "contract_not_in_execution",
	CtStepTerminate: "contract_not_terminable",
}

// CanContract reports whether a contract in status may take step.
func CanContract(status string, step ContractStep) bool {
	return slices.Contains(contractSteps[status], step)
}

// CheckContractStep refuses a step the contract's status does not allow
// (422 with a code saying why).
func CheckContractStep(status string, step ContractStep) error {
	if CanContract(status, step) {
		return nil
	}
	code := contractRefused[step]
	if code == "" {
		code = "contract_step_refused"
	}
	return errs.New(errs.Unprocessable, code, "status", status, "step", string(step))
}

// ContractNext is the status a step leads to ("" for steps that keep it).
func ContractNext(step ContractStep) string {
	switch step {
	case CtStepSubmit:
		return ContractInApproval
	case CtStepSign:
		return ContractSigned
	case CtStepStart:
		return ContractInExecution
	case CtStepComplete:
		return ContractCompleted
	case CtStepTerminate:
		return ContractTerminated
	}
	return ""
}

// ContractContentFields are the fields of the agreement itself: locked
// once the contract leaves the draft (422 contract_locked). Who delivers,
// who serves and the renewal reminder may change later.
var ContractContentFields = []string{"title", "customer_id", "opportunity_id", "amount", "currency", "party_a", "party_b",
	"payment_method", "delivery_terms", "scope", "terms", "special_requirements", "valid_from", "valid_to", "warranty_until"}

// termFields names, per term item, the fields whose change reopens its
// confirmation: a term confirmed and then changed was not confirmed as it
// stands. The payment plan belongs to the payment term.
var termFields = map[string][]string{
	"price":       {"amount", "currency"},
	"delivery":    {"delivery_terms"},
	"scope":       {"scope"},
	"payment":     {"payment_method"},
	"acceptance":  {"terms", "special_requirements"},
	"after_sales": {"terms", "warranty_until"},
}

// TermFields lists the fields behind one term item.
func TermFields(item string) []string { return termFields[item] }

// IsTermItem reports whether code is one of the confirmation items.
func IsTermItem(code string) bool {
	return slices.ContainsFunc(ContractTermItems, func(o entity.Option) bool { return o.Code == code })
}

// TermsReopened lists the confirmed items a change of the given fields
// reopens, in checklist order.
func TermsReopened(confirmed, changed []string) []string {
	var out []string
	for _, o := range ContractTermItems {
		if !slices.Contains(confirmed, o.Code) {
			continue
		}
		for _, f := range termFields[o.Code] {
			if slices.Contains(changed, f) {
				out = append(out, o.Code)
				break
			}
		}
	}
	return out
}

// MissingTerms lists the items not yet confirmed, in checklist order.
func MissingTerms(confirmed []string) []string {
	var out []string
	for _, o := range ContractTermItems {
		if !slices.Contains(confirmed, o.Code) {
			out = append(out, o.Code)
		}
	}
	return out
}

// SortTerms orders confirmed items as the checklist does (stable output for
// the multi-select column).
func SortTerms(items []string) []string {
	var out []string
	for _, o := range ContractTermItems {
		if slices.Contains(items, o.Code) {
			out = append(out, o.Code)
		}
	}
	return out
}

// SignFacts is what signing is decided on, gathered by the service.
type SignFacts struct {
	Status         string
	Confirmed      []string // confirmed term items
	Amount         int64    // contract amount (fen)
	PlanSum        int64    // sum of the instalments (fen)
	PlanRows       int
	DeliveryOwner  string
	ServiceOwner   string
	NeedsApproval  bool // an approval rule applies to the contract as it stands
	Approved       bool // and it was approved since its last change
	SignedOn       string
	Today          string // company time zone, 2006-01-02
	SignerContact  string
	SignerOfClient bool // the signatory is a contact of the contract's customer
}

// Refusal is one reason signing is refused, as listed in a 422's data.
type Refusal struct {
	Code string         `json:"code"`
	Args map[string]any `json:"args,omitempty"`
}

// CheckSign decides whether a contract may be signed. Field problems of
// the signing input (date, signatory) come first as a validation error;
// otherwise the first rule refused names the error's code, its arguments
// say what is missing, and the error's data lists every refusal so a
// client can show them all at once.
func CheckSign(f SignFacts) error {
	if err := CheckContractStep(f.Status, CtStepSign); err != nil {
		return err
	}
	var bad []errs.FieldError
	switch {
	case f.SignedOn == "":
		bad = append(bad, errs.FieldError{Field: "signed_on", Code: "required"})
	case !validDate(f.SignedOn):
		bad = append(bad, errs.FieldError{Field: "signed_on", Code: "invalid_date"})
	case f.Today != "" && f.SignedOn > f.Today:
		bad = append(bad, errs.FieldError{Field: "signed_on", Code: "contract_signed_in_future"})
	}
	switch {
	case f.SignerContact == "":
		bad = append(bad, errs.FieldError{Field: "signer_contact_id", Code: "required"})
	case !f.SignerOfClient:
		bad = append(bad, errs.FieldError{Field: "signer_contact_id", Code: "contract_signer_not_of_customer"})
	}
	if err := errs.Validation(bad); err != nil {
		return err
	}
	var refusals []Refusal
	if missing := MissingTerms(f.Confirmed); len(missing) > 0 {
		refusals = append(refusals, Refusal{Code: "contract_terms_unconfirmed", Args: map[string]any{"missing": missing}})
	}
	if f.PlanRows == 0 || f.PlanSum != f.Amount {
		refusals = append(refusals, Refusal{Code: "payment_plan_mismatch", Args: map[string]any{"plan_sum": f.PlanSum, "amount": f.Amount}})
	}
	var who []string
	if f.DeliveryOwner == "" {
		who = append(who, "delivery_owner_id")
	}
	if f.ServiceOwner == "" {
		who = append(who, "service_owner_id")
	}
	if len(who) > 0 {
		refusals = append(refusals, Refusal{Code: "handover_recipients_missing", Args: map[string]any{"missing": who}})
	}
	if f.NeedsApproval && !f.Approved {
		refusals = append(refusals, Refusal{Code: "contract_needs_approval"})
	}
	if len(refusals) == 0 {
		return nil
	}
	first := refusals[0]
	e := errs.New(errs.Unprocessable, first.Code)
	e.Args = RefusalArgs(first)
	return e.WithData(map[string]any{"refusals": refusals})
}

// RefusalArgs are a refusal's message arguments for people: term items
// and fields by their labels in both languages (name and name_en), sums
// as money.
func RefusalArgs(r Refusal) map[string]any {
	out := map[string]any{}
	labels := func(codes []string, label func(string) i18n.Text) {
		var zh, en []string
		for _, c := range codes {
			t := label(c)
			zh, en = append(zh, t.Zh), append(en, t.En)
		}
		out["missing"], out["missing_en"] = strings.Join(zh, "、"), strings.Join(en, ", ")
	}
	switch r.Code {
	case "contract_terms_unconfirmed":
		codes, _ := r.Args["missing"].([]string)
		labels(codes, func(c string) i18n.Text {
			for _, o := range ContractTermItems {
				if o.Code == c {
					return o.Label
				}
			}
			return i18n.T(c, c)
		})
	case "handover_recipients_missing":
		codes, _ := r.Args["missing"].([]string)
		labels(codes, func(c string) i18n.Text {
			if f := Contract.Field(c); f != nil {
				return f.Label
			}
			return i18n.T(c, c)
		})
	case "payment_plan_mismatch":
		sum, _ := r.Args["plan_sum"].(int64)
		amount, _ := r.Args["amount"].(int64)
		out["plan_sum"], out["amount"] = entity.FormatMoney(sum), entity.FormatMoney(amount)
	}
	return out
}

// CheckTermination says what ending a contract early needs: a reason.
func CheckTermination(reason string) error {
	reason = strings.TrimSpace(reason)
	switch {
	case reason == "":
		return errs.Validation([]errs.FieldError{{Field: "reason", Code: "required"}})
	case utf8.RuneCountInString(reason) > 2000:
		return errs.Validation([]errs.FieldError{{Field: "reason", Code: "too_long", Args: map[string]any{"max": 2000}}})
	}
	return nil
}

func validDate(s string) bool {
	_, err := time.Parse("2006-01-02", s)
	return err == nil
}

// PlanRow is one instalment of a payment plan as a person enters it.
type PlanRow struct {
	Kind      string `json:"kind"`
	DueDate   string `json:"due_date"`
	Amount    int64  `json:"amount"`
	Condition string `json:"condition,omitempty"`
}

// InstalmentLabel names an instalment by position and kind ("第2期 到货款");
// the label is stored with the row, in the company's language.
func InstalmentLabel(position int64, kind string) string {
	name := kind
	for _, o := range InstalmentKinds {
		if o.Code == kind {
			name = o.Label.Zh
		}
	}
	return fmt.Sprintf("第%d期 %s", position, strings.TrimSpace(name))
}

// PlanSum adds up a plan's amounts.
func PlanSum(rows []PlanRow) int64 {
	var sum int64
	for _, r := range rows {
		sum += r.Amount
	}
	return sum
}

// MaxInstalments caps a plan (a plan of more rows is not a plan people keep).
const MaxInstalments = 60

// CheckPlan validates a whole payment plan against the contract amount:
// at least one instalment, each with a known kind, a date, a positive
// amount and a short condition, dates in order, and the amounts adding up
// to the contract amount. Problems of rows are named
// "instalments[i].field" (0-based, in the order given); a plan whose rows
// are fine but whose sum is not the amount answers payment_plan_mismatch
// with both sums.
func CheckPlan(amount int64, rows []PlanRow) error {
	var bad []errs.FieldError
	if len(rows) == 0 {
		return errs.Validation([]errs.FieldError{{Field: "instalments", Code: "payment_plan_empty"}})
	}
	if len(rows) > MaxInstalments {
		return errs.Validation([]errs.FieldError{{Field: "instalments", Code: "plan_too_many", Args: map[string]any{"max": MaxInstalments}}})
	}
	at := func(i int, field string) string { return fmt.Sprintf("instalments[%d].%s", i, field) }
	prev := ""
	for i, r := range rows {
		switch {
		case r.Kind == "":
			bad = append(bad, errs.FieldError{Field: at(i, "kind"), Code: "required"})
		case !slices.ContainsFunc(InstalmentKinds, func(o entity.Option) bool { return o.Code == r.Kind }):
			bad = append(bad, errs.FieldError{Field: at(i, "kind"), Code: "invalid_option", Args: map[string]any{"value": r.Kind}})
		}
		switch {
		case r.DueDate == "":
			bad = append(bad, errs.FieldError{Field: at(i, "due_date"), Code: "required"})
		case !validDate(r.DueDate):
			bad = append(bad, errs.FieldError{Field: at(i, "due_date"), Code: "invalid_date"})
		default:
			if prev != "" && r.DueDate < prev {
				bad = append(bad, errs.FieldError{Field: at(i, "due_date"), Code: "instalment_date_order", Args: map[string]any{"previous": prev}})
			}
			prev = r.DueDate
		}
		if r.Amount <= 0 {
			bad = append(bad, errs.FieldError{Field: at(i, "amount"), Code: "instalment_amount_positive"})
		}
		if utf8.RuneCountInString(r.Condition) > 300 {
			bad = append(bad, errs.FieldError{Field: at(i, "condition"), Code: "too_long", Args: map[string]any{"max": 300}})
		}
	}
	if err := errs.Validation(bad); err != nil {
		return err
	}
	if sum := PlanSum(rows); sum != amount {
		return PlanMismatch(sum, amount)
	}
	return nil
}

// PlanMismatch is the refusal of a plan that does not add up to the
// contract amount; both sums travel in its arguments and data.
func PlanMismatch(sum, amount int64) error {
	return errs.New(errs.Unprocessable, "payment_plan_mismatch", "plan_sum", entity.FormatMoney(sum), "amount", entity.FormatMoney(amount)).
		WithData(map[string]any{"plan_sum": sum, "amount": amount, "difference": amount - sum})
}

// PlanPart is one part of a proposed plan: a share of the amount in basis
// points (3000 = 30 %), due a number of days after the start date.
type PlanPart struct {
	Kind      string `json:"kind"`
	PercentBP int64  `json:"percent_bp"`
	Days      int    `json:"days"`
	Condition string `json:"condition,omitempty"`
}

// SplitPlan proposes a plan from percentages: each part is its share of
// the amount rounded half-up to the fen, except the last, which takes what
// remains, so the parts add up to the amount exactly; due dates are the
// start date plus each part's days. The shares must add up to 100 %.
func SplitPlan(amount int64, start string, parts []PlanPart) ([]PlanRow, error) {
	var bad []errs.FieldError
	if amount <= 0 {
		bad = append(bad, errs.FieldError{Field: "amount", Code: "instalment_amount_positive"})
	}
	from, err := time.Parse("2006-01-02", start)
	if err != nil {
		bad = append(bad, errs.FieldError{Field: "from", Code: "invalid_date"})
	}
	if len(parts) == 0 {
		bad = append(bad, errs.FieldError{Field: "parts", Code: "required"})
	}
	if len(parts) > MaxInstalments {
		bad = append(bad, errs.FieldError{Field: "parts", Code: "plan_too_many", Args: map[string]any{"max": MaxInstalments}})
	}
	var total int64
	for i, p := range parts {
		if p.PercentBP <= 0 || p.PercentBP > 10000 {
			bad = append(bad, errs.FieldError{Field: fmt.Sprintf("parts[%d].percent_bp", i), Code: "out_of_range", Args: map[string]any{"min": "0.01", "max": "100"}})
		}
		if p.Days < 0 || p.Days > 3660 {
			bad = append(bad, errs.FieldError{Field: fmt.Sprintf("parts[%d].days", i), Code: "out_of_range", Args: map[string]any{"min": 0, "max": 3660}})
		}
		total += p.PercentBP
	}
	if len(bad) == 0 && total != 10000 {
		bad = append(bad, errs.FieldError{Field: "parts", Code: "plan_percent_total", Args: map[string]any{"total": entity.FormatScaled(total, 2)}})
	}
	if err := errs.Validation(bad); err != nil {
		return nil, err
	}
	rows := make([]PlanRow, len(parts))
	var given int64
	whole := decimal.NewFromInt(amount)
	for i, p := range parts {
		kind := p.Kind
		if kind == "" {
			kind = defaultKind(i, len(parts))
		}
		rows[i] = PlanRow{Kind: kind, DueDate: from.AddDate(0, 0, p.Days).Format("2006-01-02"), Condition: strings.TrimSpace(p.Condition)}
		if i == len(parts)-1 {
			rows[i].Amount = amount - given
			break
		}
		share := whole.Mul(decimal.NewFromInt(p.PercentBP)).Div(decimal.NewFromInt(10000)).Round(0)
		rows[i].Amount = share.IntPart()
		given += rows[i].Amount
	}
	for i, r := range rows {
		if r.Amount <= 0 {
			return nil, errs.Validation([]errs.FieldError{{Field: fmt.Sprintf("parts[%d].percent_bp", i), Code: "instalment_amount_positive"}})
		}
	}
	return rows, nil
}

// defaultKind names the parts of a proposal that did not name their kind:
// the first is the advance, the last the retention when there are three or
// more, the one before it (or the second of two) on acceptance, the rest
// progress payments.
func defaultKind(i, n int) string {
	switch {
	case n == 1:
		return "other"
	case i == 0:
		return "advance"
	case n >= 3 && i == n-1:
		return "retention"
	case (n >= 3 && i == n-2) || (n == 2 && i == 1):
		return "on_acceptance"
	case n >= 3 && i == 1:
		return "on_delivery"
	}
	return "progress"
}

// ParsePercents reads "30/60/10" (or "30,60,10", "30 60 10", decimals
// allowed: "33.33/33.33/33.34") into basis points.
func ParsePercents(s string) ([]int64, error) {
	fields := strings.FieldsFunc(s, func(r rune) bool { return r == '/' || r == ',' || r == '，' || r == ' ' || r == '、' || r == '%' })
	if len(fields) == 0 {
		return nil, errs.Validation([]errs.FieldError{{Field: "percents", Code: "required"}})
	}
	out := make([]int64, len(fields))
	for i, f := range fields {
		d, err := decimal.NewFromString(f)
		if err != nil || d.Exponent() < -2 {
			return nil, errs.Validation([]errs.FieldError{{Field: "percents", Code: "plan_bad_percents", Args: map[string]any{"value": f}}})
		}
		out[i] = d.Mul(decimal.NewFromInt(100)).IntPart()
	}
	return out, nil
}

// ContractFromQuote is the draft contract a quote becomes (pure copy).
func ContractFromQuote(q entity.Record) entity.Record {
	rec := entity.Record{"title": q.Str("title"), "customer_id": q.Str("customer_id"), "quote_id": q.ID(),
		"amount": q.Int("total"), "currency": q.Str("currency"), "status": ContractDraft}
	if v := q.Str("opportunity_id"); v != "" {
		rec["opportunity_id"] = v
	}
	if v := q.Str("contact_id"); v != "" {
		rec["signer_contact_id"] = v
	}
	if v := strings.TrimSpace(q.Str("delivery_period")); v != "" {
		rec["delivery_terms"] = v
	}
	if v := strings.TrimSpace(q.Str("service_content")); v != "" {
		rec["scope"] = v
	}
	var terms []string
	if v := strings.TrimSpace(q.Str("payment_terms")); v != "" {
		terms = append(terms, Quote.Field("payment_terms").Label.Zh+"：\n"+v)
	}
	if v := strings.TrimSpace(q.Str("after_sales_terms")); v != "" {
		terms = append(terms, Quote.Field("after_sales_terms").Label.Zh+"：\n"+v)
	}
	if len(terms) > 0 {
		rec["terms"] = strings.Join(terms, "\n\n")
	}
	if rec.Str("currency") == "" {
		rec["currency"] = "CNY"
	}
	return rec
}
