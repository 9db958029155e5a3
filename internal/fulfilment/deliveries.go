package fulfilment

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"sort"
	"strings"
	"time"

	"closeloop/internal/access"
	"closeloop/internal/crm"
	"closeloop/internal/entity"
	"closeloop/internal/errs"
	"closeloop/internal/records"
	"closeloop/internal/store"
)

// Deliveries (发货单/送货单): one or more per order. A delivery is planned
// with lines of the order (each at most what remains of its line), then
// shipped — which consumes the stock the order reserved, taking any part
// not reserved from the available stock — then tracked in transit,
// delivered, and signed by the receiver through a link (signoff.go).

func (s *Service) registerDeliveries() {
	s.R.On("delivery", records.Hooks{Prepare: s.prepareDelivery, After: s.afterDelivery})
	s.R.On("delivery_line", records.Hooks{Prepare: s.prepareDeliveryLine})
}

func (s *Service) prepareDelivery(ctx context.Context, tx *store.Tx, p *access.Principal, old, rec entity.Record) error {
	if old != nil {
		if rec.Str("order_id") != old.Str("order_id") {
			return errs.Field("order_id", "delivery_order_fixed")
		}
		if !records.IsProcess(ctx) && (crm.DeliveryIsSigned(old.Str("status")) || old.Str("status") == crm.DeliveryCancelled) {
			return errs.New(errs.Unprocessable, "delivery_closed", labelArgs("status", crm.DeliveryStatuses, old.Str("status"))...)
		}
		return nil
	}
	if !records.IsProcess(ctx) {
		rec["status"] = crm.DeliveryPlanned
	}
	if rec.Str("number") == "" {
		n, err := s.number(ctx, tx, deliveryPrefix)
		if err != nil {
			return err
		}
		rec["number"] = n
	}
	orderID := rec.Str("order_id")
	if !entity.LooksLikeID(orderID) {
		return nil
	}
	o, err := s.DB.Get(ctx, tx, s.entity("sales_order"), orderID, nil, false)
	if errs.KindOf(err) == errs.NotFound {
		return nil // the reference check refuses it
	}
	if err != nil {
		return fmt.Errorf("fulfilment: delivery's order: %w", err)
	}
	if !records.IsProcess(ctx) && !contains(openForWork, o.Str("status")) {
		return errs.Field("order_id", "order_not_open", labelArgs("status", crm.OrderStatuses, o.Str("status"))...)
	}
	rec["customer_id"] = o["customer_id"]
	rec["customer_name"] = o["customer_name"]
	rec["handover_id"] = o["handover_id"]
	for _, k := range []string{"ship_to", "receiver_name", "receiver_phone"} {
		if rec.Str(k) == "" {
			rec[k] = o[k]
		}
	}
	return nil
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

func (s *Service) afterDelivery(ctx context.Context, tx *store.Tx, p *access.Principal, ch records.Change) error {
	d := ch.New
	switch ch.Action {
	case records.Create:
		if !linesGiven(ctx) {
			if err := s.defaultDeliveryLines(ctx, tx, p, d); err != nil {
				return err
			}
		}
		return s.addTrackingEvent(ctx, tx, p, d, crm.DeliveryPlanned, s.now(), "", "")
	case records.Delete:
		if crm.DeliveryShippedAlready(ch.Old.Str("status")) {
			return errs.New(errs.Unprocessable, "delivery_shipped_kept")
		}
	case records.Restore:
		if d.Str("status") != crm.DeliveryPlanned {
			return nil
		}
		// What it plans may since have gone into other deliveries.
		lines, err := s.deliveryLines(ctx, tx, d.ID())
		if err != nil {
			return err
		}
		rem, _, err := s.remaining(ctx, tx, d.Str("order_id"), d.ID())
		if err != nil {
			return err
		}
		var in []crm.DeliveryLineIn
		for _, l := range lines {
			in = append(in, crm.DeliveryLineIn{OrderLineID: l.Str("order_line_id"), Quantity: l.Int("quantity")})
		}
		return crm.CheckDeliveryLines(in, rem)
	}
	return nil
}

func (s *Service) prepareDeliveryLine(ctx context.Context, tx *store.Tx, p *access.Principal, old, rec entity.Record) error {
	if records.IsProcess(ctx) {
		return nil
	}
	var status string
	err := tx.QueryRowContext(ctx, `SELECT status FROM deliveries WHERE id = $1`, rec.Str("delivery_id")).Scan(&status)
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return err
	}
	if crm.DeliveryIsSigned(status) || status == crm.DeliveryCancelled {
		return errs.New(errs.Unprocessable, "delivery_closed", labelArgs("status", crm.DeliveryStatuses, status)...)
	}
	return nil
}

