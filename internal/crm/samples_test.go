package crm

import (
	"slices"
	"testing"

	"closeloop/internal/errs"
	"closeloop/internal/i18n"
)

func errCode(err error) string {
	if err == nil {
		return ""
	}
	e := errs.As(err)
	if e == nil {
		return "internal"
	}
	if len(e.Fields) > 0 {
		return e.Fields[0].Code
	}
	return e.Code
}

func TestCheckSampleAdvance(t *testing.T) {
	cases := []struct {
		from, to string
		want     string // error code, "" when allowed
	}{
		{SampleSent, SampleSmall, ""},
		{SampleSmall, SamplePilot, ""},
		{SamplePilot, SamplePurchase, ""},
		{SampleSent, SampleFailed, ""},
		{SampleSmall, SampleFailed, ""},
		{SamplePilot, SampleFailed, ""},
		// Skipping forward.
		{SampleSent, SamplePilot, "sample_stage_order"},
		{SampleSent, SamplePurchase, "sample_stage_order"},
		{SampleSmall, SamplePurchase, "sample_stage_order"},
		// The same step again, or back.
		{SampleSmall, SampleSmall, "sample_stage_order"},
		{SamplePilot, SampleSmall, "sample_stage_order"},
		// Closed trials.
		{SamplePurchase, SampleFailed, "sample_closed"},
		{SampleFailed, SampleSmall, "sample_closed"},
		{SampleFailed, SampleFailed, "sample_closed"},
		// Not a step one moves to.
		{SampleSmall, SampleSent, "invalid_option"},
		{SampleSent, "approved", "invalid_option"},
		{SampleSent, "", "invalid_option"},
	}
	for _, c := range cases {
		err := CheckSampleAdvance(c.from, c.to)
		if got := errCode(err); got != c.want {
			t.Errorf("%s → %s: %q, want %q (%v)", c.from, c.to, got, c.want, err)
		}
		if c.want == "" || err == nil {
			continue
		}
		if kind := errs.KindOf(err); (c.want == "invalid_option") != (kind == errs.Invalid) {
			t.Errorf("%s → %s: kind %v", c.from, c.to, kind)
		}
	}
}

func TestSampleRefusalNamesTheNextStep(t *testing.T) {
	err := CheckSampleAdvance(SampleSent, SamplePilot)
	e := errs.As(err)
	if e == nil || e.Kind != errs.Unprocessable {
		t.Fatalf("%v", err)
	}
	move, ok := e.Data.(SampleMove)
	if !ok || move.Current != SampleSent || !slices.Equal(move.Allowed, []string{SampleSmall, SampleFailed}) || move.Wanted != SamplePilot {
		t.Fatalf("data %#v", e.Data)
	}
	if got := i18n.MsgMap(i18n.ZH, "err."+e.Code, e.Args); got != "送样当前为“已送样”，下一步只能是“小试”（或标记为未通过），不能改为“中试”" {
		t.Errorf("zh message %q", got)
	}
	if got := i18n.MsgMap(i18n.EN, "err."+e.Code, e.Args); got != "The sample is at “Sent”; the next step can only be “Small trial” (or failed), not “Pilot”" {
		t.Errorf("en message %q", got)
	}
	closed := errs.As(CheckSampleAdvance(SamplePurchase, SampleFailed))
	if m, _ := closed.Data.(SampleMove); m.Allowed == nil || len(m.Allowed) != 0 {
		t.Errorf("closed: allowed %#v (want an empty list, not null)", closed.Data)
	}
}

func TestSampleAllowedAndPath(t *testing.T) {
	cases := map[string][]string{
		SampleSent:     {SampleSmall, SampleFailed},
		SampleSmall:    {SamplePilot, SampleFailed},
		SamplePilot:    {SamplePurchase, SampleFailed},
		SamplePurchase: nil,
		SampleFailed:   nil,
		"bogus":        nil,
	}
	for from, want := range cases {
		if got := SampleAllowed(from); !slices.Equal(got, want) {
			t.Errorf("allowed from %s: %v, want %v", from, got, want)
		}
	}
	if !SampleClosed(SamplePurchase) || !SampleClosed(SampleFailed) || SampleClosed(SamplePilot) {
		t.Error("closed stages")
	}
	for _, s := range []string{SampleSmall, SamplePilot, SamplePurchase, SampleFailed} {
		on, res := SampleStepFields(s)
		if on == "" || res == "" {
			t.Errorf("%s: no step fields", s)
		}
	}
}

func TestCheckSampleStepDate(t *testing.T) {
	cases := []struct {
		prev, on, today, want string
	}{
		{"2026-03-01", "2026-03-01", "2026-03-10", ""},
		{"2026-03-01", "2026-03-10", "2026-03-10", ""},
		{"2026-03-01", "2026-02-28", "2026-03-10", "sample_date_order"},
		{"2026-03-01", "2026-03-11", "2026-03-10", "date_in_future"},
		{"2026-03-01", "", "2026-03-10", "required"},
		{"", "2026-03-05", "", ""},
	}
	for _, c := range cases {
		if got := errCode(CheckSampleStepDate(c.prev, c.on, c.today)); got != c.want {
			t.Errorf("%+v: %q", c, got)
		}
	}
	if got := SampleLastDate(map[string]string{"sent_on": "2026-01-05", "small_trial_on": "2026-02-01"}); got != "2026-02-01" {
		t.Errorf("last date %q", got)
	}
	if got := SampleLastDate(map[string]string{"sent_on": "2026-01-05"}); got != "2026-01-05" {
		t.Errorf("last date %q", got)
	}
}
