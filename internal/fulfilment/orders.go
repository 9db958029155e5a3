package fulfilment

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"math"
	"slices"
	"sort"
	"strconv"
	"strings"

	"closeloop/internal/access"
	"closeloop/internal/crm"
	"closeloop/internal/entity"
	"closeloop/internal/errs"
	"closeloop/internal/records"
	"closeloop/internal/store"
)

// Orders (订单): created from a signed contract (its quote's lines come
// along), from an accepted quote, or typed in with lines. The number
// (SO-yyyymm-nnnn), the customer's name, the opportunity and the
// hand-over report are derived; the status follows the lines (see
// crm.OrderStatus) and is written only by the processes here.

func (s *Service) registerOrders() {
	s.R.On("sales_order", records.Hooks{Prepare: s.prepareOrder, After: s.afterOrder})
	s.R.On("order_line", records.Hooks{Prepare: s.prepareOrderLine, After: s.afterOrderLine})
}

// sourceDoc is the contract or quote an order comes from.
type sourceDoc struct {
	entity, id, number, customerID, opportunityID, quoteID, currency string
}

func (s *Service) prepareOrder(ctx context.Context, tx *store.Tx, p *access.Principal, old, rec entity.Record) error {
	if old != nil {
		// Where an order comes from and whose it is never changes: its lines,
		// reservations and deliveries were made for them.
		var bad []errs.FieldError
		for _, k := range []string{"customer_id", "contract_id", "quote_id"} {
			if rec.Str(k) != old.Str(k) {
				bad = append(bad, errs.FieldError{Field: k, Code: "order_source_fixed"})
			}
		}
		return errs.Validation(bad)
	}
	if !records.IsProcess(ctx) || rec.Str("status") == "" {
		rec["status"] = crm.OrderConfirmed // creating an order confirms it
	}
	if rec.Str("number") == "" {
		n, err := s.number(ctx, tx, orderPrefix)
		if err != nil {
			return err
		}
		rec["number"] = n
	}
	src, err := s.orderSource(ctx, tx, p, rec)
	if err != nil || src == nil {
		if err != nil {
			return err
		}
	} else {
		switch cust := rec.Str("customer_id"); {
		case cust == "":
			rec["customer_id"] = src.customerID
		case cust != src.customerID:
			return errs.Field("customer_id", "order_customer_not_of_"+src.entity)
		}
		if src.quoteID != "" {
			if q := rec.Str("quote_id"); q == "" {
				rec["quote_id"] = src.quoteID
			} else if q != src.quoteID {
				return errs.Field("quote_id", "order_quote_not_of_contract")
			}
		}
		rec["opportunity_id"] = entity.NilIfEmpty(src.opportunityID)
		if src.currency != "" {
			rec["currency"] = src.currency
		}
	}
	custID := rec.Str("customer_id")
	if !entity.LooksLikeID(custID) {
		return nil // required / invalid_ref are said by the record service
	}
	var name string
	var address sql.NullString
	err = tx.QueryRowContext(ctx, `SELECT name, address FROM customers WHERE id = $1`, custID).Scan(&name, &address)
	if errors.Is(err, sql.ErrNoRows) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("fulfilment: order's customer: %w", err)
	}
	rec["customer_name"] = name
	if rec.Str("ship_to") == "" && address.String != "" {
		rec["ship_to"] = address.String
	}
	h, err := s.latestHandover(ctx, tx, custID)
	if err != nil {
		return err
	}
	rec["handover_id"] = entity.NilIfEmpty(h)
	return nil
}

// orderSource reads the contract (or else the quote) an order is made
// from, checking it may be ordered: a contract once signed, a quote once
// accepted. One the user cannot see is left to the reference check.
func (s *Service) orderSource(ctx context.Context, tx *store.Tx, p *access.Principal, rec entity.Record) (*sourceDoc, error) {
	if id := rec.Str("contract_id"); entity.LooksLikeID(id) {
		ce := s.entity("contract")
		c, err := s.DB.Get(ctx, tx, ce, id, s.R.ReadPred(ce, p), false)
		if errs.KindOf(err) == errs.NotFound {
			return nil, nil
		}
		if err != nil {
			return nil, fmt.Errorf("fulfilment: order's contract: %w", err)
		}
		if st := c.Str("status"); st != crm.ContractSigned && st != crm.ContractInExecution {
			return nil, errs.Field("contract_id", "order_contract_not_signed")
		}
		return &sourceDoc{entity: "contract", id: c.ID(), number: c.Str("number"), customerID: c.Str("customer_id"),
			opportunityID: c.Str("opportunity_id"), quoteID: c.Str("quote_id"), currency: c.Str("currency")}, nil
	}
	if id := rec.Str("quote_id"); entity.LooksLikeID(id) {
		qe := s.entity("quote")
		q, err := s.DB.Get(ctx, tx, qe, id, s.R.ReadPred(qe, p), false)
		if errs.KindOf(err) == errs.NotFound {
			return nil, nil
		}
		if err != nil {
			return nil, fmt.Errorf("fulfilment: order's quote: %w", err)
		}
		if q.Str("status") != crm.QuoteAccepted {
			return nil, errs.Field("quote_id", "order_quote_not_accepted")
		}
		return &sourceDoc{entity: "quote", id: q.ID(), number: q.Str("number"), customerID: q.Str("customer_id"),
			opportunityID: q.Str("opportunity_id"), currency: q.Str("currency")}, nil
	}
	return nil, nil
}

