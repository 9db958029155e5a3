package fulfilment_test

import (
	"fmt"
	"sync"
	"testing"
	"time"

	"closeloop/internal/crm"
	"closeloop/internal/entity"
	"closeloop/internal/errs"
	"closeloop/internal/fulfilment"
	"closeloop/internal/store"
)

func TestOrderFromContractTakesTheQuoteLines(t *testing.T) {
	e := newEnv(t)
	q := e.quote(t, crm.QuoteAccepted, [3]any{e.Sensor, int64(4), int64(452000)}, [3]any{e.Service, int64(3), int64(100000)})
	c := e.contract(t, crm.ContractSigned, q)
	o, err := e.F.CreateOrder(ctx, e.Coord, fulfilment.OrderInput{Order: entity.Record{"contract_id": c}})
	if err != nil {
		t.Fatal(err)
	}
	if !numberRE("SO").MatchString(o.Str("number")) || o.Str("status") != crm.OrderConfirmed || o.Str("customer_id") != e.Customer.ID() ||
		o.Str("quote_id") != q || o.Str("customer_name") != "合肥京东方光电科技有限公司" || o.Str("ship_to") == "" {
		t.Errorf("order %v", o)
	}
	ls := e.lines(t, o.ID())
	if len(ls) != 2 || ls[0].Int("quantity") != 4 || ls[0].Int("line_total") != 452000 || ls[0].Int("unit_price") != 113000 ||
		ls[1].Int("quantity") != 3 || ls[1].Int("line_total") != 100000 || ls[1].Int("unit_price") != 33333 || ls[0].Str("customer_id") != e.Customer.ID() {
		t.Errorf("lines %v", ls)
	}
	if o.Int("total") != 552000 {
		t.Errorf("total %d, want the quote lines' 552000", o.Int("total"))
	}
	if kinds(t, e, e.Customer.ID())["order_created_from"] != 1 {
		t.Error("no order_created on the customer's timeline")
	}
	// Second order of the month: the next number.
	o2 := e.typedOrder(t, [3]any{e.Sensor, int64(1), int64(1000)})
	if o2.Str("number") <= o.Str("number") || !numberRE("SO").MatchString(o2.Str("number")) {
		t.Errorf("numbers %s then %s", o.Str("number"), o2.Str("number"))
	}

	// What may not be ordered.
	draft := e.contract(t, crm.ContractDraft, q)
	_, err = e.F.CreateOrder(ctx, e.Coord, fulfilment.OrderInput{Order: entity.Record{"contract_id": draft}})
	if fieldCode(err) != "contract_id:order_contract_not_signed" {
		t.Errorf("draft contract: %v", err)
	}
	sent := e.quote(t, crm.QuoteSent, [3]any{e.Sensor, int64(1), int64(1000)})
	_, err = e.F.CreateOrder(ctx, e.Coord, fulfilment.OrderInput{Order: entity.Record{"quote_id": sent}})
	if fieldCode(err) != "quote_id:order_quote_not_accepted" {
		t.Errorf("quote not accepted: %v", err)
	}
	other := e.Fixture.Customer(t, e.Rep1, "芜湖奇瑞汽车股份有限公司")
	_, err = e.F.CreateOrder(ctx, e.Coord, fulfilment.OrderInput{Order: entity.Record{"contract_id": c, "customer_id": other.ID()}})
	if fieldCode(err) != "customer_id:order_customer_not_of_contract" {
		t.Errorf("another customer: %v", err)
	}
	// From an accepted quote directly, lines given: the given lines win.
	o3, err := e.F.CreateOrder(ctx, e.Coord, fulfilment.OrderInput{Order: entity.Record{"quote_id": q},
		Lines: []entity.Record{{"product_id": e.Cabinet.ID(), "quantity": int64(2), "unit_price": int64(250000)}}})
	if err != nil {
		t.Fatal(err)
	}
	if ls := e.lines(t, o3.ID()); len(ls) != 1 || ls[0].Str("name") != "42U 标准机柜" || o3.Int("total") != 500000 {
		t.Errorf("given lines: %v total %d", ls, o3.Int("total"))
	}
	// A bad line is named by its index and nothing is written.
	before := len(e.lines(t, o3.ID()))
	_, err = e.F.CreateOrder(ctx, e.Coord, fulfilment.OrderInput{Order: entity.Record{"customer_id": e.Customer.ID()},
		Lines: []entity.Record{{"product_id": e.Cabinet.ID(), "quantity": int64(1)}, {"quantity": int64(2)}}})
	if fieldCode(err) != "lines[1].name:required" {
		t.Errorf("bad line: %v", err)
	}
	if n := len(e.lines(t, o3.ID())); n != before {
		t.Error("changed")
	}
	// Source and customer are fixed once made.
	_, err = e.App.Records.Update(ctx, e.Coord, "sales_order", o.ID(), 0, entity.Record{"customer_id": other.ID()})
	if fieldCode(err) != "customer_id:order_source_fixed" {
		t.Errorf("customer change: %v", err)
	}
}

