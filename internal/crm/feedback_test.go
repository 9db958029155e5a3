package crm

import (
	"testing"
	"time"

	"closeloop/internal/errs"
)

func TestImprovementNext(t *testing.T) {
	for _, c := range []struct {
		from, step, reason, to, code string
	}{
		{ImprovementOpen, ImprovementStepStart, "", ImprovementInProgress, ""},
		{ImprovementOpen, ImprovementStepDone, "", ImprovementDone, ""},
		{ImprovementInProgress, ImprovementStepDone, "", ImprovementDone, ""},
		{ImprovementDone, ImprovementStepVerify, "", ImprovementVerified, ""},
		{ImprovementOpen, ImprovementStepVerify, "", "", "improvement_step_invalid"},
		{ImprovementInProgress, ImprovementStepDrop, "", "", "validation"},
		{ImprovementInProgress, ImprovementStepDrop, "不再生产", ImprovementDropped, ""},
		{ImprovementVerified, ImprovementStepDrop, "x", "", "improvement_step_invalid"},
		{ImprovementDropped, ImprovementStepReopen, "", ImprovementOpen, ""},
		{ImprovementVerified, ImprovementStepReopen, "", "", "improvement_step_invalid"},
		{ImprovementOpen, "fly", "", "", "validation"},
	} {
		to, err := ImprovementNext(c.from, c.step, c.reason)
		code := ""
		if err != nil {
			code = errs.CodeOf(err)
		}
		if to != c.to || code != c.code {
			t.Errorf("%s --%s--> %q %v, want %q %q", c.from, c.step, to, err, c.to, c.code)
		}
	}
	if got := ImprovementSteps(ImprovementDone); len(got) != 3 {
		t.Errorf("steps from done: %v", got)
	}
}

func TestScores(t *testing.T) {
	for _, c := range []struct {
		p, d, n int
		want    float64
	}{{0, 0, 0, 0}, {5, 1, 10, 40}, {0, 3, 3, -100}, {1, 0, 3, 33.3}, {0, 1, 3, -33.3}} {
		if got := NPS(c.p, c.d, c.n); got != c.want {
			t.Errorf("NPS(%d,%d,%d) = %v, want %v", c.p, c.d, c.n, got, c.want)
		}
	}
	for score, want := range map[int]string{10: "promoter", 9: "promoter", 8: "passive", 7: "passive", 6: "detractor", 0: "detractor"} {
		if NPSBucket(score) != want {
			t.Errorf("bucket %d", score)
		}
	}
	for s, want := range map[int]bool{0: false, 1: true, 2: true, 3: false, 5: false} {
		if NeedsRecovery(s) != want {
			t.Errorf("recovery %d", s)
		}
	}
	for _, c := range []struct {
		a        SurveyAnswer
		sat, nps bool
		field    string
	}{
		{SurveyAnswer{Satisfaction: 5, NPS: 10}, true, true, ""},
		{SurveyAnswer{Satisfaction: 0, NPS: 0}, true, true, "satisfaction"},
		{SurveyAnswer{Satisfaction: 6, NPS: 0}, true, true, "satisfaction"},
		{SurveyAnswer{Satisfaction: 3, NPS: -1}, true, true, "nps"},
		{SurveyAnswer{Satisfaction: 3}, true, false, "nps"},
		{SurveyAnswer{Satisfaction: 3, NPS: 3, Comment: string(make([]rune, 2001))}, true, true, "comment"},
	} {
		err := CheckSurveyAnswer(c.a, c.sat, c.nps)
		got := ""
		if e := errs.As(err); e != nil && len(e.Fields) > 0 {
			got = e.Fields[0].Field
		}
		if got != c.field {
			t.Errorf("%+v: %v, want %q", c.a, err, c.field)
		}
	}
}

func TestRecoveryOwnerAndVisitDates(t *testing.T) {
	for _, c := range []struct {
		tm, am string
		sms    []string
		want   string
	}{{"t", "a", []string{"s"}, "t"}, {"", "a", []string{"s"}, "a"}, {"", "", []string{"s", "s2"}, "s"}, {"", "", nil, ""}} {
		if got := RecoveryOwner(c.tm, c.am, c.sms); got != c.want {
			t.Errorf("%+v: %q", c, got)
		}
	}
	loc, _ := time.LoadLocation("Asia/Shanghai")
	d := time.Date(2026, 1, 28, 0, 0, 0, 0, loc)
	if got := VisitDue(d, 7).Format("2006-01-02"); got != "2026-02-04" {
		t.Errorf("due %s", got)
	}
	for _, c := range []struct {
		date   time.Time
		months int
		due    string
	}{
		{time.Date(2026, 2, 10, 0, 0, 0, 0, loc), 3, "2026-03-31"},
		{time.Date(2026, 4, 1, 0, 0, 0, 0, loc), 3, "2026-06-30"},
		{time.Date(2026, 12, 2, 0, 0, 0, 0, loc), 6, "2026-12-31"},
		{time.Date(2026, 12, 2, 0, 0, 0, 0, loc), 1, "2026-12-31"},
	} {
		k, due := VisitPeriod(c.date, c.months)
		if due.Format("2006-01-02") != c.due || k == "" {
			t.Errorf("%v/%d: %s %s", c.date, c.months, k, due.Format("2006-01-02"))
		}
	}
	k1, _ := VisitPeriod(time.Date(2026, 1, 5, 0, 0, 0, 0, loc), 3)
	k2, _ := VisitPeriod(time.Date(2026, 3, 30, 0, 0, 0, 0, loc), 3)
	k3, _ := VisitPeriod(time.Date(2026, 4, 1, 0, 0, 0, 0, loc), 3)
	if k1 != k2 || k2 == k3 {
		t.Errorf("period keys %s %s %s", k1, k2, k3)
	}
}
