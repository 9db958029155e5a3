package fieldservice

import (
	"context"
	"fmt"
	"strings"
	"time"

	"closeloop/internal/access"
	"closeloop/internal/crm"
	"closeloop/internal/entity"
	"closeloop/internal/errs"
	"closeloop/internal/records"
	"closeloop/internal/store"
	"closeloop/internal/tickets"
)

// Visits (上门服务). A visit is planned from a ticket (its customer,
// product and address come along) or standalone for a customer; its owner
// is the engineer, who must be an active field engineer (a service agent
// profile marked field_engineer). Its steps — on the way, check in, check
// out with the work done, customer absent, cancel — are the engineer's or
// the dispatcher's; the confirmation is the customer's, through the link.
// Every step writes a system line on the ticket and an event on the
// customer's timeline.

func (s *Service) registerVisits() {
	s.R.On("service_visit", records.Hooks{Prepare: s.prepareVisit, After: s.afterVisit})
}

func (s *Service) prepareVisit(ctx context.Context, tx *store.Tx, p *access.Principal, old, rec entity.Record) error {
	var bad []errs.FieldError
	if old == nil {
		if !records.IsProcess(ctx) || rec.Str("status") == "" {
			rec["status"] = crm.VisitPlanned
		}
		if rec.Str("number") == "" {
			n, err := s.number(ctx, tx, crm.VisitNumberPrefix)
			if err != nil {
				return err
			}
			rec["number"] = n
		}
	}
	if tid := rec.Str("ticket_id"); tid != "" && (old == nil || old.Str("ticket_id") != tid || old.Str("customer_id") != rec.Str("customer_id")) {
		t, err := s.get(ctx, tx, "ticket", tid)
		if err == nil {
			switch {
			case rec.Str("customer_id") == "":
				rec["customer_id"] = entity.NilIfEmpty(t.Str("customer_id"))
			case t.Str("customer_id") != "" && t.Str("customer_id") != rec.Str("customer_id"):
				bad = append(bad, errs.FieldError{Field: "ticket_id", Code: "visit_ticket_other_customer"})
			}
			if rec.Str("contact_id") == "" && t.Str("contact_id") != "" {
				rec["contact_id"] = t.Str("contact_id")
			}
			if rec.Str("subject") == "" {
				rec["subject"] = t.Str("subject")
			}
		} else if errs.KindOf(err) != errs.NotFound {
			return err
		}
	}
	if old == nil && rec.Str("address") == "" && rec.Str("customer_id") != "" {
		if c, err := s.get(ctx, tx, "customer", rec.Str("customer_id")); err == nil {
			if a := c.Str("address"); a != "" {
				rec["address"] = a
			}
		}
	}
	start, end := rec.Time("appointment_start"), rec.Time("appointment_end")
	if !start.IsZero() && !end.IsZero() && !end.After(start) {
		bad = append(bad, errs.FieldError{Field: "appointment_end", Code: "visit_end_before_start"})
	}
	if owner := rec.Str("owner_id"); owner != "" && (old == nil || old.Str("owner_id") != owner) && !(old == nil && dispatching(ctx)) {
		ok, err := s.IsFieldEngineer(ctx, tx, owner)
		if err != nil {
			return err
		}
		if !ok {
			bad = append(bad, errs.FieldError{Field: "owner_id", Code: "visit_not_field_engineer"})
		}
	}
	return errs.Validation(bad)
}

// IsFieldEngineer reports whether a user has an active service profile
// marked field engineer.
func (s *Service) IsFieldEngineer(ctx context.Context, q store.Querier, userID string) (bool, error) {
	var n int
	if err := q.QueryRowContext(ctx, `SELECT count(*) FROM service_agents WHERE user_id = $1 AND field_engineer = TRUE AND active = TRUE AND deleted_at IS NULL`, userID).Scan(&n); err != nil {
		return false, fmt.Errorf("fieldservice: field engineer %s: %w", userID, err)
	}
	return n > 0, nil
}

func (s *Service) afterVisit(ctx context.Context, tx *store.Tx, p *access.Principal, ch records.Change) error {
	v := ch.New
	if ch.Action == records.Create || ch.Has("owner_id") || ch.Has("ticket_id") {
		if err := s.grantTicket(ctx, tx, v); err != nil {
			return err
		}
	}
	if ch.Action != records.Create {
		return nil
	}
	data := map[string]any{"title": v.Str("number"), "subject": v.Str("subject"), "at": v.Time("appointment_start").In(s.R.Loc).Format("2006-01-02 15:04")}
	if err := s.event(ctx, tx, p, v.Str("customer_id"), "visit_planned", "service_visit", v.ID(), data); err != nil {
		return err
	}
	return s.ticketLine(ctx, tx, p, v, fmt.Sprintf("已安排上门服务 %s：%s", v.Str("number"), data["at"]))
}

