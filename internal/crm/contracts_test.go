package crm

import (
	"slices"
	"strings"
	"testing"
	"time"

	"closeloop/internal/entity"
	"closeloop/internal/errs"
	"closeloop/internal/i18n"
)

func TestContractSteps(t *testing.T) {
	all := []ContractStep{CtStepEdit, CtStepConfirm, CtStepPlan, CtStepSubmit, CtStepSign, CtStepStart, CtStepComplete, CtStepTerminate}
	allowed := map[string][]ContractStep{
		ContractDraft:       {CtStepEdit, CtStepConfirm, CtStepPlan, CtStepSubmit, CtStepSign},
		ContractInApproval:  nil,
		ContractSigned:      {CtStepStart, CtStepTerminate},
		ContractInExecution: {CtStepComplete, CtStepTerminate},
		ContractCompleted:   nil,
		ContractTerminated:  nil,
	}
	refused := map[ContractStep]string{CtStepEdit: "contract_locked", CtStepConfirm: "contract_locked", CtStepPlan: "contract_locked",
		CtStepSubmit: "contract_not_submittable", CtStepSign: "contract_not_signable", CtStepStart: "contract_not_signed",
		CtStepComplete: "contract_not_in_execution", CtStepTerminate: "contract_not_terminable"}
	for status, ok := range allowed {
		for _, step := range all {
			err := CheckContractStep(status, step)
			if slices.Contains(ok, step) {
				if err != nil {
					t.Errorf("%s may %s: %v", status, step, err)
				}
				continue
			}
			if codeOf(err) != refused[step] || errs.KindOf(err) != errs.Unprocessable {
				t.Errorf("%s %s: got %v, want 422 %s", status, step, err, refused[step])
			}
		}
	}
	for step, want := range map[ContractStep]string{CtStepSubmit: ContractInApproval, CtStepSign: ContractSigned, CtStepStart: ContractInExecution,
		CtStepComplete: ContractCompleted, CtStepTerminate: ContractTerminated, CtStepEdit: ""} {
		if got := ContractNext(step); got != want {
			t.Errorf("after %s: %q, want %q", step, got, want)
		}
	}
}

func TestTermChecklist(t *testing.T) {
	cases := []struct {
		name               string
		confirmed, changed []string
		reopened, missing  []string
	}{
		{"nothing confirmed", nil, []string{"amount"}, nil, []string{"price", "delivery", "scope", "payment", "acceptance", "after_sales"}},
		{"price reopens on the amount", []string{"price", "scope"}, []string{"amount"}, []string{"price"}, []string{"price", "delivery", "payment", "acceptance", "after_sales"}},
		{"currency is the price too", []string{"price"}, []string{"currency"}, []string{"price"}, nil},
		{"terms reopen acceptance and after-sales", []string{"acceptance", "after_sales", "delivery"}, []string{"terms"}, []string{"acceptance", "after_sales"}, nil},
		{"a title change reopens nothing", []string{"price", "delivery", "scope", "payment", "acceptance", "after_sales"}, []string{"title"}, nil, nil},
		{"payment method", []string{"payment"}, []string{"payment_method", "scope"}, []string{"payment"}, nil},
	}
	for _, c := range cases {
		if got := TermsReopened(c.confirmed, c.changed); !slices.Equal(got, c.reopened) {
			t.Errorf("%s: reopened %v, want %v", c.name, got, c.reopened)
		}
		if c.missing != nil {
			left := slices.DeleteFunc(slices.Clone(c.confirmed), func(x string) bool { return slices.Contains(c.reopened, x) })
			if got := MissingTerms(left); !slices.Equal(got, c.missing) {
				t.Errorf("%s: missing %v, want %v", c.name, got, c.missing)
			}
		}
	}
	if got := SortTerms([]string{"after_sales", "price", "nonsense"}); !slices.Equal(got, []string{"price", "after_sales"}) {
		t.Errorf("sorted %v", got)
	}
	if !IsTermItem("acceptance") || IsTermItem("colour") {
		t.Error("term items")
	}
	for _, o := range ContractTermItems {
		for _, f := range TermFields(o.Code) {
			if Contract.Field(f) == nil || !slices.Contains(ContractContentFields, f) {
				t.Errorf("term %s names %s, not a locked content field of the contract", o.Code, f)
			}
		}
	}
}