func (s *Service) afterOrder(ctx context.Context, tx *store.Tx, p *access.Principal, ch records.Change) error {
	rec := ch.New
	switch ch.Action {
	case records.Create:
		if q := rec.Str("quote_id"); q != "" && !linesGiven(ctx) {
			if err := s.copyQuoteLines(ctx, tx, p, rec.ID(), q); err != nil {
				return err
			}
		}
		src := ""
		if c := rec.Str("contract_id"); c != "" {
			src = s.numberOf(ctx, tx, "contracts", c)
		} else if q := rec.Str("quote_id"); q != "" {
			src = s.numberOf(ctx, tx, "quotes", q)
		}
		kind, data := "order_created", map[string]any{"title": rec.Str("number")}
		if src != "" {
			kind, data["source"] = "order_created_from", src
		}
		return s.event(ctx, tx, p, rec.Str("customer_id"), kind, "sales_order", rec.ID(), data)
	case records.Delete:
		// An order with reservations or deliveries holds stock and history:
		// it is cancelled (which releases them), not deleted.
		var reserved, deliveries int64
		if err := tx.QueryRowContext(ctx, `SELECT coalesce(sum(reserved_qty), 0) FROM order_lines WHERE order_id = $1`, rec.ID()).Scan(&reserved); err != nil {
			return err
		}
		if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM deliveries WHERE order_id = $1 AND deleted_at IS NULL AND status <> $2`, rec.ID(), crm.DeliveryCancelled).Scan(&deliveries); err != nil {
			return err
		}
		if reserved > 0 || deliveries > 0 {
			return errs.New(errs.Unprocessable, "order_in_progress_kept")
		}
	}
	return nil
}

func (s *Service) numberOf(ctx context.Context, q store.Querier, table, id string) string {
	var n string
	_ = q.QueryRowContext(ctx, `SELECT number FROM `+table+` WHERE id = $1`, id).Scan(&n)
	return n
}

// copyQuoteLines gives a new order the lines of its quote: the same
// products, names, specifications and quantities, each line's total as the
// quote computed it (after discount, with tax) and its unit price that
// total per unit, rounded half up to the fen.
func (s *Service) copyQuoteLines(ctx context.Context, tx *store.Tx, p *access.Principal, orderID, quoteID string) error {
	rows, err := tx.QueryContext(ctx, `SELECT position, product_id, name, spec, unit, quantity, line_total FROM quote_lines WHERE quote_id = $1 ORDER BY position, id`, quoteID)
	if err != nil {
		return fmt.Errorf("fulfilment: quote lines: %w", err)
	}
	type ql struct {
		pos, qty, total   int64
		product, spec, un sql.NullString
		name              string
	}
	var lines []ql
	for rows.Next() {
		var l ql
		if err := rows.Scan(&l.pos, &l.product, &l.name, &l.spec, &l.un, &l.qty, &l.total); err != nil {
			rows.Close()
			return err
		}
		lines = append(lines, l)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	for i, l := range lines {
		rec := entity.Record{"order_id": orderID, "position": int64(i + 1), "name": l.name, "quantity": l.qty,
			"unit_price": perUnit(l.total, l.qty), "line_total": l.total}
		if l.product.Valid {
			rec["product_id"] = l.product.String
		}
		if l.spec.Valid && l.spec.String != "" {
			rec["spec"] = l.spec.String
		}
		if l.un.Valid && l.un.String != "" {
			rec["unit"] = l.un.String
		}
		if _, err := s.R.InsertTx(records.AsProcess(ctx), tx, p, "order_line", rec); err != nil {
			return errs.Wrap(err, "fulfilment: copy quote line")
		}
	}
	return nil
}

// perUnit divides a line total by its quantity, rounding half up.
func perUnit(total, qty int64) int64 {
	if qty <= 0 {
		return total
	}
	return (total*2 + qty) / (2 * qty)
}

func (s *Service) prepareOrderLine(ctx context.Context, tx *store.Tx, p *access.Principal, old, rec entity.Record) error {
	orderID := rec.Str("order_id")
	if old != nil && orderID != old.Str("order_id") {
		return errs.Field("order_id", "order_line_order_fixed")
	}
	if !entity.LooksLikeID(orderID) {
		return nil
	}
	var status, customer string
	err := tx.QueryRowContext(ctx, `SELECT status, customer_id FROM sales_orders WHERE id = $1 AND deleted_at IS NULL`, orderID).Scan(&status, &customer)
	if errors.Is(err, sql.ErrNoRows) {
		return nil // the reference check refuses it
	}
	if err != nil {
		return fmt.Errorf("fulfilment: line's order: %w", err)
	}
	if !records.IsProcess(ctx) {
		if err := s.checkLinesEditable(ctx, tx, orderID, status); err != nil {
			return err
		}
	}
	rec["customer_id"] = customer
	if pid := rec.Str("product_id"); entity.LooksLikeID(pid) && (old == nil || old.Str("product_id") != pid) {
		var name string
		var spec, unit sql.NullString
		err := tx.QueryRowContext(ctx, `SELECT name, spec, unit FROM products WHERE id = $1`, pid).Scan(&name, &spec, &unit)
		if err == nil {
			if rec.Str("name") == "" {
				rec["name"] = name
			}
			if rec.Str("spec") == "" && spec.String != "" {
				rec["spec"] = spec.String
			}
			if rec.Str("unit") == "" && unit.String != "" {
				rec["unit"] = unit.String
			}
		} else if !errors.Is(err, sql.ErrNoRows) {
			return err
		}
	}
	if strings.TrimSpace(rec.Str("name")) == "" {
		return errs.Field("name", "required")
	}
	if rec.Int("position") == 0 {
		var pos int64
		if err := tx.QueryRowContext(ctx, `SELECT coalesce(max(position), 0) FROM order_lines WHERE order_id = $1`, orderID).Scan(&pos); err != nil {
			return err
		}
		rec["position"] = pos + 1
	}
	if records.IsProcess(ctx) && rec.Int("line_total") != 0 && (old == nil || (rec.Int("quantity") == old.Int("quantity") && rec.Int("unit_price") == old.Int("unit_price"))) {
		return nil // copied from a quote: its total stands
	}
	qty, price := rec.Int("quantity"), rec.Int("unit_price")
	if qty > 0 && price > 0 && qty > math.MaxInt64/price {
		return errs.Field("unit_price", "out_of_range", "min", 0, "max", math.MaxInt64/qty)
	}
	rec["line_total"] = qty * price
	return nil
}

// checkLinesEditable refuses changes to an order's lines once anything is
// reserved or planned for delivery (422 order_lines_locked).
func (s *Service) checkLinesEditable(ctx context.Context, q store.Querier, orderID, status string) error {
	var reserved, committed int64
	if err := q.QueryRowContext(ctx, `SELECT coalesce(sum(reserved_qty), 0), coalesce(sum(delivered_qty), 0) FROM order_lines WHERE order_id = $1`, orderID).Scan(&reserved, &committed); err != nil {
		return fmt.Errorf("fulfilment: order's lines: %w", err)
	}
	var planned int64
	if err := q.QueryRowContext(ctx, `SELECT count(*) FROM deliveries WHERE order_id = $1 AND deleted_at IS NULL AND status <> $2`, orderID, crm.DeliveryCancelled).Scan(&planned); err != nil {
		return fmt.Errorf("fulfilment: order's deliveries: %w", err)
	}
	if !crm.OrderEditable(status, reserved, committed+planned) {
		return errs.New(errs.Unprocessable, "order_lines_locked")
	}
	return nil
}

func (s *Service) afterOrderLine(ctx context.Context, tx *store.Tx, p *access.Principal, ch records.Change) error {
	return s.sumOrder(ctx, tx, ch.New.Str("order_id"))
}

// sumOrder keeps an order's total the sum of its lines. Like other derived
// columns it does not bump the order's version.
func (s *Service) sumOrder(ctx context.Context, tx *store.Tx, orderID string) error {
	_, err := tx.ExecContext(ctx, `UPDATE sales_orders SET total = (SELECT coalesce(sum(line_total), 0) FROM order_lines WHERE order_id = $1) WHERE id = $1`, orderID)
	if err != nil {
		return fmt.Errorf("fulfilment: order total: %w", err)
	}
	return nil
}

// OrderInput is an order to create or change: its own fields and, when
// Lines is not nil, its lines. Creating without lines from a contract or
// quote takes the quote's lines; a typed order without lines gets them
// added later. On change, lines are the whole new list: a line with the
// id of an existing one changes it, one without an id is added, and
// existing lines left out are removed.
type OrderInput struct {
	Order entity.Record
	Lines []entity.Record // nil: lines not given
}

// CreateOrder creates an order with its lines in one transaction.
func (s *Service) CreateOrder(ctx context.Context, p *access.Principal, in OrderInput) (entity.Record, error) {
	var out entity.Record
	err := s.DB.Write(ctx, func(tx *store.Tx) error {
		c := ctx
		if in.Lines != nil {
			c = withLines(ctx)
		}
		o, err := s.R.CreateTx(c, tx, p, "sales_order", in.Order.Clone())
		if err != nil {
			return err
		}
		for i, l := range in.Lines {
			l = l.Clone()
			if l.Str("order_id") != "" && l.Str("order_id") != o.ID() {
				return errs.Validation([]errs.FieldError{{Field: fmt.Sprintf("lines[%d].order_id", i), Code: "read_only"}})
			}
			delete(l, "id")
			l["order_id"] = o.ID()
			if l.Int("position") == 0 {
				l["position"] = int64(i + 1)
			}
			if _, err := s.R.CreateTx(ctx, tx, p, "order_line", l); err != nil {
				return linePrefix(err, i)
			}
		}
		out, err = s.DB.Get(ctx, tx, s.entity("sales_order"), o.ID(), nil, false)
		return err
	})
	if err != nil {
		return nil, err
	}
	return s.R.Present(p, s.entity("sales_order"), out), nil
}

// UpdateOrder changes an order last read at version and, when given, its
// lines (only while nothing is reserved or planned for delivery).
func (s *Service) UpdateOrder(ctx context.Context, p *access.Principal, id string, version int64, in OrderInput) (entity.Record, error) {
	oe := s.entity("sales_order")
	var out entity.Record
	err := s.DB.Write(ctx, func(tx *store.Tx) error {
		old, err := s.R.LoadForWrite(ctx, tx, p, oe, cleanID(id), p.Perm(oe.Name).Write, false)
		if err != nil {
			return err
		}
		if err := entity.CheckVersion(old, version); err != nil {
			return err
		}
		if in.Lines != nil {
			if err := s.checkLinesEditable(ctx, tx, old.ID(), old.Str("status")); err != nil {
				return err
			}
			if err := s.replaceLines(ctx, tx, p, old.ID(), in.Lines); err != nil {
				return err
			}
		}
		if _, err := s.R.UpdateTx(ctx, tx, p, oe.Name, old.ID(), old.Version(), in.Order); err != nil {
			return err
		}
		out, err = s.DB.Get(ctx, tx, oe, old.ID(), nil, false)
		return err
	})
	if err != nil {
		return nil, err
	}
	return s.R.Present(p, oe, out), nil
}

// replaceLines makes an order's lines the given list.
func (s *Service) replaceLines(ctx context.Context, tx *store.Tx, p *access.Principal, orderID string, lines []entity.Record) error {
	le := s.entity("order_line")
	existing, err := s.DB.SelectWhere(ctx, tx, le, "t.order_id = $1", []any{orderID}, "t.position, t.id", 10000)
	if err != nil {
		return err
	}
	keep := map[string]bool{}
	for i, l := range lines {
		id := cleanID(l.Str("id"))
		if id == "" {
			continue
		}
		if !slices.ContainsFunc(existing, func(r entity.Record) bool { return r.ID() == id }) {
			return errs.Validation([]errs.FieldError{{Field: fmt.Sprintf("lines[%d].id", i), Code: "order_line_not_of_order"}})
		}
		keep[id] = true
	}
	perm := p.Perm(le.Name)
	for _, r := range existing {
		if keep[r.ID()] {
			continue
		}
		if perm.Write == access.None {
			return errs.Denied()
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM order_lines WHERE id = $1`, r.ID()); err != nil {
			return fmt.Errorf("fulfilment: remove order line: %w", err)
		}
		if err := s.DB.Audit(ctx, tx, store.AuditEntry{ActorID: p.UserID, Entity: le.Name, RecordID: r.ID(), Action: "delete",
			Changes: map[string]store.Change{"name": {Old: r.Str("name")}, "quantity": {Old: r.Int("quantity")}}, RequestID: records.RequestID(ctx)}); err != nil {
			return err
		}
	}
	for i, l := range lines {
		l = l.Clone()
		id := cleanID(l.Str("id"))
		delete(l, "id")
		delete(l, "version")
		if o := l.Str("order_id"); o != "" && o != orderID {
			return errs.Validation([]errs.FieldError{{Field: fmt.Sprintf("lines[%d].order_id", i), Code: "read_only"}})
		}
		l["order_id"] = orderID
		if l.Int("position") == 0 {
			l["position"] = int64(i + 1)
		}
		if id != "" {
			if _, err := s.R.UpdateTx(ctx, tx, p, le.Name, id, 0, l); err != nil {
				return linePrefix(err, i)
			}
			continue
		}
		if _, err := s.R.CreateTx(ctx, tx, p, le.Name, l); err != nil {
			return linePrefix(err, i)
		}
	}
	return s.sumOrder(ctx, tx, orderID)
}

