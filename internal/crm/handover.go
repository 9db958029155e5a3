package crm

import (
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"closeloop/internal/entity"
	"closeloop/internal/i18n"
)

// The hand-over at signing (内部交接, 客户需求总结报告): when a contract is
// signed, what sales learnt and promised is written down for delivery and
// after-sales — the customer's pain points and needs, the solution's
// highlights, every promise made in the quote and the contract, special
// requirements, the buying unit, competitors and open risks. The report is
// built here from facts the service gathers (pure, tested), kept as fields
// a person may edit (each edit a new version) plus structured sections
// (contacts, competitors, quoted promises, detected risks), and rendered
// as text. Each recipient acknowledges a version; a new version asks again.

// Acknowledgement states of a hand-over (kept by the service, derived
// from the acknowledgements of its current version).
const (
	AckPending      = "pending"
	AckPartly       = "partly"
	AckAcknowledged = "acknowledged"
)

// Recipient roles.
const (
	RecipientDelivery = "delivery"
	RecipientService  = "service"
	RecipientBoth     = "both"
)

// AckStatuses label the acknowledgement states.
var AckStatuses = []entity.Option{
	opt(AckPending, "待确认", "Awaiting acknowledgement"), opt(AckPartly, "部分确认", "Partly acknowledged"),
	opt(AckAcknowledged, "已确认", "Acknowledged"),
}

// HandoverContentFields are what a person may edit in a hand-over; a
// change of any of them is a new version.
var HandoverContentFields = []string{"business_scenario", "pain_points", "budget_range", "decision_process", "decision_timeline",
	"explicit_needs", "latent_needs", "solution_highlights", "special_requirements", "other_promises", "risks", "notes"}

// handoverFromOpportunity are the needs analysis fields copied from the
// opportunity under the same names.
var handoverFromOpportunity = []string{"business_scenario", "pain_points", "budget_range", "decision_process", "decision_timeline", "explicit_needs", "latent_needs"}

