package api_test

import (
	"context"
	"strings"
	"testing"

	"closeloop/internal/access"
	"closeloop/internal/apptest"
	"closeloop/internal/crm"
	"closeloop/internal/entity"
)

// The SLA through the API: a calendar's year with the official holidays,
// make-up days and a correction; a ticket's SLA; the refusals (bad year,
// unknown ids, a calendar whose hours make no sense, a ticket the caller
// cannot see).
func TestSLAContract(t *testing.T) {
	f := apptest.NewFixture(t)
	base := newServer(t, f)
	as := func(p *access.Principal) *client {
		return &client{t: t, base: base, token: tokenFor(t, f, p, "write"), name: p.Name}
	}
	admin, agent, rep3 := as(f.Admin), as(f.Service), as(f.Rep3)
	var calID string
	if err := f.App.DB.R().QueryRowContext(context.Background(), `SELECT id FROM business_calendars WHERE code = $1`, crm.DefaultCalendarCode).Scan(&calID); err != nil {
		t.Fatalf("seeded calendar: %v", err)
	}
	st, b := admin.do("POST", "/api/v1/calendar-days", map[string]any{"calendar_id": calID, "date": "2026-12-31", "kind": "holiday", "name": "年终盘点"})
	if st != 201 {
		t.Fatalf("correction: %d %s", st, b)
	}
	st, b = admin.do("GET", "/api/v1/calendars/"+calID+"/year/2026", nil)
	if st != 200 {
		t.Fatalf("year: %d %s", st, b)
	}
	for _, want := range []string{`"date":"2026-02-14","kind":"workday","work":true,"source":"official","name":"春节"`,
		`"date":"2026-10-01","kind":"holiday","work":false,"source":"official","name":"国庆节"`,
		`"date":"2026-12-31","kind":"holiday","work":false,"source":"correction","name":"年终盘点"`} {
		if !strings.Contains(string(b), want) {
			t.Errorf("year lacks %s", want)
		}
	}
	st, b = admin.do("GET", "/api/v1/calendars/"+calID+"/year/abc", nil)
	problem(t, "year not a number", st, b, 422, "year:sla_bad_year")
	st, b = admin.do("GET", "/api/v1/calendars/"+calID+"/year/3000", nil)
	problem(t, "year out of range", st, b, 422, "year:sla_bad_year")
	st, b = admin.do("GET", "/api/v1/calendars/0190a000-0000-7000-8000-000000000000/year/2026", nil)
	if st != 404 {
		t.Errorf("unknown calendar: %d %s", st, b)
	}
	st, b = admin.do("POST", "/api/v1/calendars", map[string]any{"name": "夜班", "code": "NIGHT", "time_zone": "Asia/Shanghai", "work_start": "18:00", "work_end": "09:00"})
	problem(t, "work ends before it starts", st, b, 422, "work_end:sla_end_before_start")
	st, b = admin.do("POST", "/api/v1/calendars", map[string]any{"name": "火星", "code": "MARS", "time_zone": "Mars/Olympus"})
	problem(t, "bad time zone", st, b, 422, "time_zone:sla_bad_time_zone")

	tk, err := f.App.Tickets.Create(context.Background(), f.Service, entity.Record{"subject": "打印模糊", "description": "打印件模糊", "priority": crm.PriorityHigh}, nil)
	if err != nil {
		t.Fatal(err)
	}
	st, b = agent.do("GET", "/api/v1/tickets/"+tk.ID()+"/sla", nil)
	if st != 200 {
		t.Fatalf("ticket sla: %d %s", st, b)
	}
	v := decode(t, b)
	clocks, _ := v["clocks"].([]any)
	if v["state"] != "ok" || v["policy_name"] != "高优先级工单" || len(clocks) != 2 || clocks[0].(map[string]any)["target_minutes"] != 60.0 {
		t.Errorf("ticket sla %s", b)
	}
	st, b = agent.do("GET", "/api/v1/tickets/"+tk.ID(), nil)
	if st != 200 || !strings.Contains(string(b), `"sla_state":"ok"`) || !strings.Contains(string(b), `"first_response_due_at":"`) {
		t.Errorf("ticket JSON carries the SLA: %s", b)
	}
	st, b = rep3.do("GET", "/api/v1/tickets/"+tk.ID()+"/sla", nil)
	if st != 404 && st != 403 {
		t.Errorf("a rep without the ticket: %d %s", st, b)
	}
}