// linePrefix names a line's field problems lines[i].field.
func linePrefix(err error, i int) error {
	e := errs.As(err)
	if e == nil || len(e.Fields) == 0 {
		return err
	}
	out := *e
	out.Fields = nil
	for _, f := range e.Fields {
		f.Field = "lines[" + strconv.Itoa(i) + "]." + f.Field
		out.Fields = append(out.Fields, f)
	}
	return &out
}

// Order reads an order the user may see with its lines in order.
func (s *Service) Order(ctx context.Context, p *access.Principal, id string) (entity.Record, []entity.Record, error) {
	o, err := s.R.Get(ctx, p, "sales_order", cleanID(id))
	if err != nil {
		return nil, nil, err
	}
	lines, err := s.DB.SelectWhere(ctx, s.DB.R(), s.entity("order_line"), "t.order_id = $1", []any{o.ID()}, "t.position, t.id", 10000)
	if err != nil {
		return nil, nil, err
	}
	return o, lines, nil
}

// StockLine is one order line in the stock check: what is still needed,
// what the product has in stock, what of it is reserved (for every order)
// and what is available (stock − reserved).
type StockLine struct {
	OrderLineID   string `json:"order_line_id"`
	Position      int64  `json:"position"`
	Name          string `json:"name"`
	ProductID     string `json:"product_id,omitempty"`
	SKU           string `json:"sku,omitempty"`
	Stocked       bool   `json:"stocked"`
	Quantity      int64  `json:"quantity"`
	Delivered     int64  `json:"delivered"`
	Reserved      int64  `json:"reserved"`
	Need          int64  `json:"need"`
	Stock         int64  `json:"stock"`
	ReservedTotal int64  `json:"reserved_total"`
	Available     int64  `json:"available"`
	Enough        bool   `json:"enough"`
}

