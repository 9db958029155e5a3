package fulfilment_test

import (
	"context"
	"regexp"
	"testing"
	"time"

	"closeloop/internal/access"
	"closeloop/internal/apptest"
	"closeloop/internal/entity"
	"closeloop/internal/errs"
	"closeloop/internal/fulfilment"
	"closeloop/internal/store"
)

var ctx = context.Background()

// env is a fixture organisation with a delivery coordinator, a field
// engineer, two products in stock and a customer of rep 1.
type env struct {
	*apptest.Fixture
	F        *fulfilment.Service
	Coord    *access.Principal
	Engineer *access.Principal
	Customer entity.Record
	Sensor   entity.Record // goods, 10 in stock
	Cabinet  entity.Record // goods, 3 in stock
	Service  entity.Record // a service (no stock)
}

func newEnv(t *testing.T) *env {
	t.Helper()
	f := apptest.NewFixture(t)
	e := &env{Fixture: f, F: f.App.Fulfilment}
	e.Coord = f.AddUser(t, "孙协调", "sun@example.com", f.Company, access.RoleDelivery)
	e.Engineer = f.AddUser(t, "周工", "zhougong@example.com", f.South, access.RoleService)
	e.Customer = f.Customer(t, f.Rep1, "合肥京东方光电科技有限公司", "address", "合肥市新站区东方大道 2177 号")
	e.Sensor = e.product(t, "SEN-100", "激光位移传感器", "goods", 10)
	e.Cabinet = e.product(t, "CAB-42", "42U 标准机柜", "goods", 3)
	e.Service = e.product(t, "SRV-INST", "现场安装调试服务", "service", 0)
	return e
}

func (e *env) product(t *testing.T, sku, name, kind string, stock int64) entity.Record {
	t.Helper()
	r, err := e.App.Records.Create(ctx, access.SystemPrincipal(), "product", entity.Record{
		"sku": sku, "name": name, "kind": kind, "unit": "台", "list_price": int64(100000), "stock_qty": stock})
	if err != nil {
		t.Fatalf("product %s: %v", sku, err)
	}
	return r
}

// stock reads a product's stock and reservations.
func (e *env) stock(t *testing.T, id string) (stock, reserved int64) {
	t.Helper()
	if err := e.App.DB.R().QueryRowContext(ctx, `SELECT stock_qty, reserved_qty FROM products WHERE id = $1`, id).Scan(&stock, &reserved); err != nil {
		t.Fatal(err)
	}
	return
}

// quote writes an accepted (or other) quote with lines straight into its
// tables: the quote process is another part's.
func (e *env) quote(t *testing.T, status string, lines ...[3]any) string {
	t.Helper()
	id, now := store.NewID(), time.Now().UTC()
	db := e.App.DB
	_, err := db.W().ExecContext(ctx, `INSERT INTO quotes (id, number, title, customer_id, revision, status, currency, valid_until,
		subtotal, discount_amount, net_amount, tax_amount, total, max_discount_bp, version, created_at, updated_at, owner_id, team_id)
		VALUES ($1, $2, '产线视觉检测', $3, 1, $4, 'CNY', '2027-01-31', 0, 0, 0, 0, 0, 0, 1, $5, $5, $6, $7)`,
		id, "Q-TEST-"+id[len(id)-6:], e.Customer.ID(), status, now, e.Rep1.UserID, e.NorthSales)
	if err != nil {
		t.Fatal(err)
	}
	for i, l := range lines {
		// product id, quantity, line total (after discount, with tax)
		pid, qty, total := l[0].(entity.Record), l[1].(int64), l[2].(int64)
		_, err := db.W().ExecContext(ctx, `INSERT INTO quote_lines (id, quote_id, position, product_id, name, spec, unit, quantity, unit_price,
			discount_bp, tax_rate_bp, net_amount, tax_amount, line_total, version, created_at, updated_at)
			VALUES ($1, $2, $3, $4, $5, 'LK-G5000', '台', $6, 0, 500, 1300, 0, 0, $7, 1, $8, $8)`,
			store.NewID(), id, i+1, pid.ID(), pid.Str("name"), qty, total, now)
		if err != nil {
			t.Fatal(err)
		}
	}
	return id
}

// contract writes a contract (of the quote) with a status.
func (e *env) contract(t *testing.T, status, quoteID string) string {
	t.Helper()
	id, now := store.NewID(), time.Now().UTC()
	var q any
	if quoteID != "" {
		q = quoteID
	}
	_, err := e.App.DB.W().ExecContext(ctx, `INSERT INTO contracts (id, number, title, customer_id, quote_id, status, amount, currency, version, created_at, updated_at, owner_id, team_id)
		VALUES ($1, $2, '视觉检测设备采购合同', $3, $4, $5, 0, 'CNY', 1, $6, $6, $7, $8)`,
		id, "HT-TEST-"+id[len(id)-6:], e.Customer.ID(), q, status, now, e.Rep1.UserID, e.NorthSales)
	if err != nil {
		t.Fatal(err)
	}
	return id
}

// typedOrder creates an order typed in with lines (product, quantity, unit price).
func (e *env) typedOrder(t *testing.T, lines ...[3]any) entity.Record {
	t.Helper()
	var ls []entity.Record
	for _, l := range lines {
		ls = append(ls, entity.Record{"product_id": l[0].(entity.Record).ID(), "quantity": l[1].(int64), "unit_price": l[2].(int64)})
	}
	o, err := e.F.CreateOrder(ctx, e.Coord, fulfilment.OrderInput{Order: entity.Record{"customer_id": e.Customer.ID()}, Lines: ls})
	if err != nil {
		t.Fatalf("order: %v", err)
	}
	return o
}

func (e *env) lines(t *testing.T, orderID string) []entity.Record {
	t.Helper()
	_, ls, err := e.F.Order(ctx, e.Coord, orderID)
	if err != nil {
		t.Fatal(err)
	}
	return ls
}

func (e *env) order(t *testing.T, id string) entity.Record {
	t.Helper()
	o, _, err := e.F.Order(ctx, e.Coord, id)
	if err != nil {
		t.Fatal(err)
	}
	return o
}

// fieldCode is the code of the first field error, or the error's code.
func fieldCode(err error) string {
	e := errs.As(err)
	if e == nil {
		if err != nil {
			return "internal: " + err.Error()
		}
		return ""
	}
	if len(e.Fields) > 0 {
		return e.Fields[0].Field + ":" + e.Fields[0].Code
	}
	return e.Code
}

func kinds(t *testing.T, e *env, customerID string) map[string]int {
	t.Helper()
	items, err := e.App.Customers.Timeline(ctx, e.Admin, "customer", customerID, "", 200)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]int{}
	for _, it := range items {
		out[it.Kind]++
	}
	return out
}

var numberRE = func(prefix string) *regexp.Regexp {
	return regexp.MustCompile(`^` + prefix + `-\d{6}-\d{4}$`)
}