func TestCheckSign(t *testing.T) {
	all := []string{"price", "delivery", "scope", "payment", "acceptance", "after_sales"}
	ok := SignFacts{Status: ContractDraft, Confirmed: all, Amount: 1000000, PlanSum: 1000000, PlanRows: 3, DeliveryOwner: "d", ServiceOwner: "s",
		SignedOn: "2026-11-20", Today: "2026-11-21", SignerContact: "c", SignerOfClient: true}
	if err := CheckSign(ok); err != nil {
		t.Fatalf("ready contract: %v", err)
	}
	cases := []struct {
		name  string
		edit  func(*SignFacts)
		code  string
		check func(t *testing.T, e *errs.Error)
	}{
		{"signed already", func(f *SignFacts) { f.Status = ContractSigned }, "contract_not_signable", nil},
		{"in approval", func(f *SignFacts) { f.Status = ContractInApproval }, "contract_not_signable", nil},
		{"no date", func(f *SignFacts) { f.SignedOn = "" }, "signed_on:required", nil},
		{"bad date", func(f *SignFacts) { f.SignedOn = "2026-13-01" }, "signed_on:invalid_date", nil},
		{"tomorrow", func(f *SignFacts) { f.SignedOn = "2026-11-22" }, "signed_on:contract_signed_in_future", nil},
		{"no signatory", func(f *SignFacts) { f.SignerContact = "" }, "signer_contact_id:required", nil},
		{"signatory of another customer", func(f *SignFacts) { f.SignerOfClient = false }, "signer_contact_id:contract_signer_not_of_customer", nil},
		{"two terms open", func(f *SignFacts) { f.Confirmed = []string{"price", "scope", "payment", "after_sales"} }, "contract_terms_unconfirmed", func(t *testing.T, e *errs.Error) {
			if e.Args["missing"] != "交货期与交付方式、验收标准" || e.Args["missing_en"] != "Delivery, Acceptance criteria" {
				t.Errorf("missing named %v", e.Args)
			}
		}},
		{"plan short by a fen", func(f *SignFacts) { f.PlanSum = 999999 }, "payment_plan_mismatch", func(t *testing.T, e *errs.Error) {
			if e.Args["plan_sum"] != "9,999.99" || e.Args["amount"] != "10,000.00" {
				t.Errorf("sums %v", e.Args)
			}
		}},
		{"no plan", func(f *SignFacts) { f.PlanSum, f.PlanRows, f.Amount = 0, 0, 0 }, "payment_plan_mismatch", nil},
		{"no after-sales owner", func(f *SignFacts) { f.ServiceOwner = "" }, "handover_recipients_missing", func(t *testing.T, e *errs.Error) {
			if e.Args["missing"] != "售后负责人" {
				t.Errorf("recipients %v", e.Args)
			}
		}},
		{"approval needed", func(f *SignFacts) { f.NeedsApproval = true }, "contract_needs_approval", nil},
	}
	for _, c := range cases {
		f := ok
		c.edit(&f)
		err := CheckSign(f)
		if got := codeOf(err); got != c.code {
			t.Errorf("%s: %q, want %q (%v)", c.name, got, c.code, err)
			continue
		}
		if c.check != nil {
			c.check(t, errs.As(err))
		}
	}
	if err := CheckSign(SignFacts{Status: ContractDraft, NeedsApproval: true, Approved: true, Confirmed: all, Amount: 5, PlanSum: 5, PlanRows: 1, DeliveryOwner: "d", ServiceOwner: "d", SignedOn: "2026-01-01", SignerContact: "c", SignerOfClient: true}); err != nil {
		t.Errorf("approved, one person both recipients: %v", err)
	}
	// Every refusal at once in the data.
	err := CheckSign(SignFacts{Status: ContractDraft, Amount: 10, PlanSum: 5, PlanRows: 1, NeedsApproval: true, SignedOn: "2026-01-01", SignerContact: "c", SignerOfClient: true})
	e := errs.As(err)
	rs := e.Data.(map[string]any)["refusals"].([]Refusal)
	var codes []string
	for _, r := range rs {
		codes = append(codes, r.Code)
	}
	if want := []string{"contract_terms_unconfirmed", "payment_plan_mismatch", "handover_recipients_missing", "contract_needs_approval"}; !slices.Equal(codes, want) {
		t.Errorf("refusals %v, want %v", codes, want)
	}
	if e.Code != "contract_terms_unconfirmed" {
		t.Errorf("first refusal names the error: %s", e.Code)
	}
}

