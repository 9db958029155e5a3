package tickets_test

import (
	"testing"
	"time"

	"closeloop/internal/access"
	"closeloop/internal/apptest"
	"closeloop/internal/crm"
	"closeloop/internal/entity"
)

// svc is a service desk: a team with three agents (one a field engineer
// for hardware in the east), a service manager and a customer.
type svc struct {
	*apptest.Fixture
	Desk       string
	A1, A2, A3 *access.Principal
	Boss       *access.Principal
	Cust       entity.Record
	agentIDs   map[string]string
}

func newDesk(t *testing.T) *svc {
	t.Helper()
	f := apptest.NewFixture(t)
	d := &svc{Fixture: f, agentIDs: map[string]string{}}
	team, err := f.App.Records.Create(ctx, access.SystemPrincipal(), "team", entity.Record{"name": "客服中心", "parent_id": f.Company})
	if err != nil {
		t.Fatal(err)
	}
	d.Desk = team.ID()
	d.A1 = f.AddUser(t, "王客服", "wang.kf@example.com", d.Desk, access.RoleService)
	d.A2 = f.AddUser(t, "李客服", "li.kf@example.com", d.Desk, access.RoleService)
	d.A3 = f.AddUser(t, "周工", "zhou.gc@example.com", d.Desk, access.RoleService)
	d.Boss = f.AddUser(t, "孙经理", "sun.jl@example.com", d.Desk, access.RoleServiceManager)
	d.addAgent(t, d.A1, 20, nil, nil)
	d.addAgent(t, d.A2, 20, nil, nil)
	d.addAgent(t, d.A3, 20, []string{"hardware"}, []string{"east"})
	d.Cust = f.Customer(t, f.Rep1, "苏州华星光电技术有限公司")
	return d
}

func (d *svc) addAgent(t *testing.T, p *access.Principal, max int, skills, regions []string) {
	t.Helper()
	rec := entity.Record{"user_id": p.UserID, "team_id": d.Desk, "max_open": int64(max)}
	if skills != nil {
		rec["skills"] = skills
	}
	if regions != nil {
		rec["regions"] = regions
	}
	a, err := d.App.Records.Create(ctx, d.Admin, "service_agent", rec)
	if err != nil {
		t.Fatal(err)
	}
	d.agentIDs[p.UserID] = a.ID()
}

// ticket opens a ticket as the system (a channel: nobody owns it yet).
func (d *svc) ticket(t *testing.T, subject string, extra ...any) entity.Record {
	t.Helper()
	rec := entity.Record{"subject": subject, "description": subject + "，请尽快处理。", "kind": crm.TicketRepair, "priority": crm.PriorityNormal,
		"customer_id": d.Cust.ID(), "channel": crm.ChannelWebForm}
	for i := 0; i+1 < len(extra); i += 2 {
		rec[extra[i].(string)] = extra[i+1]
	}
	tk, err := d.App.Tickets.Create(ctx, access.SystemPrincipal(), rec, nil)
	if err != nil {
		t.Fatal(err)
	}
	return tk
}

// setDue writes SLA deadlines directly (the SLA engineer's hook computes
// them in the product).
func (d *svc) setDue(t *testing.T, id string, firstResponse, resolution time.Time) {
	t.Helper()
	arg := func(x time.Time) any {
		if x.IsZero() {
			return nil
		}
		return entity.CanonTime(x)
	}
	if _, err := d.App.DB.W().ExecContext(ctx, `UPDATE tickets SET first_response_due_at = $1, resolution_due_at = $2 WHERE id = $3`,
		arg(firstResponse), arg(resolution), id); err != nil {
		t.Fatal(err)
	}
}
