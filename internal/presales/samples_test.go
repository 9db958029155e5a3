package presales_test

import (
	"bytes"
	"slices"
	"strings"
	"testing"
	"time"

	"closeloop/internal/access"
	"closeloop/internal/apptest"
	"closeloop/internal/crm"
	"closeloop/internal/entity"
	"closeloop/internal/errs"
	"closeloop/internal/i18n"
	"closeloop/internal/presales"
	"closeloop/internal/sheet"
)

// fieldCode is the code of the first field error, or the error's code.
func fieldCode(err error) string {
	e := errs.As(err)
	if e == nil {
		if err != nil {
			return "internal: " + err.Error()
		}
		return ""
	}
	if len(e.Fields) > 0 {
		return e.Fields[0].Field + ":" + e.Fields[0].Code
	}
	return e.Code
}

func day(f *apptest.Fixture, offset int) string {
	return time.Now().In(f.App.Loc).AddDate(0, 0, offset).Format(entity.DateLayout)
}

func newSample(t *testing.T, f *apptest.Fixture, p *access.Principal, rec entity.Record) entity.Record {
	t.Helper()
	base := entity.Record{"product": "高纯氧化铝粉 HA-99", "quantity": 5.0, "unit": "kg", "sent_on": day(f, -30), "documents": []string{"manual", "msds", "notes"}}
	for k, v := range rec {
		base[k] = v
	}
	s, err := f.App.Records.Create(ctx, p, "sample", base)
	if err != nil {
		t.Fatalf("create sample: %v", err)
	}
	return s
}

func timelineKinds(t *testing.T, f *apptest.Fixture, p *access.Principal, customerID string) []string {
	t.Helper()
	items, err := f.App.Customers.Timeline(ctx, p, "customer", customerID, "", 100)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, it := range items {
		out = append(out, it.Kind)
	}
	return out
}