func TestSplitPlan(t *testing.T) {
	cases := []struct {
		name   string
		amount int64
		bps    []int64
		days   []int
		want   []int64
		kinds  []string
	}{
		{"30/60/10 of 100,000.01", 10000001, []int64{3000, 6000, 1000}, []int{0, 90, 365}, []int64{3000000, 6000001, 1000000}, []string{"advance", "on_acceptance", "retention"}},
		{"thirds of 100.00", 10000, []int64{3333, 3333, 3334}, []int{0, 30, 60}, []int64{3333, 3333, 3334}, nil},
		{"thirds of 1.00 half-up", 100, []int64{3350, 3350, 3300}, []int{0, 0, 0}, []int64{34, 34, 32}, nil},
		{"half-up at .5", 3, []int64{5000, 5000}, []int{0, 10}, []int64{2, 1}, []string{"advance", "on_acceptance"}},
		{"one part", 12345, []int64{10000}, []int{15}, []int64{12345}, []string{"other"}},
		{"four parts", 1000000, []int64{3000, 4000, 2000, 1000}, []int{0, 30, 60, 365}, []int64{300000, 400000, 200000, 100000}, []string{"advance", "on_delivery", "on_acceptance", "retention"}},
	}
	for _, c := range cases {
		var parts []PlanPart
		for i, bp := range c.bps {
			parts = append(parts, PlanPart{PercentBP: bp, Days: c.days[i]})
		}
		rows, err := SplitPlan(c.amount, "2026-11-30", parts)
		if err != nil {
			t.Errorf("%s: %v", c.name, err)
			continue
		}
		var got []int64
		var kinds []string
		for _, r := range rows {
			got = append(got, r.Amount)
			kinds = append(kinds, r.Kind)
		}
		if !slices.Equal(got, c.want) {
			t.Errorf("%s: %v, want %v", c.name, got, c.want)
		}
		if PlanSum(rows) != c.amount {
			t.Errorf("%s: parts add up to %d, not %d", c.name, PlanSum(rows), c.amount)
		}
		if c.kinds != nil && !slices.Equal(kinds, c.kinds) {
			t.Errorf("%s: kinds %v, want %v", c.name, kinds, c.kinds)
		}
		if err := CheckPlan(c.amount, rows); err != nil {
			t.Errorf("%s: a proposal is a valid plan: %v", c.name, err)
		}
	}
	rows, _ := SplitPlan(100, "2026-11-30", []PlanPart{{Kind: "advance", PercentBP: 5000, Days: 0}, {Kind: "on_delivery", PercentBP: 5000, Days: 31, Condition: " 到货后 "}})
	if rows[0].DueDate != "2026-11-30" || rows[1].DueDate != "2026-12-31" || rows[1].Condition != "到货后" || rows[1].Kind != "on_delivery" {
		t.Errorf("dates and conditions %+v", rows)
	}
	// Property: any split of any amount adds up exactly.
	for amount := int64(1); amount < 5000; amount += 37 {
		for _, bps := range [][]int64{{3000, 6000, 1000}, {3333, 3333, 3334}, {1, 9999}, {2500, 2500, 2500, 2500}} {
			if amount < int64(len(bps)) {
				continue
			}
			var parts []PlanPart
			for _, bp := range bps {
				parts = append(parts, PlanPart{PercentBP: bp})
			}
			rows, err := SplitPlan(amount, "2026-01-01", parts)
			if err != nil {
				if codeOf(err) != "parts[0].percent_bp:instalment_amount_positive" && !strings.HasSuffix(codeOf(err), ":instalment_amount_positive") {
					t.Errorf("%d %v: %v", amount, bps, err)
				}
				continue
			}
			if PlanSum(rows) != amount {
				t.Fatalf("%d %v: sum %d", amount, bps, PlanSum(rows))
			}
		}
	}
	bad := []struct {
		name   string
		amount int64
		from   string
		parts  []PlanPart
		code   string
	}{
		{"not 100 %", 100, "2026-01-01", []PlanPart{{PercentBP: 3000}, {PercentBP: 6000}}, "parts:plan_percent_total"},
		{"zero share", 100, "2026-01-01", []PlanPart{{PercentBP: 0}, {PercentBP: 10000}}, "parts[0].percent_bp:out_of_range"},
		{"negative days", 100, "2026-01-01", []PlanPart{{PercentBP: 10000, Days: -1}}, "parts[0].days:out_of_range"},
		{"bad start", 100, "soon", []PlanPart{{PercentBP: 10000}}, "from:invalid_date"},
		{"no parts", 100, "2026-01-01", nil, "parts:required"},
		{"no amount", 0, "2026-01-01", []PlanPart{{PercentBP: 10000}}, "amount:instalment_amount_positive"},
		{"a fen cannot be split in two", 1, "2026-01-01", []PlanPart{{PercentBP: 5000}, {PercentBP: 5000}}, "parts[1].percent_bp:instalment_amount_positive"},
	}
	for _, c := range bad {
		if _, err := SplitPlan(c.amount, c.from, c.parts); codeOf(err) != c.code {
			t.Errorf("%s: %v, want %s", c.name, err, c.code)
		}
	}
}

