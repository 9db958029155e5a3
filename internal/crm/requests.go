package crm

import (
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"closeloop/internal/entity"
	"closeloop/internal/errs"
)

// RequestStep is one step of a pre-sales request's life (售前工作流程):
// raised → evaluated → engineers assigned → work logged → closed with an
// outcome and scored.
type RequestStep string

// The steps of a request.
const (
	StepEdit     RequestStep = "edit"     // change what the rep asked for
	StepEvaluate RequestStep = "evaluate" // 售前工作评估表
	StepAssign   RequestStep = "assign"   // name (or change) the engineers
	StepWork     RequestStep = "work"     // log, change or remove work (售前工作记录表)
	StepClose    RequestStep = "close"    // end with an outcome
	StepScore    RequestStep = "score"    // 售前工作评分表, after closing
)

// requestSteps lists the steps a request may take in each status. A
// request is never reopened: nothing stays open without an outcome, and an
// outcome, once given, stays.
var requestSteps = map[string][]RequestStep{
	ReqSubmitted: {StepEdit, StepEvaluate, StepClose},
	ReqAccepted:  {StepEdit, StepEvaluate, StepAssign, StepClose},
	ReqAssigned:  {StepEdit, StepAssign, StepWork, StepClose},
	ReqClosed:    {StepScore},
}

// stepRefused names, per step, the code of the refusal.
var stepRefused = map[RequestStep]string{
	StepEdit:     "presales_request_closed",
	StepEvaluate: "presales_not_evaluable",
	StepAssign:   "presales_not_assignable",
	StepWork:     "presales_not_assigned",
	StepClose:    "presales_already_closed",
	StepScore:    "presales_not_closed",
}

// CanRequest reports whether a request in status may take step.
func CanRequest(status string, step RequestStep) bool {
	return slices.Contains(requestSteps[status], step)
}

// CheckRequestStep refuses a step the request's status does not allow,
// with a code that says why (422).
func CheckRequestStep(status string, step RequestStep) error {
	if CanRequest(status, step) {
		return nil
	}
	code := stepRefused[step]
	if step == StepWork && status == ReqClosed {
		code = "presales_request_closed"
	}
	if code == "" {
		code = "presales_step_refused"
	}
	return errs.New(errs.Unprocessable, code, "status", status, "step", string(step))
}

// StatusAfterAssign is the status once the given engineers are assigned:
// with nobody left, the request waits for engineers again.
func StatusAfterAssign(engineers int) string {
	if engineers == 0 {
		return ReqAccepted
	}
	return ReqAssigned
}

// Evaluation conclusions.
const (
	ConclusionAccept = "accept"
	ConclusionStop   = "stop"
)

// Evaluation is a pre-sales manager's assessment of a request (售前工作评估表).
type Evaluation struct {
	Products   string   `json:"products"`    // products involved
	Directions string   `json:"directions"`  // technical directions involved
	Work       []string `json:"work"`        // work needed (PresalesWork codes)
	People     *int64   `json:"people"`      // people needed
	Difficulty string   `json:"difficulty"`  // low, medium, high
	KeyPoints  string   `json:"key_points"`  // what decides the deal
	KeyDates   string   `json:"key_dates"`   // key dates
	Importance string   `json:"importance"`  // ImportanceLevels code
	Conclusion string   `json:"conclusion"`  // accept or stop
	StopReason string   `json:"stop_reason"` // required to stop
}

// EvaluationFields maps the evaluation's input names to the request's
// fields that store them.
var EvaluationFields = map[string]string{
	"products": "eval_products", "directions": "eval_directions", "work": "eval_work", "people": "eval_people",
	"difficulty": "eval_difficulty", "key_points": "eval_key_points", "key_dates": "eval_key_dates",
	"importance": "importance", "conclusion": "eval_conclusion", "stop_reason": "eval_stop_reason",
}

