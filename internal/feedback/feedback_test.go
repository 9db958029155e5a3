package feedback_test

import (
	"context"
	"regexp"
	"testing"
	"time"

	"closeloop/internal/access"
	"closeloop/internal/apptest"
	"closeloop/internal/crm"
	"closeloop/internal/entity"
	"closeloop/internal/errs"
	"closeloop/internal/feedback"
	"closeloop/internal/linktoken"
	"closeloop/internal/records"
	"closeloop/internal/store"
)

var ctx = context.Background()

type env struct {
	*apptest.Fixture
	F        *feedback.Service
	SvcMgr   *access.Principal
	Customer entity.Record
	clock    time.Time
}

func newEnv(t *testing.T) *env {
	t.Helper()
	f := apptest.NewFixture(t)
	e := &env{Fixture: f, F: f.App.Feedback, clock: time.Now().UTC()}
	e.F.SetClock(func() time.Time { return e.clock })
	e.SvcMgr = f.AddUser(t, "钱主管", "qian@example.com", f.South, access.RoleServiceManager)
	if _, err := f.App.DB.W().ExecContext(ctx, `UPDATE teams SET manager_id = $1 WHERE id = $2`, e.SvcMgr.UserID, f.South); err != nil {
		t.Fatal(err)
	}
	e.Customer = f.Customer(t, f.Rep1, "合肥京东方光电科技有限公司")
	return e
}