// Handover is the 客户需求总结报告 of a signed contract.
var Handover = (&entity.Entity{
	Name: "handover", Resource: "handovers", Table: "handovers",
	Label: i18n.T("交接报告", "Hand-over"), Plural: i18n.T("交接报告", "Hand-overs"),
	Title: "title", Subtitle: "ack_status",
	Vis: entity.Visibility{Owned: true, Grants: true},
	Fields: []*entity.Field{
		{Name: "title", Label: i18n.T("标题", "Title"), Kind: entity.Text, MaxLen: 200, Flags: entity.ReadOnly | f | s | entity.Listed | entity.Search | entity.Export | entity.NotNull},
		{Name: "contract_id", Label: i18n.T("合同", "Contract"), Kind: entity.Ref, Ref: "contract", Flags: entity.ReadOnly | f | entity.Export | entity.Listed | entity.NotNull},
		{Name: "customer_id", Label: i18n.T("客户", "Customer"), Kind: entity.Ref, Ref: "customer", Flags: entity.ReadOnly | f | entity.Export | entity.Listed | entity.NotNull},
		{Name: "opportunity_id", Label: i18n.T("商机", "Opportunity"), Kind: entity.Ref, Ref: "opportunity", Flags: entity.ReadOnly | f | entity.Export},
		{Name: "quote_id", Label: i18n.T("报价单", "Quote"), Kind: entity.Ref, Ref: "quote", Flags: entity.ReadOnly | f | entity.Export},
		{Name: "solution_id", Label: i18n.T("解决方案", "Solution"), Kind: entity.Ref, Ref: "solution", Flags: entity.ReadOnly | f | entity.Export},
		{Name: "signed_on", Label: i18n.T("签订日期", "Signed on"), Kind: entity.Date, Flags: entity.ReadOnly | f | s | entity.Export | entity.Listed},
		{Name: "version_no", Label: i18n.T("版本号", "Version"), Kind: entity.Integer, Default: int64(1), Flags: entity.ReadOnly | f | s | entity.Export | entity.Listed | entity.NotNull},
		{Name: "ack_status", Label: i18n.T("确认状态", "Acknowledgement"), Kind: entity.Select, Options: AckStatuses, Default: AckPending, Flags: entity.ReadOnly | f | s | entity.Export | entity.Listed | entity.NotNull},
		{Name: "delivery_owner_id", Label: i18n.T("交付负责人", "Delivery owner"), Kind: entity.User, Flags: entity.ReadOnly | f | entity.Export | entity.Listed},
		{Name: "service_owner_id", Label: i18n.T("售后负责人", "After-sales owner"), Kind: entity.User, Flags: entity.ReadOnly | f | entity.Export | entity.Listed},
		{Name: "business_scenario", Label: i18n.T("业务场景", "Business scenario"), Kind: entity.LongText, Flags: entity.Export},
		{Name: "pain_points", Label: i18n.T("痛点", "Pain points"), Kind: entity.LongText, Flags: entity.Export | entity.Search},
		{Name: "budget_range", Label: i18n.T("预算范围", "Budget range"), Kind: entity.Text, Flags: entity.Export},
		{Name: "decision_process", Label: i18n.T("决策流程", "Decision process"), Kind: entity.LongText, Flags: entity.Export},
		{Name: "decision_timeline", Label: i18n.T("决策时间表", "Decision timeline"), Kind: entity.Text, MaxLen: 300, Flags: entity.Export},
		{Name: "explicit_needs", Label: i18n.T("显性需求", "Explicit needs"), Kind: entity.LongText, Flags: entity.Export},
		{Name: "latent_needs", Label: i18n.T("隐性需求", "Latent needs"), Kind: entity.LongText, Flags: entity.Export},
		{Name: "solution_highlights", Label: i18n.T("方案亮点", "Solution highlights"), Kind: entity.LongText, Flags: entity.Export | entity.Search},
		{Name: "special_requirements", Label: i18n.T("特殊要求", "Special requirements"), Kind: entity.LongText, Flags: entity.Export},
		{Name: "other_promises", Label: i18n.T("其他承诺（口头或补充）", "Other promises (verbal or later)"), Kind: entity.LongText, Flags: entity.Export,
			Help: i18n.T("报价单和合同中的承诺已自动列出；这里补充其他对客户的承诺，每条一段", "Promises of the quote and the contract are listed already; add any other promise made to the customer, one paragraph each")},
		{Name: "risks", Label: i18n.T("风险与待跟进事项", "Risks and open points"), Kind: entity.LongText, Flags: entity.Export},
		{Name: "notes", Label: i18n.T("其他说明", "Other notes"), Kind: entity.LongText, Flags: entity.Export},
		{Name: "sections", Label: i18n.T("结构化内容", "Structured sections"), Kind: entity.LongText, MaxLen: 1000000, Flags: entity.ReadOnly | entity.Hidden | entity.NotNull},
		{Name: "body", Label: i18n.T("报告全文", "Report text"), Kind: entity.LongText, MaxLen: 1000000, Flags: entity.ReadOnly | entity.Hidden | entity.Export | entity.NotNull},
	},
}).Init()

// HandoverAck is one recipient's acknowledgement of one version of a
// hand-over; written only by the acknowledge process.
var HandoverAck = (&entity.Entity{
	Name: "handover_ack", Resource: "handover-acks", Table: "handover_acks",
	Label: i18n.T("交接确认", "Hand-over acknowledgement"), Plural: i18n.T("交接确认", "Hand-over acknowledgements"),
	Title: "role", DefaultSort: "-acknowledged_at",
	Vis: entity.Visibility{Parents: []string{"handover_id"}},
	Fields: []*entity.Field{
		{Name: "handover_id", Label: i18n.T("交接报告", "Hand-over"), Kind: entity.Ref, Ref: "handover", Flags: entity.ReadOnly | f | entity.Export | entity.Listed | entity.NotNull},
		{Name: "user_id", Label: i18n.T("确认人", "Acknowledged by"), Kind: entity.User, Flags: entity.ReadOnly | f | entity.Export | entity.Listed | entity.NotNull},
		{Name: "role", Label: i18n.T("接收角色", "As"), Kind: entity.Select, Flags: entity.ReadOnly | f | entity.Export | entity.Listed | entity.NotNull, Options: []entity.Option{
			opt(RecipientDelivery, "交付负责人", "Delivery owner"), opt(RecipientService, "售后负责人", "After-sales owner"), opt(RecipientBoth, "交付及售后负责人", "Delivery and after-sales owner")}},
		{Name: "version_no", Label: i18n.T("确认的版本", "Version acknowledged"), Kind: entity.Integer, Flags: entity.ReadOnly | f | s | entity.Export | entity.Listed | entity.NotNull},
		{Name: "acknowledged_at", Label: i18n.T("确认时间", "Acknowledged at"), Kind: entity.DateTime, Flags: entity.ReadOnly | f | s | entity.Export | entity.Listed | entity.NotNull},
		{Name: "comment", Label: i18n.T("确认意见", "Comment"), Kind: entity.LongText, Flags: entity.ReadOnly | entity.Export},
	},
}).Init()