// Check validates an evaluation against the request's declaration:
// options, lengths, and what each conclusion needs — accepting needs the
// work, difficulty and importance (the basis of scoring); stopping needs
// a reason.
func (ev *Evaluation) Check() error {
	ev.trim()
	var bad []errs.FieldError
	text := func(key, v string) {
		f := PresalesRequest.Field(EvaluationFields[key])
		if n := utf8.RuneCountInString(v); n > f.MaxChars() {
			bad = append(bad, errs.FieldError{Field: key, Code: "too_long", Args: map[string]any{"max": f.MaxChars()}})
		}
	}
	text("products", ev.Products)
	text("directions", ev.Directions)
	text("key_points", ev.KeyPoints)
	text("key_dates", ev.KeyDates)
	text("stop_reason", ev.StopReason)
	option := func(key, v string) {
		if v != "" && !hasOption(PresalesRequest.Field(EvaluationFields[key]).Options, v) {
			bad = append(bad, errs.FieldError{Field: key, Code: "invalid_option", Args: map[string]any{"value": v}})
		}
	}
	option("difficulty", ev.Difficulty)
	option("importance", ev.Importance)
	option("conclusion", ev.Conclusion)
	for _, w := range ev.Work {
		if !hasOption(PresalesWork, w) {
			bad = append(bad, errs.FieldError{Field: "work", Code: "invalid_option", Args: map[string]any{"value": w}})
			break
		}
	}
	if ev.People != nil && (*ev.People < 1 || *ev.People > 100) {
		bad = append(bad, errs.FieldError{Field: "people", Code: "out_of_range"})
	}
	required := func(key string, empty bool) {
		if empty {
			bad = append(bad, errs.FieldError{Field: key, Code: "required"})
		}
	}
	switch ev.Conclusion {
	case "":
		required("conclusion", true)
	case ConclusionAccept:
		required("work", len(ev.Work) == 0)
		required("difficulty", ev.Difficulty == "")
		required("importance", ev.Importance == "")
	case ConclusionStop:
		required("stop_reason", ev.StopReason == "")
	}
	return errs.Validation(bad)
}

func (ev *Evaluation) trim() {
	for _, s := range []*string{&ev.Products, &ev.Directions, &ev.Difficulty, &ev.KeyPoints, &ev.KeyDates, &ev.Importance, &ev.Conclusion, &ev.StopReason} {
		*s = strings.TrimSpace(*s)
	}
	var work []string
	for _, w := range ev.Work {
		if w = strings.TrimSpace(w); w != "" && !slices.Contains(work, w) {
			work = append(work, w)
		}
	}
	ev.Work = work
}

// Record is the evaluation as the request's field values, with who
// evaluated and when, and the status it leads to: accepted stays accepted
// (or assigned, when engineers are already at work); stopping closes the
// request with the outcome stopped.
func (ev Evaluation) Record(status, by string, at time.Time) entity.Record {
	rec := entity.Record{
		"eval_products": nilIfEmpty(ev.Products), "eval_directions": nilIfEmpty(ev.Directions), "eval_work": listOrNil(ev.Work),
		"eval_difficulty": nilIfEmpty(ev.Difficulty), "eval_key_points": nilIfEmpty(ev.KeyPoints), "eval_key_dates": nilIfEmpty(ev.KeyDates),
		"importance": nilIfEmpty(ev.Importance), "eval_conclusion": ev.Conclusion, "eval_stop_reason": nilIfEmpty(ev.StopReason),
		"evaluated_by": by, "evaluated_at": entity.CanonTime(at), "eval_people": nil,
	}
	if ev.People != nil {
		rec["eval_people"] = *ev.People
	}
	if ev.Conclusion == ConclusionStop {
		rec["status"], rec["outcome"], rec["closed_at"] = ReqClosed, OutcomeStopped, entity.CanonTime(at)
		rec["close_note"] = ev.StopReason
	} else if status == ReqSubmitted {
		rec["status"] = ReqAccepted
	}
	return rec
}

// Closing is how a request ends: with an outcome (nothing stays open
// without one), an optional note, and the closer's score of the work.
type Closing struct {
	Outcome    string `json:"outcome"`     // won, lost, stopped or merged
	MergedInto string `json:"merged_into"` // the request this one is merged into
	Note       string `json:"note"`        // required when stopped
	Score      *Score `json:"score"`       // the closer's score
}

// Outcomes of a request, in order.
var Outcomes = []string{OutcomeWon, OutcomeLost, OutcomeStopped, OutcomeMerged}

// Check validates a closing of request id. needScore says engineers worked
// on the request: then the closer scores their work; with nobody assigned
// there is nothing to score.
func (c *Closing) Check(id string, needScore bool) error {
	c.Outcome = strings.TrimSpace(c.Outcome)
	c.MergedInto = strings.ToLower(strings.TrimSpace(c.MergedInto))
	c.Note = strings.TrimSpace(c.Note)
	var bad []errs.FieldError
	switch {
	case c.Outcome == "":
		// Said as a code of its own: a client that "just closes" learns
		// that a request ends with an outcome.
		return errs.New(errs.Unprocessable, "presales_outcome_required")
	case !slices.Contains(Outcomes, c.Outcome):
		bad = append(bad, errs.FieldError{Field: "outcome", Code: "invalid_option", Args: map[string]any{"value": c.Outcome}})
	}
	switch {
	case c.Outcome == OutcomeMerged && c.MergedInto == "":
		bad = append(bad, errs.FieldError{Field: "merged_into", Code: "required"})
	case c.Outcome == OutcomeMerged && !entity.LooksLikeID(c.MergedInto):
		bad = append(bad, errs.FieldError{Field: "merged_into", Code: "invalid_ref"})
	case c.Outcome == OutcomeMerged && c.MergedInto == id:
		bad = append(bad, errs.FieldError{Field: "merged_into", Code: "merge_same"})
	case c.Outcome != OutcomeMerged && c.MergedInto != "":
		bad = append(bad, errs.FieldError{Field: "merged_into", Code: "presales_merge_only"})
	}
	if c.Outcome == OutcomeStopped && c.Note == "" {
		bad = append(bad, errs.FieldError{Field: "note", Code: "required"})
	}
	if n := utf8.RuneCountInString(c.Note); n > 20000 {
		bad = append(bad, errs.FieldError{Field: "note", Code: "too_long", Args: map[string]any{"max": 20000}})
	}
	switch {
	case needScore && c.Score == nil:
		bad = append(bad, errs.FieldError{Field: "score", Code: "required"})
	case !needScore && c.Score != nil:
		bad = append(bad, errs.FieldError{Field: "score", Code: "presales_nothing_to_score"})
	case c.Score != nil:
		if err := c.Score.Check("score."); err != nil {
			bad = append(bad, errs.As(err).Fields...)
		}
	}
	return errs.Validation(bad)
}