// orderLineInfo is an order line as a delivery copies it.
type orderLineInfo struct {
	id, name, spec, unit, productID, kind string
	position                              int64
}

// noDelivery stands for "no delivery to leave out" in remaining's query
// (PostgreSQL compares it as a UUID).
const noDelivery = "00000000-0000-0000-0000-000000000000"

// remaining reads, per line of an order, what may still go into a
// delivery: ordered, left already, planned in other deliveries not yet
// shipped (leaving out the delivery being changed).
func (s *Service) remaining(ctx context.Context, q store.Querier, orderID, exceptDelivery string) (map[string]crm.LineRemaining, []orderLineInfo, error) {
	if exceptDelivery == "" {
		exceptDelivery = noDelivery
	}
	rows, err := q.QueryContext(ctx, `SELECT l.id, l.position, l.name, l.spec, l.unit, l.product_id, p.kind, l.quantity, l.delivered_qty,
		(SELECT coalesce(sum(dl.quantity), 0) FROM delivery_lines dl JOIN deliveries d ON d.id = dl.delivery_id
			WHERE dl.order_line_id = l.id AND d.deleted_at IS NULL AND d.status = $2 AND d.id <> $3)
		FROM order_lines l LEFT JOIN products p ON p.id = l.product_id WHERE l.order_id = $1 ORDER BY l.position, l.id`,
		orderID, crm.DeliveryPlanned, exceptDelivery)
	if err != nil {
		return nil, nil, fmt.Errorf("fulfilment: what remains of the order: %w", err)
	}
	defer rows.Close()
	rem := map[string]crm.LineRemaining{}
	var info []orderLineInfo
	for rows.Next() {
		var li orderLineInfo
		var spec, unit, product, kind sql.NullString
		var r crm.LineRemaining
		if err := rows.Scan(&li.id, &li.position, &li.name, &spec, &unit, &product, &kind, &r.Quantity, &r.Delivered, &r.Planned); err != nil {
			return nil, nil, err
		}
		li.spec, li.unit, li.productID, li.kind = spec.String, unit.String, product.String, kind.String
		rem[li.id] = r
		info = append(info, li)
	}
	return rem, info, rows.Err()
}

func (s *Service) deliveryLines(ctx context.Context, q store.Querier, deliveryID string) ([]entity.Record, error) {
	return s.DB.SelectWhere(ctx, q, s.entity("delivery_line"), "t.delivery_id = $1", []any{deliveryID}, "t.position, t.id", 10000)
}

// defaultDeliveryLines plans everything that remains of the order's goods
// (and typed lines); service lines are fulfilled by tasks.
func (s *Service) defaultDeliveryLines(ctx context.Context, tx *store.Tx, p *access.Principal, d entity.Record) error {
	rem, info, err := s.remaining(ctx, tx, d.Str("order_id"), d.ID())
	if err != nil {
		return err
	}
	var lines []entity.Record
	for _, li := range info {
		if left := rem[li.id].Left(); left > 0 && li.kind != "service" {
			lines = append(lines, entity.Record{"order_line_id": li.id, "quantity": left})
		}
	}
	if len(lines) == 0 {
		return errs.New(errs.Unprocessable, "order_nothing_to_deliver")
	}
	return s.writeDeliveryLines(ctx, tx, p, d, lines)
}

