package bench

import (
	"context"
	"fmt"
	"io"
	"time"

	"closeloop/internal/access"
	"closeloop/internal/app"
	"closeloop/internal/crm"
	"closeloop/internal/demo/zhdata"
	"closeloop/internal/entity"
	"closeloop/internal/store"
	"closeloop/internal/tickets"
)

// ticketSubjects are what generated tickets are about.
var ticketSubjects = []string{"设备无法开机", "传感器读数漂移", "咨询备件价格", "软件授权到期", "安装后噪音偏大", "相机偶发丢帧", "PLC 程序下载失败",
	"标签打印模糊", "控制柜主板故障", "要求上门培训", "发货少件", "说明书与实物不符"}

// serviceTeamNames are the service teams of a generated set.
var serviceTeamNames = []string{"客服一组", "客服二组"}

// GenTickets adds total service tickets to a generated set: spread over
// the customers, created over the last two years, a tenth of them still
// open (OpenShare) with their deadlines spread around now — some
// breached, some at risk, most on track; a third of the open ones
// unassigned — and the rest resolved or closed with a cause. The
// generated organisation's service staff become service agents in two
// service teams. Tickets are written directly in large transactions, as
// the ticket service would leave them (status, owner and team, SLA
// columns); no conversation lines or search documents.
func GenTickets(ctx context.Context, a *app.App, total int, seed uint64, log io.Writer) (int, error) {
	if total <= 0 {
		return 0, nil
	}
	st, err := readState(ctx, a.DB)
	if err != nil {
		return 0, err
	}
	if st == nil {
		return 0, fmt.Errorf("bench: no generated set here (run gen first)")
	}
	org, err := loadOrg(ctx, a, st.Seed, st.Reps, st.Depts)
	if err != nil {
		return 0, err
	}
	_, agents, err := serviceDesk(ctx, a, org)
	if err != nil {
		return 0, err
	}
	var have int
	if err := a.DB.R().QueryRowContext(ctx, `SELECT count(*) FROM tickets`).Scan(&have); err != nil {
		return 0, err
	}
	if have >= total {
		return 0, nil
	}
	sink, err := newSink(ctx, a)
	if err != nil {
		return 0, err
	}
	defer sink.close()
	te := a.DB.Schema().Entity("ticket")
	f := zhdata.New(seed, uint64(have)+23)
	now := time.Now().UTC()
	const first = "00000000-0000-0000-0000-000000000000"
	written, after := 0, first
	start := time.Now()
	causes := []string{"product_defect", "usage", "installation", "logistics", "documentation", "consumables", "other"}
	open := crm.OpenTicketStatuses()
	for written < total-have {
		custs, err := store.Strings(ctx, a.DB.R(), `SELECT id FROM customers WHERE id > $1 AND deleted_at IS NULL ORDER BY id LIMIT 5000`, after)
		if err != nil {
			return written, err
		}
		if len(custs) == 0 {
			if after == first {
				return written, fmt.Errorf("bench: no customers to give tickets to")
			}
			after = first
			continue
		}
		after = custs[len(custs)-1]
		b := &batch{}
		tt := entityTable(te)
		for _, cid := range custs {
			if written+len(tt.rows) >= total-have {
				break
			}
			isOpen := f.Chance(OpenShare)
			created := between(f, now.AddDate(-2, 0, 0), now.Add(-time.Hour))
			if isOpen {
				created = between(f, now.AddDate(0, 0, -10), now.Add(-time.Minute))
			}
			m := created.In(a.Loc).Format("200601")
			ag := agents[f.R.IntN(len(agents))]
			rec := entity.Record{
				"id": idAt(created, f), "version": int64(1), "created_at": created, "updated_at": created,
				"number": fmt.Sprintf("GD-%s-%07d", m, have+written+len(tt.rows)+1), "subject": zhdata.One(f, ticketSubjects),
				"kind": crm.TicketKinds[f.R.IntN(len(crm.TicketKinds))].Code, "channel": crm.TicketChannels[f.R.IntN(len(crm.TicketChannels))].Code,
				"priority":    crm.TicketPriorities[pickWeighted(f, []float64{0.2, 0.55, 0.2, 0.05})].Code,
				"customer_id": cid, "description": "客户反馈：" + zhdata.One(f, ticketSubjects), "sla_state": crm.SLAOk,
				"escalation_level": int64(0), "reopen_count": int64(0), "owner_id": ag.user, "team_id": ag.team,
				"first_response_due_at": created.Add(2 * time.Hour), "resolution_due_at": created.Add(48 * time.Hour),
			}
			if isOpen {
				status := open[pickWeighted(f, []float64{0.2, 0.2, 0.3, 0.15, 0.1, 0.05})]
				rec["status"] = status
				// Deadlines spread around now: ~8 % breached, ~12 % at risk.
				due := now.Add(time.Duration(f.R.NormFloat64()*30*float64(time.Hour)) + 24*time.Hour)
				rec["resolution_due_at"] = entity.CanonTime(due)
				if status == crm.TicketNew || f.Chance(0.3) {
					rec["first_response_due_at"] = entity.CanonTime(now.Add(time.Duration((f.R.Float64()*6 - 1) * float64(time.Hour))))
				} else {
					rec["first_responded_at"] = created.Add(20 * time.Minute)
				}
				switch nd := tickets.NextDue(rec); {
				case status == crm.TicketWaitingCustomer:
					rec["sla_state"], rec["sla_paused_at"] = crm.SLAPaused, now.Add(-time.Hour)
				case nd.Before(now):
					rec["sla_state"], rec["sla_breached_at"] = crm.SLABreached, nd
				case nd.Before(now.Add(2 * time.Hour)):
					rec["sla_state"], rec["sla_warned_at"] = crm.SLAWarning, now
				}
				if status == crm.TicketNew || f.Chance(0.1) {
					rec["owner_id"] = nil
					if f.Chance(0.5) {
						rec["team_id"] = nil
					}
				} else {
					rec["assigned_at"] = created.Add(5 * time.Minute)
				}
			} else {
				resolved := created.Add(time.Duration(f.R.IntN(72)+1) * time.Hour)
				rec["status"], rec["cause"], rec["resolution"] = crm.TicketClosed, zhdata.One(f, causes), "已处理"
				if f.Chance(0.15) {
					rec["status"] = crm.TicketResolved
				} else {
					rec["closed_at"] = resolved.Add(72 * time.Hour)
				}
				rec["first_responded_at"], rec["resolved_at"], rec["assigned_at"] = created.Add(30*time.Minute), resolved, created.Add(5*time.Minute)
			}
			tt.add(encodeRow(te, rec))
		}
		b.tables = []*table{tt}
		if err := sink.write(ctx, b, *st); err != nil {
			return written, err
		}
		written += len(tt.rows)
		if log != nil && written%100_000 < len(tt.rows) {
			fmt.Fprintf(log, "tickets: %d written, %.0f rows/s\n", written, float64(written)/time.Since(start).Seconds())
		}
	}
	if err := sink.finish(ctx); err != nil {
		return written, err
	}
	// Generated numbers have seven digits (GD-yyyymm-nnnnnnn), the
	// service's five: tickets created afterwards never collide.
	_, err = a.DB.W().ExecContext(ctx, `ANALYZE tickets`)
	return written, err
}