type lineStock struct {
	StockLine
	kind string
}

func (s *Service) lineStocks(ctx context.Context, q store.Querier, orderID string) ([]lineStock, error) {
	rows, err := q.QueryContext(ctx, `SELECT l.id, l.position, l.name, l.product_id, l.quantity, l.reserved_qty, l.delivered_qty,
		p.sku, p.kind, p.stock_qty, p.reserved_qty
		FROM order_lines l LEFT JOIN products p ON p.id = l.product_id WHERE l.order_id = $1 ORDER BY l.position, l.id`, orderID)
	if err != nil {
		return nil, fmt.Errorf("fulfilment: stock of order: %w", err)
	}
	defer rows.Close()
	var out []lineStock
	for rows.Next() {
		var l lineStock
		var product, sku, kind sql.NullString
		var stock, reserved sql.NullInt64
		if err := rows.Scan(&l.OrderLineID, &l.Position, &l.Name, &product, &l.Quantity, &l.Reserved, &l.Delivered, &sku, &kind, &stock, &reserved); err != nil {
			return nil, err
		}
		l.ProductID, l.SKU, l.kind = product.String, sku.String, kind.String
		l.Stocked = kind.String == "goods"
		l.Need = max(l.Quantity-l.Delivered-l.Reserved, 0)
		if l.Stocked {
			l.Stock, l.ReservedTotal = stock.Int64, reserved.Int64
			l.Available = l.Stock - l.ReservedTotal
		}
		l.Enough = !l.Stocked || l.Available >= l.Need
		out = append(out, l)
	}
	return out, rows.Err()
}

