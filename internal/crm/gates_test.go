package crm

import (
	"reflect"
	"testing"
)

func projectStages() []Stage {
	var out []Stage
	for i, s := range ShippedPipelines[0].Stages {
		out = append(out, Stage{ID: s.Key, Code: s.Key, Name: s.Name, Position: i + 1, Probability: s.Probability, EntryGates: s.EntryGates, ExitGates: s.ExitGates})
	}
	return out
}

func TestCheckMove(t *testing.T) {
	st := projectStages()
	at := func(code string) *Stage { return FindStage(st, code) }
	needs := map[string]any{"business_scenario": "产线质检", "pain_points": "漏检率高", "budget_range": "50-80万", "decision_process": "总经理拍板"}
	withFields := func(st Stage, fields ...string) *Stage { st.EntryFields = fields; return &st }
	tests := []struct {
		name     string
		status   string
		from, to *Stage
		canSkip  bool
		facts    Facts
		problem  MoveProblem
		fails    []GateFailure
	}{
		{name: "next stage without gates", from: at("acquired"), to: at("evaluation")},
		{name: "needs analysis missing", from: at("evaluation"), to: at("solution_design"),
			facts: Facts{Opportunity: map[string]any{"pain_points": "漏检率高", "budget_range": "  "}},
			fails: []GateFailure{{Gate: GateNeedsAnalysis, Stage: "solution_design", Missing: []string{"business_scenario", "budget_range", "decision_process"}}}},
		{name: "needs analysis done", from: at("evaluation"), to: at("solution_design"), facts: Facts{Opportunity: needs}},
		{name: "review needs a submitted solution", from: at("solution_design"), to: at("solution_review"),
			fails: []GateFailure{{Gate: GateSolutionSubmitted, Stage: "solution_review"}}},
		{name: "submitted solution enters review", from: at("solution_design"), to: at("solution_review"), facts: Facts{SolutionSubmitted: true}},
		{name: "leaving review needs approval", from: at("solution_review"), to: at("bid_preparation"), facts: Facts{SolutionSubmitted: true},
			fails: []GateFailure{{Gate: GateSolutionApproved, Stage: "solution_review", Leaving: true}}},
		{name: "approved solution leaves review", from: at("solution_review"), to: at("bid_preparation"), facts: Facts{SolutionSubmitted: true, SolutionApproved: true}},
		{name: "moving back has no gates", from: at("solution_review"), to: at("evaluation")},
		{name: "skipping is refused to reps", from: at("acquired"), to: at("solution_design"), facts: Facts{Opportunity: needs}, problem: MoveSkipDenied},
		{name: "a manager's skip meets the entered stage's gates", from: at("acquired"), to: at("solution_review"), canSkip: true,
			fails: []GateFailure{{Gate: GateSolutionSubmitted, Stage: "solution_review"}}},
		{name: "a manager's skip over gated stages", from: at("acquired"), to: at("bid_preparation"), canSkip: true},
		{name: "quote gate passes while quotes are not in use", from: at("bid_review"), to: at("negotiation")},
		{name: "quote gate once quotes are in use", from: at("bid_review"), to: at("negotiation"), facts: Facts{QuotesInUse: true},
			fails: []GateFailure{{Gate: GateQuote, Stage: "negotiation"}}},
		{name: "quote exists", from: at("bid_review"), to: at("negotiation"), facts: Facts{QuotesInUse: true, HasQuote: true}},
		{name: "required fields of a stage", from: at("acquired"), to: withFields(*at("evaluation"), "amount", "expected_close_date"),
			facts: Facts{Opportunity: map[string]any{"amount": int64(100)}},
			fails: []GateFailure{{Gate: "fields", Stage: "evaluation", Missing: []string{"expected_close_date"}}}},
		{name: "same stage", from: at("evaluation"), to: at("evaluation"), problem: MoveSameStage},
		{name: "closed opportunity", status: OppWon, from: at("signed"), to: at("kickoff"), problem: MoveClosed},
		{name: "unknown stage", from: at("signed"), to: nil, problem: MoveUnknownCode},
		{name: "no current stage enters any", from: nil, to: at("evaluation")},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			status := tc.status
			if status == "" {
				status = OppOpen
			}
			problem, fails := CheckMove(status, tc.from, tc.to, tc.canSkip, tc.facts)
			if problem != tc.problem {
				t.Fatalf("problem %q, want %q", problem, tc.problem)
			}
			if !reflect.DeepEqual(fails, tc.fails) {
				t.Fatalf("failures %+v, want %+v", fails, tc.fails)
			}
		})
	}
}

func TestStageProbability(t *testing.T) {
	st := projectStages()
	seventy := int64(70)
	if got := StageProbability(nil, FindStage(st, "negotiation")); got != 75 {
		t.Fatalf("stage probability %d", got)
	}
	if got := StageProbability(&seventy, FindStage(st, "negotiation")); got != 70 {
		t.Fatalf("override %d", got)
	}
}

func TestShippedPipelinesMatchTheSeeds(t *testing.T) {
	var codes []string
	for _, s := range ShippedPipelines[0].Stages {
		codes = append(codes, s.Key)
	}
	want := []string{"acquired", "evaluation", "solution_design", "solution_review", "bid_preparation", "bid_review", "negotiation", "signed", "kickoff"}
	if !reflect.DeepEqual(codes, want) {
		t.Fatalf("project flow %v", codes)
	}
	if n := len(ShippedPipelines[1].Stages); n != 6 {
		t.Fatalf("contact flow has %d stages", n)
	}
}