// grantTicket lets the visit's engineer read its ticket (a field
// engineer reads only their own records otherwise), replacing what an
// earlier engineer of the visit was given.
func (s *Service) grantTicket(ctx context.Context, tx *store.Tx, v entity.Record) error {
	var keep []string
	if owner, tid := v.Str("owner_id"), v.Str("ticket_id"); owner != "" && tid != "" {
		if err := s.DB.Grant(ctx, tx, "ticket", tid, owner, v.ID()); err != nil {
			return err
		}
		keep = append(keep, owner)
	}
	_, err := s.DB.Revoke(ctx, tx, v.ID(), keep)
	return err
}

// ticketLine writes a system line on the visit's ticket (none without).
func (s *Service) ticketLine(ctx context.Context, tx *store.Tx, p *access.Principal, v entity.Record, body string) error {
	tid := v.Str("ticket_id")
	if tid == "" || s.Tickets == nil {
		return nil
	}
	_, err := s.Tickets.AddMessage(ctx, tx, p, tid, tickets.Message{Kind: crm.MessageSystem, Body: body, Channel: crm.ChannelOnSite})
	return err
}

// CreateVisit plans a visit; engineerID names its engineer (the creator
// when empty). Whoever may create visits dispatches them — the engineer
// must be a field engineer.
func (s *Service) CreateVisit(ctx context.Context, p *access.Principal, in entity.Record, engineerID string) (entity.Record, error) {
	engineerID = cleanID(engineerID)
	var out entity.Record
	err := s.DB.Write(ctx, func(tx *store.Tx) error {
		rec := in.Clone()
		delete(rec, "owner_id")
		cctx := ctx
		if engineerID != "" {
			cctx = context.WithValue(ctx, dispatchKey{}, true) // the engineer is set and checked next
		}
		v, err := s.R.CreateTx(cctx, tx, p, "service_visit", rec)
		if err != nil {
			return err
		}
		if engineerID != "" && engineerID != v.Str("owner_id") {
			st, err := s.DB.UserState(ctx, tx, engineerID)
			if err != nil || !st.Active {
				return errs.Field("engineer_id", "invalid_user")
			}
			if v, err = s.R.SetTx(ctx, tx, p, s.entity("service_visit"), v, entity.Record{"owner_id": engineerID, "team_id": entity.NilIfEmpty(st.Team)}); err != nil {
				return renameField(err, "owner_id", "engineer_id")
			}
		} else {
			ok, err := s.IsFieldEngineer(ctx, tx, v.Str("owner_id"))
			if err != nil {
				return err
			}
			if !ok {
				return errs.Field("engineer_id", "visit_not_field_engineer")
			}
		}
		out = v
		return nil
	})
	if err != nil {
		return nil, err
	}
	return s.R.Present(p, s.entity("service_visit"), out), nil
}

type dispatchKey struct{}

func dispatching(ctx context.Context) bool { v, _ := ctx.Value(dispatchKey{}).(bool); return v }

func renameField(err error, from, to string) error {
	if e := errs.As(err); e != nil {
		for i := range e.Fields {
			if e.Fields[i].Field == from {
				e.Fields[i].Field = to
			}
		}
	}
	return err
}

// VisitStepInput is one step of a visit as the engineer sends it.
type VisitStepInput struct {
	Step     string
	Location string // optional text from the phone (check in / out)
	WorkDone string // check out: what was done (required then)
	Reason   string // cancel / absent
	Version  int64
}

// loadVisit reads a visit the principal may change: NotFound when they
// may not see it (another engineer's), Forbidden when they only read it.
func (s *Service) loadVisit(ctx context.Context, tx *store.Tx, p *access.Principal, id string) (entity.Record, error) {
	e := s.entity("service_visit")
	return s.R.LoadForWrite(ctx, tx, p, e, cleanID(id), p.Perm(e.Name).Write, false)
}