func TestParsePercents(t *testing.T) {
	for in, want := range map[string][]int64{"30/60/10": {3000, 6000, 1000}, "33.33, 33.33, 33.34": {3333, 3333, 3334}, "50% 50%": {5000, 5000}, "30、70": {3000, 7000}} {
		got, err := ParsePercents(in)
		if err != nil || !slices.Equal(got, want) {
			t.Errorf("%q: %v %v", in, got, err)
		}
	}
	for _, in := range []string{"", "a/b", "33.333/66.667"} {
		if _, err := ParsePercents(in); err == nil {
			t.Errorf("%q accepted", in)
		}
	}
}

func TestCheckPlan(t *testing.T) {
	good := []PlanRow{{Kind: "advance", DueDate: "2026-12-01", Amount: 300}, {Kind: "on_delivery", DueDate: "2026-12-01", Amount: 600}, {Kind: "retention", DueDate: "2027-12-01", Amount: 100, Condition: "质保期满"}}
	if err := CheckPlan(1000, good); err != nil {
		t.Fatal(err)
	}
	row := func(i int, edit func(*PlanRow)) []PlanRow {
		rs := slices.Clone(good)
		edit(&rs[i])
		return rs
	}
	cases := []struct {
		name string
		rows []PlanRow
		code string
	}{
		{"empty", nil, "instalments:payment_plan_empty"},
		{"no kind", row(1, func(r *PlanRow) { r.Kind = "" }), "instalments[1].kind:required"},
		{"unknown kind", row(0, func(r *PlanRow) { r.Kind = "bonus" }), "instalments[0].kind:invalid_option"},
		{"no date", row(2, func(r *PlanRow) { r.DueDate = "" }), "instalments[2].due_date:required"},
		{"bad date", row(2, func(r *PlanRow) { r.DueDate = "2027-02-30" }), "instalments[2].due_date:invalid_date"},
		{"dates out of order", row(1, func(r *PlanRow) { r.DueDate = "2026-11-30" }), "instalments[1].due_date:instalment_date_order"},
		{"zero amount", row(0, func(r *PlanRow) { r.Amount = 0 }), "instalments[0].amount:instalment_amount_positive"},
		{"negative amount", row(0, func(r *PlanRow) { r.Amount = -300 }), "instalments[0].amount:instalment_amount_positive"},
		{"long condition", row(0, func(r *PlanRow) { r.Condition = strings.Repeat("款", 301) }), "instalments[0].condition:too_long"},
		{"sum", row(2, func(r *PlanRow) { r.Amount = 99 }), "payment_plan_mismatch"},
	}
	for _, c := range cases {
		if got := codeOf(CheckPlan(1000, c.rows)); got != c.code {
			t.Errorf("%s: %q, want %q", c.name, got, c.code)
		}
	}
	// Every row problem at once.
	rs := row(0, func(r *PlanRow) { r.Kind, r.Amount = "", 0 })
	if e := errs.As(CheckPlan(1000, rs)); e == nil || len(e.Fields) != 2 {
		t.Errorf("two problems of a row: %v", e)
	}
	e := errs.As(CheckPlan(1000, row(2, func(r *PlanRow) { r.Amount = 99 })))
	if d := e.Data.(map[string]any); d["plan_sum"] != int64(999) || d["amount"] != int64(1000) || d["difference"] != int64(1) {
		t.Errorf("mismatch data %v", d)
	}
	if InstalmentLabel(2, "on_delivery") != "第2期 到货款" || InstalmentLabel(1, "advance") != "第1期 预付款" {
		t.Errorf("labels %q", InstalmentLabel(2, "on_delivery"))
	}
}

