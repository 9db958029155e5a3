package fieldservice

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"closeloop/internal/access"
	"closeloop/internal/crm"
	"closeloop/internal/entity"
	"closeloop/internal/errs"
	"closeloop/internal/records"
	"closeloop/internal/store"
)

// Returns and exchanges (退换货). A return names its customer and, when
// known, the order, the delivery and the ticket it came from — checked
// to agree (the delivery is of the order, the order and the ticket of the
// customer). Its items (product or spare part, quantity, serial) are
// kept on the return as JSON. Steps: received (spare parts go back into a
// warehouse as return_in movements; products are recorded on the return —
// fulfilment's product stock is not touched), inspected (with a result),
// then replaced (a replacement delivery of the customer, or the carrier
// and tracking of one sent otherwise) for an exchange, or refunded (the
// refund record: amount in fen, date, reference) for a return, and
// closed; or rejected with a reason at any step before.

func (s *Service) registerReturns() {
	s.R.On("return_request", records.Hooks{Prepare: s.prepareReturn, After: s.afterReturn})
}

func (s *Service) prepareReturn(ctx context.Context, tx *store.Tx, p *access.Principal, old, rec entity.Record) error {
	if old == nil {
		if !records.IsProcess(ctx) || rec.Str("status") == "" {
			rec["status"] = crm.ReturnRequested
		}
		if rec.Str("number") == "" {
			n, err := s.number(ctx, tx, crm.ReturnNumberPrefix)
			if err != nil {
				return err
			}
			rec["number"] = n
		}
	}
	changed := func(f string) bool {
		return old == nil || old.Str(f) != rec.Str(f) || old.Str("customer_id") != rec.Str("customer_id")
	}
	var bad []errs.FieldError
	if id := rec.Str("delivery_id"); id != "" && (changed("delivery_id") || changed("order_id")) {
		if d, err := s.get(ctx, tx, "delivery", id); err == nil {
			if rec.Str("order_id") == "" {
				rec["order_id"] = d.Str("order_id")
			} else if d.Str("order_id") != rec.Str("order_id") {
				bad = append(bad, errs.FieldError{Field: "delivery_id", Code: "return_delivery_not_of_order"})
			}
		} else if errs.KindOf(err) != errs.NotFound {
			return err
		}
	}
	if id := rec.Str("order_id"); id != "" && changed("order_id") {
		if o, err := s.get(ctx, tx, "sales_order", id); err == nil {
			if rec.Str("customer_id") == "" {
				rec["customer_id"] = o.Str("customer_id")
			} else if o.Str("customer_id") != rec.Str("customer_id") {
				bad = append(bad, errs.FieldError{Field: "order_id", Code: "return_order_other_customer"})
			}
		} else if errs.KindOf(err) != errs.NotFound {
			return err
		}
	}
	if id := rec.Str("ticket_id"); id != "" && changed("ticket_id") {
		if t, err := s.get(ctx, tx, "ticket", id); err == nil {
			if rec.Str("customer_id") == "" {
				rec["customer_id"] = entity.NilIfEmpty(t.Str("customer_id"))
			} else if c := t.Str("customer_id"); c != "" && c != rec.Str("customer_id") {
				bad = append(bad, errs.FieldError{Field: "ticket_id", Code: "return_ticket_other_customer"})
			}
		} else if errs.KindOf(err) != errs.NotFound {
			return err
		}
	}
	if old != nil && !records.IsProcess(ctx) && !crm.ReturnOpen(old.Str("status")) {
		return errs.New(errs.Unprocessable, "return_closed")
	}
	return errs.Validation(bad)
}

func (s *Service) afterReturn(ctx context.Context, tx *store.Tx, p *access.Principal, ch records.Change) error {
	if ch.Action != records.Create {
		return nil
	}
	r := ch.New
	if err := s.event(ctx, tx, p, r.Str("customer_id"), "return_requested", "return_request", r.ID(), map[string]any{"title": r.Str("number"), "kind": r.Str("kind")}); err != nil {
		return err
	}
	if t := r.Str("ticket_id"); t != "" && s.Tickets != nil {
		if _, err := s.ticketLineTo(ctx, tx, p, t, fmt.Sprintf("已登记退换货 %s", r.Str("number"))); err != nil {
			return err
		}
	}
	return nil
}

