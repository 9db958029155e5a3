// Package fieldservice runs on-site service, spare parts and returns
// (售后: 上门服务、备件、退换货): a field engineer's visits from a ticket or
// for a customer, with check-in and check-out, the work done, the parts
// used (stock movements out of the engineer's warehouse) and the
// customer's confirmation through a short-lived public link; the stock of
// spare parts per warehouse, changed only by movements (never below zero,
// also under concurrency) with a warning to the service managers when a
// part falls below its minimum; and returns and exchanges (TH-yyyymm-nnnn)
// received, inspected, replaced or refunded, and closed.
//
// The rules are pure (crm/fieldservice.go). This package writes through
// the record service (validation, audit, index, hooks) and plain
// engine-neutral SQL where the stock needs a conditional update. Tickets
// are touched only through the public functions of internal/tickets and
// plain record calls.
package fieldservice

import (
	"context"
	"fmt"
	"strings"
	"time"

	"closeloop/internal/access"
	"closeloop/internal/entity"
	"closeloop/internal/records"
	"closeloop/internal/store"
	"closeloop/internal/tickets"
)

// Service is the field-service service.
type Service struct {
	R       *records.Service
	DB      *store.DB
	Tickets *tickets.Service

	nowFunc func() time.Time
}

// New creates the service and registers its rules on the records.
func New(r *records.Service, t *tickets.Service) *Service {
	s := &Service{R: r, DB: r.DB, Tickets: t, nowFunc: store.Now}
	s.registerStock()
	s.registerVisits()
	s.registerReturns()
	return s
}

// SetClock replaces the clock (tests: expired links, the engineer's day).
func (s *Service) SetClock(now func() time.Time) { s.nowFunc = now }

func (s *Service) now() time.Time { return entity.CanonTime(s.nowFunc()) }

func (s *Service) today() string { return s.now().In(s.R.Loc).Format(entity.DateLayout) }

func (s *Service) entity(name string) *entity.Entity { return s.R.Schema().Entity(name) }

func (s *Service) number(ctx context.Context, tx *store.Tx, prefix string) (string, error) {
	n, err := s.DB.MonthlyNumber(ctx, tx, prefix, 4, s.now())
	if err != nil {
		return "", fmt.Errorf("fieldservice: number %s: %w", prefix, err)
	}
	return n, nil
}

func cleanID(id string) string { return strings.ToLower(strings.TrimSpace(id)) }

// event writes a line of the customer's timeline.
func (s *Service) event(ctx context.Context, tx *store.Tx, p *access.Principal, customerID, kind, entityName, id string, data map[string]any) error {
	if customerID == "" {
		return nil
	}
	return s.DB.AddEvent(ctx, tx, store.Event{CustomerID: customerID, ActorID: p.UserID, Kind: kind, Entity: entityName, RecordID: id, Data: data})
}

// get reads a record inside tx regardless of visibility (the caller has
// checked its right to the record it starts from).
func (s *Service) get(ctx context.Context, tx store.Querier, name, id string) (entity.Record, error) {
	return s.DB.Get(ctx, tx, s.entity(name), id, store.True, false)
}

// system is the principal of the customer's own step (the confirmation
// link): it comes without a staff login.
func system() *access.Principal { return access.SystemPrincipal() }