// StepVisit takes a staff step on a visit.
func (s *Service) StepVisit(ctx context.Context, p *access.Principal, id string, in VisitStepInput) (entity.Record, error) {
	in.Location, in.WorkDone, in.Reason = strings.TrimSpace(in.Location), strings.TrimSpace(in.WorkDone), strings.TrimSpace(in.Reason)
	if in.Step == crm.VisitStepConfirm {
		return nil, errs.New(errs.Unprocessable, "visit_confirm_by_link")
	}
	var out entity.Record
	err := s.DB.Write(ctx, func(tx *store.Tx) error {
		v, err := s.loadVisit(ctx, tx, p, id)
		if err != nil {
			return err
		}
		if err := entity.CheckVersion(v, in.Version); err != nil {
			return err
		}
		to, err := crm.VisitStep(in.Step, v.Str("status"))
		if err != nil {
			return err
		}
		if len([]rune(in.Location)) > 200 {
			return errs.Field("location", "too_long", "max", 200)
		}
		now := s.now()
		set := entity.Record{"status": to}
		var line, kind string
		at := now.In(s.R.Loc).Format("15:04")
		switch in.Step {
		case crm.VisitStepStart:
			set["started_at"] = now
			line = fmt.Sprintf("工程师已出发前往现场（%s，%s）", v.Str("number"), at)
		case crm.VisitStepCheckIn:
			set["checked_in_at"] = now
			set["check_in_location"] = entity.NilIfEmpty(in.Location)
			if v.Time("started_at").IsZero() {
				set["started_at"] = now
			}
			line, kind = fmt.Sprintf("工程师已到达现场签到（%s，%s）", v.Str("number"), at), "visit_checked_in"
		case crm.VisitStepCheckOut:
			work := in.WorkDone
			if work == "" {
				work = v.Str("work_done")
			}
			if work == "" {
				return errs.Field("work_done", "visit_work_required")
			}
			set["work_done"] = work
			set["checked_out_at"] = now
			set["check_out_location"] = entity.NilIfEmpty(in.Location)
			line, kind = fmt.Sprintf("上门服务完工（%s，%s）：%s", v.Str("number"), at, work), "visit_work_done"
		case crm.VisitStepAbsent, crm.VisitStepCancel:
			if in.Reason == "" {
				return errs.Field("reason", "required")
			}
			if len([]rune(in.Reason)) > 500 {
				return errs.Field("reason", "too_long", "max", 500)
			}
			set["cancel_reason"] = in.Reason
			if in.Step == crm.VisitStepAbsent {
				line, kind = fmt.Sprintf("上门未遇客户（%s）：%s", v.Str("number"), in.Reason), "visit_absent"
			} else {
				line, kind = fmt.Sprintf("上门服务已取消（%s）：%s", v.Str("number"), in.Reason), "visit_cancelled"
			}
		}
		out, err = s.R.SetTx(records.AsProcess(ctx), tx, p, s.entity("service_visit"), v, set)
		if err != nil {
			return err
		}
		if kind != "" {
			if err := s.event(ctx, tx, p, v.Str("customer_id"), kind, "service_visit", v.ID(), map[string]any{"title": v.Str("number"), "subject": v.Str("subject")}); err != nil {
				return err
			}
		}
		return s.ticketLine(ctx, tx, p, v, line)
	})
	if err != nil {
		return nil, err
	}
	return s.R.Present(p, s.entity("service_visit"), out), nil
}

// SetWork records the work done so far (the engineer types it on site
// before checking out).
func (s *Service) SetWork(ctx context.Context, p *access.Principal, id, work string, version int64) (entity.Record, error) {
	work = strings.TrimSpace(work)
	var out entity.Record
	err := s.DB.Write(ctx, func(tx *store.Tx) error {
		v, err := s.loadVisit(ctx, tx, p, id)
		if err != nil {
			return err
		}
		if err := entity.CheckVersion(v, version); err != nil {
			return err
		}
		if !crm.VisitPartsAllowed(v.Str("status")) {
			return errs.New(errs.Unprocessable, "visit_not_on_site")
		}
		if work == "" {
			return errs.Field("work_done", "required")
		}
		out, err = s.R.SetTx(records.AsProcess(ctx), tx, p, s.entity("service_visit"), v, entity.Record{"work_done": work})
		return err
	})
	if err != nil {
		return nil, err
	}
	return s.R.Present(p, s.entity("service_visit"), out), nil
}

// PartUse is a part used on a visit.
type PartUse struct {
	PartID      string
	WarehouseID string // empty: the engineer's own warehouse (their van)
	Quantity    int64
}

