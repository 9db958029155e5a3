package crm

import (
	"strings"
	"testing"
	"time"

	"closeloop/internal/errs"
)

// codeOf is the code a rule answers with: the first field error's code,
// or the error's own.
func codeOf(err error) string {
	if err == nil {
		return ""
	}
	e := errs.As(err)
	if e == nil {
		return "internal"
	}
	if len(e.Fields) > 0 {
		return e.Fields[0].Field + ":" + e.Fields[0].Code
	}
	return e.Code
}

func TestRequestSteps(t *testing.T) {
	cases := []struct {
		status string
		step   RequestStep
		want   string
	}{
		{ReqSubmitted, StepEdit, ""},
		{ReqSubmitted, StepEvaluate, ""},
		{ReqSubmitted, StepAssign, "presales_not_assignable"},
		{ReqSubmitted, StepWork, "presales_not_assigned"},
		{ReqSubmitted, StepClose, ""},
		{ReqSubmitted, StepScore, "presales_not_closed"},
		{ReqAccepted, StepEvaluate, ""},
		{ReqAccepted, StepAssign, ""},
		{ReqAccepted, StepWork, "presales_not_assigned"},
		{ReqAccepted, StepClose, ""},
		{ReqAssigned, StepEvaluate, "presales_not_evaluable"},
		{ReqAssigned, StepAssign, ""},
		{ReqAssigned, StepWork, ""},
		{ReqAssigned, StepClose, ""},
		{ReqAssigned, StepScore, "presales_not_closed"},
		{ReqClosed, StepEdit, "presales_request_closed"},
		{ReqClosed, StepEvaluate, "presales_not_evaluable"},
		{ReqClosed, StepAssign, "presales_not_assignable"},
		{ReqClosed, StepWork, "presales_request_closed"},
		{ReqClosed, StepClose, "presales_already_closed"},
		{ReqClosed, StepScore, ""},
		{"bogus", StepEdit, "presales_request_closed"},
	}
	for _, c := range cases {
		err := CheckRequestStep(c.status, c.step)
		if got := codeOf(err); got != c.want {
			t.Errorf("%s in %s: got %q, want %q", c.step, c.status, got, c.want)
		}
		if err != nil && errs.KindOf(err) != errs.Unprocessable {
			t.Errorf("%s in %s: kind %v, want unprocessable", c.step, c.status, errs.KindOf(err))
		}
	}
	if StatusAfterAssign(0) != ReqAccepted || StatusAfterAssign(2) != ReqAssigned {
		t.Error("status after assigning")
	}
}

func TestEvaluation(t *testing.T) {
	two := int64(2)
	zero := int64(0)
	accept := func() Evaluation {
		return Evaluation{Conclusion: "accept", Work: []string{"demo", " demo", "ppt"}, Difficulty: "high", Importance: "province", People: &two, Products: " 智慧园区平台 "}
	}
	cases := []struct {
		name string
		ev   func() Evaluation
		want string
	}{
		{"accept", accept, ""},
		{"no conclusion", func() Evaluation { e := accept(); e.Conclusion = ""; return e }, "conclusion:required"},
		{"bad conclusion", func() Evaluation { e := accept(); e.Conclusion = "maybe"; return e }, "conclusion:invalid_option"},
		{"accept without work", func() Evaluation { e := accept(); e.Work = []string{" "}; return e }, "work:required"},
		{"accept without importance", func() Evaluation { e := accept(); e.Importance = ""; return e }, "importance:required"},
		{"accept without difficulty", func() Evaluation { e := accept(); e.Difficulty = ""; return e }, "difficulty:required"},
		{"bad importance", func() Evaluation { e := accept(); e.Importance = "global"; return e }, "importance:invalid_option"},
		{"bad work", func() Evaluation { e := accept(); e.Work = []string{"golf"}; return e }, "work:invalid_option"},
		{"bad difficulty", func() Evaluation { e := accept(); e.Difficulty = "extreme"; return e }, "difficulty:invalid_option"},
		{"no people", func() Evaluation { e := accept(); e.People = &zero; return e }, "people:out_of_range"},
		{"long products", func() Evaluation { e := accept(); e.Products = strings.Repeat("产", 501); return e }, "products:too_long"},
		{"stop without reason", func() Evaluation { return Evaluation{Conclusion: "stop", StopReason: "  "} }, "stop_reason:required"},
		{"stop", func() Evaluation { return Evaluation{Conclusion: "stop", StopReason: "客户预算取消"} }, ""},
	}
	for _, c := range cases {
		ev := c.ev()
		if got := codeOf(ev.Check()); got != c.want {
			t.Errorf("%s: got %q, want %q", c.name, got, c.want)
		}
	}
	ev := accept()
	if err := ev.Check(); err != nil {
		t.Fatal(err)
	}
	at := time.Date(2026, 11, 3, 8, 0, 0, 0, time.UTC)
	rec := ev.Record(ReqSubmitted, "u1", at)
	if rec["status"] != ReqAccepted || rec.Str("eval_products") != "智慧园区平台" || len(rec.List("eval_work")) != 2 || rec["eval_people"] != int64(2) || rec["outcome"] != nil {
		t.Errorf("accepted record %v", rec)
	}
	if rec := ev.Record(ReqAccepted, "u1", at); rec["status"] != nil {
		t.Errorf("re-evaluating an accepted request changed its status: %v", rec["status"])
	}
	stop := Evaluation{Conclusion: "stop", StopReason: "客户预算取消"}
	rec = stop.Record(ReqSubmitted, "u1", at)
	if rec["status"] != ReqClosed || rec["outcome"] != OutcomeStopped || rec["close_note"] != "客户预算取消" || rec["closed_at"] == nil {
		t.Errorf("stopped record %v", rec)
	}
}