func TestReserveShipAndCancel(t *testing.T) {
	e := newEnv(t)
	a := e.typedOrder(t, [3]any{e.Sensor, int64(6), int64(113000)}, [3]any{e.Service, int64(1), int64(50000)})
	b := e.typedOrder(t, [3]any{e.Sensor, int64(6), int64(113000)})

	stock, err := e.F.StockCheck(ctx, e.Coord, a.ID())
	if err != nil || len(stock) != 2 || stock[0].Available != 10 || stock[0].Need != 6 || !stock[0].Enough || stock[1].Stocked {
		t.Fatalf("stock check: %+v %v", stock, err)
	}
	res, err := e.F.Reserve(ctx, e.Coord, a.ID(), a.Version())
	if err != nil {
		t.Fatal(err)
	}
	if res.Order.Str("status") != crm.OrderReserved || len(res.Lines) != 1 || res.Lines[0].Reserved != 6 || res.Lines[0].Short != 0 {
		t.Errorf("reserve a: %+v", res)
	}
	if _, r := e.stock(t, e.Sensor.ID()); r != 6 {
		t.Errorf("reserved %d", r)
	}
	// Order b gets what is left: 4 of 6, and stays confirmed.
	res, err = e.F.Reserve(ctx, e.Coord, b.ID(), 0)
	if err != nil || res.Lines[0].Reserved != 4 || res.Lines[0].Short != 2 || res.Order.Str("status") != crm.OrderConfirmed {
		t.Errorf("reserve b: %+v %v", res, err)
	}
	if stock, _ := e.F.StockCheck(ctx, e.Coord, b.ID()); stock[0].Available != 0 || stock[0].Need != 2 || stock[0].Enough {
		t.Errorf("stock after: %+v", stock)
	}
	// Again: nothing more to have.
	if res, _ = e.F.Reserve(ctx, e.Coord, b.ID(), 0); res.Lines[0].Reserved != 0 {
		t.Errorf("reserved from nothing: %+v", res)
	}
	// A stale version is refused.
	if _, err := e.F.Reserve(ctx, e.Coord, a.ID(), a.Version()); errs.CodeOf(err) != "stale_version" {
		t.Errorf("stale: %v", err)
	}
	// Lines are locked once reserved.
	if _, err := e.F.UpdateOrder(ctx, e.Coord, a.ID(), 0, fulfilment.OrderInput{Lines: []entity.Record{}}); errs.CodeOf(err) != "order_lines_locked" {
		t.Errorf("lines after reserving: %v", err)
	}

	// Ship a: its 6 leave the stock and the reservation.
	d, err := e.F.CreateDelivery(ctx, e.Coord, fulfilment.DeliveryInput{Delivery: entity.Record{"order_id": a.ID(), "carrier": "顺丰速运"}})
	if err != nil {
		t.Fatal(err)
	}
	_, dl, _, _ := e.F.Delivery(ctx, e.Coord, d.ID())
	if len(dl) != 1 || dl[0].Int("quantity") != 6 || !numberRE("FH").MatchString(d.Str("number")) {
		t.Errorf("default lines (goods only): %v %s", dl, d.Str("number"))
	}
	if _, err := e.F.Track(ctx, e.Coord, d.ID(), fulfilment.TrackInput{Status: crm.DeliveryShipped}); err != nil {
		t.Fatal(err)
	}
	if s, r := e.stock(t, e.Sensor.ID()); s != 4 || r != 4 {
		t.Errorf("after shipping: stock %d reserved %d, want 4 and 4", s, r)
	}
	if o := e.order(t, a.ID()); o.Str("status") != crm.OrderDelivered {
		t.Errorf("a after shipping: %s", o.Str("status"))
	}
	// Cancel: refused for a, whose goods left; b releases its 4.
	if _, err := e.F.Cancel(ctx, e.Coord, a.ID(), 0, "客户取消"); errs.CodeOf(err) != "order_has_shipments" {
		t.Errorf("cancel shipped: %v", err)
	}
	if _, err := e.F.Cancel(ctx, e.Coord, b.ID(), 0, ""); fieldCode(err) != "reason:required" {
		t.Errorf("cancel without reason: %v", err)
	}
	pd, err := e.F.CreateDelivery(ctx, e.Coord, fulfilment.DeliveryInput{Delivery: entity.Record{"order_id": b.ID()}})
	if err != nil {
		t.Fatal(err)
	}
	ob, err := e.F.Cancel(ctx, e.Coord, b.ID(), 0, "项目延期")
	if err != nil || ob.Str("status") != crm.OrderCancelled {
		t.Fatalf("cancel: %v %v", ob, err)
	}
	if s, r := e.stock(t, e.Sensor.ID()); s != 4 || r != 0 {
		t.Errorf("after cancelling: stock %d reserved %d, want 4 and 0", s, r)
	}
	if d, _, _, _ := e.F.Delivery(ctx, e.Coord, pd.ID()); d.Str("status") != crm.DeliveryCancelled {
		t.Errorf("planned delivery of a cancelled order: %s", d.Str("status"))
	}
	if _, err := e.F.Reserve(ctx, e.Coord, b.ID(), 0); errs.CodeOf(err) != "order_not_open" {
		t.Errorf("reserve cancelled: %v", err)
	}
	// A sales rep reads the orders of his customer but changes none.
	if _, _, err := e.F.Order(ctx, e.Rep1, a.ID()); err != nil {
		t.Errorf("rep reads his customer's order: %v", err)
	}
	if _, _, err := e.F.Order(ctx, e.Rep3, a.ID()); errs.KindOf(err) != errs.NotFound {
		t.Errorf("other rep: %v", err)
	}
	if _, err := e.F.Reserve(ctx, e.Rep1, a.ID(), 0); errs.KindOf(err) != errs.Forbidden {
		t.Errorf("rep reserves: %v", err)
	}
}

