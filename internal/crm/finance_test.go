package crm

import (
	"slices"
	"testing"
	"time"

	"closeloop/internal/entity"
	"closeloop/internal/errs"
	"closeloop/internal/i18n"
)

// A plan of three instalments: advance 30 000.00 due 1 March, delivery
// 50 000.00 due 1 May, retention 20 000.00 due 1 May of the next year.
func testPlan() []PlanItem {
	return []PlanItem{
		{ID: "c", Position: 3, Label: "第3期 质保金", Due: "2027-05-01", Amount: 2_000_000},
		{ID: "a", Position: 1, Label: "第1期 预付款", Due: "2026-03-01", Amount: 3_000_000},
		{ID: "b", Position: 2, Label: "第2期 到货款", LabelEn: "No. 2 On delivery", Due: "2026-05-01", Amount: 5_000_000},
	}
}

func withPlan(plan []PlanItem, id string, invoiced, paid int64) []PlanItem {
	out := slices.Clone(plan)
	for i := range out {
		if out[i].ID == id {
			out[i].Invoiced, out[i].Paid = invoiced, paid
		}
	}
	return out
}

func code(err error) string {
	if err == nil {
		return ""
	}
	if e := errs.As(err); e != nil {
		if e.Code == "validation" && len(e.Fields) > 0 {
			return e.Fields[0].Code
		}
		return e.Code
	}
	return err.Error()
}

func TestInstalmentStatus(t *testing.T) {
	for _, c := range []struct {
		amount, paid int64
		want         string
	}{
		{100, 0, InstalmentOpen}, {100, 1, InstalmentPartly}, {100, 99, InstalmentPartly}, {100, 100, InstalmentPaid}, {100, 150, InstalmentPaid}, {100, -5, InstalmentOpen},
	} {
		if got := InstalmentStatus(c.amount, c.paid); got != c.want {
			t.Errorf("InstalmentStatus(%d, %d) = %s, want %s", c.amount, c.paid, got, c.want)
		}
	}
}

func TestAllocatePayment(t *testing.T) {
	cases := []struct {
		name     string
		plan     []PlanItem
		amount   int64
		explicit []Allocation
		want     []Allocation
		credit   int64
		code     string
	}{
		{name: "pays the earliest due first, in full", plan: testPlan(), amount: 3_000_000,
			want: []Allocation{{"a", 3_000_000}}},
		{name: "partial payment leaves the instalment partly paid", plan: testPlan(), amount: 1_000_000,
			want: []Allocation{{"a", 1_000_000}}},
		{name: "spills over to the next due", plan: testPlan(), amount: 4_000_000,
			want: []Allocation{{"a", 3_000_000}, {"b", 1_000_000}}},
		{name: "skips what is paid", plan: withPlan(testPlan(), "a", 0, 3_000_000), amount: 6_000_000,
			want: []Allocation{{"b", 5_000_000}, {"c", 1_000_000}}},
		{name: "continues a partly paid instalment", plan: withPlan(testPlan(), "a", 0, 2_500_000), amount: 600_000,
			want: []Allocation{{"a", 500_000}, {"b", 100_000}}},
		{name: "over-payment kept as credit", plan: testPlan(), amount: 10_000_001,
			want: []Allocation{{"a", 3_000_000}, {"b", 5_000_000}, {"c", 2_000_000}}, credit: 1},
		{name: "nothing open: all credit", plan: withPlan(withPlan(withPlan(testPlan(), "a", 0, 3_000_000), "b", 0, 5_000_000), "c", 0, 2_000_000), amount: 500, credit: 500},
		{name: "explicit allocation as given", plan: testPlan(), amount: 2_000_000, explicit: []Allocation{{"c", 1_500_000}, {"a", 500_000}},
			want: []Allocation{{"c", 1_500_000}, {"a", 500_000}}},
		{name: "explicit below the amount leaves credit", plan: testPlan(), amount: 2_000_000, explicit: []Allocation{{"b", 1_200_000}},
			want: []Allocation{{"b", 1_200_000}}, credit: 800_000},
		{name: "explicit beyond what the instalment lacks", plan: withPlan(testPlan(), "a", 0, 2_900_000), amount: 200_000, explicit: []Allocation{{"a", 100_001}},
			code: "payment_exceeds_instalment"},
		{name: "explicit beyond the payment", plan: testPlan(), amount: 100, explicit: []Allocation{{"a", 60}, {"b", 41}},
			code: "allocations_exceed_payment"},
		{name: "explicit of another contract", plan: testPlan(), amount: 100, explicit: []Allocation{{"x", 100}},
			code: "instalment_not_of_contract"},
		{name: "explicit named twice", plan: testPlan(), amount: 100, explicit: []Allocation{{"a", 50}, {"a", 50}},
			code: "instalment_named_twice"},
		{name: "explicit zero", plan: testPlan(), amount: 100, explicit: []Allocation{{"a", 0}},
			code: "out_of_range"},
	}
	for _, c := range cases {
		got, credit, err := AllocatePayment(c.amount, c.plan, c.explicit)
		if code(err) != c.code {
			t.Errorf("%s: error %v, want %q", c.name, err, c.code)
			continue
		}
		if c.code != "" {
			continue
		}
		if !slices.Equal(got, c.want) || credit != c.credit {
			t.Errorf("%s: %v credit %d, want %v credit %d", c.name, got, credit, c.want, c.credit)
		}
		var sum int64
		for _, a := range got {
			sum += a.Amount
		}
		if sum+credit != c.amount {
			t.Errorf("%s: allocations %d + credit %d ≠ payment %d", c.name, sum, credit, c.amount)
		}
	}
}