// ContractEntities are the declarations of the contracts part.
func ContractEntities() []*entity.Entity { return []*entity.Entity{Handover, HandoverAck} }

// HandoverSections are the structured parts of a hand-over: snapshots of
// the buying unit and competitors at signing, the promises quoted from the
// documents, the risks found, the solution and the signed figures.
type HandoverSections struct {
	Contract    HandoverContract     `json:"contract"`
	Solution    *HandoverSolution    `json:"solution,omitempty"`
	Contacts    []HandoverContact    `json:"contacts"`
	Competitors []HandoverCompetitor `json:"competitors"`
	Promises    []Promise            `json:"promises"`
	Risks       []Risk               `json:"risks"`
	GeneratedAt time.Time            `json:"generated_at"`
}

// HandoverContract is what was signed.
type HandoverContract struct {
	ID            string            `json:"id"`
	Number        string            `json:"number"`
	Title         string            `json:"title"`
	Amount        int64             `json:"amount"`
	Currency      string            `json:"currency"`
	SignedOn      string            `json:"signed_on"`
	PaymentMethod string            `json:"payment_method,omitempty"`
	Plan          []HandoverPlanRow `json:"plan"`
}

// HandoverPlanRow is one instalment as agreed.
type HandoverPlanRow struct {
	Label     string `json:"label"`
	Kind      string `json:"kind"`
	DueDate   string `json:"due_date"`
	Amount    int64  `json:"amount"`
	Condition string `json:"condition,omitempty"`
}

// HandoverSolution names the solution the customer was offered.
type HandoverSolution struct {
	ID        string `json:"id"`
	Title     string `json:"title"`
	VersionNo int64  `json:"version_no"`
	Status    string `json:"status"`
}

// HandoverContact is a person of the buying unit at signing. Phones and
// e-mail are not copied: they are read from the contact, masked for those
// who may not see them.
type HandoverContact struct {
	ContactID string `json:"contact_id"`
	Name      string `json:"name"`
	Title     string `json:"title,omitempty"`
	Role      string `json:"role"`
	Primary   bool   `json:"primary,omitempty"`
	Attitude  string `json:"attitude,omitempty"`
	Notes     string `json:"notes,omitempty"`
	Signer    bool   `json:"signer,omitempty"`
}

// HandoverCompetitor is a competitor met in the deal.
type HandoverCompetitor struct {
	CompetitorID  string `json:"competitor_id"`
	Name          string `json:"name"`
	Threat        string `json:"threat,omitempty"`
	PricePosition string `json:"price_position,omitempty"`
	Strengths     string `json:"strengths,omitempty"`
	Weaknesses    string `json:"weaknesses,omitempty"`
}

// Promise is one promise quoted from a document: the entity and field it
// comes from (quote.payment_terms …) and its text.
type Promise struct {
	Source   string `json:"source"` // quote or contract
	SourceID string `json:"source_id"`
	Number   string `json:"number,omitempty"`
	Field    string `json:"field"`
	Text     string `json:"text"`
}