// StockCheck shows, per line of an order the user may see, what it still
// needs against the product's available stock (stock − reserved).
func (s *Service) StockCheck(ctx context.Context, p *access.Principal, id string) ([]StockLine, error) {
	o, err := s.R.Get(ctx, p, "sales_order", cleanID(id))
	if err != nil {
		return nil, err
	}
	ls, err := s.lineStocks(ctx, s.DB.R(), o.ID())
	if err != nil {
		return nil, err
	}
	out := make([]StockLine, len(ls))
	for i, l := range ls {
		out[i] = l.StockLine
	}
	return out, nil
}

// ReserveLine is what a reservation did for one line.
type ReserveLine struct {
	OrderLineID string `json:"order_line_id"`
	Name        string `json:"name"`
	Need        int64  `json:"need"`
	Reserved    int64  `json:"reserved"`
	Short       int64  `json:"short"`
}

// ReserveResult is the order after a reservation and what each stocked
// line got.
type ReserveResult struct {
	Order entity.Record
	Lines []ReserveLine
}

// openForWork lists the order statuses in which stock may be reserved and
// deliveries planned.
var openForWork = []string{crm.OrderConfirmed, crm.OrderReserved, crm.OrderPartlyDelivered}

func (s *Service) loadOpenOrder(ctx context.Context, tx *store.Tx, p *access.Principal, id string, version int64) (entity.Record, error) {
	oe := s.entity("sales_order")
	o, err := s.R.LoadForWrite(ctx, tx, p, oe, cleanID(id), p.Perm(oe.Name).Write, false)
	if err != nil {
		return nil, err
	}
	if err := entity.CheckVersion(o, version); err != nil {
		return nil, err
	}
	if !slices.Contains(openForWork, o.Str("status")) {
		return nil, errs.New(errs.Unprocessable, "order_not_open", labelArgs("status", crm.OrderStatuses, o.Str("status"))...)
	}
	// Take the order's row lock: two reservations or plans of one order
	// run one after the other and each sees what the other did.
	if _, err := tx.ExecContext(ctx, `UPDATE sales_orders SET updated_at = updated_at WHERE id = $1`, o.ID()); err != nil {
		return nil, fmt.Errorf("fulfilment: lock order: %w", err)
	}
	return o, nil
}

