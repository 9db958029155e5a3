package fieldservice_test

import (
	"strings"
	"testing"
	"time"

	"closeloop/internal/apptest"
	"closeloop/internal/crm"
	"closeloop/internal/entity"
	"closeloop/internal/errs"
	"closeloop/internal/fieldservice"
	"closeloop/internal/store"
)

func TestVisitFromTicketToConfirmation(t *testing.T) {
	e := newEnv(t)
	// The engineer must be a field engineer.
	if _, err := e.S.CreateVisit(ctx, e.Mgr, entity.Record{"ticket_id": e.Ticket.ID(), "appointment_start": time.Now(), "appointment_end": time.Now().Add(time.Hour)}, e.Rep1.UserID); errs.KindOf(err) != errs.Invalid {
		t.Fatalf("a sales rep as engineer: %v", err)
	}
	if _, err := e.S.CreateVisit(ctx, e.Mgr, entity.Record{"ticket_id": e.Ticket.ID(), "appointment_start": time.Now(), "appointment_end": time.Now().Add(-time.Hour)}, e.Eng1.UserID); errs.KindOf(err) != errs.Invalid {
		t.Fatalf("end before start: %v", err)
	}
	if _, err := e.S.CreateVisit(ctx, e.Mgr, entity.Record{"ticket_id": e.Ticket.ID(), "customer_id": e.Other.ID(), "appointment_start": time.Now(), "appointment_end": time.Now().Add(time.Hour)}, e.Eng1.UserID); errs.KindOf(err) != errs.Invalid {
		t.Fatalf("ticket of another customer: %v", err)
	}
	v := e.visit(t, e.Mgr, e.Eng1.UserID, time.Now())
	if v.Str("customer_id") != e.Customer.ID() || v.Str("subject") != "设备异响" || !strings.HasPrefix(v.Str("number"), "SM-") || v.Str("owner_id") != e.Eng1.UserID {
		t.Fatalf("visit from the ticket: %v", v)
	}
	if v.Str("address") == "" {
		t.Fatal("the customer's address was not taken")
	}
	// The engineer sees it among the day's visits; the other engineer does not see it at all.
	mine, err := e.S.MyVisits(ctx, e.Eng1, "")
	if err != nil || len(mine) != 1 {
		t.Fatalf("my visits: %v %v", len(mine), err)
	}
	if other, _ := e.S.MyVisits(ctx, e.Eng2, ""); len(other) != 0 {
		t.Fatal("another engineer's day shows the visit")
	}
	if _, err := e.S.StepVisit(ctx, e.Eng2, v.ID(), fieldservice.VisitStepInput{Step: crm.VisitStepStart}); errs.KindOf(err) != errs.NotFound {
		t.Fatalf("another engineer's step: %v", err)
	}
	// The ticket waits for parts; the engineer stocks the van.
	tk, _ := e.App.Records.Get(ctx, e.Mgr, "ticket", e.Ticket.ID())
	if err := e.App.DB.Write(ctx, func(tx *store.Tx) error {
		_, err := e.App.Records.SetTx(ctx, tx, e.Mgr, e.App.DB.Schema().Entity("ticket"), tk, entity.Record{"status": crm.TicketWaitingParts})
		return err
	}); err != nil {
		t.Fatal(err)
	}
	if _, err := e.move(e.Mgr, crm.MoveIn, e.Filter.ID(), e.Van1.ID(), 2); err != nil {
		t.Fatal(err)
	}
	if _, err := e.S.UsePart(ctx, e.Eng1, v.ID(), fieldservice.PartUse{PartID: e.Filter.ID(), Quantity: 1}); errs.CodeOf(err) != "visit_not_on_site" {
		t.Fatalf("parts before checking in: %v", err)
	}
	steps := []struct {
		in     fieldservice.VisitStepInput
		code   string
		status string
	}{
		{fieldservice.VisitStepInput{Step: crm.VisitStepCheckOut}, "visit_step", crm.VisitPlanned},
		{fieldservice.VisitStepInput{Step: crm.VisitStepStart}, "", crm.VisitOnTheWay},
		{fieldservice.VisitStepInput{Step: crm.VisitStepCheckIn, Location: "31.86,117.28"}, "", crm.VisitCheckedIn},
		{fieldservice.VisitStepInput{Step: crm.VisitStepCheckOut}, "validation", crm.VisitCheckedIn},
		{fieldservice.VisitStepInput{Step: crm.VisitStepConfirm}, "visit_confirm_by_link", crm.VisitCheckedIn},
	}
	for _, st := range steps {
		out, err := e.S.StepVisit(ctx, e.Eng1, v.ID(), st.in)
		if st.code == "" && err != nil || st.code != "" && errs.CodeOf(err) != st.code {
			t.Fatalf("%s: want %q, got %v", st.in.Step, st.code, err)
		}
		if out != nil && out.Str("status") != st.status {
			t.Fatalf("%s: status %s", st.in.Step, out.Str("status"))
		}
	}
	// Parts: more than the van holds is refused; one is used.
	if _, err := e.S.UsePart(ctx, e.Eng1, v.ID(), fieldservice.PartUse{PartID: e.Filter.ID(), Quantity: 3}); errs.CodeOf(err) != "stock_insufficient" {
		t.Fatalf("too many parts: %v", err)
	}
	if _, err := e.S.UsePart(ctx, e.Eng1, v.ID(), fieldservice.PartUse{PartID: e.Filter.ID(), Quantity: 1, WarehouseID: e.Van2.ID()}); errs.CodeOf(err) != "stock_insufficient" {
		t.Fatalf("from the other van (empty): %v", err)
	}
	m, err := e.S.UsePart(ctx, e.Eng1, v.ID(), fieldservice.PartUse{PartID: e.Filter.ID(), Quantity: 1})
	if err != nil {
		t.Fatal(err)
	}
	if m.Str("ticket_id") != e.Ticket.ID() || m.Str("warehouse_id") != e.Van1.ID() || e.stock(t, e.Filter.ID(), e.Van1.ID()) != 1 {
		t.Fatalf("part used: %v", m)
	}
	tk, _ = e.App.Records.Get(ctx, e.Mgr, "ticket", e.Ticket.ID())
	if tk.Str("status") != crm.TicketInProgress {
		t.Fatalf("ticket waiting for parts went to %s", tk.Str("status"))
	}
	done, err := e.S.StepVisit(ctx, e.Eng1, v.ID(), fieldservice.VisitStepInput{Step: crm.VisitStepCheckOut, WorkDone: "更换滤芯，试运行正常"})
	if err != nil || done.Str("status") != crm.VisitWorkDone || done.Time("checked_out_at").IsZero() {
		t.Fatalf("check out: %v %v", done, err)
	}
	// The customer confirms on the engineer's phone.
	l, err := e.S.ConfirmLink(ctx, e.Eng1, v.ID())
	if err != nil {
		t.Fatal(err)
	}
	pv, err := e.S.Public(ctx, l.Token)
	if err != nil || pv.State != fieldservice.LinkOpen || len(pv.Parts) != 1 || pv.Parts[0].SKU != "SP-FLT" || pv.Engineer != "周工" {
		t.Fatalf("public view: %+v %v", pv, err)
	}
	if _, err := e.S.Confirm(ctx, l.Token, "10.0.0.1", fieldservice.ConfirmInput{}); errs.KindOf(err) != errs.Invalid {
		t.Fatalf("no name: %v", err)
	}
	if _, err := e.S.Public(ctx, apptest.NearMiss(l.Token)); errs.KindOf(err) != errs.NotFound {
		t.Fatalf("wrong token: %v", err)
	}
	pv, err = e.S.Confirm(ctx, l.Token, "10.0.0.1", fieldservice.ConfirmInput{Name: "王主任", Remarks: "满意"})
	if err != nil || !pv.Confirmed || pv.Confirmer != "王主任" {
		t.Fatalf("confirm: %+v %v", pv, err)
	}
	if _, err := e.S.Confirm(ctx, l.Token, "10.0.0.1", fieldservice.ConfirmInput{Name: "王主任"}); errs.CodeOf(err) != "visit_link_used" {
		t.Fatalf("second confirmation: %v", err)
	}
	v, _ = e.S.Visit(ctx, e.Mgr, v.ID())
	if v.Str("status") != crm.VisitConfirmed || v.Str("confirmer_name") != "王主任" {
		t.Fatalf("visit after confirmation: %v", v)
	}
	// The ticket carries the visit's lines, the customer's timeline its events.
	var lines, events int
	_ = e.App.DB.R().QueryRowContext(ctx, `SELECT count(*) FROM ticket_messages WHERE ticket_id = $1 AND kind = 'system'`, e.Ticket.ID()).Scan(&lines)
	_ = e.App.DB.R().QueryRowContext(ctx, `SELECT count(*) FROM timeline WHERE customer_id = $1 AND kind LIKE 'visit_%'`, e.Customer.ID()).Scan(&events)
	if lines < 5 || events < 4 {
		t.Fatalf("ticket lines %d, timeline events %d", lines, events)
	}
}

