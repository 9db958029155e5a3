package crm

import (
	"strings"
	"testing"

	"closeloop/internal/errs"
)

func TestConditionHolds(t *testing.T) {
	facts := ApprovalFacts{"max_discount_bp": int64(800), "amount_fen": int64(1_000_000_00), "customer_level": "B", "small": 3}
	cases := []struct {
		fact, op, value string
		want            bool
		broken          bool
	}{
		{"max_discount_bp", OpGt, "500", true, false},
		{"max_discount_bp", OpGt, "800", false, false},
		{"max_discount_bp", OpGte, "800", true, false},
		{"max_discount_bp", OpGte, "801", false, false},
		{"max_discount_bp", OpLt, "801", true, false},
		{"max_discount_bp", OpLt, "800", false, false},
		{"max_discount_bp", OpLte, "800", true, false},
		{"max_discount_bp", OpLte, "799", false, false},
		{"max_discount_bp", OpEq, "800", true, false},
		{"max_discount_bp", OpEq, " 800 ", true, false},
		{"max_discount_bp", OpEq, "801", false, false},
		{"max_discount_bp", OpNeq, "801", true, false},
		{"max_discount_bp", OpNeq, "800", false, false},
		{"max_discount_bp", OpIn, "100, 800", true, false},
		{"max_discount_bp", OpIn, "100，200", false, false},
		{"amount_fen", OpGte, "100000000", true, false},
		{"amount_fen", OpGt, "100000000", false, false},
		{"small", OpLt, "4", true, false}, // int facts are whole numbers too
		{"customer_level", OpEq, "B", true, false},
		{"customer_level", OpEq, "A", false, false},
		{"customer_level", OpNeq, "A", true, false},
		{"customer_level", OpIn, "A,B", true, false},
		{"customer_level", OpIn, "A, C，D", false, false},
		{"missing_fact", OpGt, "0", false, false},         // not provided: no match
		{"max_discount_bp", OpGt, "5%", false, true},      // not normalised: broken
		{"max_discount_bp", OpGt, "5.5", false, true},     // no floats
		{"max_discount_bp", OpIn, "100,abc", false, true}, // one bad member
		{"customer_level", OpGt, "A", false, true},        // size of a code
		{"max_discount_bp", "between", "1", false, true},  // unknown operator
		{"customer_level", "between", "A", false, true},   // unknown operator on codes
	}
	for _, c := range cases {
		got, err := Condition{Fact: c.fact, Op: c.op, Value: c.value}.Holds(facts)
		if (err != nil) != c.broken {
			t.Errorf("%s %s %q: err %v, want broken=%v", c.fact, c.op, c.value, err, c.broken)
			continue
		}
		if got != c.want {
			t.Errorf("%s %s %q = %v, want %v", c.fact, c.op, c.value, got, c.want)
		}
	}
	if _, err := (Condition{Fact: "f", Op: OpGt, Value: "1"}).Holds(ApprovalFacts{"f": 1.5}); err == nil {
		t.Error("a float fact must be refused")
	}
}