func TestSampleTrialMovesStrictlyForward(t *testing.T) {
	f := apptest.NewFixture(t)
	ps := f.App.Presales
	cust := f.Customer(t, f.Rep1, "江苏华瑞新材料有限公司")
	opp := newOpp(t, f, f.Rep1, cust.ID(), "陶瓷涂层材料替换")
	// The customer comes from the opportunity.
	smp := newSample(t, f, f.Rep1, entity.Record{"opportunity_id": opp.ID(), "batch": "HA2603-17"})
	if smp.Str("customer_id") != cust.ID() || smp.Str("stage") != crm.SampleSent {
		t.Fatalf("new sample: customer %q stage %q", smp.Str("customer_id"), smp.Str("stage"))
	}
	// People do not set the stage by editing.
	if _, err := f.App.Records.Update(ctx, f.Rep1, "sample", smp.ID(), smp.Version(), entity.Record{"stage": crm.SamplePilot}); fieldCode(err) != "stage:read_only" {
		t.Fatalf("stage by edit: %v", err)
	}

	step := func(stage, on, result string) (entity.Record, error) {
		return ps.AdvanceSample(ctx, f.Rep1, smp.ID(), presales.SampleStep{Stage: stage, On: on, Result: result})
	}
	// No skipping: the refusal names the allowed next step.
	_, err := step(crm.SamplePilot, day(f, -20), "中试线运行良好")
	e := errs.As(err)
	if e == nil || e.Code != "sample_stage_order" || e.Kind != errs.Unprocessable {
		t.Fatalf("skip to pilot: %v", err)
	}
	if m, ok := e.Data.(crm.SampleMove); !ok || !slices.Equal(m.Allowed, []string{crm.SampleSmall, crm.SampleFailed}) {
		t.Fatalf("refusal data %#v", e.Data)
	}
	for _, c := range []struct{ stage, on, result, want string }{
		{crm.SampleSmall, day(f, -20), "  ", "result:required"},
		{crm.SampleSmall, day(f, -31), "合格", "on:sample_date_order"},
		{crm.SampleSmall, day(f, 1), "合格", "on:date_in_future"},
		{crm.SampleSmall, "2026-13-45", "合格", "on:invalid_date"},
		{"approved", day(f, -20), "合格", "stage:invalid_option"},
		{crm.SampleSent, day(f, -20), "合格", "stage:invalid_option"},
	} {
		if _, err := step(c.stage, c.on, c.result); fieldCode(err) != c.want {
			t.Errorf("%+v: %v", c, err)
		}
	}
	s1, err := step(crm.SampleSmall, day(f, -20), "粒径分布 D50=1.2μm，符合客户工艺要求")
	if err != nil {
		t.Fatal(err)
	}
	if s1.Str("stage") != crm.SampleSmall || s1.Str("small_trial_on") != day(f, -20) || !strings.Contains(s1.Str("small_trial_result"), "D50") || s1.Version() != smp.Version()+1 {
		t.Fatalf("after small trial: %v", s1)
	}
	// A stale page is refused; the pilot cannot be dated before the small trial.
	if _, err := ps.AdvanceSample(ctx, f.Rep1, smp.ID(), presales.SampleStep{Stage: crm.SamplePilot, Result: "x", Version: smp.Version()}); errs.KindOf(err) != errs.Conflict {
		t.Fatalf("stale: %v", err)
	}
	if _, err := step(crm.SamplePilot, day(f, -25), "中试通过"); fieldCode(err) != "on:sample_date_order" {
		t.Fatalf("pilot before small trial: %v", err)
	}
	// The send date cannot move after the small trial either.
	if _, err := f.App.Records.Update(ctx, f.Rep1, "sample", smp.ID(), s1.Version(), entity.Record{"sent_on": day(f, -10)}); fieldCode(err) != "sent_on:sample_sent_after_step" {
		t.Fatalf("sent after the small trial: %v", err)
	}
	if _, err := step(crm.SamplePilot, day(f, -10), "中试 200kg 批次稳定"); err != nil {
		t.Fatal(err)
	}
	// Today when no date is given.
	s3, err := step(crm.SamplePurchase, "", "首单 2 吨，月用量约 5 吨")
	if err != nil {
		t.Fatal(err)
	}
	if s3.Str("stage") != crm.SamplePurchase || s3.Str("purchase_on") != day(f, 0) {
		t.Fatalf("purchase: %v", s3)
	}
	if _, err := step(crm.SampleFailed, "", "客户改用进口料"); errs.CodeOf(err) != "sample_closed" {
		t.Fatalf("after purchase: %v", err)
	}
	// Each step is in the customer report.
	kinds := timelineKinds(t, f, f.Rep1, cust.ID())
	for _, k := range []string{"sample_sent", "sample_small_trial", "sample_pilot", "sample_regular_purchase"} {
		if !slices.Contains(kinds, k) {
			t.Errorf("timeline lacks %s: %v", k, kinds)
		}
	}

	// Failing from the start: the reason is kept, and the trial is closed.
	other := newSample(t, f, f.Rep1, entity.Record{"customer_id": cust.ID(), "product": "导热硅脂 TG-5"})
	if other.Str("opportunity_id") != "" {
		t.Fatal("no opportunity expected")
	}
	fs, err := ps.AdvanceSample(ctx, f.Rep1, other.ID(), presales.SampleStep{Stage: crm.SampleFailed, On: day(f, -3), Result: "导热系数不达标"})
	if err != nil {
		t.Fatal(err)
	}
	if fs.Str("stage") != crm.SampleFailed || fs.Str("failed_on") != day(f, -3) || fs.Str("failed_reason") != "导热系数不达标" || fs.Str("small_trial_on") != "" {
		t.Fatalf("failed: %v", fs)
	}
	if _, err := ps.AdvanceSample(ctx, f.Rep1, other.ID(), presales.SampleStep{Stage: crm.SampleSmall, Result: "x"}); errs.CodeOf(err) != "sample_closed" {
		t.Fatalf("after failing: %v", err)
	}
	if !slices.Contains(timelineKinds(t, f, f.Rep1, cust.ID()), "sample_failed") {
		t.Error("no failure in the timeline")
	}
}