func TestVisitLinkExpires(t *testing.T) {
	e := newEnv(t)
	v := e.visit(t, e.Mgr, e.Eng1.UserID, time.Now())
	for _, st := range []fieldservice.VisitStepInput{{Step: crm.VisitStepCheckIn}, {Step: crm.VisitStepCheckOut, WorkDone: "检查无异常"}} {
		if _, err := e.S.StepVisit(ctx, e.Eng1, v.ID(), st); err != nil {
			t.Fatal(err)
		}
	}
	l, err := e.S.ConfirmLink(ctx, e.Eng1, v.ID())
	if err != nil {
		t.Fatal(err)
	}
	e.S.SetClock(func() time.Time { return time.Now().Add(25 * time.Hour) })
	defer e.S.SetClock(time.Now)
	if _, err := e.S.Confirm(ctx, l.Token, "", fieldservice.ConfirmInput{Name: "王主任"}); errs.CodeOf(err) != "visit_link_expired" {
		t.Fatalf("expired link: %v", err)
	}
}

func TestVisitCancelAndAbsent(t *testing.T) {
	e := newEnv(t)
	v := e.visit(t, e.Mgr, e.Eng1.UserID, time.Now())
	if _, err := e.S.StepVisit(ctx, e.Eng1, v.ID(), fieldservice.VisitStepInput{Step: crm.VisitStepAbsent}); errs.KindOf(err) != errs.Invalid {
		t.Fatalf("absent without a reason: %v", err)
	}
	out, err := e.S.StepVisit(ctx, e.Eng1, v.ID(), fieldservice.VisitStepInput{Step: crm.VisitStepAbsent, Reason: "客户临时外出"})
	if err != nil || out.Str("status") != crm.VisitAbsent {
		t.Fatalf("absent: %v", err)
	}
	if _, err := e.S.StepVisit(ctx, e.Eng1, v.ID(), fieldservice.VisitStepInput{Step: crm.VisitStepCancel, Reason: "x", Version: 1}); errs.KindOf(err) != errs.Conflict {
		t.Fatalf("stale version: %v", err)
	}
	if _, err := e.S.StepVisit(ctx, e.Eng1, v.ID(), fieldservice.VisitStepInput{Step: crm.VisitStepCancel, Reason: "x"}); errs.CodeOf(err) != "visit_step" {
		t.Fatalf("cancel an absent visit: %v", err)
	}
}
