package crm

import (
	"slices"
	"strings"
)

// Stage is one stage of a pipeline as the stage rules see it.
type Stage struct {
	ID          string   `json:"id"`
	Code        string   `json:"code"`
	Name        string   `json:"name"`
	NameEn      string   `json:"name_en"`
	Position    int      `json:"position"`
	Probability int      `json:"probability"`
	EntryGates  []string `json:"entry_gates,omitempty"`  // gate codes required before entering
	ExitGates   []string `json:"exit_gates,omitempty"`   // gate codes required before leaving forward
	EntryFields []string `json:"entry_fields,omitempty"` // opportunity fields that must be filled before entering
}

// Facts are what the gates look at, gathered by the service for one
// opportunity: its own fields and the records around it.
type Facts struct {
	Opportunity       map[string]any // field → value (empty means not filled)
	SolutionSubmitted bool           // a solution is in review, approved or sent
	SolutionApproved  bool           // a solution is approved or sent
	QuotesInUse       bool           // the quote entity exists in this installation
	HasQuote          bool
	HasPrimaryContact bool
	HasBid            bool
}

// NeedsAnalysisFields must be filled for the needs-analysis gate (需求分析):
// the business scenario, the pains, the budget and how the customer decides.
var NeedsAnalysisFields = []string{"business_scenario", "pain_points", "budget_range", "decision_process"}

// GateFailure says which gate refused a move and what is missing.
type GateFailure struct {
	Gate    string   `json:"gate"`              // gate code, or "fields" for a stage's required fields
	Stage   string   `json:"stage"`             // the stage whose gate it is
	Leaving bool     `json:"leaving,omitempty"` // an exit gate of the stage being left
	Missing []string `json:"missing,omitempty"` // opportunity fields that are empty, when the gate is about fields
}

// MoveProblem is why a stage change is refused before any gate is looked at.
type MoveProblem string

const (
	MoveOK          MoveProblem = ""
	MoveSameStage   MoveProblem = "same_stage"
	MoveSkipDenied  MoveProblem = "stage_skip_denied"
	MoveClosed      MoveProblem = "opportunity_closed"
	MoveUnknownCode MoveProblem = "unknown_stage"
)

// CheckMove decides whether an opportunity at stage from may move to stage
// to. Moving back is always allowed (no gates: work is being redone).
// Moving forward checks the exit gates of the stage left and the entry
// gates and fields of the stage entered; moving forward over stages is a
// manager's right (canSkip), and a skip meets the gates of the stage
// entered, not of those skipped. status is the opportunity's status.
func CheckMove(status string, from *Stage, to *Stage, canSkip bool, f Facts) (MoveProblem, []GateFailure) {
	if status != "" && status != OppOpen {
		return MoveClosed, nil
	}
	if to == nil {
		return MoveUnknownCode, nil
	}
	if from != nil && from.ID == to.ID {
		return MoveSameStage, nil
	}
	if from != nil && to.Position < from.Position {
		return MoveOK, nil
	}
	if from != nil && to.Position > from.Position+1 && !canSkip {
		return MoveSkipDenied, nil
	}
	var fails []GateFailure
	if from != nil {
		for _, g := range from.ExitGates {
			if fail, ok := checkGate(g, f); !ok {
				fail.Stage, fail.Leaving = from.Code, true
				fails = append(fails, fail)
			}
		}
	}
	for _, g := range to.EntryGates {
		if fail, ok := checkGate(g, f); !ok {
			fail.Stage = to.Code
			fails = append(fails, fail)
		}
	}
	if missing := emptyFields(to.EntryFields, f.Opportunity); len(missing) > 0 {
		fails = append(fails, GateFailure{Gate: "fields", Stage: to.Code, Missing: missing})
	}
	return MoveOK, fails
}

