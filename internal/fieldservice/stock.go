package fieldservice

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"

	"closeloop/internal/access"
	"closeloop/internal/crm"
	"closeloop/internal/entity"
	"closeloop/internal/errs"
	"closeloop/internal/notify"
	"closeloop/internal/records"
	"closeloop/internal/store"
)

// Stock: creating a stock movement is the stock process. Whatever way it
// comes (the API, the web form, an import, a visit's part, a return
// received), the movement's Prepare hook checks it and changes the stock
// of its part in its warehouse in the same transaction, by a conditional
// update that never takes the stock below zero: of twenty engineers
// taking the last units at once exactly as many succeed as there are
// units. Movements are never changed afterwards, and the stock rows are
// written by nothing else. A part's minimum stock holds for each store
// (central and branch warehouses); an engineer's van is refilled from a
// store and never warns.

func (s *Service) registerStock() {
	s.R.On("stock_movement", records.Hooks{Prepare: s.prepareMovement})
	s.R.On("spare_part_stock", records.Hooks{Prepare: func(context.Context, *store.Tx, *access.Principal, entity.Record, entity.Record) error {
		return errs.New(errs.Unprocessable, "stock_by_movement")
	}})
	s.R.On("spare_part", records.Hooks{Prepare: s.uniqueField("spare_part", "spare_parts", "sku")})
	s.R.On("warehouse", records.Hooks{Prepare: s.uniqueField("warehouse", "warehouses", "code")})
}