func TestSplitInvoice(t *testing.T) {
	cases := []struct {
		name     string
		plan     []PlanItem
		amount   int64
		covered  []string
		explicit []Allocation
		want     []Allocation
		code     string
	}{
		{name: "whole plan, earliest first", plan: testPlan(), amount: 3_500_000,
			want: []Allocation{{"a", 3_000_000}, {"b", 500_000}}},
		{name: "named instalment", plan: testPlan(), amount: 5_000_000, covered: []string{"b"},
			want: []Allocation{{"b", 5_000_000}}},
		{name: "named instalments in due order, whatever the order named", plan: testPlan(), amount: 5_500_000, covered: []string{"c", "b"},
			want: []Allocation{{"b", 5_000_000}, {"c", 500_000}}},
		{name: "skips what is invoiced", plan: withPlan(testPlan(), "a", 3_000_000, 0), amount: 100,
			want: []Allocation{{"b", 100}}},
		{name: "exactly what is left", plan: withPlan(testPlan(), "b", 4_000_000, 0), amount: 1_000_000, covered: []string{"b"},
			want: []Allocation{{"b", 1_000_000}}},
		{name: "one fen beyond the instalment", plan: withPlan(testPlan(), "b", 4_000_000, 0), amount: 1_000_001, covered: []string{"b"},
			code: "invoice_exceeds_instalment"},
		{name: "beyond the whole plan", plan: testPlan(), amount: 10_000_001,
			code: "invoice_exceeds_instalment"},
		{name: "explicit beyond an instalment", plan: testPlan(), amount: 3_000_001, explicit: []Allocation{{"a", 3_000_001}},
			code: "invoice_exceeds_instalment"},
		{name: "explicit must add up", plan: testPlan(), amount: 100, explicit: []Allocation{{"a", 60}},
			code: "invoice_allocations_mismatch"},
		{name: "explicit as given", plan: testPlan(), amount: 100, explicit: []Allocation{{"c", 40}, {"a", 60}},
			want: []Allocation{{"c", 40}, {"a", 60}}},
		{name: "instalment of another contract", plan: testPlan(), amount: 100, covered: []string{"zz"},
			code: "instalment_not_of_contract"},
		{name: "no plan", plan: nil, amount: 100, code: "contract_has_no_plan"},
	}
	for _, c := range cases {
		got, err := SplitInvoice(c.amount, c.plan, c.covered, c.explicit)
		if code(err) != c.code {
			t.Errorf("%s: error %v, want %q", c.name, err, c.code)
			continue
		}
		if c.code == "" && !slices.Equal(got, c.want) {
			t.Errorf("%s: %v, want %v", c.name, got, c.want)
		}
	}
	// The refusal names the instalment and what it had left, in words.
	_, err := SplitInvoice(1_000_001, withPlan(testPlan(), "b", 4_000_000, 0), []string{"b"}, nil)
	e := errs.As(err)
	if got := i18n.MsgMap(i18n.ZH, "err."+e.Code, e.Args); got != "开票金额超过了第2期 到货款的未开票金额（尚可开票 10,000.00）" {
		t.Errorf("zh message %q", got)
	}
	if got := i18n.MsgMap(i18n.EN, "err."+e.Code, e.Args); got != "The invoice is more than is left to invoice on No. 2 On delivery (10,000.00 left)" {
		t.Errorf("en message %q", got)
	}
}

