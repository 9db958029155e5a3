package presales

import (
	"context"

	"closeloop/internal/access"
	"closeloop/internal/crm"
	"closeloop/internal/entity"
	"closeloop/internal/i18n"
	"closeloop/internal/records"
	"closeloop/internal/store"
)

// Bids (招投标): the customer comes from the opportunity; the internal
// review cannot pass while a required document is missing, and a result of
// won or lost needs a passed review (crm.CheckBid); registering a bid and
// its result are lines in the customer report.

func (s *Service) registerBids() {
	s.R.On("bid", records.Hooks{Prepare: s.prepareBid, After: s.afterBid})
}

func (s *Service) prepareBid(ctx context.Context, tx *store.Tx, p *access.Principal, old, rec entity.Record) error {
	if rec["deleted_at"] != nil {
		return nil
	}
	if err := s.opportunityCustomer(ctx, tx, p, rec, true); err != nil {
		return err
	}
	return crm.CheckBid(BidStateOf(rec), s.documentLabel)
}

// BidStateOf is what the bid rules read of a record.
func BidStateOf(rec entity.Record) crm.BidState {
	return crm.BidState{ReviewStatus: rec.Str("review_status"), Result: rec.Str("result"),
		Required: rec.List("documents_required"), Ready: rec.List("documents_ready")}
}

// documentLabel names a bid document as the pick-list does today.
func (s *Service) documentLabel(code string) i18n.Text {
	sc := s.R.Schema()
	for _, o := range sc.Options(sc.Entity("bid").Field("documents_required")) {
		if o.Code == code {
			return o.Label
		}
	}
	return i18n.T(code, code)
}

func (s *Service) afterBid(ctx context.Context, tx *store.Tx, p *access.Principal, ch records.Change) error {
	rec := ch.New
	ev := store.Event{CustomerID: rec.Str("customer_id"), ActorID: p.UserID, Entity: "bid", RecordID: rec.ID(),
		Data: map[string]any{"title": rec.Str("title"), "tender_no": rec.Str("tender_no"), "issuer": rec.Str("issuer")}}
	switch ch.Action {
	case records.Create:
		ev.Kind = "bid_registered"
		ev.Data["deadline"] = rec.Time("deadline").In(s.R.Loc).Format("2006-01-02 15:04")
		if err := s.addEvent(ctx, tx, ev); err != nil {
			return err
		}
		if rec.Str("result") == crm.BidPending {
			return nil
		}
	case records.Update:
	default:
		return nil
	}
	var oldResult string
	if ch.Old != nil {
		oldResult = ch.Old.Str("result")
	}
	if !crm.BidResultRecorded(oldResult, rec.Str("result")) {
		return nil
	}
	ev.Kind = "bid_" + rec.Str("result")
	if w := rec.Str("winner"); w != "" && rec.Str("result") == crm.BidLost {
		ev.Kind, ev.Data["winner"] = "bid_lost_to", w
	}
	if price, ok := rec["bid_price"].(int64); ok {
		ev.Data["price"] = entity.FormatMoney(price)
	}
	ev.Data["note"] = rec.Str("result_note")
	return s.addEvent(ctx, tx, ev)
}

// addEvent writes a customer-report line when the record has a customer.
func (s *Service) addEvent(ctx context.Context, tx *store.Tx, ev store.Event) error {
	if ev.CustomerID == "" {
		return nil
	}
	return s.DB.AddEvent(ctx, tx, ev)
}
