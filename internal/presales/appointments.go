package presales

import (
	"context"

	"closeloop/internal/access"
	"closeloop/internal/entity"
	"closeloop/internal/records"
	"closeloop/internal/store"
)

// Appointments (演示、试用、试车、认证) are generic records; the customer
// follows the opportunity when one is named, and a demo or test drive
// that took place is a line in the customer report.

func (s *Service) registerAppointments() {
	s.R.On("appointment", records.Hooks{Prepare: s.prepareAppointment, After: s.afterAppointment})
}

// AppointmentDone is the status of an appointment that took place.
const AppointmentDone = "done"

func (s *Service) prepareAppointment(ctx context.Context, tx *store.Tx, p *access.Principal, old, rec entity.Record) error {
	if rec["deleted_at"] != nil {
		return nil
	}
	return s.opportunityCustomer(ctx, tx, p, rec, false)
}

func (s *Service) afterAppointment(ctx context.Context, tx *store.Tx, p *access.Principal, ch records.Change) error {
	rec := ch.New
	switch {
	case ch.Action == records.Create && rec.Str("status") == AppointmentDone:
	case ch.Action == records.Update && ch.Has("status") && rec.Str("status") == AppointmentDone:
	default:
		return nil
	}
	kind := rec.Str("kind")
	if kind == "" {
		kind = "demo"
	}
	ev := store.Event{CustomerID: rec.Str("customer_id"), ActorID: p.UserID, Entity: "appointment", RecordID: rec.ID(), Kind: "appointment_" + kind + "_done",
		Data: map[string]any{"title": rec.Str("subject"), "place": rec.Str("place"), "note": rec.Str("result")}}
	if at := rec.Time("scheduled_at"); !at.IsZero() {
		ev.Data["at"] = at.In(s.R.Loc).Format("2006-01-02 15:04")
	}
	return s.addEvent(ctx, tx, ev)
}
