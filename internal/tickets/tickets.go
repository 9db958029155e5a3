// Package tickets runs service tickets (服务工单): numbering, the status
// steps (assign, reply, note, wait, resolve with a cause, close, reopen,
// merge), assignment and the agent's queue. The SLA clock is another
// package's rule attached to the same record (internal/sla); channels
// (the public form, mail in, the portal) create tickets and messages
// through Create and AddMessage here.
package tickets

import (
	"context"
	"fmt"
	"strings"
	"time"

	"closeloop/internal/access"
	"closeloop/internal/crm"
	"closeloop/internal/entity"
	"closeloop/internal/records"
	"closeloop/internal/store"
)

// Service is the ticket service.
type Service struct {
	R  *records.Service
	DB *store.DB

	nowFunc func() time.Time
}

// New creates the service and registers its rules on the ticket records.
func New(r *records.Service) *Service {
	s := &Service{R: r, DB: r.DB, nowFunc: store.Now}
	r.On("ticket", records.Hooks{Prepare: s.prepareTicket, After: s.afterTicket})
	return s
}

// SetClock replaces the clock (tests).
func (s *Service) SetClock(now func() time.Time) { s.nowFunc = now }

func (s *Service) now() time.Time { return entity.CanonTime(s.nowFunc()) }

// prepareTicket numbers a new ticket (GD-yyyymm-nnnnn, gap-free per month)
// and starts it as new unless a process says otherwise.
func (s *Service) prepareTicket(ctx context.Context, tx *store.Tx, p *access.Principal, old, rec entity.Record) error {
	if old != nil {
		return nil
	}
	if !records.IsProcess(ctx) || rec.Str("status") == "" {
		rec["status"] = crm.TicketNew
	}
	if rec.Str("number") == "" {
		n, err := s.DB.MonthlyNumber(ctx, tx, crm.TicketNumberPrefix, crm.TicketNumberDigits, s.now())
		if err != nil {
			return fmt.Errorf("tickets: number: %w", err)
		}
		rec["number"] = n
	}
	return s.autoAssign(ctx, tx, rec)
}

// afterTicket puts a new ticket on its customer's timeline.
func (s *Service) afterTicket(ctx context.Context, tx *store.Tx, p *access.Principal, ch records.Change) error {
	if ch.Action != records.Create {
		return nil
	}
	rec := ch.New
	return s.event(ctx, tx, p, rec.Str("customer_id"), "ticket_opened", rec.ID(),
		map[string]any{"number": rec.Str("number"), "subject": rec.Str("subject"), "note": excerpt(rec.Str("description"))})
}

// Message is one line of a ticket's conversation as a channel or an agent
// writes it.
type Message struct {
	Kind          string // crm.MessageReply, MessageNote, MessageCustomer, MessageSystem
	Body          string
	Channel       string // how it came or went (crm.Channel…); empty: none
	FromName      string
	FromEmail     string
	MailMessageID string // the Message-ID of a mail in or out (threading, dedupe)
}

// Create opens a ticket, with the customer's first message when given,
// in one transaction. Channels and agents both come here.
func (s *Service) Create(ctx context.Context, p *access.Principal, in entity.Record, first *Message) (entity.Record, error) {
	var out entity.Record
	err := s.DB.Write(ctx, func(tx *store.Tx) error {
		var err error
		out, err = s.CreateTx(ctx, tx, p, in, first)
		return err
	})
	if err != nil {
		return nil, err
	}
	e, _ := s.R.Entity("ticket")
	return s.R.Present(p, e, out), nil
}

// CreateTx is Create inside the caller's transaction.
func (s *Service) CreateTx(ctx context.Context, tx *store.Tx, p *access.Principal, in entity.Record, first *Message) (entity.Record, error) {
	t, err := s.R.CreateTx(ctx, tx, p, "ticket", in)
	if err != nil {
		return nil, err
	}
	if first != nil && strings.TrimSpace(first.Body) != "" {
		if _, err := s.AddMessage(ctx, tx, p, t.ID(), *first); err != nil {
			return nil, err
		}
	}
	return t, nil
}

// AddMessage writes one line of a ticket's conversation inside the
// caller's transaction. The author is the principal (none for a
// customer's own message or the system).
func (s *Service) AddMessage(ctx context.Context, tx *store.Tx, p *access.Principal, ticketID string, m Message) (entity.Record, error) {
	rec := entity.Record{"ticket_id": ticketID, "kind": m.Kind, "body": m.Body}
	if m.Channel != "" {
		rec["channel"] = m.Channel
	}
	if m.FromName != "" {
		rec["from_name"] = m.FromName
	}
	if m.FromEmail != "" {
		rec["from_email"] = m.FromEmail
	}
	if m.MailMessageID != "" {
		rec["mail_message_id"] = m.MailMessageID
	}
	if p != nil && p.UserID != "" && m.Kind != crm.MessageCustomer {
		rec["author_id"] = p.UserID
	}
	msg, err := s.R.InsertTx(ctx, tx, p, "ticket_message", rec)
	if err != nil {
		return nil, fmt.Errorf("tickets: message on %s: %w", ticketID, err)
	}
	return msg, nil
}

// CustomerWrote records a message from the customer (a mail, the portal)
// on an existing ticket inside the caller's transaction; a ticket waiting
// for the customer goes back to work (its SLA clock resumes).
func (s *Service) CustomerWrote(ctx context.Context, tx *store.Tx, ticketID string, m Message) (entity.Record, error) {
	m.Kind = crm.MessageCustomer
	sys := access.SystemPrincipal()
	msg, err := s.AddMessage(ctx, tx, sys, ticketID, m)
	if err != nil {
		return nil, err
	}
	e, err := s.R.Entity("ticket")
	if err != nil {
		return nil, err
	}
	t, err := s.DB.Get(ctx, tx, e, ticketID, store.True, false)
	if err != nil {
		return nil, fmt.Errorf("tickets: customer message on %s: %w", ticketID, err)
	}
	if t.Str("status") == crm.TicketWaitingCustomer {
		if _, err := s.R.SetTx(records.AsProcess(ctx), tx, sys, e, t, entity.Record{"status": crm.TicketInProgress}); err != nil {
			return nil, fmt.Errorf("tickets: resume %s: %w", ticketID, err)
		}
	}
	return msg, nil
}