func TestSampleCustomerAndAccess(t *testing.T) {
	f := apptest.NewFixture(t)
	ps := f.App.Presales
	a := f.Customer(t, f.Rep1, "浙江天成化工有限公司")
	b := f.Customer(t, f.Rep1, "宁波港城塑业有限公司")
	opp := newOpp(t, f, f.Rep1, a.ID(), "阻燃剂替代")
	// A customer that is not the opportunity's is refused.
	_, err := f.App.Records.Create(ctx, f.Rep1, "sample", entity.Record{"product": "阻燃剂 FR-3", "quantity": 2.0, "sent_on": day(f, -5), "opportunity_id": opp.ID(), "customer_id": b.ID()})
	if fieldCode(err) != "customer_id:customer_not_of_opportunity" {
		t.Fatalf("mismatch: %v", err)
	}
	smp := newSample(t, f, f.Rep1, entity.Record{"opportunity_id": opp.ID(), "customer_id": a.ID()})
	// Another rep neither sees nor advances it; the manager of the team does.
	if _, err := ps.AdvanceSample(ctx, f.Rep2, smp.ID(), presales.SampleStep{Stage: crm.SampleSmall, Result: "ok"}); errs.KindOf(err) != errs.NotFound {
		t.Fatalf("other rep: %v", err)
	}
	if _, err := ps.AdvanceSample(ctx, f.Rep3, "not-an-id", presales.SampleStep{Stage: crm.SampleSmall, Result: "ok"}); errs.KindOf(err) != errs.NotFound {
		t.Fatalf("bad id: %v", err)
	}
	// Delivery people read every sample but change none.
	if _, err := ps.AdvanceSample(ctx, f.Service, smp.ID(), presales.SampleStep{Stage: crm.SampleSmall, Result: "ok"}); errs.KindOf(err) != errs.Forbidden {
		t.Fatalf("read-only role: %v", err)
	}
	if _, err := ps.AdvanceSample(ctx, f.Manager, smp.ID(), presales.SampleStep{Stage: crm.SampleSmall, Result: "小试合格"}); err != nil {
		t.Fatalf("manager: %v", err)
	}
}

