// Package finance runs invoices and payments against a contract's payment
// plan (回款计划): issuing and voiding invoices, recording, allocating and
// reversing payments — each keeping the instalments' invoiced and paid
// amounts and status in the same transaction — receivables and their
// ageing per customer, rep and team, and the reminders sent to a
// contract's owner before and after an instalment falls due. The rules are
// pure (crm/finance.go); this package applies them and checks who may.
package finance

import (
	"context"
	"strings"
	"time"

	"closeloop/internal/access"
	"closeloop/internal/crm"
	"closeloop/internal/entity"
	"closeloop/internal/errs"
	"closeloop/internal/i18n"
	"closeloop/internal/records"
	"closeloop/internal/store"
)

// Service is the finance service.
type Service struct {
	R  *records.Service
	DB *store.DB

	nowFunc func() time.Time
}

// New creates the service and registers its hooks on r.
func New(r *records.Service) *Service {
	s := &Service{R: r, DB: r.DB, nowFunc: store.Now}
	r.On("invoice", records.Hooks{Prepare: s.prepareInvoice, After: s.afterInvoice})
	r.On("payment", records.Hooks{Prepare: s.preparePayment, After: s.afterPayment})
	r.On("invoice_allocation", records.Hooks{Prepare: processOnly})
	r.On("payment_allocation", records.Hooks{Prepare: processOnly})
	r.On("payment_instalment", records.Hooks{Prepare: s.prepareInstalment, After: s.afterInstalment})
	r.On("contract", records.Hooks{After: s.afterContract})
	return s
}

// SetClock replaces the clock (tests).
func (s *Service) SetClock(now func() time.Time) { s.nowFunc = now }

func (s *Service) now() time.Time { return s.nowFunc() }

// today is the company's calendar date now.
func (s *Service) today() string { return s.now().In(s.R.Loc).Format(entity.DateLayout) }

func (s *Service) entity(name string) *entity.Entity { return s.R.Schema().Entity(name) }

// processOnly refuses writes of allocations other than by the invoice and
// payment processes: they are how an amount is spread, kept with it.
func processOnly(ctx context.Context, _ *store.Tx, _ *access.Principal, _, _ entity.Record) error {
	if records.IsProcess(ctx) {
		return nil
	}
	return errs.New(errs.Forbidden, "finance_allocation_by_process")
}

// contractForFinance reads the contract an invoice or payment is against,
// as p sees it: invisible is a field problem (as for any reference), and
// only a signed contract takes invoices and payments (a terminated one
// still takes payments for what was delivered).
func (s *Service) contractForFinance(ctx context.Context, tx *store.Tx, p *access.Principal, id string, payment bool) (entity.Record, error) {
	ce := s.entity("contract")
	c, err := s.DB.Get(ctx, tx, ce, strings.ToLower(id), s.R.ReadPred(ce, p), false)
	if errs.KindOf(err) == errs.NotFound {
		return nil, errs.Validation([]errs.FieldError{{Field: "contract_id", Code: "invalid_ref"}})
	}
	if err != nil {
		return nil, errs.Wrap(err, "finance: contract %s", id)
	}
	st := c.Str("status")
	switch {
	case st == crm.ContractSigned || st == crm.ContractInExecution || st == crm.ContractCompleted:
	case st == crm.ContractTerminated && payment:
	default:
		l := statusLabel(st)
		return nil, errs.New(errs.Unprocessable, "finance_contract_not_signed", "status", l.Zh, "status_en", l.En)
	}
	return c, nil
}

// statusLabel names a contract status in both languages.
func statusLabel(code string) i18n.Text {
	for _, o := range crm.ContractStatuses {
		if o.Code == code {
			return o.Label
		}
	}
	return i18n.T(code, code)
}

// event writes a line of the customer's timeline (the opportunity's, when
// the contract has one, is named in the data).
func (s *Service) event(ctx context.Context, tx *store.Tx, p *access.Principal, rec entity.Record, kind, entityName string, data map[string]any) error {
	cust := rec.Str("customer_id")
	if cust == "" {
		return nil
	}
	if opp := rec.Str("opportunity_id"); opp != "" {
		data["opportunity_id"] = opp
	}
	ev := store.Event{At: s.now(), CustomerID: cust, ActorID: p.UserID, Kind: kind, Entity: entityName, RecordID: rec.ID(), Data: data}
	if err := s.DB.AddEvent(ctx, tx, ev); err != nil {
		return errs.Wrap(err, "finance: timeline %s", kind)
	}
	return nil
}

// reason checks the reason a destructive step must give.
func reason(field, r string) (string, error) {
	r = strings.TrimSpace(r)
	if r == "" {
		return "", errs.Validation([]errs.FieldError{{Field: field, Code: "required"}})
	}
	if len([]rune(r)) > 2000 {
		return "", errs.Validation([]errs.FieldError{{Field: field, Code: "too_long", Args: map[string]any{"max": 2000}}})
	}
	return r, nil
}

type ctxKey int

const explicitKey ctxKey = 1

// withAllocations hands explicit allocations of an invoice or payment
// being created to its hooks (the generic create knows no allocations).
func withAllocations(ctx context.Context, a []crm.Allocation) context.Context {
	if len(a) == 0 {
		return ctx
	}
	return context.WithValue(ctx, explicitKey, a)
}

func allocationsOf(ctx context.Context) []crm.Allocation {
	a, _ := ctx.Value(explicitKey).([]crm.Allocation)
	return a
}

// moneyLabel writes an amount with its currency's sign for messages
// (¥288,000.00).
func moneyLabel(cur string, minor int64) string {
	sign := map[string]string{"CNY": "¥", "USD": "$", "EUR": "€", "HKD": "HK$", "JPY": "JP¥"}[cur]
	if sign == "" {
		sign = cur + " "
	}
	return sign + entity.FormatMoney(minor)
}