func (s *Service) ticketLineTo(ctx context.Context, tx *store.Tx, p *access.Principal, ticketID, body string) (entity.Record, error) {
	return nil, s.ticketLine(ctx, tx, p, entity.Record{"ticket_id": ticketID}, body)
}

// Items decodes a return's items.
func Items(r entity.Record) []crm.ReturnItem {
	var items []crm.ReturnItem
	if s := r.Str("items"); s != "" {
		_ = json.Unmarshal([]byte(s), &items)
	}
	return items
}

// checkItems checks the items and that the products and parts they name
// exist (problems name the line).
func (s *Service) checkItems(ctx context.Context, tx *store.Tx, items []crm.ReturnItem) ([]crm.ReturnItem, error) {
	for i := range items {
		items[i].ProductID, items[i].PartID, items[i].Serial = cleanID(items[i].ProductID), cleanID(items[i].PartID), strings.TrimSpace(items[i].Serial)
	}
	if err := crm.CheckReturnItems(items); err != nil {
		return nil, err
	}
	var bad []errs.FieldError
	for i, it := range items {
		field := fmt.Sprintf("items[%d].product_id", i)
		if it.ProductID != "" {
			pr, err := s.get(ctx, tx, "product", it.ProductID)
			if err != nil {
				if errs.KindOf(err) != errs.NotFound {
					return nil, err
				}
				bad = append(bad, errs.FieldError{Field: field, Code: "invalid_ref"})
				continue
			}
			items[i].Name = pr.Str("name")
		} else {
			pt, err := s.part(ctx, tx, it.PartID)
			if err != nil {
				return nil, err
			}
			if pt == nil {
				bad = append(bad, errs.FieldError{Field: fmt.Sprintf("items[%d].part_id", i), Code: "invalid_ref"})
				continue
			}
			items[i].Name = pt.name
		}
	}
	return items, errs.Validation(bad)
}

func itemsJSON(items []crm.ReturnItem) any {
	if len(items) == 0 {
		return nil
	}
	b, _ := json.Marshal(items)
	return string(b)
}

// CreateReturn registers a return or exchange with its items.
func (s *Service) CreateReturn(ctx context.Context, p *access.Principal, in entity.Record, items []crm.ReturnItem) (entity.Record, error) {
	var out entity.Record
	err := s.DB.Write(ctx, func(tx *store.Tx) error {
		r, err := s.R.CreateTx(ctx, tx, p, "return_request", in)
		if err != nil {
			return err
		}
		if len(items) > 0 {
			if items, err = s.checkItems(ctx, tx, items); err != nil {
				return err
			}
			if r, err = s.R.SetTx(records.AsProcess(ctx), tx, p, s.entity("return_request"), r, entity.Record{"items": itemsJSON(items)}); err != nil {
				return err
			}
		}
		out = r
		return nil
	})
	if err != nil {
		return nil, err
	}
	return s.R.Present(p, s.entity("return_request"), out), nil
}

func (s *Service) loadReturn(ctx context.Context, tx *store.Tx, p *access.Principal, id string) (entity.Record, error) {
	e := s.entity("return_request")
	return s.R.LoadForWrite(ctx, tx, p, e, cleanID(id), p.Perm(e.Name).Write, false)
}

