// Package contracts runs the contract part of in-sales (合同): contracts
// typed directly or made from an accepted quote, numbered HT-yyyymm-nnnn;
// the item-by-item confirmation of terms; the payment plan (回款计划),
// replaced as a whole and proposed from percentages; approval when a rule
// applies; signing, which writes the hand-over report (客户需求总结报告) in
// the same transaction; execution, completion and termination; and the
// hand-over's versions and per-recipient acknowledgements. The rules are
// pure (crm/contracts.go, crm/handover.go); this package gathers facts,
// checks who may take each step and writes.
package contracts

import (
	"context"
	"time"

	"closeloop/internal/access"
	"closeloop/internal/entity"
	"closeloop/internal/errs"
	"closeloop/internal/notify"
	"closeloop/internal/records"
	"closeloop/internal/store"
)

// Approvals is what contracts need of the approvals mechanism: whether a
// rule asks for an approval of a contract as it stands (for this
// submitter), and submitting it in the caller's transaction (false when
// no rule applies). The app wires the approvals service in; without it no
// contract needs approval. UseApprovals wires the approvals service.
type Approvals interface {
	Needed(ctx context.Context, q store.Querier, p *access.Principal, rec entity.Record) (bool, error)
	Submit(ctx context.Context, tx *store.Tx, p *access.Principal, rec entity.Record, reason string) (bool, error)
	// Withdraw ends the approval given to a contract changed since.
	Withdraw(ctx context.Context, tx *store.Tx, p *access.Principal, id string) error
}

// Service is the contracts service.
type Service struct {
	R  *records.Service
	DB *store.DB
	// Deals marks a contract's opportunity won when it is signed (the
	// pre-sales service; nil: opportunities are left alone).
	Deals DealWinner

	approvals Approvals
	nowFunc   func() time.Time
}

// DealWinner wins an open opportunity inside a transaction.
type DealWinner interface {
	WinTx(ctx context.Context, tx *store.Tx, p *access.Principal, id, note string) (bool, error)
}

// New creates the service and registers its hooks on r.
func New(r *records.Service) *Service {
	s := &Service{R: r, DB: r.DB, nowFunc: store.Now}
	r.On("contract", records.Hooks{Prepare: s.prepareContract, After: s.afterContract})
	r.On("payment_instalment", records.Hooks{Prepare: s.prepareInstalment, After: s.afterInstalment})
	r.On("handover", records.Hooks{Prepare: s.prepareHandover, After: s.afterHandover})
	r.On("handover_ack", records.Hooks{Prepare: s.prepareAck})
	return s
}

// SetApprovals wires the approvals mechanism (see Approvals).
func (s *Service) SetApprovals(a Approvals) { s.approvals = a }

// SetClock replaces the clock (tests).
func (s *Service) SetClock(now func() time.Time) { s.nowFunc = now }

func (s *Service) now() time.Time { return entity.CanonTime(s.nowFunc()) }

// today is the current date in the company time zone.
func (s *Service) today() string { return s.now().In(s.R.Loc).Format("2006-01-02") }

func (s *Service) entity(name string) *entity.Entity { return s.R.Schema().Entity(name) }

// event appends a line to the customer's timeline (the 客户报告); the
// opportunity's id travels in the data, so the deal's page finds the
// contract's story too.
func (s *Service) event(ctx context.Context, tx *store.Tx, p *access.Principal, customerID, kind, entityName, id string, data map[string]any) error {
	if customerID == "" {
		return nil
	}
	ev := store.Event{At: s.now(), CustomerID: customerID, ActorID: p.UserID, Kind: kind, Entity: entityName, RecordID: id, Data: data}
	if err := s.DB.AddEvent(ctx, tx, ev); err != nil {
		return errs.Wrap(err, "contracts: timeline %s", kind)
	}
	return nil
}

// notify tells a user about a record (a hand-over to acknowledge), in
// the caller's transaction; the message is the catalogue's notify.<kind>.
func (s *Service) notify(ctx context.Context, q store.Querier, userID, kind, entityName, id string, data map[string]any) error {
	return errs.Wrap(notify.Notify(ctx, q, userID, kind, entityName, id, data), "contracts: notify")
}

// HasApprovals reports whether an approvals mechanism is wired (the web
// offers submitting for approval only then).
func (s *Service) HasApprovals() bool { return s.approvals != nil }
