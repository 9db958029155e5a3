package crm

import (
	"math"
	"testing"

	"closeloop/internal/errs"
)

func TestQuoteSteps(t *testing.T) {
	all := []QuoteStep{QuoteStepEdit, QuoteStepSubmit, QuoteStepDecide, QuoteStepSend, QuoteStepAccept, QuoteStepReject, QuoteStepExpire, QuoteStepRevise, QuoteStepDelete}
	allowed := map[string][]QuoteStep{
		QuoteDraft:      {QuoteStepEdit, QuoteStepSubmit, QuoteStepSend, QuoteStepDelete},
		QuoteInApproval: {QuoteStepDecide, QuoteStepExpire},
		QuoteApproved:   {QuoteStepSend, QuoteStepRevise, QuoteStepExpire},
		QuoteSent:       {QuoteStepAccept, QuoteStepReject, QuoteStepRevise, QuoteStepExpire},
		QuoteAccepted:   nil,
		QuoteRejected:   {QuoteStepRevise},
		QuoteExpired:    {QuoteStepRevise},
		QuoteSuperseded: nil,
	}
	// Every status of the declaration is in the table.
	for _, o := range QuoteStatuses {
		if _, ok := allowed[o.Code]; !ok {
			t.Fatalf("status %s not covered", o.Code)
		}
	}
	for status, steps := range allowed {
		for _, step := range all {
			want := false
			for _, s := range steps {
				want = want || s == step
			}
			if got := CanQuote(status, step); got != want {
				t.Errorf("%s / %s: %v, want %v", status, step, got, want)
			}
			err := CheckQuoteStep(status, step)
			if (err == nil) != want {
				t.Errorf("%s / %s: check %v", status, step, err)
			}
			if err != nil && errs.KindOf(err) != errs.Unprocessable {
				t.Errorf("%s / %s: kind %v", status, step, errs.KindOf(err))
			}
		}
	}
	codes := []struct {
		status string
		step   QuoteStep
		code   string
	}{
		{QuoteApproved, QuoteStepEdit, "quote_locked"},
		{QuoteSent, QuoteStepEdit, "quote_locked"},
		{QuoteInApproval, QuoteStepEdit, "quote_locked"},
		{QuoteInApproval, QuoteStepSend, "quote_needs_approval"},
		{QuoteSent, QuoteStepSend, "quote_not_sendable"},
		{QuoteAccepted, QuoteStepSend, "quote_not_sendable"},
		{QuoteDraft, QuoteStepAccept, "quote_not_sent"},
		{QuoteApproved, QuoteStepReject, "quote_not_sent"},
		{QuoteAccepted, QuoteStepReject, "quote_not_sent"},
		{QuoteApproved, QuoteStepSubmit, "quote_not_submittable"},
		{QuoteDraft, QuoteStepRevise, "quote_not_revisable"},
		{QuoteSuperseded, QuoteStepRevise, "quote_not_revisable"},
		{QuoteAccepted, QuoteStepRevise, "quote_not_revisable"},
		{QuoteSent, QuoteStepDelete, "quote_locked"},
		{QuoteDraft, QuoteStepDecide, "quote_not_in_approval"},
	}
	for _, c := range codes {
		if got := errs.CodeOf(CheckQuoteStep(c.status, c.step)); got != c.code {
			t.Errorf("%s / %s: code %q, want %q", c.status, c.step, got, c.code)
		}
	}
}

func TestQuoteDecisionsAndExpiry(t *testing.T) {
	for outcome, want := range map[string]string{"approved": QuoteApproved, "returned": QuoteDraft, "rejected": QuoteDraft} {
		if got, ok := QuoteAfterDecision(outcome); !ok || got != want {
			t.Errorf("%s → %s %v", outcome, got, ok)
		}
	}
	if _, ok := QuoteAfterDecision("cancelled"); ok {
		t.Error("unknown outcome accepted")
	}
	cases := []struct {
		status, until, today string
		want                 bool
	}{
		{QuoteSent, "2026-12-01", "2026-12-02", true},
		{QuoteSent, "2026-12-02", "2026-12-02", false}, // valid through its last day
		{QuoteApproved, "2026-11-30", "2026-12-02", true},
		{QuoteInApproval, "2026-11-30", "2026-12-02", true},
		{QuoteDraft, "2026-11-30", "2026-12-02", false}, // not an offer yet
		{QuoteAccepted, "2026-11-30", "2026-12-02", false},
		{QuoteRejected, "2026-11-30", "2026-12-02", false},
		{QuoteExpired, "2026-11-30", "2026-12-02", false},
		{QuoteSuperseded, "2026-11-30", "2026-12-02", false},
		{QuoteSent, "", "2026-12-02", false},
	}
	for _, c := range cases {
		if got := QuoteExpires(c.status, c.until, c.today); got != c.want {
			t.Errorf("%s until %s on %s: %v", c.status, c.until, c.today, got)
		}
	}
}