// Record is the closing as the request's field values.
func (c Closing) Record(at time.Time) entity.Record {
	return entity.Record{"status": ReqClosed, "outcome": c.Outcome, "merged_into": nilIfEmpty(c.MergedInto),
		"close_note": nilIfEmpty(c.Note), "closed_at": entity.CanonTime(at)}
}

// Scorer roles: who scores a request's work.
const (
	ScorerSales   = "sales"   // the requesting rep
	ScorerManager = "manager" // the pre-sales manager
)

// Score is one party's score of the pre-sales work on a request
// (售前工作评分表): quality, timeliness and contribution from 1 to 5.
type Score struct {
	Quality      int64  `json:"quality"`
	Timeliness   int64  `json:"timeliness"`
	Contribution int64  `json:"contribution"`
	Comment      string `json:"comment"`
}

// Check validates the marks; prefix names the fields in errors ("score.").
func (s *Score) Check(prefix string) error {
	s.Comment = strings.TrimSpace(s.Comment)
	var bad []errs.FieldError
	for _, m := range []struct {
		name string
		v    int64
	}{{"quality", s.Quality}, {"timeliness", s.Timeliness}, {"contribution", s.Contribution}} {
		switch {
		case m.v == 0:
			bad = append(bad, errs.FieldError{Field: prefix + m.name, Code: "required"})
		case m.v < 1 || m.v > 5:
			bad = append(bad, errs.FieldError{Field: prefix + m.name, Code: "presales_score_range", Args: map[string]any{"min": 1, "max": 5}})
		}
	}
	if utf8.RuneCountInString(s.Comment) > 20000 {
		bad = append(bad, errs.FieldError{Field: prefix + "comment", Code: "too_long", Args: map[string]any{"max": 20000}})
	}
	return errs.Validation(bad)
}

// Average is the mean of the three marks.
func (s Score) Average() float64 {
	return float64(s.Quality+s.Timeliness+s.Contribution) / 3
}

// DaysOpen is how many calendar days (in the company's time zone) a request
// raised at opened has been open at now, or was open until it closed.
func DaysOpen(opened, closed, now time.Time, loc *time.Location) int {
	end := now
	if !closed.IsZero() {
		end = closed
	}
	a := opened.In(loc)
	b := end.In(loc)
	da := time.Date(a.Year(), a.Month(), a.Day(), 0, 0, 0, 0, time.UTC)
	db := time.Date(b.Year(), b.Month(), b.Day(), 0, 0, 0, 0, time.UTC)
	d := int(db.Sub(da).Hours() / 24)
	return max(d, 0)
}

// AgeBucket is a band of days an open request has waited.
type AgeBucket struct {
	Key      string // stable code: d0_7, d8_14 …
	Min, Max int    // inclusive; Max -1 means no upper bound
}

// AgeBuckets are the bands the ageing report groups open requests by.
var AgeBuckets = []AgeBucket{
	{Key: "d0_7", Min: 0, Max: 7},
	{Key: "d8_14", Min: 8, Max: 14},
	{Key: "d15_30", Min: 15, Max: 30},
	{Key: "d31_60", Min: 31, Max: 60},
	{Key: "d61", Min: 61, Max: -1},
}

// BucketOf returns the index in AgeBuckets of an age in days.
func BucketOf(days int) int {
	for i, b := range AgeBuckets {
		if days >= b.Min && (b.Max < 0 || days <= b.Max) {
			return i
		}
	}
	return 0
}

func hasOption(opts []entity.Option, code string) bool {
	return slices.ContainsFunc(opts, func(o entity.Option) bool { return o.Code == code })
}

func nilIfEmpty(s string) any {
	if s == "" {
		return nil
	}
	return s
}

func listOrNil(l []string) any {
	if len(l) == 0 {
		return nil
	}
	return l
}