// OpenShare is the share of generated tickets still open.
const OpenShare = 0.1

type benchAgent struct{ user, team string }

// serviceDesk makes the service teams and the service agents of a
// generated set (once) and returns them.
func serviceDesk(ctx context.Context, a *app.App, org *Org) ([]string, []benchAgent, error) {
	sys := access.SystemPrincipal()
	var teams []string
	for _, name := range serviceTeamNames {
		ids, err := store.Strings(ctx, a.DB.R(), `SELECT id FROM teams WHERE name = $1`, name)
		if err != nil {
			return nil, nil, err
		}
		if len(ids) > 0 {
			teams = append(teams, ids[0])
			continue
		}
		r, err := a.Records.Create(ctx, sys, "team", entity.Record{"name": name, "parent_id": org.Company})
		if err != nil {
			return nil, nil, fmt.Errorf("bench: service team: %w", err)
		}
		teams = append(teams, r.ID())
	}
	var agents []benchAgent
	for i, u := range org.Service {
		team := teams[i%len(teams)]
		var n int
		if err := a.DB.R().QueryRowContext(ctx, `SELECT count(*) FROM service_agents WHERE user_id = $1`, u.ID).Scan(&n); err != nil {
			return nil, nil, err
		}
		if n == 0 {
			if _, err := a.Records.Create(ctx, sys, "service_agent", entity.Record{"user_id": u.ID, "team_id": team, "max_open": int64(1000)}); err != nil {
				return nil, nil, fmt.Errorf("bench: service agent: %w", err)
			}
		}
		agents = append(agents, benchAgent{user: u.ID, team: team})
	}
	if len(agents) == 0 {
		return nil, nil, fmt.Errorf("bench: the generated organisation has no service staff")
	}
	return teams, agents, nil
}

