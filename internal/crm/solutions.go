package crm

import (
	"slices"
	"strings"
	"unicode/utf8"

	"closeloop/internal/errs"
)

// SolutionStep is one step of a solution's review (方案评审).
type SolutionStep string

// The steps of a solution.
const (
	SolStepEdit   SolutionStep = "edit"   // change its content
	SolStepSubmit SolutionStep = "submit" // send to internal review
	SolStepReview SolutionStep = "review" // a reviewer's verdict
	SolStepRevise SolutionStep = "revise" // start the next version
	SolStepSend   SolutionStep = "send"   // mark as sent to the customer
)

// solutionSteps lists the steps a solution may take in each status. What
// is under review, approved or sent is never edited: a change is a new
// version, and the earlier ones are kept as they were.
var solutionSteps = map[string][]SolutionStep{
	SolDraft:    {SolStepEdit, SolStepSubmit},
	SolInReview: {SolStepReview},
	SolApproved: {SolStepRevise, SolStepSend},
	SolRevise:   {SolStepEdit, SolStepSubmit, SolStepRevise},
	SolSent:     {SolStepRevise},
}

var solutionRefused = map[SolutionStep]string{
	SolStepEdit:   "solution_locked",
	SolStepSubmit: "solution_not_submittable",
	SolStepReview: "solution_not_in_review",
	SolStepRevise: "solution_not_revisable",
	SolStepSend:   "solution_not_approved",
}

// CanSolution reports whether a solution in status may take step.
func CanSolution(status string, step SolutionStep) bool {
	return slices.Contains(solutionSteps[status], step)
}

// CheckSolutionStep refuses a step the solution's status does not allow
// (422 with a code saying why).
func CheckSolutionStep(status string, step SolutionStep) error {
	if CanSolution(status, step) {
		return nil
	}
	code := solutionRefused[step]
	if code == "" {
		code = "solution_step_refused"
	}
	return errs.New(errs.Unprocessable, code, "status", status, "step", string(step))
}

// CheckSubmit says what a solution needs before review: its technical part
// and at least one reviewer other than its author.
func CheckSubmit(technical string, reviewers []string, author string) error {
	var bad []errs.FieldError
	if strings.TrimSpace(technical) == "" {
		bad = append(bad, errs.FieldError{Field: "technical_part", Code: "required"})
	}
	switch {
	case len(reviewers) == 0:
		bad = append(bad, errs.FieldError{Field: "reviewers", Code: "solution_reviewers_required"})
	case author != "" && slices.Contains(reviewers, author):
		bad = append(bad, errs.FieldError{Field: "reviewers", Code: "solution_self_review"})
	}
	return errs.Validation(bad)
}

// Review verdicts.
const (
	VerdictApprove = "approve"
	VerdictRevise  = "revise"
)

// Review is one reviewer's verdict on a solution.
type Review struct {
	Verdict string `json:"verdict"`
	Comment string `json:"comment"`
}

// Check validates a review: a known verdict, and a comment saying what to
// change when the verdict is revise.
func (r *Review) Check() error {
	r.Verdict = strings.TrimSpace(r.Verdict)
	r.Comment = strings.TrimSpace(r.Comment)
	var bad []errs.FieldError
	switch r.Verdict {
	case VerdictApprove:
	case VerdictRevise:
		if r.Comment == "" {
			bad = append(bad, errs.FieldError{Field: "comment", Code: "solution_revise_comment"})
		}
	case "":
		bad = append(bad, errs.FieldError{Field: "verdict", Code: "required"})
	default:
		bad = append(bad, errs.FieldError{Field: "verdict", Code: "invalid_option", Args: map[string]any{"value": r.Verdict}})
	}
	if utf8.RuneCountInString(r.Comment) > 20000 {
		bad = append(bad, errs.FieldError{Field: "comment", Code: "too_long", Args: map[string]any{"max": 20000}})
	}
	return errs.Validation(bad)
}

// ReviewOutcome is a solution's status after a review round's verdicts (by
// reviewer id): one revise sends it back for revision; approval needs
// every named reviewer; otherwise it stays in review.
func ReviewOutcome(reviewers []string, verdicts map[string]string) string {
	for _, v := range verdicts {
		if v == VerdictRevise {
			return SolRevise
		}
	}
	for _, r := range reviewers {
		if verdicts[r] != VerdictApprove {
			return SolInReview
		}
	}
	if len(reviewers) == 0 {
		return SolInReview
	}
	return SolApproved
}