// Risk is one open point found at signing; its message is the catalogue
// entry "ho.risk.<kind>" with Args.
type Risk struct {
	Kind     string            `json:"kind"`
	Args     map[string]string `json:"args,omitempty"`
	Entity   string            `json:"entity,omitempty"`
	RecordID string            `json:"record_id,omitempty"`
}

// HandoverFacts is what the service gathered about a contract at signing.
type HandoverFacts struct {
	Contract    entity.Record
	Customer    string        // the customer's name
	Opportunity entity.Record // nil without one
	Quote       entity.Record // nil for contracts typed directly
	Solution    entity.Record // the latest sent or approved solution, or nil
	Plan        []HandoverPlanRow
	Contacts    []HandoverContact
	Competitors []HandoverCompetitor
	Risks       []Risk // found by the service (open requests, supply problems …)
	At          time.Time
}

// quotePromises and contractPromises are the fields whose text is a
// promise to the customer, in the order the report lists them.
var (
	quotePromises    = []string{"payment_terms", "delivery_period", "service_content", "after_sales_terms", "notes"}
	contractPromises = []string{"delivery_terms", "scope", "terms"}
)

// PromiseLabel names a promise's field ("付款条件") from the declarations.
func PromiseLabel(p Promise, l i18n.Lang) string {
	e := Quote
	if p.Source == "contract" {
		e = Contract
	}
	if f := e.Field(p.Field); f != nil {
		return f.Label.In(l)
	}
	return p.Field
}

// BuildHandover writes the first version of a hand-over: its title and
// content fields (needs from the opportunity, highlights from the
// solution, special requirements from the contract) and its sections.
func BuildHandover(f HandoverFacts) (entity.Record, HandoverSections) {
	c := f.Contract
	rec := entity.Record{
		"title":       truncate(fmt.Sprintf("客户需求总结报告 · %s · %s", c.Str("number"), f.Customer), 200),
		"contract_id": c.ID(), "customer_id": c.Str("customer_id"), "signed_on": nilIfBlank(c.Str("signed_on")),
		"opportunity_id": nilIfBlank(c.Str("opportunity_id")), "quote_id": nilIfBlank(c.Str("quote_id")),
		"delivery_owner_id": nilIfBlank(c.Str("delivery_owner_id")), "service_owner_id": nilIfBlank(c.Str("service_owner_id")),
		"version_no": int64(1), "ack_status": AckPending,
	}
	if o := f.Opportunity; o != nil {
		for _, name := range handoverFromOpportunity {
			if v := strings.TrimSpace(o.Str(name)); v != "" {
				rec[name] = v
			}
		}
	}
	sec := HandoverSections{
		Contract: HandoverContract{ID: c.ID(), Number: c.Str("number"), Title: c.Str("title"), Amount: c.Int("amount"), Currency: c.Str("currency"),
			SignedOn: c.Str("signed_on"), PaymentMethod: c.Str("payment_method"), Plan: f.Plan},
		Contacts: f.Contacts, Competitors: f.Competitors, Promises: []Promise{}, GeneratedAt: f.At.UTC(),
	}
	if sec.Contacts == nil {
		sec.Contacts = []HandoverContact{}
	}
	if sec.Competitors == nil {
		sec.Competitors = []HandoverCompetitor{}
	}
	if sec.Contract.Plan == nil {
		sec.Contract.Plan = []HandoverPlanRow{}
	}
	if s := f.Solution; s != nil {
		rec["solution_id"] = s.ID()
		sec.Solution = &HandoverSolution{ID: s.ID(), Title: s.Str("title"), VersionNo: s.Int("version_no"), Status: s.Str("status")}
		var parts []string
		if v := strings.TrimSpace(s.Str("value_statements")); v != "" {
			parts = append(parts, v)
		}
		if v := strings.TrimSpace(s.Str("technical_part")); v != "" {
			parts = append(parts, truncate(v, 2000))
		}
		if len(parts) > 0 {
			rec["solution_highlights"] = strings.Join(parts, "\n\n")
		}
	}
	if q := f.Quote; q != nil {
		for _, name := range quotePromises {
			if v := strings.TrimSpace(q.Str(name)); v != "" {
				sec.Promises = append(sec.Promises, Promise{Source: "quote", SourceID: q.ID(), Number: q.Str("number"), Field: name, Text: v})
			}
		}
	}
	var copied entity.Record
	if f.Quote != nil && c.Str("quote_id") == f.Quote.ID() {
		copied = ContractFromQuote(f.Quote)
	}
	for _, name := range contractPromises {
		if copied != nil && entity.Equal(copied[name], c[name]) {
			continue // copied from the quote, listed with it
		}
		if v := strings.TrimSpace(c.Str(name)); v != "" {
			sec.Promises = append(sec.Promises, Promise{Source: "contract", SourceID: c.ID(), Number: c.Str("number"), Field: name, Text: v})
		}
	}
	if v := strings.TrimSpace(c.Str("special_requirements")); v != "" {
		rec["special_requirements"] = v
	}
	sec.Risks = append(sec.Risks, f.Risks...)
	for _, comp := range f.Competitors {
		if comp.Threat == "high" {
			sec.Risks = append(sec.Risks, Risk{Kind: "competitor_threat", Args: map[string]string{"name": comp.Name}, Entity: "competitor", RecordID: comp.CompetitorID})
		}
	}
	for _, ct := range f.Contacts {
		if ct.Attitude == "opponent" {
			sec.Risks = append(sec.Risks, Risk{Kind: "contact_opponent", Args: map[string]string{"name": ct.Name}, Entity: "contact", RecordID: ct.ContactID})
		}
	}
	if f.Opportunity != nil && f.Solution == nil {
		sec.Risks = append(sec.Risks, Risk{Kind: "no_solution"})
	}
	if sec.Risks == nil {
		sec.Risks = []Risk{}
	}
	return rec, sec
}