func TestBuildHandover(t *testing.T) {
	c := entity.Record{"id": "c1", "number": "HT-202611-0001", "title": "MES 一期", "customer_id": "cu1", "opportunity_id": "o1", "quote_id": "q1",
		"amount": int64(1200000000), "currency": "CNY", "signed_on": "2026-11-20", "delivery_owner_id": "u-d", "service_owner_id": "u-s",
		"scope": "MES 软件及实施", "terms": "验收标准：连续运行 30 天", "special_requirements": "夜间施工，周末停线", "delivery_terms": "合同签订后 60 天内交付",
		"payment_method": "bank_transfer", "signer_contact_id": "ct1"}
	f := HandoverFacts{
		Contract: c, Customer: "苏州精密机械有限公司",
		Opportunity: entity.Record{"id": "o1", "pain_points": "换线时间长，质量追溯靠纸质记录", "business_scenario": "多品种小批量", "budget_range": "1000-1500 万",
			"decision_process": "技术部评估 → 总经理办公会", "decision_timeline": "2026 年 Q4", "explicit_needs": "MES、追溯", "latent_needs": "设备联网"},
		Quote:       entity.Record{"id": "q1", "number": "Q-202611-0007", "payment_terms": "3:6:1", "delivery_period": "60 天", "service_content": "驻场实施 3 个月", "after_sales_terms": "质保两年，4 小时响应", "notes": "免费培训 20 人次"},
		Solution:    entity.Record{"id": "s1", "title": "MES 总体方案", "version_no": int64(2), "status": SolSent, "value_statements": "换线时间缩短 40%", "technical_part": "三层架构"},
		Plan:        []HandoverPlanRow{{Label: "第1期 预付款", Kind: "advance", DueDate: "2026-11-30", Amount: 360000000}},
		Contacts:    []HandoverContact{{ContactID: "ct1", Name: "周总", Role: "decision_maker", Primary: true, Signer: true}, {ContactID: "ct2", Name: "吴工", Role: "technical_lead", Attitude: "opponent"}},
		Competitors: []HandoverCompetitor{{CompetitorID: "k1", Name: "西门子", Threat: "high"}, {CompetitorID: "k2", Name: "本地集成商", Threat: "low"}},
		Risks:       []Risk{{Kind: "presales_open", Args: map[string]string{"title": "二期调研"}}},
		At:          time.Date(2026, 11, 20, 8, 0, 0, 0, time.UTC),
	}
	rec, sec := BuildHandover(f)
	if rec.Str("pain_points") != "换线时间长，质量追溯靠纸质记录" || rec.Str("latent_needs") != "设备联网" || rec.Str("decision_process") == "" {
		t.Errorf("needs not copied: %v", rec)
	}
	if rec.Str("special_requirements") != "夜间施工，周末停线" || !strings.Contains(rec.Str("solution_highlights"), "换线时间缩短 40%") || rec.Str("solution_id") != "s1" {
		t.Errorf("requirements and highlights: %v", rec)
	}
	if rec.Str("delivery_owner_id") != "u-d" || rec.Str("service_owner_id") != "u-s" || rec.Int("version_no") != 1 || rec.Str("ack_status") != AckPending {
		t.Errorf("recipients and state: %v", rec)
	}
	if !strings.Contains(rec.Str("title"), "HT-202611-0001") || !strings.Contains(rec.Str("title"), "苏州精密机械") {
		t.Errorf("title %q", rec.Str("title"))
	}
	var promised []string
	for _, p := range sec.Promises {
		promised = append(promised, p.Source+"."+p.Field+"="+p.Text)
	}
	for _, want := range []string{"quote.payment_terms=3:6:1", "quote.delivery_period=60 天", "quote.service_content=驻场实施 3 个月", "quote.after_sales_terms=质保两年，4 小时响应",
		"quote.notes=免费培训 20 人次", "contract.delivery_terms=合同签订后 60 天内交付", "contract.scope=MES 软件及实施", "contract.terms=验收标准：连续运行 30 天"} {
		if !slices.Contains(promised, want) {
			t.Errorf("promise %s missing from %v", want, promised)
		}
	}
	var risks []string
	for _, r := range sec.Risks {
		risks = append(risks, r.Kind)
	}
	if !slices.Equal(risks, []string{"presales_open", "competitor_threat", "contact_opponent"}) {
		t.Errorf("risks %v", risks)
	}
	if sec.Solution == nil || sec.Solution.VersionNo != 2 || len(sec.Contacts) != 2 || len(sec.Competitors) != 2 || sec.Contract.Amount != 1200000000 {
		t.Errorf("sections %+v", sec)
	}
	body := RenderHandover(i18n.ZH, rec, sec)
	for _, want := range []string{"换线时间长", "3:6:1", "免费培训 20 人次", "周总", "西门子", "售前申请「二期调研」尚未关闭", "12,000,000.00", "第1期 预付款", "夜间施工"} {
		if !strings.Contains(body, want) {
			t.Errorf("body lacks %q:\n%s", want, body)
		}
	}
	rec["other_promises"] = "口头承诺：首年免费巡检两次\n\n项目经理驻场"
	en := RenderHandover(i18n.EN, rec, sec)
	for _, want := range []string{"Pain points", "Payment terms", "首年免费巡检两次", "项目经理驻场", "Competitor 西门子 is a high threat"} {
		if !strings.Contains(en, want) {
			t.Errorf("English body lacks %q:\n%s", want, en)
		}
	}
	// A contract typed directly, without a deal: no needs, no solution risk.
	rec, sec = BuildHandover(HandoverFacts{Contract: entity.Record{"id": "c2", "number": "HT-1", "customer_id": "cu"}, Customer: "某公司"})
	if len(sec.Risks) != 0 || len(sec.Promises) != 0 || rec["pain_points"] != nil || sec.Contacts == nil {
		t.Errorf("bare contract: %v %+v", rec, sec)
	}
	if _, sec = BuildHandover(HandoverFacts{Contract: c, Opportunity: entity.Record{"id": "o"}}); sec.Risks[len(sec.Risks)-1].Kind != "no_solution" {
		t.Errorf("deal without a solution: %v", sec.Risks)
	}
}