// QueueReport holds the agent-queue cases: the page and the API for an
// agent (mine), a team lead (the team queue) and an admin (everything),
// and the service call in process.
type QueueReport struct {
	AgentPage, LeadPage, AdminPage Result
	AgentAPI, LeadAPI, AdminAPI    Result
	Raw                            Result
	Open                           int
}

// BenchQueue measures the agent's queue on a set with GenTickets' tickets.
func (e *Env) BenchQueue(ctx context.Context, l Load) (QueueReport, error) {
	var rep QueueReport
	org := e.Info.Org
	if err := e.App.DB.R().QueryRowContext(ctx, `SELECT count(*) FROM tickets WHERE status IN ('new', 'assigned', 'in_progress', 'waiting_customer', 'waiting_parts', 'reopened')`).Scan(&rep.Open); err != nil {
		return rep, err
	}
	if len(org.Service) == 0 {
		return rep, fmt.Errorf("bench: no service staff")
	}
	// The team lead: a service manager over the first service team.
	lead, err := e.serviceLead(ctx)
	if err != nil {
		return rep, err
	}
	type viewer struct {
		tok, cookie string
		p           *access.Principal
		view        string
	}
	mk := func(u User, view string) (viewer, error) {
		tok, err := e.Token(ctx, u)
		if err != nil {
			return viewer{}, err
		}
		ck, err := e.Session(ctx, u)
		if err != nil {
			return viewer{}, err
		}
		p, err := e.Principal(ctx, u)
		return viewer{tok, ck, p, view}, err
	}
	agent, err := mk(org.Service[0], tickets.ViewMine)
	if err != nil {
		return rep, err
	}
	leadV, err := mk(lead, tickets.ViewTeam)
	if err != nil {
		return rep, err
	}
	admin, err := mk(org.Admin, tickets.ViewAll)
	if err != nil {
		return rep, err
	}
	page := func(v viewer) Op {
		return func(ctx context.Context, w, i int) error {
			_, err := e.do(ctx, "GET", "/tickets/queue?view="+v.view, cred{cookie: v.cookie}, nil, 200, false)
			return err
		}
	}
	api := func(v viewer) Op {
		return func(ctx context.Context, w, i int) error {
			_, err := e.do(ctx, "GET", "/api/v1/tickets/queue?view="+v.view, cred{token: v.tok}, nil, 200, false)
			return err
		}
	}
	rep.AgentPage = Run(ctx, "queue page, agent (mine)", l, page(agent))
	rep.LeadPage = Run(ctx, "queue page, team lead (team)", l, page(leadV))
	rep.AdminPage = Run(ctx, "queue page, admin (all)", l, page(admin))
	rep.AgentAPI = Run(ctx, "queue API, agent (mine)", l, api(agent))
	rep.LeadAPI = Run(ctx, "queue API, team lead (team)", l, api(leadV))
	rep.AdminAPI = Run(ctx, "queue API, admin (all)", l, api(admin))
	rep.Raw = Run(ctx, "queue service call, agent (mine)", l, func(ctx context.Context, w, i int) error {
		_, err := e.App.Tickets.Queue(ctx, agent.p, tickets.QueueFilter{View: tickets.ViewMine})
		return err
	})
	return rep, nil
}

// serviceLead finds or makes the service manager leading the first
// service team.
func (e *Env) serviceLead(ctx context.Context) (User, error) {
	u := User{Name: "服务主管", Email: "service.lead@" + MailDomain, Roles: []string{access.RoleServiceManager}}
	teams, err := store.Strings(ctx, e.App.DB.R(), `SELECT id FROM teams WHERE name = $1`, serviceTeamNames[0])
	if err != nil || len(teams) == 0 {
		return u, fmt.Errorf("bench: no service team (run gen --tickets): %v", err)
	}
	u.Team = teams[0]
	ids, err := store.Strings(ctx, e.App.DB.R(), `SELECT id FROM users WHERE email = $1`, u.Email)
	if err != nil {
		return u, err
	}
	if len(ids) > 0 {
		u.ID = ids[0]
		return u, nil
	}
	r, err := e.App.Auth.CreateUser(ctx, access.SystemPrincipal(), entity.Record{"name": u.Name, "email": u.Email, "roles": u.Roles, "team_id": u.Team, "lang": "zh-CN"}, Password)
	if err != nil {
		return u, err
	}
	u.ID = r.ID()
	return u, nil
}