// ContentChanged reports whether a person changed a hand-over's content.
func ContentChanged(old, rec entity.Record) bool {
	for _, name := range HandoverContentFields {
		if !entity.Equal(old[name], rec[name]) {
			return true
		}
	}
	return false
}

// Recipients are the users who must acknowledge a hand-over, with the
// role each receives it as (one person may be both).
func Recipients(delivery, service string) map[string]string {
	out := map[string]string{}
	if delivery != "" {
		out[delivery] = RecipientDelivery
	}
	if service != "" {
		if out[service] == RecipientDelivery {
			out[service] = RecipientBoth
		} else {
			out[service] = RecipientService
		}
	}
	return out
}

// AckStatusOf is the acknowledgement state of the current version from
// the users who acknowledged it.
func AckStatusOf(recipients map[string]string, acked []string) string {
	n := 0
	for id := range recipients {
		if slices.Contains(acked, id) {
			n++
		}
	}
	switch {
	case len(recipients) > 0 && n == len(recipients):
		return AckAcknowledged
	case n > 0:
		return AckPartly
	}
	return AckPending
}

// Paragraphs splits a text field into its paragraphs (blank lines apart),
// for lists of promises and risks.
func Paragraphs(s string) []string {
	var out []string
	for _, p := range strings.Split(strings.ReplaceAll(s, "\r\n", "\n"), "\n\n") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}

