package tickets_test

import (
	"context"
	"regexp"
	"testing"

	"closeloop/internal/access"
	"closeloop/internal/apptest"
	"closeloop/internal/crm"
	"closeloop/internal/entity"
	"closeloop/internal/store"
	"closeloop/internal/tickets"
)

var ctx = context.Background()

func TestCreateNumbersAndKeepsTheFirstMessage(t *testing.T) {
	f := apptest.NewFixture(t)
	agent := f.AddUser(t, "王客服", "wang.kf@example.com", f.Company, access.RoleService)
	cust := f.Customer(t, f.Rep1, "苏州华星光电技术有限公司")
	in := entity.Record{"subject": "设备无法开机", "kind": crm.TicketRepair, "channel": crm.ChannelPhone, "priority": crm.PriorityHigh,
		"customer_id": cust.ID(), "description": "昨晚断电后设备无法开机，指示灯不亮。"}
	t1, err := f.App.Tickets.Create(ctx, agent, in, &tickets.Message{Kind: crm.MessageCustomer, Body: "昨晚断电后设备无法开机。", Channel: crm.ChannelPhone, FromName: "李工"})
	if err != nil {
		t.Fatal(err)
	}
	if !regexp.MustCompile(`^GD-\d{6}-00001$`).MatchString(t1.Str("number")) || t1.Str("status") != crm.TicketNew {
		t.Errorf("first ticket: number %q status %q", t1.Str("number"), t1.Str("status"))
	}
	t2, err := f.App.Tickets.Create(ctx, agent, entity.Record{"subject": "咨询备件价格", "kind": crm.TicketConsultation, "description": "询价"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if !regexp.MustCompile(`^GD-\d{6}-00002$`).MatchString(t2.Str("number")) {
		t.Errorf("second ticket number %q", t2.Str("number"))
	}
	// Status is the process's, not the form's.
	if _, err := f.App.Records.Create(ctx, agent, "ticket", entity.Record{"subject": "x", "description": "y", "status": crm.TicketClosed}); err == nil {
		t.Error("a ticket was created closed through the generic path")
	}
	var n int
	var kind, from string
	if err := f.App.DB.R().QueryRowContext(ctx, `SELECT count(*), min(kind), min(from_name) FROM ticket_messages WHERE ticket_id = $1`, t1.ID()).Scan(&n, &kind, &from); err != nil {
		t.Fatal(err)
	}
	if n != 1 || kind != crm.MessageCustomer || from != "李工" {
		t.Errorf("messages of the first ticket: %d %q %q", n, kind, from)
	}
}

func TestTicketMoves(t *testing.T) {
	for _, c := range []struct {
		from, to string
		ok       bool
	}{
		{crm.TicketNew, crm.TicketAssigned, true},
		{crm.TicketWaitingCustomer, crm.TicketInProgress, true},
		{crm.TicketResolved, crm.TicketReopened, true},
		{crm.TicketResolved, crm.TicketInProgress, false},
		{crm.TicketClosed, crm.TicketResolved, false},
		{crm.TicketClosed, crm.TicketReopened, true},
		{crm.TicketNew, crm.TicketNew, false},
	} {
		if got := crm.TicketCanMove(c.from, c.to); got != c.ok {
			t.Errorf("%s → %s: %v, want %v", c.from, c.to, got, c.ok)
		}
	}
	if crm.TicketOpen(crm.TicketResolved) || !crm.TicketOpen(crm.TicketWaitingCustomer) {
		t.Error("open statuses")
	}
}

func TestCustomerWroteResumesAWaitingTicket(t *testing.T) {
	f := apptest.NewFixture(t)
	agent := f.AddUser(t, "王客服", "wang.kf@example.com", f.Company, access.RoleService)
	tk, err := f.App.Tickets.Create(ctx, agent, entity.Record{"subject": "打印模糊", "description": "打印件模糊"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.App.DB.W().ExecContext(ctx, `UPDATE tickets SET status = $1 WHERE id = $2`, crm.TicketWaitingCustomer, tk.ID()); err != nil {
		t.Fatal(err)
	}
	err = f.App.DB.Write(ctx, func(tx *store.Tx) error {
		_, err := f.App.Tickets.CustomerWrote(ctx, tx, tk.ID(), tickets.Message{Body: "已按要求清洁打印头，仍然模糊。", Channel: crm.ChannelEmail, FromEmail: "li@example.com"})
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	got, err := f.App.Records.Get(ctx, agent, "ticket", tk.ID())
	if err != nil || got.Str("status") != crm.TicketInProgress {
		t.Fatalf("after the customer wrote: %v %v", got.Str("status"), err)
	}
}