func TestQuoteSubmission(t *testing.T) {
	ok := QuoteSubmission{Lines: 2, ValidUntil: "2026-12-31", Today: "2026-12-02"}
	if err := ok.Check(); err != nil {
		t.Fatal(err)
	}
	fields := func(err error) map[string]string {
		out := map[string]string{}
		if e := errs.As(err); e != nil {
			for _, f := range e.Fields {
				out[f.Field] = f.Code
			}
		}
		return out
	}
	bad := QuoteSubmission{Lines: 0, ValidUntil: "2026-12-01", Today: "2026-12-02", NeedsApproval: true}
	got := fields(bad.Check())
	want := map[string]string{"lines": "quote_no_lines", "valid_until": "quote_valid_until_past", "discount_reason": "quote_discount_reason_required"}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("%s: %q, want %q (all %v)", k, got[k], v, got)
		}
	}
	// The reason may be on the quote or in the submit note.
	for _, s := range []QuoteSubmission{
		{Lines: 1, ValidUntil: "2026-12-31", Today: "2026-12-02", NeedsApproval: true, DiscountReason: "年度框架客户"},
		{Lines: 1, ValidUntil: "2026-12-31", Today: "2026-12-02", NeedsApproval: true, Reason: "竞品报价低 8%"},
		{Lines: 1, ValidUntil: "2026-12-31", Today: "2026-12-02", NeedsApproval: false},
	} {
		if err := s.Check(); err != nil {
			t.Errorf("%+v: %v", s, err)
		}
	}
	if errs.CodeOf(CheckRejection("  ")) != "validation" || fields(CheckRejection(""))["reason"] != "quote_reject_reason_required" {
		t.Error("rejection without a reason accepted")
	}
	if err := CheckRejection("预算削减"); err != nil {
		t.Error(err)
	}
}

