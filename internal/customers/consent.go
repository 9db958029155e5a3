package customers

import (
	"context"
	"time"

	"closeloop/internal/access"
	"closeloop/internal/crm"
	"closeloop/internal/entity"
	"closeloop/internal/errs"
	"closeloop/internal/records"
	"closeloop/internal/store"
)

// ConsentInput records what a contact said about being contacted.
type ConsentInput struct {
	Consent      string `json:"marketing_consent,omitempty"` // granted, withdrawn, unknown
	DoNotContact *bool  `json:"do_not_contact,omitempty"`
	// Method is how the contact said it: phone, email, in_person, form, letter, other.
	Method string `json:"method"`
	Note   string `json:"note,omitempty"`
}

// ConsentMethods are the ways a contact may express consent.
var ConsentMethods = []string{"phone", "email", "in_person", "form", "letter", "other"}

// ConsentEvent is one entry of a contact's consent history.
type ConsentEvent struct {
	At       time.Time `json:"at"`
	ActorID  string    `json:"actor_id,omitempty"`
	Actor    string    `json:"actor,omitempty"`
	Field    string    `json:"field"`
	OldValue string    `json:"old_value"`
	NewValue string    `json:"new_value"`
	Method   string    `json:"method"`
	Note     string    `json:"note,omitempty"`
}

// RecordConsent changes a contact's marketing consent or do-not-contact
// flag, keeping who, when and how (避免骚扰式营销: an explicit no is respected
// and provable).
func (s *Service) RecordConsent(ctx context.Context, p *access.Principal, contactID string, in ConsentInput) (entity.Record, error) {
	e := s.R.Schema().Entity("contact")
	var bad []errs.FieldError
	valid := false
	for _, m := range ConsentMethods {
		valid = valid || m == in.Method
	}
	if !valid {
		bad = append(bad, errs.FieldError{Field: "method", Code: "invalid_option", Args: map[string]any{"value": in.Method}})
	}
	if in.Consent != "" && in.Consent != crm.ConsentGranted && in.Consent != crm.ConsentWithdrawn && in.Consent != crm.ConsentUnknown {
		bad = append(bad, errs.FieldError{Field: "marketing_consent", Code: "invalid_option", Args: map[string]any{"value": in.Consent}})
	}
	if in.Consent == "" && in.DoNotContact == nil {
		bad = append(bad, errs.FieldError{Field: "marketing_consent", Code: "required"})
	}
	if len([]rune(in.Note)) > 500 {
		bad = append(bad, errs.FieldError{Field: "note", Code: "too_long", Args: map[string]any{"max": 500}})
	}
	if err := errs.Validation(bad); err != nil {
		return nil, err
	}
	var out entity.Record
	err := s.DB.Write(ctx, func(tx *store.Tx) error {
		old, err := s.R.LoadForWrite(ctx, tx, p, e, contactID, p.Perm("contact").Write, false)
		if err != nil {
			return err
		}
		set := entity.Record{}
		now := s.now()
		log := func(field, from, to string) error {
			_, err := tx.ExecContext(ctx, `INSERT INTO consent_events (id, contact_id, at, actor_id, field, old_value, new_value, method, note) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`,
				store.NewID(), contactID, now, nilIf(p.UserID), field, from, to, in.Method, nilIf(in.Note))
			return err
		}
		if in.Consent != "" && in.Consent != old.Str("marketing_consent") {
			set["marketing_consent"] = in.Consent
			if err := log("marketing_consent", old.Str("marketing_consent"), in.Consent); err != nil {
				return err
			}
		}
		if in.DoNotContact != nil && *in.DoNotContact != old.Bool("do_not_contact") {
			set["do_not_contact"] = *in.DoNotContact
			if err := log("do_not_contact", boolText(old.Bool("do_not_contact")), boolText(*in.DoNotContact)); err != nil {
				return err
			}
		}
		if len(set) == 0 {
			out = old
			return nil
		}
		out, err = s.R.SetTx(records.AsProcess(ctx), tx, p, e, old, set)
		if err != nil {
			return err
		}
		return s.DB.AddEvent(ctx, tx, store.Event{CustomerID: out.Str("customer_id"), ActorID: p.UserID, Kind: "consent", Entity: "contact", RecordID: contactID,
			Data: map[string]any{"title": out.Str("name"), "marketing_consent": out.Str("marketing_consent"), "do_not_contact": out.Bool("do_not_contact"), "method": in.Method, "note": in.Note}})
	})
	if err != nil {
		return nil, err
	}
	return s.R.Present(p, e, out), nil
}

func boolText(b bool) string {
	if b {
		return "true"
	}
	return "false"
}

// ConsentHistory lists a contact's consent changes, newest first.
func (s *Service) ConsentHistory(ctx context.Context, p *access.Principal, contactID string) ([]ConsentEvent, error) {
	if _, err := s.R.Get(ctx, p, "contact", contactID); err != nil {
		return nil, err
	}
	rows, err := s.DB.R().QueryContext(ctx, `SELECT at, actor_id, field, coalesce(old_value, ''), coalesce(new_value, ''), method, coalesce(note, '') FROM consent_events WHERE contact_id = $1 ORDER BY at DESC`, contactID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []ConsentEvent
	var ids []string
	for rows.Next() {
		var ev ConsentEvent
		var at any
		var actor *string
		if err := rows.Scan(&at, &actor, &ev.Field, &ev.OldValue, &ev.NewValue, &ev.Method, &ev.Note); err != nil {
			return nil, err
		}
		ev.At, ev.ActorID = store.ScanTime(at), deref(actor)
		ids = append(ids, ev.ActorID)
		out = append(out, ev)
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	names, err := s.UserNames(ctx, ids)
	if err != nil {
		return nil, err
	}
	for i := range out {
		out[i].Actor = names[out[i].ActorID]
	}
	return out, nil
}