func TestSampleConversionReport(t *testing.T) {
	f := apptest.NewFixture(t)
	ps := f.App.Presales
	c1 := f.Customer(t, f.Rep1, "常州精工涂料有限公司")
	c2 := f.Customer(t, f.Rep2, "无锡华宇电子材料有限公司")
	c3 := f.Customer(t, f.Rep3, "佛山南海陶瓷有限公司")
	advance := func(p *access.Principal, s entity.Record, stages ...string) {
		t.Helper()
		for i, st := range stages {
			if _, err := ps.AdvanceSample(ctx, p, s.ID(), presales.SampleStep{Stage: st, On: day(f, -20+i), Result: "记录"}); err != nil {
				t.Fatalf("%s → %s: %v", s.Str("product"), st, err)
			}
		}
	}
	const resin, paste = "环氧树脂 EP-618", "导电银浆 AG-2"
	// Rep1: three resin samples (purchase, pilot then failed, sent) and one paste at small trial.
	advance(f.Rep1, newSample(t, f, f.Rep1, entity.Record{"customer_id": c1.ID(), "product": resin}), crm.SampleSmall, crm.SamplePilot, crm.SamplePurchase)
	advance(f.Rep1, newSample(t, f, f.Rep1, entity.Record{"customer_id": c1.ID(), "product": resin}), crm.SampleSmall, crm.SamplePilot, crm.SampleFailed)
	newSample(t, f, f.Rep1, entity.Record{"customer_id": c1.ID(), "product": resin})
	advance(f.Rep1, newSample(t, f, f.Rep1, entity.Record{"customer_id": c1.ID(), "product": paste}), crm.SampleSmall)
	// Rep2 (same team): one resin bought. Rep3 (other region): one paste failed at once.
	advance(f.Rep2, newSample(t, f, f.Rep2, entity.Record{"customer_id": c2.ID(), "product": resin}), crm.SampleSmall, crm.SamplePilot, crm.SamplePurchase)
	advance(f.Rep3, newSample(t, f, f.Rep3, entity.Record{"customer_id": c3.ID(), "product": paste}), crm.SampleFailed)
	// Sent long ago: outside the period asked for below.
	newSample(t, f, f.Rep1, entity.Record{"customer_id": c1.ID(), "product": resin, "sent_on": day(f, -400)})

	q := presales.SampleReportQuery{From: day(f, -90), To: day(f, 0)}
	byKey := func(rep presales.SampleReport) map[string]presales.SampleReportRow {
		m := map[string]presales.SampleReportRow{}
		for _, r := range rep.Rows {
			m[r.Key] = r
		}
		return m
	}
	rep, err := ps.SampleConversion(ctx, f.Admin, q)
	if err != nil {
		t.Fatal(err)
	}
	rows := byKey(rep)
	want := presales.SampleReportRow{Key: resin, Label: resin, Sent: 4, SmallTrial: 3, Pilot: 3, Purchase: 2, Failed: 1, Open: 1, Conversion: 50}
	if rows[resin] != want {
		t.Errorf("resin: %+v, want %+v", rows[resin], want)
	}
	want = presales.SampleReportRow{Key: paste, Label: paste, Sent: 2, SmallTrial: 1, Pilot: 0, Purchase: 0, Failed: 1, Open: 1, Conversion: 0}
	if rows[paste] != want {
		t.Errorf("paste: %+v, want %+v", rows[paste], want)
	}
	if rep.Total.Sent != 6 || rep.Total.Purchase != 2 || rep.Total.Conversion != 33.3 || rep.Rows[0].Key != resin {
		t.Errorf("total %+v, first row %q", rep.Total, rep.Rows[0].Key)
	}
	// Without a period the old sample counts too.
	all, _ := ps.SampleConversion(ctx, f.Admin, presales.SampleReportQuery{})
	if byKey(all)[resin].Sent != 5 {
		t.Errorf("without dates: %+v", byKey(all)[resin])
	}

	// What a viewer cannot see is not counted: a rep sees their own, the
	// north manager the north team, not the south.
	mine, err := ps.SampleConversion(ctx, f.Rep1, q)
	if err != nil {
		t.Fatal(err)
	}
	if r := byKey(mine); r[resin].Sent != 3 || r[resin].Purchase != 1 || r[paste].Sent != 1 || r[paste].Failed != 0 {
		t.Errorf("rep1 sees %+v", mine.Rows)
	}
	mgr, _ := ps.SampleConversion(ctx, f.Manager, q)
	if r := byKey(mgr); r[resin].Sent != 4 || r[paste].Sent != 1 {
		t.Errorf("manager sees %+v", mgr.Rows)
	}
	// Asking for someone outside one's view gives nothing rather than their numbers.
	other, _ := ps.SampleConversion(ctx, f.Rep1, presales.SampleReportQuery{OwnerID: f.Rep3.UserID})
	if other.Total.Sent != 0 {
		t.Errorf("rep1 filtering on rep3: %+v", other.Total)
	}
	// By owner and by team (with sub-teams).
	byOwner, _ := ps.SampleConversion(ctx, f.Admin, presales.SampleReportQuery{From: q.From, Group: presales.GroupOwner})
	if r := byKey(byOwner); r[f.Rep1.UserID].Sent != 4 || r[f.Rep1.UserID].Label != "张伟" || r[f.Rep3.UserID].Failed != 1 {
		t.Errorf("by owner %+v", byOwner.Rows)
	}
	north, _ := ps.SampleConversion(ctx, f.Admin, presales.SampleReportQuery{From: q.From, TeamID: f.North, Group: presales.GroupTeam})
	if len(north.Rows) != 1 || north.Rows[0].Key != f.NorthSales || north.Rows[0].Label != "北京销售部" || north.Total.Sent != 5 {
		t.Errorf("north %+v", north.Rows)
	}

	// Parameters are checked, never a server error.
	for params, want := range map[string]string{
		"from=2026-02-30": "from:invalid_date", "group=color": "group:invalid_option", "owner_id=1 OR 1=1": "owner_id:invalid_ref",
		"from=2026-03-01&to=2026-02-01": "to:date_range_reversed",
	} {
		vals := map[string]string{}
		for _, kv := range strings.Split(params, "&") {
			k, v, _ := strings.Cut(kv, "=")
			vals[k] = v
		}
		if _, err := presales.ParseSampleReportQuery(func(k string) string { return vals[k] }); fieldCode(err) != want {
			t.Errorf("%s: %v", params, err)
		}
	}
	if q, err := presales.ParseSampleReportQuery(func(k string) string { return map[string]string{"from": "2026/3/1", "to": "2026年3月31日"}[k] }); err != nil || q.From != "2026-03-01" || q.To != "2026-03-31" || q.Group != presales.GroupProduct {
		t.Errorf("dates in other forms: %+v %v", q, err)
	}

	// The export: headers in the language asked for, a total row; only
	// for those with the export right.
	var buf bytes.Buffer
	if err := ps.WriteSampleReport(ctx, f.Admin, rep, sheet.CSV, i18n.ZH, &buf); err != nil {
		t.Fatal(err)
	}
	out := buf.String()
	for _, want := range []string{"产品,送样,小试,中试,批量采购,未通过,试样中,转化率", resin + ",4,3,3,2,1,1,50.0%", "合计,6,4,3,2,2,2,33.3%"} {
		if !strings.Contains(out, want) {
			t.Errorf("csv lacks %q:\n%s", want, out)
		}
	}
	if err := ps.WriteSampleReport(ctx, f.Presales, rep, sheet.CSV, i18n.ZH, &buf); errs.KindOf(err) != errs.Forbidden {
		t.Errorf("export without the right: %v", err)
	}
}
