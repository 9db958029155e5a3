// Package fulfilment runs the second half of in-sales (售中): orders from a
// signed contract, an accepted quote or typed in, with their lines; the
// stock check and reservation; deliveries (one or more per order) with
// batch, production date, packaging, carrier and tracking, whose shipping
// consumes the reserved stock; the customer's sign-off (签收) through an
// unguessable, expiring, single-use link; supply problems, opened by hand
// or by a sign-off's discrepancies and followed to resolution; and
// installation, commissioning and training tasks with checklists and the
// customer's acceptance (验收) through the same kind of link.
//
// The rules are pure (crm/fulfilment.go); this package reads and writes
// through the record service (validation, audit, index, hooks) and plain
// engine-neutral SQL where a process needs a conditional update (stock).
package fulfilment

import (
	"context"
	"fmt"
	"strings"
	"time"

	"closeloop/internal/access"
	"closeloop/internal/entity"
	"closeloop/internal/notify"
	"closeloop/internal/records"
	"closeloop/internal/store"
)

// Service is the fulfilment service.
type Service struct {
	R  *records.Service
	DB *store.DB
	// Letterhead is our company on delivery notes and the customer's
	// public pages (admin.Service.Company; nil: none).
	Letterhead LetterheadFunc
	// Handovers links new orders, deliveries and tasks to the customer's
	// hand-over report (nil: none).
	Handovers HandoverSource

	nowFunc func() time.Time
}

// New creates the service and registers its hooks on r.
func New(r *records.Service) *Service {
	s := &Service{R: r, DB: r.DB, nowFunc: store.Now}
	s.registerOrders()
	s.registerDeliveries()
	s.registerProblems()
	s.registerTasks()
	return s
}

// SetClock replaces the clock (tests: expired links, dates).
func (s *Service) SetClock(now func() time.Time) { s.nowFunc = now }

func (s *Service) now() time.Time { return entity.CanonTime(s.nowFunc()) }

func (s *Service) today() string { return s.now().In(s.R.Loc).Format(entity.DateLayout) }

func (s *Service) entity(name string) *entity.Entity { return s.R.Schema().Entity(name) }

// Document number prefixes (store.MonthlyNumber): SO-202612-0001 …
const (
	orderPrefix    = "SO"
	deliveryPrefix = "FH"
	problemPrefix  = "WT"
	taskPrefix     = "RW"
)

func (s *Service) number(ctx context.Context, tx *store.Tx, prefix string) (string, error) {
	n, err := s.DB.MonthlyNumber(ctx, tx, prefix, 4, s.now())
	if err != nil {
		return "", fmt.Errorf("fulfilment: number %s: %w", prefix, err)
	}
	return n, nil
}

func cleanID(id string) string { return strings.ToLower(strings.TrimSpace(id)) }

// event writes a line of the customer report.
func (s *Service) event(ctx context.Context, tx *store.Tx, p *access.Principal, customerID, kind, entityName, id string, data map[string]any) error {
	if customerID == "" {
		return nil
	}
	return s.DB.AddEvent(ctx, tx, store.Event{CustomerID: customerID, ActorID: p.UserID, Kind: kind, Entity: entityName, RecordID: id, Data: data})
}

// notify tells a user about something of theirs (a discrepancy on their
// order, a task the customer did not accept), in the caller's transaction.
func (s *Service) notify(ctx context.Context, q store.Querier, userID, kind, entityName, id string, data map[string]any) error {
	return notify.Notify(ctx, q, userID, kind, entityName, id, data)
}

// HandoverSource finds a customer's newest hand-over report (客户需求总结报告):
// contracts.Service.LatestHandover.
type HandoverSource interface {
	LatestHandover(ctx context.Context, q store.Querier, customerID string) (entity.Record, error)
}

// latestHandover is the id of the customer's newest hand-over, which every
// later order, delivery and task links to ("" when none, or when no source
// is wired).
func (s *Service) latestHandover(ctx context.Context, q store.Querier, customerID string) (string, error) {
	if s.Handovers == nil || customerID == "" {
		return "", nil
	}
	h, err := s.Handovers.LatestHandover(ctx, q, customerID)
	if err != nil {
		return "", fmt.Errorf("fulfilment: hand-over of customer: %w", err)
	}
	if h == nil {
		return "", nil
	}
	return h.ID(), nil
}

type ctxKey int

const linesGivenKey ctxKey = 1

// withLines marks a create whose lines the caller writes itself, so the
// hooks do not fill default lines (from the quote, from the order).
func withLines(ctx context.Context) context.Context {
	return context.WithValue(ctx, linesGivenKey, true)
}

func linesGiven(ctx context.Context) bool { v, _ := ctx.Value(linesGivenKey).(bool); return v }

// system is the principal of the customer's own steps (sign-off,
// acceptance): they come through a link, not a staff login.
func system() *access.Principal { return access.SystemPrincipal() }