// writeDeliveryLines makes a planned delivery's lines the given ones
// (order_line_id, quantity, batch_no, production_date), each checked
// against what remains of its order line. Lines of the same order line
// keep their id.
func (s *Service) writeDeliveryLines(ctx context.Context, tx *store.Tx, p *access.Principal, d entity.Record, lines []entity.Record) error {
	rem, info, err := s.remaining(ctx, tx, d.Str("order_id"), d.ID())
	if err != nil {
		return err
	}
	in := make([]crm.DeliveryLineIn, len(lines))
	for i, l := range lines {
		in[i] = crm.DeliveryLineIn{OrderLineID: cleanID(l.Str("order_line_id")), Quantity: l.Int("quantity")}
	}
	if err := crm.CheckDeliveryLines(in, rem); err != nil {
		return err
	}
	byID := map[string]orderLineInfo{}
	for _, li := range info {
		byID[li.id] = li
	}
	existing, err := s.deliveryLines(ctx, tx, d.ID())
	if err != nil {
		return err
	}
	had := map[string]entity.Record{}
	for _, r := range existing {
		had[r.Str("order_line_id")] = r
	}
	de := s.entity("delivery_line")
	pctx := records.AsProcess(ctx)
	for i, l := range lines {
		li := byID[in[i].OrderLineID]
		set := entity.Record{"position": int64(i + 1), "quantity": in[i].Quantity}
		for _, k := range []string{"batch_no", "production_date"} {
			if v, ok := l[k]; ok {
				set[k] = v
			}
		}
		if old, ok := had[li.id]; ok {
			delete(had, li.id)
			if _, err := s.R.SetTx(pctx, tx, p, de, old, set); err != nil {
				return linePrefix(err, i)
			}
			continue
		}
		set["delivery_id"], set["order_id"], set["customer_id"], set["order_line_id"] = d.ID(), d.Str("order_id"), d.Str("customer_id"), li.id
		set["name"], set["spec"], set["unit"], set["product_id"] = li.name, entity.NilIfEmpty(li.spec), entity.NilIfEmpty(li.unit), entity.NilIfEmpty(li.productID)
		if _, err := s.R.InsertTx(pctx, tx, p, de.Name, set); err != nil {
			return linePrefix(err, i)
		}
	}
	for _, r := range had {
		if _, err := tx.ExecContext(ctx, `DELETE FROM delivery_lines WHERE id = $1`, r.ID()); err != nil {
			return fmt.Errorf("fulfilment: remove delivery line: %w", err)
		}
		if err := s.DB.Audit(ctx, tx, store.AuditEntry{ActorID: p.UserID, Entity: de.Name, RecordID: r.ID(), Action: "delete",
			Changes: map[string]store.Change{"name": {Old: r.Str("name")}, "quantity": {Old: r.Int("quantity")}}, RequestID: records.RequestID(ctx)}); err != nil {
			return err
		}
	}
	return nil
}

// Remaining says, per line of an order p may see, what is still free for a
// new delivery (goods and typed lines; services are fulfilled by tasks).
func (s *Service) Remaining(ctx context.Context, p *access.Principal, orderID string) (map[string]int64, error) {
	o, err := s.R.Get(ctx, p, "sales_order", cleanID(orderID))
	if err != nil {
		return nil, err
	}
	rem, info, err := s.remaining(ctx, s.DB.R(), o.ID(), "")
	if err != nil {
		return nil, err
	}
	out := map[string]int64{}
	for _, li := range info {
		if li.kind != "service" {
			out[li.id] = rem[li.id].Left()
		}
	}
	return out, nil
}

// DeliveryInput is a delivery to plan or change: its own fields and, when
// Lines is not nil, its lines (order_line_id, quantity, batch_no,
// production_date). Planning without lines plans all that remains.
type DeliveryInput struct {
	Delivery entity.Record
	Lines    []entity.Record
}