func TestEvaluateCombinesMatchingRules(t *testing.T) {
	mgr, admin, boss := RuleStep{Role: "manager"}, RuleStep{Role: "admin"}, RuleStep{UserID: "u-boss"}
	rules := []Rule{
		{Name: "over 15", Level: 2, Cond: Condition{"max_discount_bp", OpGt, "1500"}, Steps: []RuleStep{mgr, admin}},
		{Name: "over 5", Level: 1, Cond: Condition{"max_discount_bp", OpGt, "500"}, Steps: []RuleStep{mgr}},
		{Name: "big A deal", Level: 3, Cond: Condition{"customer_level", OpEq, "A"}, Steps: []RuleStep{boss, admin}},
		{Name: "empty", Level: 1, Cond: Condition{"max_discount_bp", OpGte, "0"}, Steps: []RuleStep{{}}},
	}
	keys := func(steps []PlannedStep) string {
		var out []string
		for _, s := range steps {
			out = append(out, s.Key()+"@"+s.Rule)
		}
		return strings.Join(out, " ")
	}
	cases := []struct {
		name  string
		facts ApprovalFacts
		want  string
	}{
		{"within the rep's 5 %", ApprovalFacts{"max_discount_bp": int64(500), "customer_level": "B"}, ""},
		{"over 5 %: manager", ApprovalFacts{"max_discount_bp": int64(501), "customer_level": "B"}, "role:manager@over 5"},
		{"over 15 %: manager then admin, once each", ApprovalFacts{"max_discount_bp": int64(1501), "customer_level": "C"},
			"role:manager@over 5 role:admin@over 15"},
		{"level orders the rules, duplicates removed", ApprovalFacts{"max_discount_bp": int64(2000), "customer_level": "A"},
			"role:manager@over 5 role:admin@over 15 user:u-boss@big A deal"},
		{"one rule alone", ApprovalFacts{"max_discount_bp": int64(100), "customer_level": "A"}, "user:u-boss@big A deal role:admin@big A deal"},
		{"no facts: no match", ApprovalFacts{}, ""},
	}
	for _, c := range cases {
		got, err := Evaluate(rules, c.facts)
		if err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		if keys(got) != c.want {
			t.Errorf("%s: got %q, want %q", c.name, keys(got), c.want)
		}
		if c.want == "" && got != nil {
			t.Errorf("%s: no approval must be nil, got %v", c.name, got)
		}
	}
	// Levels are kept on the steps.
	got, _ := Evaluate(rules, ApprovalFacts{"max_discount_bp": int64(2000)})
	if got[0].Level != 1 || got[1].Level != 2 {
		t.Errorf("levels %d %d", got[0].Level, got[1].Level)
	}
	// A broken rule is an error naming it, not a silent miss.
	_, err := Evaluate(append(rules, Rule{Name: "typo", Cond: Condition{"max_discount_bp", OpGt, "5%"}, Steps: []RuleStep{mgr}}), ApprovalFacts{"max_discount_bp": int64(1)})
	if e := errs.As(err); e == nil || e.Code != "approval_rule_broken" || e.Args["rule"] != "typo" {
		t.Errorf("broken rule: %v", err)
	}
}

func TestNormalizeRuleValue(t *testing.T) {
	cases := []struct {
		fact, op, in, want, code string
	}{
		{"max_discount_bp", OpGt, "5%", "500", ""},
		{"max_discount_bp", OpGt, "5.5%", "550", ""},
		{"max_discount_bp", OpGt, "15.25 %", "1525", ""},
		{"max_discount_bp", OpGt, "500", "500", ""},
		{"max_discount_bp", OpGt, "5.555%", "", "approval_value_percent"},
		{"max_discount_bp", OpGt, "abc", "", "approval_value_number"},
		{"max_discount_bp", OpIn, "5%, 10%", "500,1000", ""},
		{"amount_fen", OpGte, "10000000", "10000000", ""},
		{"amount_fen", OpGte, "5%", "", "approval_value_number"}, // % only for basis points
		{"customer_level", OpIn, "A，B, C", "A,B,C", ""},
		{"customer_level", OpEq, " A ", "A", ""},
		{"customer_level", OpEq, "  ", "", "required"},
	}
	for _, c := range cases {
		got, err := NormalizeRuleValue(c.fact, c.op, c.in)
		code := ""
		if e := errs.As(err); e != nil && len(e.Fields) > 0 {
			code = e.Fields[0].Code
		}
		if got != c.want || code != c.code {
			t.Errorf("%s %s %q = %q, %q; want %q, %q", c.fact, c.op, c.in, got, code, c.want, c.code)
		}
	}
	if FormatBP(550) != "5.50%" || FormatBP(1500) != "15.00%" || FormatBP(5) != "0.05%" {
		t.Errorf("FormatBP: %s %s %s", FormatBP(550), FormatBP(1500), FormatBP(5))
	}
}
