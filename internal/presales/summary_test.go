package presales_test

import (
	"bytes"
	"encoding/csv"
	"strings"
	"testing"
	"time"

	"closeloop/internal/crm"
	"closeloop/internal/entity"
	"closeloop/internal/i18n"
	"closeloop/internal/presales"
	"closeloop/internal/sheet"
)

func TestMonthlySummary(t *testing.T) {
	w := newWorld(t)
	ps := w.App.Presales
	ps.SetClock(func() time.Time { return time.Date(2026, 11, 20, 2, 0, 0, 0, time.UTC) })
	defer ps.SetClock(time.Now)

	open := func(name string, rep int, value int64, engineers ...string) entity.Record {
		t.Helper()
		owner := w.Rep1
		if rep == 3 {
			owner = w.Rep3
		}
		opp := w.opportunity(t, owner, name, value)
		req := w.request(t, owner, opp, "estimated_value", value)
		if _, err := ps.Evaluate(ctx, w.Mgr, req.ID(), 0, accept()); err != nil {
			t.Fatal(err)
		}
		req, err := ps.Assign(ctx, w.Mgr, req.ID(), 0, engineers)
		if err != nil {
			t.Fatal(err)
		}
		return req
	}
	work := func(req entity.Record, eng string, date string, hours float64) {
		t.Helper()
		if _, err := ps.LogWork(ctx, w.Mgr, req.ID(), entity.Record{"kind": "demo", "work_date": date, "hours": hours, "summary": "演示", "engineer_id": eng}); err != nil {
			t.Fatal(err)
		}
	}
	e1, e2 := w.Eng1.UserID, w.Eng2.UserID
	a := open("甲项目", 1, 50000000, e1, e2)
	b := open("乙项目", 1, 10000000, e1)
	c := open("丙项目", 3, 7000000, e2)
	work(a, e1, "2026-11-03", 3)
	work(a, e2, "2026-11-04", 2)
	work(b, e1, "2026-10-31", 5) // last month: hours not counted, but b closes in November
	work(c, e2, "2026-11-10", 1.5)
	if _, err := ps.LogWork(ctx, w.Mgr, c.ID(), entity.Record{"kind": "demo", "work_date": "2026-12-01", "hours": 4.0, "summary": "演示", "engineer_id": e2}); code(err) != "work_date:presales_work_in_future" {
		t.Errorf("work dated after today: %v", err)
	}
	if _, err := ps.Close(ctx, w.Rep1, a.ID(), 0, crm.Closing{Outcome: "won", Score: &crm.Score{Quality: 5, Timeliness: 4, Contribution: 3}}); err != nil {
		t.Fatal(err)
	}
	if _, err := ps.AddScore(ctx, w.Mgr, a.ID(), crm.Score{Quality: 4, Timeliness: 4, Contribution: 4}); err != nil {
		t.Fatal(err)
	}
	if _, err := ps.Close(ctx, w.Mgr, b.ID(), 0, crm.Closing{Outcome: "lost", Score: &crm.Score{Quality: 3, Timeliness: 3, Contribution: 3}}); err != nil {
		t.Fatal(err)
	}

	ps.SetClock(func() time.Time { return time.Date(2026, 12, 2, 2, 0, 0, 0, time.UTC) })
	work(c, e2, "2026-12-01", 4) // next month

	sum, err := ps.Summary(ctx, w.Mgr, "2026-11", presales.GroupEngineer)
	if err != nil {
		t.Fatal(err)
	}
	rows := map[string]presales.SummaryRow{}
	for _, r := range sum.Rows {
		rows[r.Key] = r
	}
	want1 := presales.SummaryRow{Key: e1, Name: "刘洋", Requests: 2, Hours: 3, Closed: 2, Won: 1, Lost: 1, Scores: 3, AvgScore: 3.67, WonValue: 50000000}
	if rows[e1] != want1 {
		t.Errorf("engineer 1:\n got %+v\nwant %+v", rows[e1], want1)
	}
	want2 := presales.SummaryRow{Key: e2, Name: "吴工", Requests: 2, Hours: 3.5, Closed: 1, Won: 1, Scores: 2, AvgScore: 4, WonValue: 50000000}
	if rows[e2] != want2 {
		t.Errorf("engineer 2:\n got %+v\nwant %+v", rows[e2], want2)
	}
	if sum.Rows[0].Key != e2 {
		t.Errorf("rows by hours: %v", sum.Rows)
	}
	// A team counts each request once.
	team, err := ps.Summary(ctx, w.Mgr, "2026-11", presales.GroupTeam)
	if err != nil {
		t.Fatal(err)
	}
	wantTeam := presales.SummaryRow{Key: w.Company, Name: "华东科技集团", Requests: 3, Hours: 6.5, Closed: 2, Won: 1, Lost: 1, Scores: 3, AvgScore: 3.67, WonValue: 50000000}
	if len(team.Rows) != 1 || team.Rows[0] != wantTeam {
		t.Errorf("team:\n got %+v\nwant %+v", team.Rows, wantTeam)
	}
	wantTeam.Key, wantTeam.Name = "", ""
	if team.Total != wantTeam {
		t.Errorf("total %+v", team.Total)
	}
	// Within the viewer's visibility: rep3 sees only the work on their deal.
	mine, err := ps.Summary(ctx, w.Rep3, "2026-11", "")
	if err != nil {
		t.Fatal(err)
	}
	if len(mine.Rows) != 1 || mine.Rows[0].Key != e2 || mine.Rows[0].Hours != 1.5 || mine.Rows[0].Requests != 1 || mine.Rows[0].Closed != 0 {
		t.Errorf("rep3's summary %+v", mine.Rows)
	}
	// December has the later work only.
	dec, err := ps.Summary(ctx, w.Mgr, "2026-12", "")
	if err != nil || len(dec.Rows) != 1 || dec.Rows[0].Hours != 4 {
		t.Errorf("december %+v %v", dec.Rows, err)
	}
	for _, bad := range []struct{ month, group, want string }{{"2026-13", "", "month:presales_bad_month"}, {"11/2026", "", "month:presales_bad_month"}, {"2026-11", "region", "group:invalid_option"}} {
		if _, err := ps.Summary(ctx, w.Mgr, bad.month, bad.group); code(err) != bad.want {
			t.Errorf("%s/%s: %v", bad.month, bad.group, err)
		}
	}

	// Exported as a spreadsheet, numbers as numbers.
	var buf bytes.Buffer
	if err := presales.WriteSummary(&buf, sheet.CSV, sum, i18n.ZH); err != nil {
		t.Fatal(err)
	}
	recs, err := csv.NewReader(bytes.NewReader(bytes.TrimPrefix(buf.Bytes(), []byte("\xef\xbb\xbf")))).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if len(recs) != 4 || recs[0][0] != "工程师" || recs[3][0] != "合计" || strings.Join(recs[2], "|") != "刘洋|2|3|2|1|1|0|0|3|3.67|500000.00" {
		t.Errorf("csv %q", recs)
	}
	buf.Reset()
	if err := presales.WriteSummary(&buf, sheet.XLSX, team, i18n.EN); err != nil || !bytes.HasPrefix(buf.Bytes(), []byte("PK")) {
		t.Errorf("xlsx: %v", err)
	}
}