// Twenty reservations of the last units at once never take more than
// there is: the stock's conditional update lets exactly what is available
// through, on both engines.
func TestConcurrentReservationsNeverOversell(t *testing.T) {
	e := newEnv(t)
	const orders = 20
	var ids []string
	for i := 0; i < orders; i++ {
		ids = append(ids, e.typedOrder(t, [3]any{e.Cabinet, int64(1 + i%2), int64(250000)}).ID()) // 3 in stock; 30 wanted
	}
	var wg sync.WaitGroup
	errc := make(chan error, orders)
	for _, id := range ids {
		wg.Add(1)
		go func(id string) {
			defer wg.Done()
			if _, err := e.F.Reserve(ctx, e.Coord, id, 0); err != nil {
				errc <- fmt.Errorf("%s: %w", id, err)
			}
		}(id)
	}
	wg.Wait()
	close(errc)
	for err := range errc {
		t.Error(err)
	}
	stock, reserved := e.stock(t, e.Cabinet.ID())
	var sum int64
	if err := e.App.DB.R().QueryRowContext(ctx, `SELECT coalesce(sum(reserved_qty), 0) FROM order_lines WHERE product_id = $1`, e.Cabinet.ID()).Scan(&sum); err != nil {
		t.Fatal(err)
	}
	if stock != 3 || reserved != 3 || sum != 3 {
		t.Errorf("stock %d, reserved %d, reserved on lines %d: want 3, 3, 3", stock, reserved, sum)
	}
	// Twenty reservations of the same order reserve its need once.
	e2 := e.typedOrder(t, [3]any{e.Sensor, int64(7), int64(1000)})
	for i := 0; i < orders; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if _, err := e.F.Reserve(ctx, e.Coord, e2.ID(), 0); err != nil {
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	if _, r := e.stock(t, e.Sensor.ID()); r != 7 {
		t.Errorf("one order reserved %d, want 7", r)
	}
}

func TestDeliveriesAgainstTheOrder(t *testing.T) {
	e := newEnv(t)
	o := e.typedOrder(t, [3]any{e.Sensor, int64(5), int64(1000)}, [3]any{e.Cabinet, int64(2), int64(2000)})
	ls := e.lines(t, o.ID())
	plan := func(lines ...[2]any) (entity.Record, error) {
		var in []entity.Record
		for _, l := range lines {
			in = append(in, entity.Record{"order_line_id": l[0].(string), "quantity": l[1].(int64), "batch_no": "B2612-07", "production_date": "2026-11-20"})
		}
		return e.F.CreateDelivery(ctx, e.Coord, fulfilment.DeliveryInput{Delivery: entity.Record{"order_id": o.ID(), "packaging": "木箱", "carrier": "德邦物流", "tracking_no": "DPK2026120101"}, Lines: in})
	}
	_, err := plan([2]any{ls[0].ID(), int64(6)})
	if errs.CodeOf(err) != "delivery_exceeds_order" || fieldCode(err) != "lines[0].quantity:delivery_exceeds_order" {
		t.Errorf("6 of 5: %v", err)
	}
	d1, err := plan([2]any{ls[0].ID(), int64(3)}, [2]any{ls[1].ID(), int64(2)})
	if err != nil {
		t.Fatal(err)
	}
	// A second delivery gets only what the first does not plan.
	if _, err := plan([2]any{ls[0].ID(), int64(3)}); errs.CodeOf(err) != "delivery_exceeds_order" {
		t.Errorf("3 more of the 2 left: %v", err)
	}
	d2, err := plan([2]any{ls[0].ID(), int64(2)})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := plan([2]any{ls[0].ID(), int64(1)}); errs.CodeOf(err) != "delivery_exceeds_order" {
		t.Errorf("nothing left: %v", err)
	}
	// Nothing left by default either.
	if _, err := e.F.CreateDelivery(ctx, e.Coord, fulfilment.DeliveryInput{Delivery: entity.Record{"order_id": o.ID()}}); errs.CodeOf(err) != "order_nothing_to_deliver" {
		t.Errorf("default lines with nothing left: %v", err)
	}
	_, lines, _, _ := e.F.Delivery(ctx, e.Coord, d1.ID())
	if len(lines) != 2 || lines[0].Str("batch_no") != "B2612-07" || lines[0].Str("production_date") != "2026-11-20" || lines[0].Str("name") != "激光位移传感器" {
		t.Errorf("lines %v", lines)
	}
	// Changing d2's lines is checked the same way, leaving d2 itself out.
	if _, err := e.F.UpdateDelivery(ctx, e.Coord, d2.ID(), 0, fulfilment.DeliveryInput{Delivery: entity.Record{},
		Lines: []entity.Record{{"order_line_id": ls[0].ID(), "quantity": int64(3)}}}); errs.CodeOf(err) != "delivery_exceeds_order" {
		t.Errorf("grow d2 beyond: %v", err)
	}
	// Moves out of order are refused.
	if _, err := e.F.Track(ctx, e.Coord, d1.ID(), fulfilment.TrackInput{Status: crm.DeliveryDelivered}); errs.CodeOf(err) != "delivery_status_order" {
		t.Errorf("planned → delivered: %v", err)
	}
	if _, err := e.F.Track(ctx, e.Coord, d1.ID(), fulfilment.TrackInput{Status: crm.DeliverySigned}); errs.CodeOf(err) != "delivery_sign_by_link" {
		t.Errorf("signed by staff: %v", err)
	}
	// Shipping takes stock not reserved from what is available.
	if _, err := e.F.Track(ctx, e.Coord, d1.ID(), fulfilment.TrackInput{Status: crm.DeliveryShipped, Note: "仓库发出"}); err != nil {
		t.Fatal(err)
	}
	if s, r := e.stock(t, e.Sensor.ID()); s != 7 || r != 0 {
		t.Errorf("sensor stock %d reserved %d", s, r)
	}
	if o := e.order(t, o.ID()); o.Str("status") != crm.OrderPartlyDelivered {
		t.Errorf("status %s", o.Str("status"))
	}
	if _, err := e.F.UpdateDelivery(ctx, e.Coord, d1.ID(), 0, fulfilment.DeliveryInput{Delivery: entity.Record{}, Lines: []entity.Record{}}); errs.CodeOf(err) != "delivery_lines_locked" {
		t.Errorf("lines after shipping: %v", err)
	}
	for _, step := range []fulfilment.TrackInput{{Status: crm.DeliveryInTransit, Location: "合肥转运中心"}, {Status: crm.DeliveryInTransit, Location: "合肥新站营业部", Note: "派送中"}, {Status: crm.DeliveryDelivered}} {
		if _, err := e.F.Track(ctx, e.Coord, d1.ID(), step); err != nil {
			t.Fatalf("%+v: %v", step, err)
		}
	}
	_, _, evs, _ := e.F.Delivery(ctx, e.Coord, d1.ID())
	if len(evs) != 5 || evs[0].Str("status") != crm.DeliveryDelivered || evs[len(evs)-1].Str("status") != crm.DeliveryPlanned {
		t.Errorf("tracking %v", evs)
	}
	// Cabinets: 2 of 3 in stock went; a delivery of more than there is fails.
	if s, _ := e.stock(t, e.Cabinet.ID()); s != 1 {
		t.Errorf("cabinet stock %d", s)
	}
	// d2 plans 2 sensors, none reserved: stock may go down to 1, not below
	// what orders hold reserved (the catalogue's rule, branch quotes).
	e2 := e.typedOrder(t, [3]any{e.Sensor, int64(1), int64(1)})
	if _, err := e.F.Reserve(ctx, e.Coord, e2.ID(), 0); err != nil {
		t.Fatal(err)
	}
	if _, err := e.App.Records.Update(ctx, e.Coord, "product", e.Sensor.ID(), 0, entity.Record{"stock_qty": int64(0)}); fieldCode(err) != "stock_qty:product_stock_below_reserved" {
		t.Errorf("stock below the reservations: %v", err)
	}
	if _, err := e.App.Records.Update(ctx, e.Coord, "product", e.Sensor.ID(), 0, entity.Record{"stock_qty": int64(1)}); err != nil {
		t.Fatal(err)
	}
	if _, err := e.F.Track(ctx, e.Coord, d2.ID(), fulfilment.TrackInput{Status: crm.DeliveryShipped}); errs.CodeOf(err) != "delivery_insufficient_stock" {
		t.Errorf("ship without stock (1 in stock, all reserved for another order): %v", err)
	}
	if s, _ := e.stock(t, e.Sensor.ID()); s != 1 {
		t.Errorf("a refused shipment took stock: %d", s)
	}
	// A shipped delivery is kept.
	if err := e.App.Records.Delete(ctx, e.Admin, "delivery", d1.ID(), 0); errs.CodeOf(err) != "delivery_shipped_kept" {
		t.Errorf("delete shipped: %v", err)
	}
}

// Orders, deliveries and tasks link the customer's newest hand-over
// report (written by the contracts part at signing).
func TestOrdersLinkTheHandover(t *testing.T) {
	e := newEnv(t)
	if o := e.typedOrder(t, [3]any{e.Sensor, int64(1), int64(1)}); o.Str("handover_id") != "" {
		t.Fatalf("a hand-over out of nowhere: %v", o)
	}
	c := e.contract(t, crm.ContractSigned, "")
	hid := store.NewID()
	now := time.Now().UTC()
	if _, err := e.App.DB.W().ExecContext(ctx, `INSERT INTO handovers (id, title, contract_id, customer_id, version_no, ack_status, sections, body, version, created_at, updated_at, owner_id)
		VALUES ($1, '客户需求总结报告', $2, $3, 1, 'pending', '[]', '', 1, $4, $4, $5)`, hid, c, e.Customer.ID(), now, e.Rep1.UserID); err != nil {
		t.Fatal(err)
	}
	o := e.typedOrder(t, [3]any{e.Sensor, int64(1), int64(1)})
	d, err := e.F.CreateDelivery(ctx, e.Coord, fulfilment.DeliveryInput{Delivery: entity.Record{"order_id": o.ID()}})
	if err != nil {
		t.Fatal(err)
	}
	task, err := e.App.Records.Create(ctx, e.Coord, "service_task", entity.Record{"title": "培训", "kind": crm.TaskTraining, "order_id": o.ID(), "scheduled_start": now})
	if err != nil {
		t.Fatal(err)
	}
	if o.Str("handover_id") != hid || d.Str("handover_id") != hid || task.Str("handover_id") != hid {
		t.Errorf("hand-over %s: order %q delivery %q task %q", hid, o.Str("handover_id"), d.Str("handover_id"), task.Str("handover_id"))
	}
}
