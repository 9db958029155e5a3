package finance

import (
	"context"
	"strings"

	"closeloop/internal/access"
	"closeloop/internal/crm"
	"closeloop/internal/entity"
	"closeloop/internal/errs"
)

// ContractFinance is a contract's money against its plan: the instalments
// with what was invoiced and received on each, the invoices and payments,
// and the sums. Everything is read through the viewer's visibility.
type ContractFinance struct {
	Contract    entity.Record   `json:"-"`
	Plan        []entity.Record `json:"-"`
	Invoices    []entity.Record `json:"-"`
	Payments    []entity.Record `json:"-"`
	Currency    string          `json:"currency"`
	Planned     int64           `json:"planned"`     // the plan's instalments
	Invoiced    int64           `json:"invoiced"`    // issued invoices
	Received    int64           `json:"received"`    // received payments, allocated or not
	Paid        int64           `json:"paid"`        // allocated to instalments
	Credit      int64           `json:"credit"`      // received, not allocated
	Outstanding int64           `json:"outstanding"` // planned − paid
	Overdue     int64           `json:"overdue"`     // unpaid of instalments past due
}

// ContractSummary reads a contract's plan, invoices and payments.
func (s *Service) ContractSummary(ctx context.Context, p *access.Principal, contractID string) (*ContractFinance, error) {
	id := strings.ToLower(contractID)
	c, err := s.R.Get(ctx, p, "contract", id)
	if err != nil {
		return nil, err
	}
	out := &ContractFinance{Contract: c, Currency: c.Str("currency")}
	list := func(name, sort string, desc bool) ([]entity.Record, error) {
		e := s.entity(name)
		if p.Perm(name).Read == access.None {
			return nil, nil
		}
		q := entity.Query{Sort: e.Field(sort), Desc: desc, Limit: entity.MaxLimit,
			Conds: []entity.Cond{{Field: e.Field("contract_id"), Op: entity.Eq, Values: []any{id}}}}
		page, err := s.R.List(ctx, p, name, q)
		if err != nil {
			return nil, errs.Wrap(err, "finance: %s of contract", name)
		}
		return page.Items, nil
	}
	if out.Plan, err = list("payment_instalment", "due_date", false); err != nil {
		return nil, err
	}
	if out.Invoices, err = list("invoice", "issue_date", true); err != nil {
		return nil, err
	}
	if out.Payments, err = list("payment", "received_on", true); err != nil {
		return nil, err
	}
	today := s.today()
	for _, r := range out.Plan {
		out.Planned += r.Int("amount")
		out.Paid += r.Int("paid_amount")
		if r.Str("due_date") < today {
			out.Overdue += max(0, r.Int("amount")-r.Int("paid_amount"))
		}
	}
	for _, r := range out.Invoices {
		if r.Str("status") == crm.InvoiceIssued {
			out.Invoiced += r.Int("amount")
		}
	}
	for _, r := range out.Payments {
		if r.Str("status") == crm.PaymentReceived {
			out.Received += r.Int("amount")
			out.Credit += r.Int("unallocated_amount")
		}
	}
	out.Outstanding = out.Planned - out.Paid
	return out, nil
}