// Reserve reserves, for every stocked line of an order, what it still
// needs or as much of it as is available, in one transaction. Stock is
// never oversold: each reservation is a conditional update that only
// succeeds while stock − reserved covers it, so concurrent reservations
// of the last units cannot together take more than there is.
func (s *Service) Reserve(ctx context.Context, p *access.Principal, id string, version int64) (ReserveResult, error) {
	var res ReserveResult
	err := s.DB.Write(ctx, func(tx *store.Tx) error {
		res = ReserveResult{}
		o, err := s.loadOpenOrder(ctx, tx, p, id, version)
		if err != nil {
			return err
		}
		ls, err := s.lineStocks(ctx, tx, o.ID())
		if err != nil {
			return err
		}
		if len(ls) == 0 {
			return errs.New(errs.Unprocessable, "order_no_lines")
		}
		// Products in id order: two orders reserving the same products
		// take their row locks in the same order (no deadlock).
		sort.SliceStable(ls, func(i, j int) bool { return ls[i].ProductID < ls[j].ProductID })
		changes := map[string]store.Change{}
		for _, l := range ls {
			if !l.Stocked || l.Need == 0 {
				continue
			}
			got, err := s.reserveUnits(ctx, tx, l.ProductID, l.Need)
			if err != nil {
				return err
			}
			if got > 0 {
				if _, err := tx.ExecContext(ctx, `UPDATE order_lines SET reserved_qty = reserved_qty + $1 WHERE id = $2`, got, l.OrderLineID); err != nil {
					return fmt.Errorf("fulfilment: reserve line: %w", err)
				}
				changes["line "+strconv.FormatInt(l.Position, 10)+" reserved_qty"] = store.Change{Old: l.Reserved, New: l.Reserved + got}
			}
			res.Lines = append(res.Lines, ReserveLine{OrderLineID: l.OrderLineID, Name: l.Name, Need: l.Need, Reserved: got, Short: l.Need - got})
		}
		sort.SliceStable(res.Lines, func(i, j int) bool {
			return positionOf(ls, res.Lines[i].OrderLineID) < positionOf(ls, res.Lines[j].OrderLineID)
		})
		if len(changes) > 0 {
			if err := s.DB.Audit(ctx, tx, store.AuditEntry{ActorID: p.UserID, Entity: "sales_order", RecordID: o.ID(), Action: "reserve", Changes: changes, RequestID: records.RequestID(ctx)}); err != nil {
				return err
			}
		}
		res.Order, err = s.refreshOrder(ctx, tx, p, o.ID())
		return err
	})
	if err != nil {
		return ReserveResult{}, err
	}
	res.Order = s.R.Present(p, s.entity("sales_order"), res.Order)
	return res, nil
}