// uniqueField refuses a second live record with the same key (a friendly
// 422 before the unique index would answer).
func (s *Service) uniqueField(entityName, table, field string) func(context.Context, *store.Tx, *access.Principal, entity.Record, entity.Record) error {
	return func(ctx context.Context, tx *store.Tx, _ *access.Principal, old, rec entity.Record) error {
		v := strings.TrimSpace(rec.Str(field))
		if v == "" || (old != nil && old.Str(field) == v) {
			return nil
		}
		rec[field] = v
		var n int
		if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM `+table+` WHERE `+field+` = $1 AND id <> $2 AND deleted_at IS NULL`, v, rec.ID()).Scan(&n); err != nil {
			return fmt.Errorf("fieldservice: unique %s: %w", field, err)
		}
		if n > 0 {
			return errs.Field(field, "fs_duplicate", "value", v)
		}
		return nil
	}
}

// partRow is what the stock process needs of a part.
type partRow struct {
	id, sku, name string
	minStock      int64
	active        bool
}

func (s *Service) part(ctx context.Context, q store.Querier, id string) (*partRow, error) {
	var p partRow
	err := q.QueryRowContext(ctx, `SELECT id, sku, name, min_stock, active FROM spare_parts WHERE id = $1 AND deleted_at IS NULL`, id).
		Scan(&p.id, &p.sku, &p.name, &p.minStock, &p.active)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("fieldservice: part %s: %w", id, err)
	}
	return &p, nil
}

type warehouseRow struct {
	id, code, name, kind string
	active               bool
}

func (s *Service) warehouse(ctx context.Context, q store.Querier, id string) (*warehouseRow, error) {
	var w warehouseRow
	err := q.QueryRowContext(ctx, `SELECT id, code, name, kind, active FROM warehouses WHERE id = $1 AND deleted_at IS NULL`, id).
		Scan(&w.id, &w.code, &w.name, &w.kind, &w.active)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("fieldservice: warehouse %s: %w", id, err)
	}
	return &w, nil
}

// stockOf is the quantity of a part in a warehouse (0 when never stocked)
// and whether it is flagged low.
func (s *Service) stockOf(ctx context.Context, q store.Querier, partID, whID string) (qty int64, low bool, err error) {
	err = q.QueryRowContext(ctx, `SELECT quantity, low FROM spare_part_stock WHERE part_id = $1 AND warehouse_id = $2`, partID, whID).Scan(&qty, &low)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, false, nil
	}
	if err != nil {
		return 0, false, fmt.Errorf("fieldservice: stock: %w", err)
	}
	return qty, low, nil
}

// Stock reads the stock of a part in a warehouse.
func (s *Service) Stock(ctx context.Context, partID, warehouseID string) (int64, error) {
	q, _, err := s.stockOf(ctx, s.DB.R(), cleanID(partID), cleanID(warehouseID))
	return q, err
}

// prepareMovement is the stock process (see the top of this file).
func (s *Service) prepareMovement(ctx context.Context, tx *store.Tx, p *access.Principal, old, rec entity.Record) error {
	if old != nil {
		return errs.New(errs.Unprocessable, "stock_movement_fixed")
	}
	partID, whID, toID := rec.Str("part_id"), rec.Str("warehouse_id"), rec.Str("to_warehouse_id")
	if partID == "" || whID == "" {
		return nil // required: the validation names them
	}
	part, err := s.part(ctx, tx, partID)
	if err != nil {
		return err
	}
	wh, err := s.warehouse(ctx, tx, whID)
	if err != nil {
		return err
	}
	if part == nil || wh == nil {
		return nil // the reference check names them
	}
	var to *warehouseRow
	if toID != "" {
		if to, err = s.warehouse(ctx, tx, toID); err != nil {
			return err
		}
		if to == nil {
			return nil
		}
	}
	qty, _ := rec["quantity"].(int64)
	kind := rec.Str("kind")
	// A part used on a visit counts against the visit's ticket.
	if v := rec.Str("visit_id"); v != "" && rec.Str("ticket_id") == "" {
		if visit, err := s.get(ctx, tx, "service_visit", v); err == nil && visit.Str("ticket_id") != "" {
			rec["ticket_id"] = visit.Str("ticket_id")
		}
	}
	in := crm.MoveInput{Kind: kind, Quantity: qty, Warehouse: whID, ToWarehouse: toID, Reason: strings.TrimSpace(rec.Str("reason")),
		LinkedTicket: rec.Str("ticket_id") != "" || rec.Str("visit_id") != "",
		PartActive:   part.active, WarehouseOpen: wh.active && (to == nil || to.active)}
	for attempt := 0; ; attempt++ {
		have, _, err := s.stockOf(ctx, tx, partID, whID)
		if err != nil {
			return err
		}
		in.Have = have
		ch, err := crm.CheckStockMove(in)
		if err != nil {
			return err
		}
		after, ok, err := s.change(ctx, tx, p, part, wh, ch.Delta, kind == crm.MoveAdjust, have)
		if err != nil {
			return err
		}
		if !ok {
			if kind == crm.MoveAdjust && attempt < 3 {
				continue // the count changed under us: take the new one
			}
			now, _, err := s.stockOf(ctx, tx, partID, whID)
			if err != nil {
				return err
			}
			return crm.ErrInsufficient(now, -ch.Delta)
		}
		rec["delta"], rec["balance_after"] = ch.Delta, after
		if to != nil && ch.To != 0 {
			if _, _, err := s.change(ctx, tx, p, part, to, ch.To, false, 0); err != nil {
				return err
			}
		}
		return nil
	}
}

// change adds delta to the stock of part in wh: conditionally (the stock
// stays at or above zero; for a stock-take, only if it still is what was
// counted against). It reports the new quantity and whether the update
// went through, and keeps the low-stock flag (notifying the service
// managers once when the stock falls below the minimum).
func (s *Service) change(ctx context.Context, tx *store.Tx, p *access.Principal, part *partRow, wh *warehouseRow, delta int64, exact bool, was int64) (int64, bool, error) {
	now := s.now()
	if _, err := tx.ExecContext(ctx, `INSERT INTO spare_part_stock (id, part_id, warehouse_id, quantity, low, version, created_at, updated_at, created_by, updated_by)
		VALUES ($1, $2, $3, 0, FALSE, 1, $4, $4, $5, $5) ON CONFLICT (part_id, warehouse_id) DO NOTHING`,
		store.NewID(), part.id, wh.id, now, entity.NilIfEmpty(p.UserID)); err != nil {
		return 0, false, fmt.Errorf("fieldservice: stock row: %w", err)
	}
	cond := `quantity + $1 >= 0`
	args := []any{delta, now, entity.NilIfEmpty(p.UserID), part.id, wh.id}
	if exact {
		cond = `quantity = $6`
		args = append(args, was)
	}
	r, err := tx.ExecContext(ctx, `UPDATE spare_part_stock SET quantity = quantity + $1, version = version + 1, updated_at = $2, updated_by = $3
		WHERE part_id = $4 AND warehouse_id = $5 AND `+cond, args...)
	if err != nil {
		return 0, false, fmt.Errorf("fieldservice: stock change: %w", err)
	}
	if n, _ := r.RowsAffected(); n != 1 {
		return 0, false, nil
	}
	after, wasLow, err := s.stockOf(ctx, tx, part.id, wh.id)
	if err != nil {
		return 0, false, err
	}
	minimum := part.minStock
	if wh.kind == crm.WarehouseVan {
		minimum = 0 // a van carries a few and is refilled from a store: the minimum is the stores'
	}
	low, warn := crm.LowCrossing(wasLow, after, minimum)
	if low != wasLow {
		var since any
		if low {
			since = now
		}
		if _, err := tx.ExecContext(ctx, `UPDATE spare_part_stock SET low = $1, low_since = $2 WHERE part_id = $3 AND warehouse_id = $4`, low, since, part.id, wh.id); err != nil {
			return 0, false, fmt.Errorf("fieldservice: low flag: %w", err)
		}
	}
	if warn {
		if err := s.warnLow(ctx, tx, part, wh, after); err != nil {
			return 0, false, err
		}
	}
	return after, true, nil
}

// warnLow notifies every active service manager that a part fell below
// its minimum in a warehouse.
func (s *Service) warnLow(ctx context.Context, tx *store.Tx, part *partRow, wh *warehouseRow, qty int64) error {
	ids, err := store.Strings(ctx, tx, `SELECT id FROM users WHERE active = TRUE AND deleted_at IS NULL AND roles LIKE $1 ORDER BY id`, `%"`+access.RoleServiceManager+`"%`)
	if err != nil {
		return fmt.Errorf("fieldservice: service managers: %w", err)
	}
	for _, id := range ids {
		if err := notify.Notify(ctx, tx, id, "low_stock", "spare_part", part.id, map[string]any{
			"title": part.name, "sku": part.sku, "warehouse": wh.name, "quantity": qty, "min": part.minStock}); err != nil {
			return err
		}
	}
	return nil
}

// Move records a stock movement (the API's POST /stock-movements and the
// web form come here through the record service; this is the same for
// callers in Go).
func (s *Service) Move(ctx context.Context, p *access.Principal, in entity.Record) (entity.Record, error) {
	return s.R.Create(ctx, p, "stock_movement", in)
}

// StockRow is one line of the stock page: a part in a warehouse.
type StockRow struct {
	PartID, SKU, Name, Unit        string
	WarehouseID, Warehouse, WhCode string
	Quantity, Min                  int64
	Low                            bool
}

// StockFilter narrows the stock page.
type StockFilter struct {
	WarehouseID string
	LowOnly     bool
	Limit       int
}

// StockList lists stock per part and warehouse, low first within each
// warehouse when asked; everyone who reads stock may see it.
func (s *Service) StockList(ctx context.Context, p *access.Principal, f StockFilter) ([]StockRow, error) {
	if p.Perm("spare_part_stock").Read == access.None {
		return nil, errs.Denied()
	}
	if f.Limit <= 0 || f.Limit > 2000 {
		f.Limit = 500
	}
	q := `SELECT st.part_id, sp.sku, sp.name, COALESCE(sp.unit, ''), st.warehouse_id, w.name, w.code, st.quantity, sp.min_stock, st.low
		FROM spare_part_stock st JOIN spare_parts sp ON sp.id = st.part_id JOIN warehouses w ON w.id = st.warehouse_id
		WHERE sp.deleted_at IS NULL AND w.deleted_at IS NULL`
	var args []any
	if f.WarehouseID != "" {
		args = append(args, cleanID(f.WarehouseID))
		q += fmt.Sprintf(` AND st.warehouse_id = $%d`, len(args))
	}
	if f.LowOnly {
		q += ` AND st.low = TRUE`
	}
	q += fmt.Sprintf(` ORDER BY w.code, st.low DESC, sp.sku LIMIT %d`, f.Limit)
	rows, err := s.DB.R().QueryContext(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("fieldservice: stock list: %w", err)
	}
	defer rows.Close()
	var out []StockRow
	for rows.Next() {
		var r StockRow
		if err := rows.Scan(&r.PartID, &r.SKU, &r.Name, &r.Unit, &r.WarehouseID, &r.Warehouse, &r.WhCode, &r.Quantity, &r.Min, &r.Low); err != nil {
			return nil, fmt.Errorf("fieldservice: stock row: %w", err)
		}
		out = append(out, r)
	}
	return out, rows.Err()
}

// EngineerWarehouse is the warehouse an engineer takes parts from: the
// active van they keep, else any active warehouse they keep ("" when none).
func (s *Service) EngineerWarehouse(ctx context.Context, q store.Querier, userID string) (string, error) {
	if userID == "" {
		return "", nil
	}
	ids, err := store.Strings(ctx, q, `SELECT id FROM warehouses WHERE keeper_id = $1 AND active = TRUE AND deleted_at IS NULL
		ORDER BY CASE WHEN kind = 'van' THEN 0 ELSE 1 END, code LIMIT 1`, userID)
	if err != nil {
		return "", fmt.Errorf("fieldservice: engineer's warehouse: %w", err)
	}
	if len(ids) == 0 {
		return "", nil
	}
	return ids[0], nil
}

// Choice is an option of a picker: a record's id and its label.
type Choice struct {
	ID, Label string
	Extra     string
}

// PartChoices are the active spare parts (for the parts form), by SKU.
func (s *Service) PartChoices(ctx context.Context) ([]Choice, error) {
	return s.choices(ctx, `SELECT id, sku || ' ' || name, COALESCE(unit, '') FROM spare_parts WHERE active = TRUE AND deleted_at IS NULL ORDER BY sku LIMIT 1000`)
}

// WarehouseChoices are the active warehouses, by code.
func (s *Service) WarehouseChoices(ctx context.Context) ([]Choice, error) {
	return s.choices(ctx, `SELECT id, name, kind FROM warehouses WHERE active = TRUE AND deleted_at IS NULL ORDER BY code LIMIT 500`)
}

func (s *Service) choices(ctx context.Context, q string) ([]Choice, error) {
	rows, err := s.DB.R().QueryContext(ctx, q)
	if err != nil {
		return nil, fmt.Errorf("fieldservice: choices: %w", err)
	}
	defer rows.Close()
	var out []Choice
	for rows.Next() {
		var c Choice
		if err := rows.Scan(&c.ID, &c.Label, &c.Extra); err != nil {
			return nil, err
		}
		out = append(out, c)
	}
	return out, rows.Err()
}

// EngineerChoices are the active field engineers (the visit's engineer
// picker), by name.
func (s *Service) EngineerChoices(ctx context.Context) ([]Choice, error) {
	return s.choices(ctx, `SELECT u.id, u.name, '' FROM service_agents a JOIN users u ON u.id = a.user_id
		WHERE a.field_engineer = TRUE AND a.active = TRUE AND a.deleted_at IS NULL AND u.active = TRUE AND u.deleted_at IS NULL ORDER BY u.name LIMIT 500`)
}