// CreateDelivery plans a delivery of an open order with its lines, in one
// transaction. A quantity over what remains of its order line is refused
// (422 delivery_exceeds_order).
func (s *Service) CreateDelivery(ctx context.Context, p *access.Principal, in DeliveryInput) (entity.Record, error) {
	de := s.entity("delivery")
	var out entity.Record
	err := s.DB.Write(ctx, func(tx *store.Tx) error {
		if id := cleanID(in.Delivery.Str("order_id")); entity.LooksLikeID(id) {
			// Plans of one order are made one after the other.
			if _, err := tx.ExecContext(ctx, `UPDATE sales_orders SET updated_at = updated_at WHERE id = $1`, id); err != nil {
				return fmt.Errorf("fulfilment: lock order: %w", err)
			}
		}
		c := ctx
		if in.Lines != nil {
			c = withLines(ctx)
		}
		d, err := s.R.CreateTx(c, tx, p, de.Name, in.Delivery.Clone())
		if err != nil {
			return err
		}
		if in.Lines != nil {
			if err := s.writeDeliveryLines(ctx, tx, p, d, in.Lines); err != nil {
				return err
			}
		}
		out, err = s.DB.Get(ctx, tx, de, d.ID(), nil, false)
		return err
	})
	if err != nil {
		return nil, err
	}
	return s.R.Present(p, de, out), nil
}

// UpdateDelivery changes a delivery last read at version and, when given,
// its lines (only while planned: 422 delivery_lines_locked after).
func (s *Service) UpdateDelivery(ctx context.Context, p *access.Principal, id string, version int64, in DeliveryInput) (entity.Record, error) {
	de := s.entity("delivery")
	var out entity.Record
	err := s.DB.Write(ctx, func(tx *store.Tx) error {
		old, err := s.R.LoadForWrite(ctx, tx, p, de, cleanID(id), p.Perm(de.Name).Write, false)
		if err != nil {
			return err
		}
		if err := entity.CheckVersion(old, version); err != nil {
			return err
		}
		if in.Lines != nil {
			if old.Str("status") != crm.DeliveryPlanned {
				return errs.New(errs.Unprocessable, "delivery_lines_locked", labelArgs("status", crm.DeliveryStatuses, old.Str("status"))...)
			}
			if _, err := tx.ExecContext(ctx, `UPDATE sales_orders SET updated_at = updated_at WHERE id = $1`, old.Str("order_id")); err != nil {
				return err
			}
			if err := s.writeDeliveryLines(ctx, tx, p, old, in.Lines); err != nil {
				return err
			}
		}
		if _, err := s.R.UpdateTx(ctx, tx, p, de.Name, old.ID(), old.Version(), in.Delivery); err != nil {
			return err
		}
		out, err = s.DB.Get(ctx, tx, de, old.ID(), nil, false)
		return err
	})
	if err != nil {
		return nil, err
	}
	return s.R.Present(p, de, out), nil
}

// Delivery reads a delivery the user may see with its lines and tracking
// updates (newest first).
func (s *Service) Delivery(ctx context.Context, p *access.Principal, id string) (entity.Record, []entity.Record, []entity.Record, error) {
	d, err := s.R.Get(ctx, p, "delivery", cleanID(id))
	if err != nil {
		return nil, nil, nil, err
	}
	lines, err := s.deliveryLines(ctx, s.DB.R(), d.ID())
	if err != nil {
		return nil, nil, nil, err
	}
	evs, err := s.DB.SelectWhere(ctx, s.DB.R(), s.entity("delivery_event"), "t.delivery_id = $1", []any{d.ID()}, "t.at DESC, t.id DESC", 1000)
	if err != nil {
		return nil, nil, nil, err
	}
	return d, lines, evs, nil
}

// TrackInput is a tracking update of a delivery: a move to a status (or
// the same status with a note: "arrived at the Hefei hub"), when it
// happened (now when zero; not in the future) and where.
type TrackInput struct {
	Status   string    `json:"status"`
	At       time.Time `json:"at"`
	Location string    `json:"location"`
	Note     string    `json:"note"`
	Version  int64     `json:"version"`
}