// AddItem adds a line to a return still requested.
func (s *Service) AddItem(ctx context.Context, p *access.Principal, id string, it crm.ReturnItem) (entity.Record, error) {
	var out entity.Record
	err := s.DB.Write(ctx, func(tx *store.Tx) error {
		r, err := s.loadReturn(ctx, tx, p, id)
		if err != nil {
			return err
		}
		if r.Str("status") != crm.ReturnRequested {
			return errs.New(errs.Unprocessable, "return_items_locked")
		}
		items, err := s.checkItems(ctx, tx, append(Items(r), it))
		if err != nil {
			return renumber(err, len(Items(r)))
		}
		out, err = s.R.SetTx(records.AsProcess(ctx), tx, p, s.entity("return_request"), r, entity.Record{"items": itemsJSON(items)})
		return err
	})
	if err != nil {
		return nil, err
	}
	return s.R.Present(p, s.entity("return_request"), out), nil
}

// renumber turns the problems of the new (last) line into plain field
// names (quantity, serial_no …), as the form that adds one line shows them.
func renumber(err error, n int) error {
	if e := errs.As(err); e != nil {
		prefix := fmt.Sprintf("items[%d].", n)
		for i := range e.Fields {
			e.Fields[i].Field = strings.TrimPrefix(e.Fields[i].Field, prefix)
		}
	}
	return err
}

// ReturnStepInput is one step of a return.
type ReturnStepInput struct {
	Step        string
	WarehouseID string // receive: where spare parts go back
	Notes       string // receive, inspect
	Result      string // inspect
	DeliveryID  string // replace: the replacement delivery …
	Carrier     string // … or the carrier and tracking of one sent otherwise
	TrackingNo  string
	Amount      int64  // refund, fen
	Date        string // refund date (default today, not in the future)
	Reference   string // refund reference
	Reason      string // reject
	Version     int64
}