func TestClosing(t *testing.T) {
	const self = "01900000-0000-7000-8000-000000000001"
	const other = "01900000-0000-7000-8000-000000000002"
	good := &Score{Quality: 5, Timeliness: 4, Contribution: 3}
	cases := []struct {
		name      string
		c         Closing
		needScore bool
		want      string
	}{
		{"won with score", Closing{Outcome: "won", Score: good}, true, ""},
		{"no outcome", Closing{Note: "结束"}, true, "presales_outcome_required"},
		{"bad outcome", Closing{Outcome: "done", Score: good}, true, "outcome:invalid_option"},
		{"won without score", Closing{Outcome: "won"}, true, "score:required"},
		{"nothing to score", Closing{Outcome: "lost", Score: good}, false, "score:presales_nothing_to_score"},
		{"lost unscored, nobody assigned", Closing{Outcome: "lost"}, false, ""},
		{"stopped without note", Closing{Outcome: "stopped"}, false, "note:required"},
		{"stopped", Closing{Outcome: "stopped", Note: "客户取消项目"}, false, ""},
		{"merged without target", Closing{Outcome: "merged"}, false, "merged_into:required"},
		{"merged into itself", Closing{Outcome: "merged", MergedInto: self}, false, "merged_into:merge_same"},
		{"merged into garbage", Closing{Outcome: "merged", MergedInto: "abc"}, false, "merged_into:invalid_ref"},
		{"merged", Closing{Outcome: "merged", MergedInto: strings.ToUpper(other)}, false, ""},
		{"target without merge", Closing{Outcome: "won", MergedInto: other, Score: good}, true, "merged_into:presales_merge_only"},
		{"score out of range", Closing{Outcome: "won", Score: &Score{Quality: 6, Timeliness: 4, Contribution: 3}}, true, "score.quality:presales_score_range"},
		{"score missing a mark", Closing{Outcome: "won", Score: &Score{Quality: 5, Contribution: 3}}, true, "score.timeliness:required"},
	}
	for _, c := range cases {
		cl := c.c
		if got := codeOf(cl.Check(self, c.needScore)); got != c.want {
			t.Errorf("%s: got %q, want %q", c.name, got, c.want)
		}
	}
	cl := Closing{Outcome: "merged", MergedInto: strings.ToUpper(other), Note: " 与另一申请重复 "}
	if err := cl.Check(self, false); err != nil {
		t.Fatal(err)
	}
	rec := cl.Record(time.Now())
	if rec["status"] != ReqClosed || rec["merged_into"] != other || rec["close_note"] != "与另一申请重复" {
		t.Errorf("closing record %v", rec)
	}
	if avg := (Score{Quality: 5, Timeliness: 4, Contribution: 3}).Average(); avg != 4 {
		t.Errorf("average %v", avg)
	}
}

