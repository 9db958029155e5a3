package crm

import (
	"slices"
	"strings"
	"unicode/utf8"

	"closeloop/internal/errs"
)

// QuoteStep is one step of a quote's life.
type QuoteStep string

// The steps of a quote.
const (
	QuoteStepEdit   QuoteStep = "edit"   // change its header or lines
	QuoteStepSubmit QuoteStep = "submit" // send to approval (or approve at once when no rule applies)
	QuoteStepDecide QuoteStep = "decide" // an approval ends: approved, returned or rejected
	QuoteStepSend   QuoteStep = "send"   // send to the customer
	QuoteStepAccept QuoteStep = "accept" // the customer accepts
	QuoteStepReject QuoteStep = "reject" // the customer rejects
	QuoteStepExpire QuoteStep = "expire" // its validity ended
	QuoteStepRevise QuoteStep = "revise" // start the next revision
	QuoteStepDelete QuoteStep = "delete" // remove it (restorable)
)

// quoteSteps lists what each status allows. Only a draft is edited: an
// approved quote cannot change without going through approval again, so a
// change after approval is a revision (a new draft), and the approved one
// stays as it was. A draft is not an offer yet, so it does not expire (its
// validity is checked when it is submitted). Deleting is for drafts: what
// was approved or sent is part of the record.
var quoteSteps = map[string][]QuoteStep{
	QuoteDraft:      {QuoteStepEdit, QuoteStepSubmit, QuoteStepSend, QuoteStepDelete},
	QuoteInApproval: {QuoteStepDecide, QuoteStepExpire},
	QuoteApproved:   {QuoteStepSend, QuoteStepRevise, QuoteStepExpire},
	QuoteSent:       {QuoteStepAccept, QuoteStepReject, QuoteStepRevise, QuoteStepExpire},
	QuoteAccepted:   {},
	QuoteRejected:   {QuoteStepRevise},
	QuoteExpired:    {QuoteStepRevise},
	QuoteSuperseded: {},
}

var quoteRefused = map[QuoteStep]string{
	QuoteStepEdit:   "quote_locked",
	QuoteStepSubmit: "quote_not_submittable",
	QuoteStepDecide: "quote_not_in_approval",
	QuoteStepSend:   "quote_needs_approval",
	QuoteStepAccept: "quote_not_sent",
	QuoteStepReject: "quote_not_sent",
	QuoteStepExpire: "quote_not_expirable",
	QuoteStepRevise: "quote_not_revisable",
	QuoteStepDelete: "quote_locked",
}

// CanQuote reports whether a quote in status may take step.
func CanQuote(status string, step QuoteStep) bool {
	return slices.Contains(quoteSteps[status], step)
}

// CheckQuoteStep refuses a step the quote's status does not allow: 422
// with a code saying why (quote_locked, quote_needs_approval …).
func CheckQuoteStep(status string, step QuoteStep) error {
	if CanQuote(status, step) {
		return nil
	}
	code := quoteRefused[step]
	if code == "" {
		code = "quote_step_refused"
	}
	if step == QuoteStepSend && status != QuoteDraft && status != QuoteInApproval {
		code = "quote_not_sendable" // already sent, answered, expired or superseded
	}
	zh, en := status, status
	for _, o := range QuoteStatuses {
		if o.Code == status {
			zh, en = o.Label.Zh, o.Label.En
		}
	}
	return errs.New(errs.Unprocessable, code, "status", zh, "status_en", en, "status_code", status, "step", string(step))
}

// Approval outcomes, as the approvals service reports them.
const (
	ApprovalOutcomeApproved = "approved"
	ApprovalOutcomeReturned = "returned"
	ApprovalOutcomeRejected = "rejected"
)

// QuoteAfterDecision is a quote's status when its approval ends: approved
// goes on to sending; returned and rejected come back to the rep as a
// draft to change (the approver's comment says what), since a rejected
// discount is usually met with a smaller one rather than no quote.
func QuoteAfterDecision(outcome string) (string, bool) {
	switch outcome {
	case ApprovalOutcomeApproved:
		return QuoteApproved, true
	case ApprovalOutcomeReturned, ApprovalOutcomeRejected:
		return QuoteDraft, true
	}
	return "", false
}

// QuoteExpires reports whether a quote in status, valid until the date
// validUntil (YYYY-MM-DD, inclusive), has expired on the date today (both
// in the company's time zone).
func QuoteExpires(status, validUntil, today string) bool {
	return CanQuote(status, QuoteStepExpire) && validUntil != "" && validUntil < today
}

// QuoteSubmission is what submitting a quote checks, gathered by the
// service.
type QuoteSubmission struct {
	Lines          int    // how many lines it has
	ValidUntil     string // YYYY-MM-DD
	Today          string // YYYY-MM-DD, company time zone
	NeedsApproval  bool   // a rule applies to it
	DiscountReason string
	Reason         string // the submitter's note (the body of /submit)
}