// StepReturn takes a step of a return.
func (s *Service) StepReturn(ctx context.Context, p *access.Principal, id string, in ReturnStepInput) (entity.Record, error) {
	trim := func(v *string) { *v = strings.TrimSpace(*v) }
	for _, v := range []*string{&in.WarehouseID, &in.Notes, &in.Result, &in.DeliveryID, &in.Carrier, &in.TrackingNo, &in.Date, &in.Reference, &in.Reason} {
		trim(v)
	}
	var out entity.Record
	err := s.DB.Write(ctx, func(tx *store.Tx) error {
		r, err := s.loadReturn(ctx, tx, p, id)
		if err != nil {
			return err
		}
		if err := entity.CheckVersion(r, in.Version); err != nil {
			return err
		}
		to, err := crm.ReturnStep(in.Step, r.Str("kind"), r.Str("status"))
		if err != nil {
			return err
		}
		now := s.now()
		set := entity.Record{"status": to}
		long := func(field, v string, max int) error {
			if len([]rune(v)) > max {
				return errs.Field(field, "too_long", "max", max)
			}
			return nil
		}
		switch in.Step {
		case crm.ReturnStepReceive:
			if err := long("notes", in.Notes, 1000); err != nil {
				return err
			}
			set["received_at"], set["receive_notes"] = now, entity.NilIfEmpty(in.Notes)
			var parts []crm.ReturnItem
			for _, it := range Items(r) {
				if it.PartID != "" {
					parts = append(parts, it)
				}
			}
			if len(parts) > 0 || in.WarehouseID != "" {
				wh := cleanID(in.WarehouseID)
				if wh == "" {
					return errs.Field("warehouse_id", "return_warehouse_required")
				}
				w, err := s.warehouse(ctx, tx, wh)
				if err != nil {
					return err
				}
				if w == nil {
					return errs.Field("warehouse_id", "invalid_ref")
				}
				set["received_warehouse_id"] = wh
				for _, it := range parts {
					mv := entity.Record{"kind": crm.MoveReturnIn, "part_id": it.PartID, "warehouse_id": wh, "quantity": it.Quantity, "return_id": r.ID(),
						"reason": "退换货 " + r.Str("number")}
					if t := r.Str("ticket_id"); t != "" {
						mv["ticket_id"] = t
					}
					if _, err := s.R.InsertTx(ctx, tx, p, "stock_movement", mv); err != nil {
						return renameField(err, "part_id", "items")
					}
				}
			}
		case crm.ReturnStepInspect:
			if in.Result == "" {
				return errs.Field("result", "required")
			}
			if !validOption(crm.InspectionResults, in.Result) {
				return errs.Field("result", "invalid_option", "value", in.Result)
			}
			if err := long("notes", in.Notes, 20000); err != nil {
				return err
			}
			set["inspected_at"], set["inspection_result"], set["inspection_notes"] = now, in.Result, entity.NilIfEmpty(in.Notes)
		case crm.ReturnStepReplace:
			if in.DeliveryID == "" && in.TrackingNo == "" {
				return errs.Field("delivery_id", "return_replacement_required")
			}
			if in.DeliveryID != "" {
				d, err := s.R.Get(ctx, p, "delivery", cleanID(in.DeliveryID))
				if err != nil {
					if errs.KindOf(err) == errs.NotFound {
						return errs.Field("delivery_id", "invalid_ref")
					}
					return err
				}
				if d.Str("customer_id") != r.Str("customer_id") {
					return errs.Field("delivery_id", "return_delivery_other_customer")
				}
				set["replacement_delivery_id"] = d.ID()
			}
			if err := long("carrier", in.Carrier, 100); err != nil {
				return err
			}
			if err := long("tracking_no", in.TrackingNo, 100); err != nil {
				return err
			}
			set["replacement_carrier"], set["replacement_tracking_no"], set["done_at"] = entity.NilIfEmpty(in.Carrier), entity.NilIfEmpty(in.TrackingNo), now
		case crm.ReturnStepRefund:
			if in.Amount <= 0 {
				return errs.Field("amount", "return_refund_amount")
			}
			date := in.Date
			if date == "" {
				date = s.today()
			}
			if _, err := time.Parse(entity.DateLayout, date); err != nil {
				return errs.Field("date", "invalid_date")
			}
			if date > s.today() {
				return errs.Field("date", "return_refund_future")
			}
			if err := long("reference", in.Reference, 100); err != nil {
				return err
			}
			set["refund_amount"], set["refund_date"], set["refund_reference"], set["done_at"] = in.Amount, date, entity.NilIfEmpty(in.Reference), now
		case crm.ReturnStepClose:
			set["closed_at"] = now
		case crm.ReturnStepReject:
			if in.Reason == "" {
				return errs.Field("reason", "required")
			}
			if err := long("reason", in.Reason, 1000); err != nil {
				return err
			}
			set["rejected_reason"], set["closed_at"] = in.Reason, now
		}
		out, err = s.R.SetTx(records.AsProcess(ctx), tx, p, s.entity("return_request"), r, set)
		if err != nil {
			return err
		}
		if err := s.event(ctx, tx, p, r.Str("customer_id"), "return_"+to, "return_request", r.ID(), map[string]any{"title": r.Str("number")}); err != nil {
			return err
		}
		if t := r.Str("ticket_id"); t != "" {
			label := to
			for _, o := range crm.ReturnStatuses {
				if o.Code == to {
					label = o.Label.In("zh-CN")
				}
			}
			if _, err := s.ticketLineTo(ctx, tx, p, t, fmt.Sprintf("退换货 %s：%s", r.Str("number"), label)); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return s.R.Present(p, s.entity("return_request"), out), nil
}

func validOption(opts []entity.Option, code string) bool {
	for _, o := range opts {
		if o.Code == code {
			return true
		}
	}
	return false
}

// ReturnMovements lists the stock movements of a return.
func (s *Service) ReturnMovements(ctx context.Context, p *access.Principal, returnID string) ([]entity.Record, error) {
	me := s.entity("stock_movement")
	var a store.Args
	where, err := s.DB.ListSQL(me, entity.Query{Conds: []entity.Cond{{Field: me.Field("return_id"), Op: entity.Eq, Values: []any{cleanID(returnID)}}}}, s.R.ReadPred(me, p), &a)
	if err != nil {
		return nil, err
	}
	return s.DB.ListWhere(ctx, me, where, a.V, "t.created_at, t.id", 200)
}
