package care

import (
	"context"
	"fmt"
	"sort"
	"time"

	"closeloop/internal/access"
	"closeloop/internal/crm"
	"closeloop/internal/entity"
	"closeloop/internal/errs"
	"closeloop/internal/store"
)

// Signal is one reason to call a customer with an offer (商机信号): a
// warranty or contract about to expire, a fault that keeps coming back,
// a consumable that should be reordered by now.
type Signal struct {
	Kind         string `json:"kind"`
	CustomerID   string `json:"customer_id"`
	CustomerName string `json:"customer_name"`
	OwnerID      string `json:"owner_id,omitempty"`
	// Date is the day the signal is about: the warranty's or contract's
	// last day, the newest of the repeated tickets, the last order.
	Date string `json:"date"`
	// Detail names the product, contract or delivery concerned.
	Detail string `json:"detail"`
	// Entity and RecordID point at the record behind the signal (a
	// contract, a delivery, a product); Count is the number of tickets of a
	// repeated fault, or days since the last order of a consumable.
	Entity   string `json:"entity"`
	RecordID string `json:"record_id"`
	Count    int    `json:"count,omitempty"`
	// ProductID is the product concerned, when one is.
	ProductID string `json:"product_id,omitempty"`
}

// Signals lists the signals of the customers p may see, newest concern
// first within each kind: warranties and contracts ending within the care
// look-ahead (Settings.Days), repeated faults (crm.RepeatedFaultTickets
// tickets or more on one product within crm.RepeatedFaultDays), and
// consumables due (a product of category crm.ConsumablesCategory last
// ordered by the customer more than Settings.ConsumableDays ago, not
// since). kind filters to one kind ("": all).
func (s *Service) Signals(ctx context.Context, p *access.Principal, kind string, now time.Time) ([]Signal, error) {
	ce := s.entity("customer")
	if ce == nil || p.Perm("customer").Read == access.None {
		return nil, errs.Denied()
	}
	st, err := s.LoadSettings(ctx, s.DB.R())
	if err != nil {
		return nil, err
	}
	vis := s.DB.Visible(ce, p, p.Perm("customer").Read)
	today := now.In(s.R.Loc).Format(entity.DateLayout)
	from, to := crm.CareWindow(today, st.Days)
	var out []Signal
	want := func(k string) bool { return kind == "" || kind == k }
	names := map[string][2]string{}
	nameOf := func(id string) (string, string) {
		if v, ok := names[id]; ok {
			return v[0], v[1]
		}
		var n string
		var o *string
		_ = s.DB.R().QueryRowContext(ctx, `SELECT name, owner_id FROM customers WHERE id = $1`, id).Scan(&n, &o)
		ow := ""
		if o != nil {
			ow = *o
		}
		names[id] = [2]string{n, ow}
		return n, ow
	}
	if want(crm.SignalWarranty) {
		ws, err := s.warrantyLines(ctx, from, to, vis)
		if err != nil {
			return nil, err
		}
		for _, w := range ws {
			n, o := nameOf(w.customer)
			out = append(out, Signal{Kind: crm.SignalWarranty, CustomerID: w.customer, CustomerName: n, OwnerID: o, Date: w.last,
				Detail: fmt.Sprintf("%s · %s", w.product, w.delivery), Entity: "delivery", RecordID: w.deliveryID, ProductID: w.productID})
		}
	}
	if want(crm.SignalContract) {
		a := &store.Args{}
		q := `SELECT k.id, k.customer_id, t.name, t.owner_id, k.number, k.title, k.valid_to FROM contracts k JOIN customers t ON t.id = k.customer_id
			WHERE k.deleted_at IS NULL AND t.deleted_at IS NULL AND k.status IN ('signed', 'in_execution') AND k.valid_to >= ` + a.Add(from) +
			` AND k.valid_to <= ` + a.Add(to) + ` AND ` + vis(a) + ` ORDER BY k.valid_to, k.id`
		rows, err := s.DB.R().QueryContext(ctx, q, a.V...)
		if err != nil {
			return nil, errs.Wrap(err, "care: contract signals")
		}
		for rows.Next() {
			var sg Signal
			var owner *string
			var number, title string
			var validTo any
			if err := rows.Scan(&sg.RecordID, &sg.CustomerID, &sg.CustomerName, &owner, &number, &title, &validTo); err != nil {
				rows.Close()
				return nil, err
			}
			if owner != nil {
				sg.OwnerID = *owner
			}
			sg.Kind, sg.Entity, sg.Date, sg.Detail = crm.SignalContract, "contract", dateText(validTo), number+" · "+title
			out = append(out, sg)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return nil, err
		}
	}
	if want(crm.SignalRepeated) && s.entity("ticket") != nil {
		since := entity.CanonTime(now.AddDate(0, 0, -crm.RepeatedFaultDays))
		a := &store.Args{}
		q := `SELECT k.customer_id, t.name, t.owner_id, k.product_id, coalesce(pr.name, ''), count(*), max(k.created_at)
			FROM tickets k JOIN customers t ON t.id = k.customer_id LEFT JOIN products pr ON pr.id = k.product_id
			WHERE k.deleted_at IS NULL AND t.deleted_at IS NULL AND k.product_id IS NOT NULL AND k.merged_into_id IS NULL AND k.created_at >= ` + a.Add(since) +
			` AND ` + vis(a) + ` GROUP BY k.customer_id, t.name, t.owner_id, k.product_id, pr.name HAVING count(*) >= ` + a.Add(crm.RepeatedFaultTickets) +
			` ORDER BY count(*) DESC, k.customer_id`
		rows, err := s.DB.R().QueryContext(ctx, q, a.V...)
		if err != nil {
			return nil, errs.Wrap(err, "care: repeated faults")
		}
		for rows.Next() {
			var sg Signal
			var owner *string
			var last any
			if err := rows.Scan(&sg.CustomerID, &sg.CustomerName, &owner, &sg.ProductID, &sg.Detail, &sg.Count, &last); err != nil {
				rows.Close()
				return nil, err
			}
			if owner != nil {
				sg.OwnerID = *owner
			}
			sg.Kind, sg.Entity, sg.RecordID, sg.Date = crm.SignalRepeated, "product", sg.ProductID, s.dayOf(last)
			out = append(out, sg)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return nil, err
		}
	}
	if want(crm.SignalConsumables) {
		cutoff := entity.CanonTime(now.AddDate(0, 0, -st.ConsumableDays))
		a := &store.Args{}
		q := `SELECT o.customer_id, t.name, t.owner_id, l.product_id, pr.name, max(o.created_at)
			FROM order_lines l JOIN sales_orders o ON o.id = l.order_id JOIN products pr ON pr.id = l.product_id JOIN customers t ON t.id = o.customer_id
			WHERE o.deleted_at IS NULL AND t.deleted_at IS NULL AND o.status <> 'cancelled' AND pr.category = ` + a.Add(crm.ConsumablesCategory) +
			` AND ` + vis(a) + ` GROUP BY o.customer_id, t.name, t.owner_id, l.product_id, pr.name HAVING max(o.created_at) < ` + a.Add(cutoff) +
			` ORDER BY max(o.created_at), o.customer_id`
		rows, err := s.DB.R().QueryContext(ctx, q, a.V...)
		if err != nil {
			return nil, errs.Wrap(err, "care: consumables")
		}
		for rows.Next() {
			var sg Signal
			var owner *string
			var last any
			if err := rows.Scan(&sg.CustomerID, &sg.CustomerName, &owner, &sg.ProductID, &sg.Detail, &last); err != nil {
				rows.Close()
				return nil, err
			}
			if owner != nil {
				sg.OwnerID = *owner
			}
			lt := store.ScanTime(last)
			sg.Kind, sg.Entity, sg.RecordID, sg.Date = crm.SignalConsumables, "product", sg.ProductID, s.dayOf(last)
			if !lt.IsZero() {
				sg.Count = int(now.Sub(lt).Hours() / 24)
			}
			out = append(out, sg)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return nil, err
		}
	}
	order := map[string]int{crm.SignalWarranty: 0, crm.SignalContract: 1, crm.SignalRepeated: 2, crm.SignalConsumables: 3}
	sort.SliceStable(out, func(i, j int) bool { return order[out[i].Kind] < order[out[j].Kind] })
	return out, nil
}