// Check says what stops a quote from being submitted: it needs lines and
// a validity not already past; and when its discount needs approval, the
// reason for the discount (the seeds' 不轻易降价: a discount beyond the
// threshold is approved with a recorded reason). The submit note may stand
// for the reason when the quote has none.
func (s QuoteSubmission) Check() error {
	var bad []errs.FieldError
	if s.Lines == 0 {
		bad = append(bad, errs.FieldError{Field: "lines", Code: "quote_no_lines"})
	}
	if s.ValidUntil != "" && s.ValidUntil < s.Today {
		bad = append(bad, errs.FieldError{Field: "valid_until", Code: "quote_valid_until_past", Args: map[string]any{"date": s.ValidUntil}})
	}
	if s.NeedsApproval && strings.TrimSpace(s.DiscountReason) == "" && strings.TrimSpace(s.Reason) == "" {
		bad = append(bad, errs.FieldError{Field: "discount_reason", Code: "quote_discount_reason_required"})
	}
	if utf8.RuneCountInString(s.Reason) > 2000 {
		bad = append(bad, errs.FieldError{Field: "reason", Code: "too_long", Args: map[string]any{"max": 2000}})
	}
	return errs.Validation(bad)
}

// CheckRejection says what a customer's rejection needs: why.
func CheckRejection(reason string) error {
	reason = strings.TrimSpace(reason)
	switch {
	case reason == "":
		return errs.Validation([]errs.FieldError{{Field: "reason", Code: "quote_reject_reason_required"}})
	case utf8.RuneCountInString(reason) > 2000:
		return errs.Validation([]errs.FieldError{{Field: "reason", Code: "too_long", Args: map[string]any{"max": 2000}}})
	}
	return nil
}

// PriceSource says where a line's unit price came from.
type PriceSource string

// Where prices come from, best first.
const (
	PriceFromQuoteList    PriceSource = "quote_list"    // the price list chosen on the quote
	PriceFromCustomerList PriceSource = "customer_list" // a list for this customer
	PriceFromLevelList    PriceSource = "level_list"    // a list for the customer's level
	PriceFromProduct      PriceSource = "list_price"    // the product's list price
)

// PriceItem is one product's price in one price list, with what decides
// whether it applies.
type PriceItem struct {
	ListID     string
	ListCode   string
	CustomerID string // the list is for this customer ("" = not customer-specific)
	Level      string // the list is for this customer level ("" = any)
	Currency   string
	Active     bool
	ValidFrom  string // YYYY-MM-DD or "" (open)
	ValidTo    string // YYYY-MM-DD or "" (open)
	UnitPrice  int64
	MinQty     int64
}

// PriceQuery is what a quote line's price depends on.
type PriceQuery struct {
	ListPrice  int64  // the product's list price
	Currency   string // the quote's currency
	CustomerID string
	Level      string // the customer's level
	QuoteList  string // the price list chosen on the quote, if any
	Quantity   int64
	Today      string // YYYY-MM-DD, company time zone
}

// Price is a resolved unit price.
type Price struct {
	UnitPrice int64
	Source    PriceSource
	ListID    string // the price list it came from ("" for the list price)
}

// applies reports whether a price list item can price the query at all:
// an active list in the quote's currency, valid today, whose minimum
// quantity the line reaches.
func (it PriceItem) applies(q PriceQuery) bool {
	if !it.Active || (it.Currency != "" && q.Currency != "" && it.Currency != q.Currency) {
		return false
	}
	if (it.ValidFrom != "" && q.Today < it.ValidFrom) || (it.ValidTo != "" && q.Today > it.ValidTo) {
		return false
	}
	return q.Quantity >= max(it.MinQty, 1)
}

// ResolvePrice chooses a quote line's unit price: the price list chosen on
// the quote, then a list made for this customer, then one for the
// customer's level, then the product's list price — each only when active,
// valid today, in the quote's currency and reached by the quantity. Within
// one tier the lowest price wins (two lists of the same standing: the
// customer gets the better one), ties by list code, so the answer never
// depends on the order the lists were read in.
func ResolvePrice(q PriceQuery, items []PriceItem) Price {
	tier := func(it PriceItem) (PriceSource, bool) {
		switch {
		case q.QuoteList != "" && it.ListID == q.QuoteList:
			// The rep chose the list: it must still be meant for this customer.
			if (it.CustomerID == "" || it.CustomerID == q.CustomerID) && (it.Level == "" || it.Level == q.Level || it.CustomerID == q.CustomerID) {
				return PriceFromQuoteList, true
			}
			return "", false
		case it.CustomerID != "":
			return PriceFromCustomerList, it.CustomerID == q.CustomerID
		case it.Level != "":
			return PriceFromLevelList, q.Level != "" && it.Level == q.Level
		}
		return "", false
	}
	rank := map[PriceSource]int{PriceFromQuoteList: 0, PriceFromCustomerList: 1, PriceFromLevelList: 2}
	best := Price{UnitPrice: q.ListPrice, Source: PriceFromProduct}
	bestRank, bestCode := 3, ""
	for _, it := range items {
		src, ok := tier(it)
		if !ok || !it.applies(q) {
			continue
		}
		r := rank[src]
		better := r < bestRank || (r == bestRank && (it.UnitPrice < best.UnitPrice || (it.UnitPrice == best.UnitPrice && it.ListCode < bestCode)))
		if better {
			best, bestRank, bestCode = Price{UnitPrice: it.UnitPrice, Source: src, ListID: it.ListID}, r, it.ListCode
		}
	}
	return best
}