func TestAgeBandBoundaries(t *testing.T) {
	for _, c := range []struct {
		days int
		want string
	}{
		{-365, AgeNotDue}, {-1, AgeNotDue}, {0, Age0To30}, {1, Age0To30}, {30, Age0To30}, {31, Age31To60}, {60, Age31To60},
		{61, Age61To90}, {90, Age61To90}, {91, AgeOver90}, {3650, AgeOver90},
	} {
		if got := AgeBands[AgeBand(c.days)].Key; got != c.want {
			t.Errorf("AgeBand(%d) = %s, want %s", c.days, got, c.want)
		}
	}
}

func TestDaysPastDue(t *testing.T) {
	for _, c := range []struct {
		due, asOf string
		want      int
	}{
		{"2026-12-01", "2026-12-01", 0},
		{"2026-12-01", "2026-11-30", -1},
		{"2026-11-01", "2026-12-01", 30},
		{"2026-10-31", "2026-12-01", 31},
		{"2028-01-31", "2028-03-01", 30}, // 2028 is a leap year: February has 29 days
		{"2027-01-31", "2027-03-01", 29},
		{"2028-02-28", "2028-03-01", 2},
		{"2028-02-29", "2028-05-29", 90},
		{"2028-02-29", "2028-05-30", 91},
		{"2100-02-28", "2100-03-01", 1}, // 2100 is not a leap year
		{"2026-03-29", "2026-03-30", 1}, // no daylight saving in calendar days
		{"2025-12-31", "2026-12-31", 365},
		{"2027-12-31", "2028-12-31", 366},
	} {
		got, err := DaysPastDue(c.due, c.asOf)
		if err != nil || got != c.want {
			t.Errorf("DaysPastDue(%s, %s) = %d, %v; want %d", c.due, c.asOf, got, err, c.want)
		}
	}
	if _, err := DaysPastDue("2026-02-30", "2026-03-01"); err == nil {
		t.Error("a date that does not exist was accepted")
	}
}

// The SQL compares stored due dates with edge dates; the edges must band
// every day exactly as counting days does, around leap days too.
func TestBandEdgesAgreeWithDayCounts(t *testing.T) {
	for _, asOf := range []string{"2026-12-01", "2028-03-01", "2028-02-29", "2028-05-30", "2027-03-01", "2100-03-01", "2026-01-01"} {
		e, err := EdgesAt(asOf)
		if err != nil {
			t.Fatal(err)
		}
		a, _ := time.Parse(entity.DateLayout, asOf)
		for d := -200; d <= 200; d++ {
			due := a.AddDate(0, 0, -d).Format(entity.DateLayout)
			days, _ := DaysPastDue(due, asOf)
			if days != d {
				t.Fatalf("%s: %s is %d days past due, want %d", asOf, due, days, d)
			}
			if got, want := e.BandOf(due), AgeBand(days); got != want {
				t.Errorf("as of %s, due %s (%d days): edges say %s, days say %s", asOf, due, days, AgeBands[got].Key, AgeBands[want].Key)
			}
		}
	}
	if _, err := EdgesAt("1 March"); err == nil {
		t.Error("a bad as-of date was accepted")
	}
}

func TestReminderDue(t *testing.T) {
	for _, c := range []struct {
		name              string
		due, today        string
		days              int
		reminded, overdue bool
		want              string
	}{
		{"far away", "2026-12-20", "2026-12-01", 7, false, false, ""},
		{"eight days ahead", "2026-12-09", "2026-12-01", 7, false, false, ""},
		{"seven days ahead", "2026-12-08", "2026-12-01", 7, false, false, RemindDueSoon},
		{"due today", "2026-12-01", "2026-12-01", 7, false, false, RemindDueSoon},
		{"already reminded", "2026-12-05", "2026-12-01", 7, true, false, ""},
		{"a day overdue", "2026-11-30", "2026-12-01", 7, true, false, RemindOverdue},
		{"overdue, never reminded", "2026-10-01", "2026-12-01", 7, false, false, RemindOverdue},
		{"overdue notice sent", "2026-11-30", "2026-12-01", 7, true, true, ""},
		{"no warning days: only on the day", "2026-12-02", "2026-12-01", 0, false, false, ""},
		{"no warning days, due today", "2026-12-01", "2026-12-01", 0, false, false, RemindDueSoon},
		{"across the year end", "2027-01-03", "2026-12-28", 7, false, false, RemindDueSoon},
		{"leap day", "2028-03-01", "2028-02-23", 7, false, false, RemindDueSoon},
	} {
		if got := ReminderDue(c.due, c.today, c.days, c.reminded, c.overdue); got != c.want {
			t.Errorf("%s: %q, want %q", c.name, got, c.want)
		}
	}
}