func positionOf(ls []lineStock, id string) int64 {
	for _, l := range ls {
		if l.OrderLineID == id {
			return l.Position
		}
	}
	return 0
}

// reserveUnits reserves up to need units of a product: as many as are
// available, by a conditional update that fails when another writer took
// them first — then it looks again.
func (s *Service) reserveUnits(ctx context.Context, tx *store.Tx, productID string, need int64) (int64, error) {
	for attempt := 0; attempt < 20; attempt++ {
		var stock, reserved int64
		err := tx.QueryRowContext(ctx, `SELECT stock_qty, reserved_qty FROM products WHERE id = $1`, productID).Scan(&stock, &reserved)
		if err != nil {
			return 0, fmt.Errorf("fulfilment: product stock: %w", err)
		}
		n := crm.ReserveAmount(need, stock-reserved)
		if n == 0 {
			return 0, nil
		}
		r, err := tx.ExecContext(ctx, `UPDATE products SET reserved_qty = reserved_qty + $1 WHERE id = $2 AND stock_qty - reserved_qty >= $1`, n, productID)
		if err != nil {
			return 0, fmt.Errorf("fulfilment: reserve stock: %w", err)
		}
		if k, _ := r.RowsAffected(); k == 1 {
			return n, nil
		}
	}
	return 0, nil
}

// releaseLines gives back what an order's lines hold reserved.
func (s *Service) releaseLines(ctx context.Context, tx *store.Tx, orderID string) (map[string]store.Change, error) {
	ls, err := s.lineStocks(ctx, tx, orderID)
	if err != nil {
		return nil, err
	}
	sort.SliceStable(ls, func(i, j int) bool { return ls[i].ProductID < ls[j].ProductID })
	changes := map[string]store.Change{}
	for _, l := range ls {
		if l.Reserved == 0 {
			continue
		}
		if l.ProductID != "" {
			if _, err := tx.ExecContext(ctx, `UPDATE products SET reserved_qty = CASE WHEN reserved_qty >= $1 THEN reserved_qty - $1 ELSE 0 END WHERE id = $2`, l.Reserved, l.ProductID); err != nil {
				return nil, fmt.Errorf("fulfilment: release stock: %w", err)
			}
		}
		if _, err := tx.ExecContext(ctx, `UPDATE order_lines SET reserved_qty = 0 WHERE id = $1`, l.OrderLineID); err != nil {
			return nil, fmt.Errorf("fulfilment: release line: %w", err)
		}
		changes["line "+strconv.FormatInt(l.Position, 10)+" reserved_qty"] = store.Change{Old: l.Reserved, New: int64(0)}
	}
	return changes, nil
}

// Release gives back an order's reserved stock (the customer postponed):
// the order stays open and may be reserved again.
func (s *Service) Release(ctx context.Context, p *access.Principal, id string, version int64) (entity.Record, error) {
	var out entity.Record
	err := s.DB.Write(ctx, func(tx *store.Tx) error {
		o, err := s.loadOpenOrder(ctx, tx, p, id, version)
		if err != nil {
			return err
		}
		changes, err := s.releaseLines(ctx, tx, o.ID())
		if err != nil {
			return err
		}
		if len(changes) > 0 {
			if err := s.DB.Audit(ctx, tx, store.AuditEntry{ActorID: p.UserID, Entity: "sales_order", RecordID: o.ID(), Action: "release", Changes: changes, RequestID: records.RequestID(ctx)}); err != nil {
				return err
			}
		}
		out, err = s.refreshOrder(ctx, tx, p, o.ID())
		return err
	})
	if err != nil {
		return nil, err
	}
	return s.R.Present(p, s.entity("sales_order"), out), nil
}