// Track records a tracking update. Shipping consumes the stock of the
// delivery's goods (what the order reserved, and any part not reserved
// from what is available: 422 delivery_insufficient_stock when it is not there);
// delivered marks the arrival; cancelling (only before shipping) frees
// what it planned. Signing is the receiver's (the sign-off link).
func (s *Service) Track(ctx context.Context, p *access.Principal, id string, in TrackInput) (entity.Record, error) {
	de := s.entity("delivery")
	in.Status, in.Note, in.Location = strings.TrimSpace(in.Status), strings.TrimSpace(in.Note), strings.TrimSpace(in.Location)
	var bad []errs.FieldError
	if n := len([]rune(in.Note)); n > 1000 {
		bad = append(bad, errs.FieldError{Field: "note", Code: "too_long", Args: map[string]any{"max": 1000}})
	}
	if n := len([]rune(in.Location)); n > 200 {
		bad = append(bad, errs.FieldError{Field: "location", Code: "too_long", Args: map[string]any{"max": 200}})
	}
	if err := errs.Validation(bad); err != nil {
		return nil, err
	}
	var out entity.Record
	err := s.DB.Write(ctx, func(tx *store.Tx) error {
		d, err := s.R.LoadForWrite(ctx, tx, p, de, cleanID(id), p.Perm(de.Name).Write, false)
		if err != nil {
			return err
		}
		if err := entity.CheckVersion(d, in.Version); err != nil {
			return err
		}
		cur, to := d.Str("status"), in.Status
		if to == "" {
			to = cur
		}
		if to == cur && cur != crm.DeliveryInTransit {
			if crm.DeliveryIsSigned(cur) || cur == crm.DeliveryCancelled {
				return errs.New(errs.Unprocessable, "delivery_closed", labelArgs("status", crm.DeliveryStatuses, cur)...)
			}
			if in.Note == "" && in.Location == "" {
				return errs.Field("note", "required")
			}
		} else if err := crm.CheckDeliveryMove(cur, to); err != nil {
			return err
		}
		now := s.now()
		at := entity.CanonTime(in.At)
		if at.IsZero() {
			at = now
		}
		if at.After(now.Add(5 * time.Minute)) {
			return errs.Field("at", "delivery_time_in_future")
		}
		set := entity.Record{}
		if to != cur {
			set["status"] = to
		}
		switch {
		case to == crm.DeliveryShipped && cur != to:
			if err := s.ship(ctx, tx, p, d); err != nil {
				return err
			}
			set["shipped_at"] = at
		case to == crm.DeliveryDelivered && cur != to:
			set["delivered_at"] = at
		}
		if len(set) > 0 {
			if d, err = s.R.SetTx(records.AsProcess(ctx), tx, p, de, d, set); err != nil {
				return err
			}
		}
		if err := s.addTrackingEvent(ctx, tx, p, d, to, at, in.Location, in.Note); err != nil {
			return err
		}
		data := map[string]any{"title": d.Str("number")}
		switch {
		case to == crm.DeliveryShipped && cur != to:
			data["note"] = strings.TrimSpace(d.Str("carrier") + " " + d.Str("tracking_no"))
			if err := s.event(ctx, tx, p, d.Str("customer_id"), "delivery_shipped", de.Name, d.ID(), data); err != nil {
				return err
			}
		case to == crm.DeliveryDelivered && cur != to:
			if err := s.event(ctx, tx, p, d.Str("customer_id"), "delivery_delivered", de.Name, d.ID(), data); err != nil {
				return err
			}
		case to == crm.DeliveryCancelled:
			data["note"] = in.Note
			if err := s.event(ctx, tx, p, d.Str("customer_id"), "delivery_cancelled", de.Name, d.ID(), data); err != nil {
				return err
			}
		}
		if to != cur && (to == crm.DeliveryShipped || to == crm.DeliveryCancelled) {
			if _, err := s.refreshOrder(ctx, tx, p, d.Str("order_id")); err != nil {
				return err
			}
		}
		out = d
		return nil
	})
	if err != nil {
		return nil, err
	}
	return s.R.Present(p, de, out), nil
}

func (s *Service) addTrackingEvent(ctx context.Context, tx *store.Tx, p *access.Principal, d entity.Record, status string, at time.Time, location, note string) error {
	_, err := s.R.InsertTx(records.AsProcess(ctx), tx, p, "delivery_event", entity.Record{
		"delivery_id": d.ID(), "order_id": d.Str("order_id"), "customer_id": d.Str("customer_id"),
		"at": entity.CanonTime(at), "status": status, "location": entity.NilIfEmpty(location), "note": entity.NilIfEmpty(note)})
	if err != nil {
		return errs.Wrap(err, "fulfilment: tracking update")
	}
	return nil
}

