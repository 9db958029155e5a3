// Package quotes runs the quote (报价单) and its catalogue: products and
// price lists (the rules the generic pages cannot know: prices resolved per
// customer, one price per product in a list), quotes written with their
// lines in one transaction and their totals always computed here (never
// taken from input), numbering, the status machine with approval of
// discounts, sending, the customer's answer, revisions and expiry.
package quotes

import (
	"context"
	"time"

	"closeloop/internal/access"
	"closeloop/internal/entity"
	"closeloop/internal/pdfdoc"
	"closeloop/internal/records"
	"closeloop/internal/store"
)

// Service is the quote service.
type Service struct {
	R  *records.Service
	DB *store.DB

	approvals Approvals
	mailer    Mailer
	company   func(ctx context.Context) (pdfdoc.Company, error)
	nowFunc   func() time.Time
}

// New creates the service and registers its hooks on r. Until an approvals
// service is attached (UseApprovals), no quote needs approval.
func New(r *records.Service) *Service {
	s := &Service{R: r, DB: r.DB, nowFunc: store.Now, approvals: noApprovals{}}
	s.registerCatalogue()
	s.registerQuotes()
	return s
}

// SetClock replaces the clock (tests).
func (s *Service) SetClock(now func() time.Time) { s.nowFunc = now }

func (s *Service) now() time.Time { return entity.CanonTime(s.nowFunc()) }

// today is the company's date now (YYYY-MM-DD).
func (s *Service) today() string { return s.now().In(s.R.Loc).Format(entity.DateLayout) }

func (s *Service) entity(name string) *entity.Entity { return s.R.Schema().Entity(name) }

// Approvals is what quotes need of the approvals service (internal/approvals):
// whether a quote needs approval from p, starting one, and ending one
// that can no longer be decided (the quote expired while it waited).
type Approvals interface {
	// Needed reports whether rules ask for an approval of rec submitted
	// by p (steps within p's own authority do not count).
	Needed(ctx context.Context, q store.Querier, p *access.Principal, rec entity.Record) (bool, error)
	// Submit starts the approval of rec; false when no rule applies after all.
	Submit(ctx context.Context, tx *store.Tx, p *access.Principal, rec entity.Record, reason string) (bool, error)
	// Cancel ends the open approval of a quote, if any.
	Cancel(ctx context.Context, tx *store.Tx, p *access.Principal, quoteID string) error
}

// noApprovals is the stand-in while no approvals service is attached.
type noApprovals struct{}

func (noApprovals) Needed(context.Context, store.Querier, *access.Principal, entity.Record) (bool, error) {
	return false, nil
}
func (noApprovals) Submit(context.Context, *store.Tx, *access.Principal, entity.Record, string) (bool, error) {
	return false, nil
}
func (noApprovals) Cancel(context.Context, *store.Tx, *access.Principal, string) error { return nil }

// SetApprovals attaches the approvals of discounts.
func (s *Service) SetApprovals(a Approvals) {
	if a == nil {
		a = noApprovals{}
	}
	s.approvals = a
}

// Mailer sends a quote to its customer inside the sending transaction
// (internal/mail's outbox); it reports whether a mail was queued.
type Mailer func(ctx context.Context, tx *store.Tx, p *access.Principal, q *Quote) (bool, error)

// SetMailer attaches the e-mail of sent quotes.
func (s *Service) SetMailer(m Mailer) { s.mailer = m }