func checkGate(gate string, f Facts) (GateFailure, bool) {
	fail := GateFailure{Gate: gate}
	switch gate {
	case GateNeedsAnalysis:
		fail.Missing = emptyFields(NeedsAnalysisFields, f.Opportunity)
		return fail, len(fail.Missing) == 0
	case GateSolutionSubmitted:
		return fail, f.SolutionSubmitted
	case GateSolutionApproved:
		return fail, f.SolutionApproved
	case GateQuote:
		// "Once quotes exist": an installation without quotes passes.
		return fail, !f.QuotesInUse || f.HasQuote
	case GatePrimaryContact:
		return fail, f.HasPrimaryContact
	case GateBid:
		return fail, f.HasBid
	}
	// An unknown gate (a code from a newer release) does not block.
	return fail, true
}

func emptyFields(names []string, rec map[string]any) []string {
	var out []string
	for _, n := range names {
		if isBlank(rec[n]) {
			out = append(out, n)
		}
	}
	return out
}

func isBlank(v any) bool {
	switch x := v.(type) {
	case nil:
		return true
	case string:
		return strings.TrimSpace(x) == ""
	case []string:
		return len(x) == 0
	}
	return false
}

// StageProbability is the probability an open opportunity shows: the
// manual override if set, else the stage's.
func StageProbability(override *int64, stage *Stage) int64 {
	if override != nil {
		return *override
	}
	if stage == nil {
		return 0
	}
	return int64(stage.Probability)
}

// FindStage returns the stage with a code, or nil.
func FindStage(stages []Stage, code string) *Stage {
	i := slices.IndexFunc(stages, func(s Stage) bool { return s.Code == code })
	if i < 0 {
		return nil
	}
	return &stages[i]
}

// ShippedPipeline is a pipeline installed on first start.
type ShippedPipeline struct {
	Key, Name, NameEn string // Key becomes the code
	Default           bool
	Stages            []ShippedStage
}

// ShippedStage is one stage of a shipped pipeline.
type ShippedStage struct {
	Key, Name, NameEn string // Key becomes the code
	Probability       int
	EntryGates        []string
	ExitGates         []string
}

// ShippedPipelines are the two flows of the seed documents: the project
// flow (售前项目管理流程) with its gates, and the contact flow.
var ShippedPipelines = []ShippedPipeline{
	{Key: "project", Name: "项目型销售流程", NameEn: "Project sales", Default: true, Stages: []ShippedStage{
		{Key: "acquired", Name: "项目机会获取", NameEn: "Opportunity acquired", Probability: 10},
		{Key: "evaluation", Name: "机会评估", NameEn: "Evaluation", Probability: 20},
		{Key: "solution_design", Name: "方案设计", NameEn: "Solution design", Probability: 30, EntryGates: []string{GateNeedsAnalysis}},
		{Key: "solution_review", Name: "方案评审", NameEn: "Solution review", Probability: 40, EntryGates: []string{GateSolutionSubmitted}, ExitGates: []string{GateSolutionApproved}},
		{Key: "bid_preparation", Name: "投标准备", NameEn: "Bid preparation", Probability: 50},
		{Key: "bid_review", Name: "投标评审", NameEn: "Bid review", Probability: 60},
		{Key: "negotiation", Name: "合同谈判", NameEn: "Negotiation", Probability: 75, EntryGates: []string{GateQuote}},
		{Key: "signed", Name: "合同签署", NameEn: "Contract signed", Probability: 95},
		{Key: "kickoff", Name: "项目启动", NameEn: "Project kickoff", Probability: 100},
	}},
	{Key: "contact", Name: "接触型销售流程", NameEn: "Contact sales", Stages: []ShippedStage{
		{Key: "contact", Name: "接触", NameEn: "Contact", Probability: 10},
		{Key: "inquiry", Name: "咨询", NameEn: "Inquiry", Probability: 20},
		{Key: "tracking", Name: "跟踪", NameEn: "Follow-up", Probability: 35},
		{Key: "tender", Name: "招标", NameEn: "Tender", Probability: 50},
		{Key: "bidding", Name: "投标", NameEn: "Bidding", Probability: 65},
		{Key: "implementation", Name: "实施", NameEn: "Implementation", Probability: 90},
	}},
}