// ship moves a delivery's quantities out: its goods leave the stock (the
// order line's reservation first, the rest from what is available) and
// every line's quantity counts as delivered on its order line.
func (s *Service) ship(ctx context.Context, tx *store.Tx, p *access.Principal, d entity.Record) error {
	lines, err := s.deliveryLines(ctx, tx, d.ID())
	if err != nil {
		return err
	}
	if len(lines) == 0 {
		return errs.New(errs.Unprocessable, "delivery_no_lines")
	}
	sort.SliceStable(lines, func(i, j int) bool { return lines[i].Str("product_id") < lines[j].Str("product_id") })
	for _, l := range lines {
		q := l.Int("quantity")
		var ordered, delivered, reserved int64
		var kind sql.NullString
		err := tx.QueryRowContext(ctx, `SELECT l.quantity, l.delivered_qty, l.reserved_qty, p.kind FROM order_lines l LEFT JOIN products p ON p.id = l.product_id WHERE l.id = $1`,
			l.Str("order_line_id")).Scan(&ordered, &delivered, &reserved, &kind)
		if err != nil {
			return fmt.Errorf("fulfilment: line to ship: %w", err)
		}
		if delivered+q > ordered {
			return errs.New(errs.Unprocessable, "delivery_exceeds_order", "remaining", max(ordered-delivered, 0), "quantity", q)
		}
		r := min(q, reserved)
		if kind.String == "goods" {
			var stock int64
			err := tx.QueryRowContext(ctx, `UPDATE products SET stock_qty = stock_qty - $1, reserved_qty = reserved_qty - $2, version = version + 1, updated_at = $4
				WHERE id = $3 AND stock_qty - reserved_qty >= $5 AND reserved_qty >= $2 RETURNING stock_qty`, q, r, l.Str("product_id"), s.now(), q-r).Scan(&stock)
			if errors.Is(err, sql.ErrNoRows) {
				var avail int64
				_ = tx.QueryRowContext(ctx, `SELECT stock_qty - reserved_qty FROM products WHERE id = $1`, l.Str("product_id")).Scan(&avail)
				return errs.New(errs.Unprocessable, "delivery_insufficient_stock", "name", l.Str("name"), "need", q-r, "available", max(avail, 0))
			}
			if err != nil {
				return fmt.Errorf("fulfilment: take stock: %w", err)
			}
			if err := s.DB.Audit(ctx, tx, store.AuditEntry{ActorID: p.UserID, Entity: "product", RecordID: l.Str("product_id"), Action: "ship",
				Changes: map[string]store.Change{"stock_qty": {Old: stock + q, New: stock}, "delivery": {New: d.Str("number")}}, RequestID: records.RequestID(ctx)}); err != nil {
				return err
			}
		}
		if _, err := tx.ExecContext(ctx, `UPDATE order_lines SET delivered_qty = delivered_qty + $1, reserved_qty = reserved_qty - $2 WHERE id = $3`, q, r, l.Str("order_line_id")); err != nil {
			return fmt.Errorf("fulfilment: line shipped: %w", err)
		}
	}
	return nil
}

// cancelPlanned cancels an order's deliveries not yet shipped.
func (s *Service) cancelPlanned(ctx context.Context, tx *store.Tx, p *access.Principal, orderID, reason string) error {
	de := s.entity("delivery")
	ds, err := s.DB.SelectWhere(ctx, tx, de, "t.order_id = $1 AND t.status = $2 AND t.deleted_at IS NULL", []any{orderID, crm.DeliveryPlanned}, "t.created_at, t.id", 10000)
	if err != nil {
		return err
	}
	for _, d := range ds {
		d, err := s.R.SetTx(records.AsProcess(ctx), tx, p, de, d, entity.Record{"status": crm.DeliveryCancelled})
		if err != nil {
			return err
		}
		if err := s.addTrackingEvent(ctx, tx, p, d, crm.DeliveryCancelled, s.now(), "", reason); err != nil {
			return err
		}
	}
	return nil
}