func TestDaysOpenAndBuckets(t *testing.T) {
	sh, _ := time.LoadLocation("Asia/Shanghai")
	// Raised at 23:30 Beijing time on 1 Nov (15:30 UTC): on 2 Nov at
	// 00:10 Beijing time it has been open one day, though not 24 hours.
	opened := time.Date(2026, 11, 1, 15, 30, 0, 0, time.UTC)
	if d := DaysOpen(opened, time.Time{}, time.Date(2026, 11, 1, 16, 10, 0, 0, time.UTC), sh); d != 1 {
		t.Errorf("days open across midnight in Shanghai: %d", d)
	}
	if d := DaysOpen(opened, time.Time{}, opened.Add(time.Hour), time.UTC); d != 0 {
		t.Errorf("same day: %d", d)
	}
	if d := DaysOpen(opened, opened.AddDate(0, 0, 10), opened.AddDate(0, 1, 0), sh); d != 10 {
		t.Errorf("closed after 10 days: %d", d)
	}
	for days, want := range map[int]string{0: "d0_7", 7: "d0_7", 8: "d8_14", 14: "d8_14", 15: "d15_30", 30: "d15_30", 31: "d31_60", 60: "d31_60", 61: "d61", 400: "d61"} {
		if got := AgeBuckets[BucketOf(days)].Key; got != want {
			t.Errorf("%d days: bucket %s, want %s", days, got, want)
		}
	}
}

func TestSolutionSteps(t *testing.T) {
	cases := []struct {
		status string
		step   SolutionStep
		want   string
	}{
		{SolDraft, SolStepEdit, ""},
		{SolDraft, SolStepSubmit, ""},
		{SolDraft, SolStepReview, "solution_not_in_review"},
		{SolDraft, SolStepRevise, "solution_not_revisable"},
		{SolDraft, SolStepSend, "solution_not_approved"},
		{SolInReview, SolStepEdit, "solution_locked"},
		{SolInReview, SolStepSubmit, "solution_not_submittable"},
		{SolInReview, SolStepReview, ""},
		{SolInReview, SolStepSend, "solution_not_approved"},
		{SolApproved, SolStepEdit, "solution_locked"},
		{SolApproved, SolStepReview, "solution_not_in_review"},
		{SolApproved, SolStepRevise, ""},
		{SolApproved, SolStepSend, ""},
		{SolRevise, SolStepEdit, ""},
		{SolRevise, SolStepSubmit, ""},
		{SolRevise, SolStepRevise, ""},
		{SolRevise, SolStepSend, "solution_not_approved"},
		{SolSent, SolStepEdit, "solution_locked"},
		{SolSent, SolStepSend, "solution_not_approved"},
		{SolSent, SolStepRevise, ""},
	}
	for _, c := range cases {
		if got := codeOf(CheckSolutionStep(c.status, c.step)); got != c.want {
			t.Errorf("%s in %s: got %q, want %q", c.step, c.status, got, c.want)
		}
	}
}

func TestSubmitAndReviewRules(t *testing.T) {
	cases := []struct {
		name      string
		technical string
		reviewers []string
		want      string
	}{
		{"ready", "架构说明", []string{"r1", "r2"}, ""},
		{"no technical part", "  ", []string{"r1"}, "technical_part:required"},
		{"no reviewers", "架构说明", nil, "reviewers:solution_reviewers_required"},
		{"author reviews", "架构说明", []string{"r1", "author"}, "reviewers:solution_self_review"},
	}
	for _, c := range cases {
		if got := codeOf(CheckSubmit(c.technical, c.reviewers, "author")); got != c.want {
			t.Errorf("%s: got %q, want %q", c.name, got, c.want)
		}
	}
	reviews := []struct {
		r    Review
		want string
	}{
		{Review{Verdict: "approve"}, ""},
		{Review{Verdict: "revise", Comment: " "}, "comment:solution_revise_comment"},
		{Review{Verdict: "revise", Comment: "补充实施计划"}, ""},
		{Review{}, "verdict:required"},
		{Review{Verdict: "maybe"}, "verdict:invalid_option"},
	}
	for _, c := range reviews {
		r := c.r
		if got := codeOf(r.Check()); got != c.want {
			t.Errorf("%+v: got %q, want %q", c.r, got, c.want)
		}
	}
	outcomes := []struct {
		verdicts map[string]string
		want     string
	}{
		{map[string]string{}, SolInReview},
		{map[string]string{"a": "approve"}, SolInReview},
		{map[string]string{"a": "approve", "b": "approve"}, SolApproved},
		{map[string]string{"a": "revise"}, SolRevise},
		{map[string]string{"a": "approve", "b": "revise"}, SolRevise},
		{map[string]string{"a": "approve", "x": "approve"}, SolInReview},
	}
	for _, c := range outcomes {
		if got := ReviewOutcome([]string{"a", "b"}, c.verdicts); got != c.want {
			t.Errorf("%v: got %s, want %s", c.verdicts, got, c.want)
		}
	}
	if ReviewOutcome(nil, map[string]string{}) != SolInReview {
		t.Error("no reviewers approved a solution")
	}
}