func TestRecipientsAndAcknowledgement(t *testing.T) {
	r := Recipients("d", "s")
	if r["d"] != RecipientDelivery || r["s"] != RecipientService || len(r) != 2 {
		t.Errorf("two people: %v", r)
	}
	if r := Recipients("x", "x"); len(r) != 1 || r["x"] != RecipientBoth {
		t.Errorf("one person both: %v", r)
	}
	if r := Recipients("", "s"); len(r) != 1 {
		t.Errorf("one recipient: %v", r)
	}
	cases := []struct {
		acked []string
		want  string
	}{
		{nil, AckPending}, {[]string{"d"}, AckPartly}, {[]string{"s", "d"}, AckAcknowledged}, {[]string{"someone"}, AckPending},
	}
	for _, c := range cases {
		if got := AckStatusOf(Recipients("d", "s"), c.acked); got != c.want {
			t.Errorf("%v: %s, want %s", c.acked, got, c.want)
		}
	}
	if AckStatusOf(Recipients("x", "x"), []string{"x"}) != AckAcknowledged {
		t.Error("one person for both")
	}
	old := entity.Record{"pain_points": "a", "notes": nil}
	if ContentChanged(old, entity.Record{"pain_points": "a"}) || !ContentChanged(old, entity.Record{"pain_points": "b"}) {
		t.Error("content change")
	}
	if got := Paragraphs("一\n\n二\r\n\r\n  \n\n三\n续"); !slices.Equal(got, []string{"一", "二", "三\n续"}) {
		t.Errorf("paragraphs %q", got)
	}
}
