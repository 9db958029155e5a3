package customers

import (
	"context"

	"closeloop/internal/access"
	"closeloop/internal/crm"
	"closeloop/internal/entity"
	"closeloop/internal/errs"
	"closeloop/internal/records"
	"closeloop/internal/store"
)

// ConvertInput says how a lead becomes a customer and contact.
type ConvertInput struct {
	// CustomerID links the lead to an existing customer instead of creating one.
	CustomerID string `json:"customer_id,omitempty"`
	// Customer overrides fields of the new customer (name, level, …).
	Customer entity.Record `json:"customer,omitempty"`
	// Contact overrides fields of the new contact (decision_role, …).
	Contact entity.Record `json:"contact,omitempty"`
	// SkipContact converts without creating a contact.
	SkipContact bool `json:"skip_contact,omitempty"`
	// AllowDuplicate creates the customer even if it looks like an existing one.
	AllowDuplicate bool `json:"allow_duplicate,omitempty"`
}

// ConvertResult names what the conversion produced.
type ConvertResult struct {
	LeadID     string `json:"lead_id"`
	CustomerID string `json:"customer_id"`
	ContactID  string `json:"contact_id,omitempty"`
	// Created is false when the lead was linked to an existing customer.
	Created bool `json:"created"`
}

// Convert turns a lead into a customer (new or existing) and its first
// contact, in one transaction; the lead's activities and timeline move to
// the customer, so its history follows.
func (s *Service) Convert(ctx context.Context, p *access.Principal, leadID string, in ConvertInput) (ConvertResult, error) {
	var res ConvertResult
	le := s.R.Schema().Entity("lead")
	ce := s.R.Schema().Entity("customer")
	err := s.DB.Write(ctx, func(tx *store.Tx) error {
		res = ConvertResult{LeadID: leadID}
		lead, err := s.R.LoadForWrite(ctx, tx, p, le, leadID, p.Perm("lead").Write, false)
		if err != nil {
			return err
		}
		if !crm.Convertible(lead.Str("status")) {
			return errs.New(errs.Unprocessable, "lead_not_convertible", "status", lead.Str("status"))
		}
		wctx := ctx
		if in.AllowDuplicate {
			wctx = records.AllowDuplicates(ctx)
		}
		owner := lead.Str("owner_id")
		if owner == "" {
			owner = p.UserID
		}
		if in.CustomerID != "" {
			cust, err := s.DB.Get(ctx, tx, ce, in.CustomerID, s.R.ReadPred(ce, p), false)
			if err != nil {
				if errs.KindOf(err) == errs.NotFound {
					return errs.Validation([]errs.FieldError{{Field: "customer_id", Code: "invalid_ref"}})
				}
				return err
			}
			res.CustomerID = cust.ID()
		} else {
			c := entity.Record{
				"name": lead.Str("company"), "source": lead["source"], "industry": lead["industry"],
				"region": lead["region"], "address": lead["address"], "kind": "company", "status": crm.StatusIntent,
			}
			if lead.Str("company") == "" {
				c["name"], c["kind"] = lead.Str("name"), "individual"
			}
			if owner != p.UserID {
				c["owner_id"] = owner
			}
			for k, v := range in.Customer {
				c[k] = v
			}
			cust, err := s.R.CreateTx(wctx, tx, p, "customer", c)
			if err != nil {
				return prefixFields(err, "customer.")
			}
			res.CustomerID, res.Created = cust.ID(), true
		}
		if !in.SkipContact {
			var n int
			if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM contacts WHERE customer_id = $1 AND deleted_at IS NULL`, res.CustomerID).Scan(&n); err != nil {
				return err
			}
			ct := entity.Record{
				"customer_id": res.CustomerID, "name": lead.Str("name"), "title": lead["title"],
				"phone": lead["phone"], "email": lead["email"], "wechat": lead["wechat"], "is_primary": n == 0,
			}
			for k, v := range in.Contact {
				ct[k] = v
			}
			// The lead itself is the duplicate of its own contact; the
			// conversion is the confirmation.
			contact, err := s.R.CreateTx(records.AllowDuplicates(ctx), tx, p, "contact", ct)
			if err != nil {
				return prefixFields(err, "contact.")
			}
			res.ContactID = contact.ID()
		}
		// The lead's history follows it.
		ae := s.R.Schema().Entity("activity")
		set := entity.Record{"customer_id": res.CustomerID}
		if _, err := s.DB.UpdateWhere(ctx, tx, ae, set, "lead_id = $1", leadID); err != nil {
			return err
		}
		if res.ContactID != "" {
			if _, err := s.DB.UpdateWhere(ctx, tx, ae, entity.Record{"contact_id": res.ContactID}, "lead_id = $1 AND contact_id IS NULL", leadID); err != nil {
				return err
			}
		}
		if err := s.DB.LinkEvents(ctx, tx, "lead_id", leadID, res.CustomerID); err != nil {
			return err
		}
		if err := s.refreshFollowup(ctx, tx, "customer", res.CustomerID); err != nil {
			return err
		}
		now := s.now()
		updated, err := s.R.SetTx(records.AsProcess(ctx), tx, p, le, lead, entity.Record{
			"status": crm.LeadConverted, "converted_customer_id": res.CustomerID,
			"converted_contact_id": nilIf(res.ContactID), "converted_at": now, "pool_due_at": nil,
		})
		if err != nil {
			return err
		}
		return s.DB.AddEvent(ctx, tx, store.Event{At: now, CustomerID: res.CustomerID, LeadID: leadID, ActorID: p.UserID,
			Kind: "converted", Entity: "lead", RecordID: leadID,
			Data: map[string]any{"title": updated.Str("name"), "company": updated.Str("company"), "created": res.Created, "contact_id": res.ContactID}})
	})
	return res, err
}

// prefixFields renames field errors of a nested record (customer.name).
func prefixFields(err error, prefix string) error {
	e := errs.As(err)
	if e == nil || len(e.Fields) == 0 {
		return err
	}
	out := *e
	out.Fields = make([]errs.FieldError, len(e.Fields))
	for i, f := range e.Fields {
		f.Field = prefix + f.Field
		out.Fields[i] = f
	}
	return &out
}
