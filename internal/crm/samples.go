package crm

import (
	"closeloop/internal/errs"
	"closeloop/internal/i18n"
)

// The trial of a sample (送样、试样, seed 003 第五阶段) moves strictly
// forward: sent → small trial → pilot (中试) → regular purchase. Each step
// records its date and result. A sample may fail at any step before it is
// bought regularly; a bought or failed sample is closed. Nothing is
// skipped: a pilot without a small trial is not a pilot of ours.

// sampleOrder is the trial path, in order.
var sampleOrder = []string{SampleSent, SampleSmall, SamplePilot, SamplePurchase}

// SampleTrialPath is the forward path of a sample's trial, in order.
func SampleTrialPath() []string { return append([]string(nil), sampleOrder...) }

// SampleClosed reports whether a sample's trial has ended.
func SampleClosed(stage string) bool { return stage == SamplePurchase || stage == SampleFailed }

// SampleNextStep is the next step of the trial after stage ("" when closed).
func SampleNextStep(stage string) string {
	for i, s := range sampleOrder {
		if s == stage && i+1 < len(sampleOrder) {
			return sampleOrder[i+1]
		}
	}
	return ""
}

// SampleAllowed lists the stages a sample at stage may move to: its next
// step and failed; nothing once closed.
func SampleAllowed(stage string) []string {
	next := SampleNextStep(stage)
	if next == "" || SampleClosed(stage) {
		return nil
	}
	return []string{next, SampleFailed}
}

// SampleStageLabel is the label of a sample stage.
func SampleStageLabel(stage string) i18n.Text {
	for _, o := range SampleStages {
		if o.Code == stage {
			return o.Label
		}
	}
	return i18n.T(stage, stage)
}

// SampleStepFields names the columns a step records: its date and its
// result (for failed: the date and the reason).
func SampleStepFields(stage string) (on, result string) {
	switch stage {
	case SampleSmall:
		return "small_trial_on", "small_trial_result"
	case SamplePilot:
		return "pilot_on", "pilot_result"
	case SamplePurchase:
		return "purchase_on", "purchase_result"
	case SampleFailed:
		return "failed_on", "failed_reason"
	}
	return "sent_on", ""
}

// SampleMove is the machine-readable detail of a refused move.
type SampleMove struct {
	Current string   `json:"current"`
	Wanted  string   `json:"wanted"`
	Allowed []string `json:"allowed"`
}

// CheckSampleAdvance says whether a sample at current may move to to.
// Refusals are Unprocessable with a stable code naming the allowed next
// step: sample_closed when the trial has ended, sample_stage_order when to
// is not the next step (a skip, a step back, the same step again).
func CheckSampleAdvance(current, to string) error {
	known := false
	for _, o := range SampleStages {
		known = known || o.Code == to
	}
	if !known || to == SampleSent {
		return errs.Validation([]errs.FieldError{{Field: "stage", Code: "invalid_option", Args: map[string]any{"value": to}}})
	}
	allowed := SampleAllowed(current)
	for _, a := range allowed {
		if a == to {
			return nil
		}
	}
	move := SampleMove{Current: current, Wanted: to, Allowed: allowed}
	if allowed == nil {
		move.Allowed = []string{}
		return errs.New(errs.Unprocessable, "sample_closed", labelArgs("current", SampleStageLabel(current))...).WithData(move)
	}
	args := labelArgs("current", SampleStageLabel(current))
	args = append(args, labelArgs("next", SampleStageLabel(SampleNextStep(current)))...)
	args = append(args, labelArgs("wanted", SampleStageLabel(to))...)
	return errs.New(errs.Unprocessable, "sample_stage_order", args...).WithData(move)
}

// labelArgs passes a label as message arguments in both languages: name
// (Chinese) and name_en (see i18n.Msg).
func labelArgs(name string, t i18n.Text) []any {
	return []any{name, t.In(i18n.ZH), name + "_en", t.In(i18n.EN)}
}

// CheckSampleStepDate checks the date of a step (dates as 2006-01-02): not
// before the previous step's date, not after today.
func CheckSampleStepDate(previous, on, today string) error {
	switch {
	case on == "":
		return errs.Validation([]errs.FieldError{{Field: "on", Code: "required"}})
	case previous != "" && on < previous:
		return errs.Validation([]errs.FieldError{{Field: "on", Code: "sample_date_order", Args: map[string]any{"date": previous}}})
	case today != "" && on > today:
		return errs.Validation([]errs.FieldError{{Field: "on", Code: "date_in_future"}})
	}
	return nil
}

// SampleLastDate is the date of the last step a sample took (the latest
// of its step dates, by column name).
func SampleLastDate(dates map[string]string) string {
	last := ""
	for _, s := range sampleOrder {
		on, _ := SampleStepFields(s)
		if d := dates[on]; d > last {
			last = d
		}
	}
	return last
}