// ticket opens a ticket for the customer as the agent and resolves it
// as a process (the ticket steps are another part's).
func (e *env) ticket(t *testing.T, kind, email, contactID string) entity.Record {
	t.Helper()
	in := entity.Record{"subject": "传感器读数漂移", "kind": kind, "description": "读数每小时漂移 0.5mm", "customer_id": e.Customer.ID(), "requester_email": email}
	if contactID != "" {
		in["contact_id"] = contactID
	}
	tk, err := e.App.Tickets.Create(ctx, e.Service, in, nil)
	if err != nil {
		t.Fatal(err)
	}
	te := e.App.DB.Schema().Entity("ticket")
	err = e.App.DB.Write(ctx, func(tx *store.Tx) error {
		old, err := e.App.DB.Get(ctx, tx, te, tk.ID(), store.True, false)
		if err != nil {
			return err
		}
		_, err = e.App.Records.SetTx(records.AsProcess(ctx), tx, e.Service, te, old, entity.Record{"status": crm.TicketResolved, "cause": "product_defect", "resolution": "更换探头", "resolved_at": store.Now()})
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return tk
}

func (e *env) survey(t *testing.T, ticketID string) entity.Record {
	t.Helper()
	se := e.App.DB.Schema().Entity("survey")
	var id string
	if err := e.App.DB.R().QueryRowContext(ctx, `SELECT id FROM surveys WHERE ticket_id = $1`, ticketID).Scan(&id); err != nil {
		t.Fatalf("survey of ticket: %v", err)
	}
	r, err := e.App.DB.Get(ctx, e.App.DB.R(), se, id, store.True, false)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

var tokenRE = regexp.MustCompile(`/survey/([A-Za-z0-9_-]{43})`)

func TestSurveyMailedAnsweredOnceAndLowScoreOpensRecovery(t *testing.T) {
	e := newEnv(t)
	tk := e.ticket(t, crm.TicketComplaint, "buyer@boe.example.com", "")
	sv := e.survey(t, tk.ID())
	if sv.Str("status") != crm.SurveyPending || sv.Str("owner_id") != e.Service.UserID {
		t.Fatalf("survey %v owner %v", sv.Str("status"), sv.Str("owner_id"))
	}
	// Before the delay nothing goes out.
	if n, err := e.F.SendSurveys(ctx, 10); err != nil || n != 0 {
		t.Fatalf("early send: %d %v", n, err)
	}
	e.clock = e.clock.Add(2 * time.Hour)
	if n, err := e.F.SendSurveys(ctx, 10); err != nil || n != 1 {
		t.Fatalf("send: %d %v", n, err)
	}
	if n, err := e.F.SendSurveys(ctx, 10); err != nil || n != 0 {
		t.Fatalf("send again: %d %v", n, err)
	}
	var body string
	if err := e.App.DB.R().QueryRowContext(ctx, `SELECT text_body FROM mail_outbox WHERE entity = 'survey' AND record_id = $1`, sv.ID()).Scan(&body); err != nil {
		t.Fatalf("outbox: %v", err)
	}
	m := tokenRE.FindStringSubmatch(body)
	if m == nil {
		t.Fatalf("no link in %q", body)
	}
	tok := m[1]
	var hashes int
	if err := e.App.DB.R().QueryRowContext(ctx, `SELECT count(*) FROM public_links WHERE token_hash = $1 OR token_hash = $2`, tok, "").Scan(&hashes); err != nil || hashes != 0 {
		t.Fatalf("token stored in clear: %d %v", hashes, err)
	}
	// Bad answers change nothing.
	for _, c := range []struct {
		a        crm.SurveyAnswer
		sat, nps bool
		field    string
	}{
		{crm.SurveyAnswer{Satisfaction: 7, NPS: 5}, true, true, "satisfaction"},
		{crm.SurveyAnswer{Satisfaction: 3, NPS: 11}, true, true, "nps"},
		{crm.SurveyAnswer{}, false, true, "satisfaction"},
	} {
		_, err := e.F.Answer(ctx, tok, "1.2.3.4", c.a, c.sat, c.nps)
		if ee := errs.As(err); ee == nil || len(ee.Fields) == 0 || ee.Fields[0].Field != c.field {
			t.Fatalf("bad answer %+v: %v", c.a, err)
		}
	}
	if _, err := e.F.Answer(ctx, apptest.NearMiss(tok), "1.2.3.4", crm.SurveyAnswer{Satisfaction: 1, NPS: 2}, true, true); errs.KindOf(err) != errs.NotFound {
		t.Fatalf("wrong token: %v", err)
	}
	out, err := e.F.Answer(ctx, tok, "1.2.3.4", crm.SurveyAnswer{Satisfaction: 1, NPS: 2, Comment: "等了三天"}, true, true)
	if err != nil || out.State != feedback.StateAnswered {
		t.Fatalf("answer: %+v %v", out, err)
	}
	if _, err := e.F.Answer(ctx, tok, "1.2.3.4", crm.SurveyAnswer{Satisfaction: 5, NPS: 10}, true, true); errs.CodeOf(err) != "survey_answered" {
		t.Fatalf("second answer: %v", err)
	}
	sv = e.survey(t, tk.ID())
	if sv.Int("satisfaction") != 1 || !sv.Bool("complaint_low") || !sv.Bool("low_score") {
		t.Fatalf("answered survey %v", sv)
	}
	var owner string
	var complaint bool
	if err := e.App.DB.R().QueryRowContext(ctx, `SELECT owner_id, complaint FROM recovery_tasks WHERE survey_id = $1`, sv.ID()).Scan(&owner, &complaint); err != nil {
		t.Fatalf("recovery task: %v", err)
	}
	if owner != e.SvcMgr.UserID || !complaint {
		t.Fatalf("recovery owner %s complaint %v", owner, complaint)
	}
	var notes int
	if err := e.App.DB.R().QueryRowContext(ctx, `SELECT count(*) FROM notifications WHERE user_id = $1 AND kind = 'recovery_task'`, e.SvcMgr.UserID).Scan(&notes); err != nil || notes != 1 {
		t.Fatalf("notifications %d %v", notes, err)
	}
	// Resolving again after a reopen makes no second survey.
	var n int
	if err := e.App.DB.R().QueryRowContext(ctx, `SELECT count(*) FROM surveys WHERE ticket_id = $1`, tk.ID()).Scan(&n); err != nil || n != 1 {
		t.Fatalf("surveys %d %v", n, err)
	}
}

func TestSurveyNeverMailedToDoNotContact(t *testing.T) {
	e := newEnv(t)
	c, err := e.App.Records.Create(ctx, e.Rep1, "contact", entity.Record{"name": "王采购", "customer_id": e.Customer.ID(), "email": "wang@boe.example.com"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.App.DB.W().ExecContext(ctx, `UPDATE contacts SET do_not_contact = TRUE WHERE id = $1`, c.ID()); err != nil {
		t.Fatal(err)
	}
	tk := e.ticket(t, crm.TicketRepair, "wang@boe.example.com", c.ID())
	e.clock = e.clock.Add(2 * time.Hour)
	if n, err := e.F.SendSurveys(ctx, 10); err != nil || n != 0 {
		t.Fatalf("send: %d %v", n, err)
	}
	sv := e.survey(t, tk.ID())
	if sv.Str("status") != crm.SurveyNotSent || sv.Str("note") != "do_not_contact" {
		t.Fatalf("survey %s %s", sv.Str("status"), sv.Str("note"))
	}
	var n int
	if err := e.App.DB.R().QueryRowContext(ctx, `SELECT count(*) FROM mail_outbox`).Scan(&n); err != nil || n != 0 {
		t.Fatalf("outbox %d %v", n, err)
	}
	// The link can still be copied by the agent (WeChat), and answered.
	l, err := e.F.CopyLink(ctx, e.Service, sv.ID())
	if err != nil || !linktoken.WellFormed(l.Path[len(feedback.SurveyPath):], linktoken.Link) {
		t.Fatalf("copy link: %+v %v", l, err)
	}
	if _, err := e.F.CopyLink(ctx, e.Rep3, sv.ID()); err == nil {
		t.Fatal("a rep of another team copied the link")
	}
	if _, err := e.F.Answer(ctx, l.Path[len(feedback.SurveyPath):], "", crm.SurveyAnswer{Satisfaction: 4, NPS: 9}, true, true); err != nil {
		t.Fatal(err)
	}
	var tasks int
	if err := e.App.DB.R().QueryRowContext(ctx, `SELECT count(*) FROM recovery_tasks`).Scan(&tasks); err != nil || tasks != 0 {
		t.Fatalf("recovery tasks for a good score: %d %v", tasks, err)
	}
}

func TestExpiredSurveyLinkRefused(t *testing.T) {
	e := newEnv(t)
	tk := e.ticket(t, crm.TicketRepair, "", "")
	sv := e.survey(t, tk.ID())
	l, err := e.F.CopyLink(ctx, e.Service, sv.ID())
	if err != nil {
		t.Fatal(err)
	}
	e.clock = e.clock.Add(30 * 24 * time.Hour)
	tok := l.Path[len(feedback.SurveyPath):]
	if v, err := e.F.Public(ctx, tok); err != nil || v.State != feedback.StateExpired {
		t.Fatalf("public: %+v %v", v, err)
	}
	if _, err := e.F.Answer(ctx, tok, "", crm.SurveyAnswer{Satisfaction: 4, NPS: 9}, true, true); errs.CodeOf(err) != "public_link_expired" {
		t.Fatalf("answer expired: %v", err)
	}
}

func TestPlanVisitsIsIdempotent(t *testing.T) {
	e := newEnv(t)
	if _, err := e.App.Records.Create(ctx, e.SvcMgr, "return_visit_rule", entity.Record{"name": "解决后 3 天回访", "trigger": crm.TriggerAfterResolved, "days": int64(3), "assignee": crm.AssignTicketAgent}); err != nil {
		t.Fatal(err)
	}
	if _, err := e.App.DB.W().ExecContext(ctx, `UPDATE customers SET level = 'A' WHERE id = $1`, e.Customer.ID()); err != nil {
		t.Fatal(err)
	}
	if _, err := e.App.Records.Create(ctx, e.SvcMgr, "return_visit_rule", entity.Record{"name": "A 类季度回访", "trigger": crm.TriggerPeriodicByLevel, "customer_level": "A", "months": int64(3), "assignee": crm.AssignAccountOwner}); err != nil {
		t.Fatal(err)
	}
	tk := e.ticket(t, crm.TicketRepair, "", "")
	for i, want := range []int{2, 0} {
		n, err := e.F.PlanVisits(ctx, 100)
		if err != nil || n != want {
			t.Fatalf("run %d: planned %d, want %d (%v)", i, n, want, err)
		}
	}
	var owner, due string
	if err := e.App.DB.R().QueryRowContext(ctx, `SELECT owner_id, due_date FROM return_visits WHERE ticket_id = $1`, tk.ID()).Scan(&owner, &due); err != nil {
		t.Fatal(err)
	}
	if owner != e.Service.UserID {
		t.Fatalf("visit owner %s, want the ticket's agent", owner)
	}
	var periodic string
	if err := e.App.DB.R().QueryRowContext(ctx, `SELECT owner_id FROM return_visits WHERE trigger = $1`, crm.TriggerPeriodicByLevel).Scan(&periodic); err != nil || periodic != e.Rep1.UserID {
		t.Fatalf("periodic visit owner %s %v", periodic, err)
	}
	// Recording the outcome marks it done.
	ve := e.App.DB.Schema().Entity("return_visit")
	var id string
	_ = e.App.DB.R().QueryRowContext(ctx, `SELECT id FROM return_visits WHERE ticket_id = $1`, tk.ID()).Scan(&id)
	v, err := e.App.Records.Get(ctx, e.Service, ve.Name, id)
	if err != nil {
		t.Fatal(err)
	}
	v, err = e.App.Records.Update(ctx, e.Service, ve.Name, id, v.Version(), entity.Record{"reach": crm.Reached, "satisfaction": int64(4), "new_needs": "想加购两台"})
	if err != nil || v.Str("status") != crm.ReturnVisitDone || v.Time("done_at").IsZero() {
		t.Fatalf("outcome: %v %v", v, err)
	}
}

func TestReportsAndImprovementLoop(t *testing.T) {
	e := newEnv(t)
	tk := e.ticket(t, crm.TicketRepair, "", "")
	e.ticket(t, crm.TicketRepair, "", "")
	q, err := feedback.ParseReportQuery(func(string) string { return "" }, crm.CauseGroups)
	if err != nil {
		t.Fatal(err)
	}
	rep, err := e.F.CauseReview(ctx, e.SvcMgr, q)
	if err != nil || rep.Total != 2 || len(rep.Rows) != 1 || rep.Rows[0].Key != "product_defect" {
		t.Fatalf("review %+v %v", rep, err)
	}
	for _, bad := range []map[string]string{{"group": "colour"}, {"from": "2026-13-45"}, {"from": "2026-05-01", "to": "2026-04-01"}, {"team_id": "x"}, {"kind": "nope"}} {
		if _, err := feedback.ParseReportQuery(func(k string) string { return bad[k] }, crm.CauseGroups); errs.KindOf(err) != errs.Invalid {
			t.Fatalf("%v accepted: %v", bad, err)
		}
	}
	ids, err := e.F.CauseTickets(ctx, e.SvcMgr, q, "product_defect", "", "")
	if err != nil || len(ids) != 2 {
		t.Fatalf("cause tickets %v %v", ids, err)
	}
	item, err := e.F.CreateItem(ctx, e.SvcMgr, feedback.NewItem{Title: "探头防漂移改进", Cause: "product_defect", OwnerID: e.Presales.UserID, TicketIDs: ids})
	if err != nil || item.Int("ticket_count") != 2 || item.Str("owner_id") != e.Presales.UserID {
		t.Fatalf("item %v %v", item, err)
	}
	var notes int
	_ = e.App.DB.R().QueryRowContext(ctx, `SELECT count(*) FROM notifications WHERE user_id = $1 AND kind = 'improvement_assigned'`, e.Presales.UserID).Scan(&notes)
	if notes != 1 {
		t.Fatalf("owner notified %d times", notes)
	}
	tr, _ := e.App.Records.Get(ctx, e.SvcMgr, "ticket", tk.ID())
	linked, _, err := e.F.TicketItems(ctx, e.Service, tr, 5)
	if err != nil || len(linked) != 1 {
		t.Fatalf("ticket items %v %v", linked, err)
	}
	// The owner steps it; a drop needs a reason.
	if _, err := e.F.StepItem(ctx, e.Presales, item.ID(), feedback.ItemStep{Step: crm.ImprovementStepDrop}); errs.KindOf(err) != errs.Invalid {
		t.Fatalf("drop without reason: %v", err)
	}
	for _, st := range []string{crm.ImprovementStepStart, crm.ImprovementStepDone} {
		if item, err = e.F.StepItem(ctx, e.Presales, item.ID(), feedback.ItemStep{Step: st}); err != nil {
			t.Fatalf("%s: %v", st, err)
		}
	}
	if item.Str("status") != crm.ImprovementDone {
		t.Fatalf("status %s", item.Str("status"))
	}
	if _, err := e.F.StepItem(ctx, e.Rep3, item.ID(), feedback.ItemStep{Step: crm.ImprovementStepVerify}); err == nil {
		t.Fatal("another rep verified someone else's item")
	}
	// A knowledge article from the resolved ticket, once.
	a1, created, err := e.F.KnowledgeArticle(ctx, e.Admin, tk.ID())
	if err != nil || !created {
		t.Fatalf("article %v %v", created, err)
	}
	a2, created, err := e.F.KnowledgeArticle(ctx, e.Admin, tk.ID())
	if err != nil || created || a2.ID() != a1.ID() {
		t.Fatalf("second article %v %v", created, err)
	}
	// Survey results: the agent sees their team's, the manager all; a rep
	// of another team none of these.
	for _, id := range []string{tk.ID()} {
		e.clock = e.clock.Add(2 * time.Hour)
		sv := e.survey(t, id)
		l, err := e.F.CopyLink(ctx, e.SvcMgr, sv.ID())
		if err != nil {
			t.Fatal(err)
		}
		if _, err := e.F.Answer(ctx, l.Path[len(feedback.SurveyPath):], "", crm.SurveyAnswer{Satisfaction: 5, NPS: 10}, true, true); err != nil {
			t.Fatal(err)
		}
	}
	sq, _ := feedback.ParseReportQuery(func(string) string { return "" }, crm.SurveyGroups)
	for _, c := range []struct {
		p        *access.Principal
		surveys  int
		scope    string
		answered int
		nps      float64
	}{{e.SvcMgr, 2, "all", 1, 100}, {e.Service, 2, "team", 1, 100}, {e.Rep3, 0, "own", 0, 0}} {
		r, err := e.F.SurveyResults(ctx, c.p, sq)
		if err != nil || r.Total.Surveys != c.surveys || r.Scope != c.scope || r.Total.Answered != c.answered || r.Total.NPS != c.nps {
			t.Fatalf("%s: %+v %v", c.p.Name, r, err)
		}
	}
}
