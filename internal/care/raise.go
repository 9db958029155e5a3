package care

import (
	"context"
	"strings"

	"closeloop/internal/access"
	"closeloop/internal/crm"
	"closeloop/internal/entity"
	"closeloop/internal/errs"
	"closeloop/internal/notify"
	"closeloop/internal/store"
)

// Origins are the records an opportunity may be raised from, in the
// order of crm.OpportunityOrigins; those not declared in this build are
// skipped (each after-sales part declares its own).
func (s *Service) Origins() []*entity.Entity {
	var out []*entity.Entity
	for _, o := range crm.OpportunityOrigins {
		if e := s.entity(o.Code); e != nil && e.Field("opportunity_id") != nil && e.Field("customer_id") != nil {
			out = append(out, e)
		}
	}
	return out
}

// Origin returns the declared origin entity of a name (nil: none).
func (s *Service) Origin(name string) *entity.Entity {
	for _, e := range s.Origins() {
		if e.Name == name {
			return e
		}
	}
	return nil
}

// RaiseInput is what the user may say about the new opportunity; all
// optional (the name defaults to the origin's title).
type RaiseInput struct {
	Name   string `json:"name"`
	Amount int64  `json:"amount"`
	Needs  string `json:"explicit_needs"`
}

// AlreadyRaised is the refusal of a second opportunity from one record:
// 409 opportunity_already_raised with the existing opportunity's id.
func AlreadyRaised(oppID string) error {
	e := errs.New(errs.Conflict, "opportunity_already_raised", "opportunity_id", oppID)
	e.Data = map[string]any{"opportunity_id": oppID}
	return e
}

// Raise creates an opportunity for the customer of an after-sales record
// (售后即下一次售前) through the record service — so the pre-sales defaults
// and rules apply (pipeline, first stage, probability) — with its
// origin_entity and origin_id set, and writes its id into the record's
// opportunity_id: linked both ways, once. The opportunity belongs to the
// customer's owner (told by a notification) or, for a customer in the
// pool, to whoever raised it.
//
// The record must be visible to p (404 otherwise); p needs either the
// right to create opportunities or the right to change the record (an
// agent on their ticket).
func (s *Service) Raise(ctx context.Context, p *access.Principal, entityName, id string, in RaiseInput) (opp entity.Record, origin entity.Record, err error) {
	e := s.Origin(entityName)
	if e == nil {
		return nil, nil, errs.NotFoundf(entityName)
	}
	id = strings.ToLower(strings.TrimSpace(id))
	if !entity.LooksLikeID(id) {
		return nil, nil, errs.NotFoundf(e.Name)
	}
	if p.ReadOnly {
		return nil, nil, errs.Denied()
	}
	oe := s.entity("opportunity")
	if oe == nil {
		return nil, nil, errs.NotFoundf("opportunity")
	}
	in.Name = strings.TrimSpace(in.Name)
	in.Needs = strings.TrimSpace(in.Needs)
	if in.Amount < 0 {
		return nil, nil, errs.Validation([]errs.FieldError{{Field: "amount", Code: "out_of_range", Args: map[string]any{"min": 0}}})
	}
	err = s.DB.Write(ctx, func(tx *store.Tx) error {
		rec, err := s.DB.Get(ctx, tx, e, id, s.R.ReadPred(e, p), false)
		if err != nil {
			return err
		}
		if existing := rec.Str("opportunity_id"); existing != "" {
			return AlreadyRaised(existing)
		}
		if !p.Perm("opportunity").Create {
			perm := p.Perm(e.Name)
			if perm.Write == access.None {
				return errs.Denied()
			}
			if _, err := s.DB.Get(ctx, tx, e, id, s.DB.Visible(e, p, perm.Write), false); err != nil {
				return errs.Denied()
			}
		}
		customerID := rec.Str("customer_id")
		if customerID == "" {
			return errs.New(errs.Unprocessable, "opportunity_needs_customer")
		}
		title := rec.Str(e.Title)
		if e.Title == "" || title == "" {
			title = rec.Str("title")
		}
		name := in.Name
		if name == "" {
			name = e.Label.Zh + " " + title + " 新需求"
		}
		if n := []rune(name); len(n) > 200 {
			name = string(n[:200])
		}
		needs := in.Needs
		if needs == "" {
			for _, f := range []string{"description", "new_needs", "comment", "note", "title"} {
				if e.Field(f) != nil && rec.Str(f) != "" {
					needs = rec.Str(f)
					break
				}
			}
		}
		orec := entity.Record{"name": name, "customer_id": customerID, "origin_entity": e.Name, "origin_id": rec.ID()}
		if in.Amount > 0 {
			orec["amount"] = in.Amount
		}
		if needs != "" && oe.Field("explicit_needs") != nil {
			if r := []rune(needs); len(r) > 2000 {
				needs = string(r[:2000])
			}
			orec["explicit_needs"] = needs
		}
		if f := oe.Field("source"); f != nil && f.Picklist != "" {
			var n int
			if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM picklists WHERE list = $1 AND code = 'after_sales' AND active = TRUE`, f.Picklist).Scan(&n); err == nil && n > 0 {
				orec["source"] = "after_sales"
			}
		}
		o, err := s.R.InsertTx(ctx, tx, p, "opportunity", orec)
		if err != nil {
			return err
		}
		var owner *string
		if err := tx.QueryRowContext(ctx, `SELECT owner_id FROM customers WHERE id = $1`, customerID).Scan(&owner); err != nil {
			return errs.Wrap(err, "care: customer owner")
		}
		if owner != nil && *owner != "" && *owner != o.Str("owner_id") {
			team, err := s.R.UserTeam(ctx, tx, *owner)
			if err != nil {
				return err
			}
			if o, err = s.R.SetTx(ctx, tx, p, oe, o, entity.Record{"owner_id": *owner, "team_id": entity.NilIfEmpty(team)}); err != nil {
				return err
			}
			if err := notify.Notify(ctx, tx, *owner, "opportunity_raised", "opportunity", o.ID(), map[string]any{
				"title": name, "origin": e.Label.Zh + " " + title, "by": p.Name}); err != nil {
				return err
			}
		}
		if origin, err = s.R.SetTx(ctx, tx, p, e, rec, entity.Record{"opportunity_id": o.ID()}); err != nil {
			return err
		}
		opp = o
		return s.DB.AddEvent(ctx, tx, store.Event{CustomerID: customerID, ActorID: p.UserID, Kind: "opportunity_raised", Entity: "opportunity", RecordID: o.ID(),
			Data: map[string]any{"title": name, "origin": e.Label.Zh + " " + title, "origin_entity": e.Name, "origin_id": rec.ID()}})
	})
	if err != nil {
		return nil, nil, err
	}
	return opp, origin, nil
}