// RenderHandover renders a hand-over as text in a language: the body kept
// with every version (and what the print view, exports and other systems
// read).
func RenderHandover(l i18n.Lang, rec entity.Record, sec HandoverSections) string {
	var b strings.Builder
	h := func(title string) { fmt.Fprintf(&b, "\n【%s】\n", title) }
	line := func(label, v string) {
		if v = strings.TrimSpace(v); v != "" {
			fmt.Fprintf(&b, "%s：%s\n", label, v)
		}
	}
	label := func(name string) string { return Handover.Field(name).Label.In(l) }
	b.WriteString(rec.Str("title"))
	fmt.Fprintf(&b, "\n%s %d\n", label("version_no"), rec.Int("version_no"))
	c := sec.Contract
	h(i18n.Msg(l, "ho.sec.contract"))
	line(Contract.Field("number").Label.In(l), c.Number)
	line(Contract.Field("title").Label.In(l), c.Title)
	line(Contract.Field("amount").Label.In(l), entity.FormatMoney(c.Amount)+" "+c.Currency)
	line(Contract.Field("signed_on").Label.In(l), c.SignedOn)
	if c.PaymentMethod != "" {
		line(Contract.Field("payment_method").Label.In(l), optionLabel(PaymentMethods, c.PaymentMethod, l))
	}
	for _, r := range c.Plan {
		fmt.Fprintf(&b, "  · %s  %s  %s", r.Label, r.DueDate, entity.FormatMoney(r.Amount))
		if r.Condition != "" {
			fmt.Fprintf(&b, "  （%s）", r.Condition)
		}
		b.WriteString("\n")
	}
	h(i18n.Msg(l, "ho.sec.needs"))
	for _, name := range []string{"business_scenario", "pain_points", "budget_range", "decision_process", "decision_timeline", "explicit_needs", "latent_needs"} {
		line(label(name), rec.Str(name))
	}
	h(i18n.Msg(l, "ho.sec.solution"))
	if sec.Solution != nil {
		line(Solution.Label.In(l), fmt.Sprintf("%s（%s %d）", sec.Solution.Title, label("version_no"), sec.Solution.VersionNo))
	}
	line(label("solution_highlights"), rec.Str("solution_highlights"))
	h(i18n.Msg(l, "ho.sec.promises"))
	n := 0
	for _, p := range sec.Promises {
		n++
		fmt.Fprintf(&b, "%d. [%s %s] %s：%s\n", n, sourceLabel(p.Source, l), p.Number, PromiseLabel(p, l), p.Text)
	}
	for _, p := range Paragraphs(rec.Str("other_promises")) {
		n++
		fmt.Fprintf(&b, "%d. %s\n", n, p)
	}
	line(label("special_requirements"), rec.Str("special_requirements"))
	h(i18n.Msg(l, "ho.sec.contacts"))
	for _, ct := range sec.Contacts {
		fmt.Fprintf(&b, "  · %s", ct.Name)
		if ct.Title != "" {
			fmt.Fprintf(&b, "（%s）", ct.Title)
		}
		if ct.Role != "" {
			fmt.Fprintf(&b, " %s", optionLabel(DecisionRoles, ct.Role, l))
		}
		if ct.Primary {
			fmt.Fprintf(&b, " · %s", OpportunityContact.Field("is_primary").Label.In(l))
		}
		b.WriteString("\n")
	}
	h(i18n.Msg(l, "ho.sec.competitors"))
	for _, cp := range sec.Competitors {
		fmt.Fprintf(&b, "  · %s", cp.Name)
		if cp.Threat != "" {
			fmt.Fprintf(&b, " %s：%s", OpportunityCompetitor.Field("threat").Label.In(l), optionLabel(OpportunityCompetitor.Field("threat").Options, cp.Threat, l))
		}
		b.WriteString("\n")
	}
	h(i18n.Msg(l, "ho.sec.risks"))
	for _, r := range sec.Risks {
		fmt.Fprintf(&b, "  · %s\n", RiskText(r, l))
	}
	for _, p := range Paragraphs(rec.Str("risks")) {
		fmt.Fprintf(&b, "  · %s\n", p)
	}
	line(label("notes"), rec.Str("notes"))
	return strings.TrimSpace(b.String())
}

// RiskText is a risk's sentence in a language.
func RiskText(r Risk, l i18n.Lang) string {
	args := make([]any, 0, 2*len(r.Args))
	for k, v := range r.Args {
		args = append(args, k, v)
	}
	return i18n.Msg(l, "ho.risk."+r.Kind, args...)
}

func sourceLabel(source string, l i18n.Lang) string {
	if source == "contract" {
		return Contract.Label.In(l)
	}
	return Quote.Label.In(l)
}

func optionLabel(opts []entity.Option, code string, l i18n.Lang) string {
	for _, o := range opts {
		if o.Code == code {
			return o.Label.In(l)
		}
	}
	return code
}

func truncate(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	return string([]rune(s)[:n-1]) + "…"
}

func nilIfBlank(s string) any {
	if s == "" {
		return nil
	}
	return s
}