// Cancel cancels an order nothing of which has left: its reservations
// are released and its planned deliveries cancelled. The reason is
// required and goes into the customer report.
func (s *Service) Cancel(ctx context.Context, p *access.Principal, id string, version int64, reason string) (entity.Record, error) {
	oe := s.entity("sales_order")
	if reason == "" {
		return nil, errs.Field("reason", "required")
	}
	var out entity.Record
	err := s.DB.Write(ctx, func(tx *store.Tx) error {
		o, err := s.R.LoadForWrite(ctx, tx, p, oe, cleanID(id), p.Perm(oe.Name).Write, false)
		if err != nil {
			return err
		}
		if err := entity.CheckVersion(o, version); err != nil {
			return err
		}
		if st := o.Str("status"); st == crm.OrderCancelled || st == crm.OrderCompleted {
			return errs.New(errs.Unprocessable, "order_not_open", labelArgs("status", crm.OrderStatuses, st)...)
		}
		var delivered int64
		if err := tx.QueryRowContext(ctx, `SELECT coalesce(sum(delivered_qty), 0) FROM order_lines WHERE order_id = $1`, o.ID()).Scan(&delivered); err != nil {
			return err
		}
		if delivered > 0 {
			return errs.New(errs.Unprocessable, "order_has_shipments")
		}
		changes, err := s.releaseLines(ctx, tx, o.ID())
		if err != nil {
			return err
		}
		changes["reason"] = store.Change{New: reason}
		if err := s.DB.Audit(ctx, tx, store.AuditEntry{ActorID: p.UserID, Entity: oe.Name, RecordID: o.ID(), Action: "cancel", Changes: changes, RequestID: records.RequestID(ctx)}); err != nil {
			return err
		}
		if err := s.cancelPlanned(ctx, tx, p, o.ID(), reason); err != nil {
			return err
		}
		cur, err := s.DB.Get(ctx, tx, oe, o.ID(), nil, false)
		if err != nil {
			return err
		}
		if out, err = s.R.SetTx(records.AsProcess(ctx), tx, p, oe, cur, entity.Record{"status": crm.OrderCancelled}); err != nil {
			return err
		}
		return s.event(ctx, tx, p, o.Str("customer_id"), "order_cancelled", oe.Name, o.ID(), map[string]any{"title": o.Str("number"), "note": reason})
	})
	if err != nil {
		return nil, err
	}
	return s.R.Present(p, oe, out), nil
}

// refreshOrder sets an order's status from its lines (crm.OrderStatus)
// and returns it as it now is.
func (s *Service) refreshOrder(ctx context.Context, tx *store.Tx, p *access.Principal, orderID string) (entity.Record, error) {
	oe := s.entity("sales_order")
	o, err := s.DB.Get(ctx, tx, oe, orderID, nil, false)
	if err != nil {
		return nil, err
	}
	rows, err := tx.QueryContext(ctx, `SELECT l.quantity, l.reserved_qty, l.delivered_qty, p.kind,
		(SELECT coalesce(sum(dl.received_qty), 0) FROM delivery_lines dl JOIN deliveries d ON d.id = dl.delivery_id
			WHERE dl.order_line_id = l.id AND d.deleted_at IS NULL AND d.status IN ($2, $3))
		FROM order_lines l LEFT JOIN products p ON p.id = l.product_id WHERE l.order_id = $1`, orderID, crm.DeliverySigned, crm.DeliverySignedWithIssues)
	if err != nil {
		return nil, fmt.Errorf("fulfilment: order progress: %w", err)
	}
	var lines []crm.LineProgress
	for rows.Next() {
		var l crm.LineProgress
		var kind sql.NullString
		if err := rows.Scan(&l.Quantity, &l.Reserved, &l.Delivered, &kind, &l.Received); err != nil {
			rows.Close()
			return nil, err
		}
		l.Stocked = kind.String == "goods"
		l.Deliverable = !kind.Valid || kind.String == "goods"
		lines = append(lines, l)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	st := crm.OrderStatus(o.Str("status"), lines)
	if st == o.Str("status") {
		return o, nil
	}
	out, err := s.R.SetTx(records.AsProcess(ctx), tx, p, oe, o, entity.Record{"status": st})
	if err != nil {
		return nil, err
	}
	if st == crm.OrderCompleted || st == crm.OrderDelivered {
		if err := s.event(ctx, tx, p, o.Str("customer_id"), "order_"+st, oe.Name, o.ID(), map[string]any{"title": o.Str("number")}); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// labelArgs passes an option's label in both languages (name, name_en).
func labelArgs(name string, opts []entity.Option, code string) []any {
	for _, o := range opts {
		if o.Code == code {
			return []any{name, o.Label.Zh, name + "_en", o.Label.En}
		}
	}
	return []any{name, code, name + "_en", code}
}