// UsePart records a part used on a visit: a movement out of the
// engineer's warehouse to the visit's ticket (stock goes down, never
// below zero). A ticket waiting for parts goes back to work.
func (s *Service) UsePart(ctx context.Context, p *access.Principal, visitID string, in PartUse) (entity.Record, error) {
	var out entity.Record
	err := s.DB.Write(ctx, func(tx *store.Tx) error {
		v, err := s.loadVisit(ctx, tx, p, visitID)
		if err != nil {
			return err
		}
		if !crm.VisitPartsAllowed(v.Str("status")) {
			return errs.New(errs.Unprocessable, "visit_not_on_site")
		}
		wh := cleanID(in.WarehouseID)
		if wh == "" {
			if wh, err = s.EngineerWarehouse(ctx, tx, v.Str("owner_id")); err != nil {
				return err
			}
			if wh == "" {
				return errs.Field("warehouse_id", "visit_no_warehouse")
			}
		}
		mv := entity.Record{"kind": crm.MoveOut, "part_id": cleanID(in.PartID), "warehouse_id": wh, "quantity": in.Quantity, "visit_id": v.ID()}
		if t := v.Str("ticket_id"); t != "" {
			mv["ticket_id"] = t
		}
		out, err = s.R.CreateTx(ctx, tx, p, "stock_movement", mv)
		if err != nil {
			return err
		}
		part, err := s.part(ctx, tx, out.Str("part_id"))
		if err != nil {
			return err
		}
		name := out.Str("part_id")
		if part != nil {
			name = part.name + "（" + part.sku + "）"
		}
		if err := s.ticketLine(ctx, tx, p, v, fmt.Sprintf("上门服务 %s 使用备件 %s × %d", v.Str("number"), name, in.Quantity)); err != nil {
			return err
		}
		return s.resumeTicket(ctx, tx, p, v.Str("ticket_id"))
	})
	if err != nil {
		return nil, err
	}
	return s.R.Present(p, s.entity("stock_movement"), out), nil
}

// resumeTicket moves a ticket waiting for parts back to in progress.
func (s *Service) resumeTicket(ctx context.Context, tx *store.Tx, p *access.Principal, ticketID string) error {
	if ticketID == "" {
		return nil
	}
	t, err := s.get(ctx, tx, "ticket", ticketID)
	if err != nil {
		if errs.KindOf(err) == errs.NotFound {
			return nil
		}
		return err
	}
	if t.Str("status") != crm.TicketWaitingParts || !crm.TicketCanMove(t.Str("status"), crm.TicketInProgress) {
		return nil
	}
	_, err = s.R.SetTx(records.AsProcess(ctx), tx, p, s.entity("ticket"), t, entity.Record{"status": crm.TicketInProgress})
	return err
}

// VisitParts lists the movements recorded on a visit, oldest first.
func (s *Service) VisitParts(ctx context.Context, p *access.Principal, visitID string) ([]entity.Record, error) {
	me := s.entity("stock_movement")
	var a store.Args
	where, err := s.DB.ListSQL(me, entity.Query{Conds: []entity.Cond{{Field: me.Field("visit_id"), Op: entity.Eq, Values: []any{cleanID(visitID)}}}}, s.R.ReadPred(me, p), &a)
	if err != nil {
		return nil, err
	}
	return s.DB.ListWhere(ctx, me, where, a.V, "t.created_at, t.id", 200)
}

// Visit reads one visit the principal may see.
func (s *Service) Visit(ctx context.Context, p *access.Principal, id string) (entity.Record, error) {
	return s.R.Get(ctx, p, "service_visit", cleanID(id))
}

// DayBounds is the day (company time zone) of date "2006-01-02": its
// first instant and the next day's. An empty date is today.
func (s *Service) DayBounds(date string) (time.Time, time.Time, error) {
	if date == "" {
		date = s.today()
	}
	d, err := time.ParseInLocation(entity.DateLayout, date, s.R.Loc)
	if err != nil {
		return time.Time{}, time.Time{}, errs.Field("date", "invalid_date")
	}
	return d.UTC(), d.AddDate(0, 0, 1).UTC(), nil
}

// MyVisits lists the caller's visits (as engineer) of a day, in time
// order, cancelled ones last.
func (s *Service) MyVisits(ctx context.Context, p *access.Principal, date string) ([]entity.Record, error) {
	if p.UserID == "" {
		return nil, nil
	}
	from, to, err := s.DayBounds(date)
	if err != nil {
		return nil, err
	}
	ve := s.entity("service_visit")
	var a store.Args
	where, err := s.DB.ListSQL(ve, entity.Query{Conds: []entity.Cond{
		{Field: ve.Field("owner_id"), Op: entity.Eq, Values: []any{p.UserID}},
		{Field: ve.Field("appointment_start"), Op: entity.Gte, Values: []any{from}},
		{Field: ve.Field("appointment_start"), Op: entity.Lt, Values: []any{to}},
	}}, s.R.ReadPred(ve, p), &a)
	if err != nil {
		return nil, err
	}
	list, err := s.DB.ListWhere(ctx, ve, where, a.V, "t.appointment_start, t.id", 200)
	if err != nil {
		return nil, err
	}
	for i, v := range list {
		list[i] = s.R.Present(p, ve, v)
	}
	return list, nil
}