func TestResolvePrice(t *testing.T) {
	q := PriceQuery{ListPrice: 100000, Currency: "CNY", CustomerID: "c1", Level: "A", Quantity: 10, Today: "2026-12-02"}
	level := PriceItem{ListID: "lvA", ListCode: "A-2026", Level: "A", Currency: "CNY", Active: true, UnitPrice: 92000, MinQty: 1}
	levelB := PriceItem{ListID: "lvB", ListCode: "B-2026", Level: "B", Currency: "CNY", Active: true, UnitPrice: 80000, MinQty: 1}
	cust := PriceItem{ListID: "cu1", ListCode: "C1", CustomerID: "c1", Currency: "CNY", Active: true, UnitPrice: 95000, MinQty: 1,
		ValidFrom: "2026-01-01", ValidTo: "2026-12-31"}
	other := PriceItem{ListID: "cu2", ListCode: "C2", CustomerID: "c2", Currency: "CNY", Active: true, UnitPrice: 50000, MinQty: 1}
	chosen := PriceItem{ListID: "promo", ListCode: "PROMO", Currency: "CNY", Active: true, UnitPrice: 97000, MinQty: 1}
	cases := []struct {
		name  string
		q     PriceQuery
		items []PriceItem
		want  Price
	}{
		{"no lists: the list price", q, nil, Price{100000, PriceFromProduct, ""}},
		{"level list", q, []PriceItem{level, levelB, other}, Price{92000, PriceFromLevelList, "lvA"}},
		// The customer's own list wins over its level's even when dearer.
		{"customer list over level", q, []PriceItem{level, cust}, Price{95000, PriceFromCustomerList, "cu1"}},
		{"customer list expired", with(q, func(q *PriceQuery) { q.Today = "2027-01-05" }), []PriceItem{level, cust}, Price{92000, PriceFromLevelList, "lvA"}},
		{"customer list not yet valid", with(q, func(q *PriceQuery) { q.Today = "2025-12-31" }), []PriceItem{cust}, Price{100000, PriceFromProduct, ""}},
		{"valid on its first and last day", with(q, func(q *PriceQuery) { q.Today = "2026-12-31" }), []PriceItem{cust}, Price{95000, PriceFromCustomerList, "cu1"}},
		{"inactive list ignored", q, []PriceItem{withItem(cust, func(i *PriceItem) { i.Active = false }), level}, Price{92000, PriceFromLevelList, "lvA"}},
		{"another currency ignored", q, []PriceItem{withItem(cust, func(i *PriceItem) { i.Currency = "USD" })}, Price{100000, PriceFromProduct, ""}},
		{"minimum quantity not reached", with(q, func(q *PriceQuery) { q.Quantity = 4 }), []PriceItem{withItem(cust, func(i *PriceItem) { i.MinQty = 5 }), level},
			Price{92000, PriceFromLevelList, "lvA"}},
		{"minimum quantity reached", with(q, func(q *PriceQuery) { q.Quantity = 5 }), []PriceItem{withItem(cust, func(i *PriceItem) { i.MinQty = 5 }), level},
			Price{95000, PriceFromCustomerList, "cu1"}},
		{"no level: level lists do not apply", with(q, func(q *PriceQuery) { q.Level = "" }), []PriceItem{level}, Price{100000, PriceFromProduct, ""}},
		{"the quote's chosen list first", with(q, func(q *PriceQuery) { q.QuoteList = "promo" }), []PriceItem{cust, level, chosen}, Price{97000, PriceFromQuoteList, "promo"}},
		{"a chosen list for another customer does not apply", with(q, func(q *PriceQuery) { q.QuoteList = "cu2" }), []PriceItem{other, level}, Price{92000, PriceFromLevelList, "lvA"}},
		{"two lists of one tier: the lower price", q, []PriceItem{level, withItem(level, func(i *PriceItem) { i.ListID, i.ListCode, i.UnitPrice = "lvA2", "A-SPECIAL", 91000 })},
			Price{91000, PriceFromLevelList, "lvA2"}},
		{"same price: by code, whatever the order", q, []PriceItem{withItem(level, func(i *PriceItem) { i.ListID, i.ListCode = "z", "Z" }), withItem(level, func(i *PriceItem) { i.ListID, i.ListCode = "y", "Y" })},
			Price{92000, PriceFromLevelList, "y"}},
	}
	for _, c := range cases {
		if got := ResolvePrice(c.q, c.items); got != c.want {
			t.Errorf("%s: %+v, want %+v", c.name, got, c.want)
		}
		// Order of the items never matters.
		rev := make([]PriceItem, len(c.items))
		for i, it := range c.items {
			rev[len(c.items)-1-i] = it
		}
		if got := ResolvePrice(c.q, rev); got != c.want {
			t.Errorf("%s reversed: %+v, want %+v", c.name, got, c.want)
		}
	}
}

func with(q PriceQuery, fn func(*PriceQuery)) PriceQuery { fn(&q); return q }

func withItem(it PriceItem, fn func(*PriceItem)) PriceItem { fn(&it); return it }

func TestAmountInWords(t *testing.T) {
	cases := map[int64]string{
		0:                "零元整",
		1:                "壹分",
		10:               "壹角整",
		56:               "伍角陆分",
		100:              "壹元整",
		105:              "壹元零伍分",
		1000:             "壹拾元整",
		1050:             "壹拾元伍角整",
		1234560:          "壹万贰仟叁佰肆拾伍元陆角整",
		1234567:          "壹万贰仟叁佰肆拾伍元陆角柒分",
		100005:           "壹仟元零伍分",
		102005:           "壹仟零贰拾元零伍分",
		1000000:          "壹万元整",
		1000500:          "壹万零伍元整",
		10000000:         "壹拾万元整",
		10000100:         "壹拾万零壹元整",
		10100000:         "壹拾万壹仟元整",
		100100000:        "壹佰万壹仟元整",
		100010000:        "壹佰万零壹佰元整",
		1000000100:       "壹仟万零壹元整",
		10000000000:      "壹亿元整",
		10000100000:      "壹亿零壹仟元整",
		10001000000:      "壹亿零壹万元整",
		101000000000:     "壹拾亿壹仟万元整",
		123450000000000:  "壹万贰仟叁佰肆拾伍亿元整",
		1234500000000000: "壹拾贰万叁仟肆佰伍拾亿元整",
		100000000000000:  "壹万亿元整",
		14534306:         "壹拾肆万伍仟叁佰肆拾叁元零陆分",
		-1234560:         "负壹万贰仟叁佰肆拾伍元陆角整",
		math.MaxInt64:    "玖亿贰仟贰佰叁拾叁万柒仟贰佰零叁亿陆仟捌佰伍拾肆万柒仟柒佰伍拾捌元零柒分",
	}
	for fen, want := range cases {
		if got := AmountInWords(fen); got != want {
			t.Errorf("%d: %s, want %s", fen, got, want)
		}
	}
}
