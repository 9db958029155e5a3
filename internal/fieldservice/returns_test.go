package fieldservice_test

import (
	"strings"
	"testing"

	"closeloop/internal/access"
	"closeloop/internal/crm"
	"closeloop/internal/entity"
	"closeloop/internal/errs"
	"closeloop/internal/fieldservice"
	"closeloop/internal/fulfilment"
)

// orderWithDelivery makes an order of customer for 2 of product with a
// planned delivery of it.
func (e *env) orderWithDelivery(t *testing.T, customer, product string) (order, delivery entity.Record) {
	t.Helper()
	sys := access.SystemPrincipal()
	o, err := e.App.Fulfilment.CreateOrder(ctx, sys, fulfilment.OrderInput{Order: entity.Record{"customer_id": customer},
		Lines: []entity.Record{{"product_id": product, "quantity": int64(2), "unit_price": int64(100000)}}})
	if err != nil {
		t.Fatalf("order: %v", err)
	}
	d, err := e.App.Fulfilment.CreateDelivery(ctx, sys, fulfilment.DeliveryInput{Delivery: entity.Record{"order_id": o.ID()}})
	if err != nil {
		t.Fatalf("delivery: %v", err)
	}
	return o, d
}

func TestReturnConsistencyAndExchange(t *testing.T) {
	e := newEnv(t)
	prod := e.create(t, access.SystemPrincipal(), "product", entity.Record{"sku": "SEN-100", "name": "激光位移传感器", "kind": "goods", "unit": "台", "list_price": int64(100000), "stock_qty": int64(10)})
	o1, d1 := e.orderWithDelivery(t, e.Customer.ID(), prod.ID())
	o2, _ := e.orderWithDelivery(t, e.Other.ID(), prod.ID())
	bad := []struct {
		name  string
		in    entity.Record
		field string
	}{
		{"order of another customer", entity.Record{"customer_id": e.Customer.ID(), "order_id": o2.ID()}, "order_id"},
		{"delivery of another order", entity.Record{"customer_id": e.Other.ID(), "order_id": o2.ID(), "delivery_id": d1.ID()}, "delivery_id"},
		{"ticket of another customer", entity.Record{"customer_id": e.Other.ID(), "ticket_id": e.Ticket.ID()}, "ticket_id"},
	}
	for _, b := range bad {
		b.in["reason"], b.in["kind"] = "坏了", crm.ReturnKindExchange
		_, err := e.S.CreateReturn(ctx, e.Admin, b.in, nil)
		ee := errs.As(err)
		if ee == nil || len(ee.Fields) == 0 || ee.Fields[0].Field != b.field {
			t.Fatalf("%s: %v", b.name, err)
		}
	}
	if _, err := e.S.CreateReturn(ctx, e.Admin, entity.Record{"reason": "坏了", "delivery_id": d1.ID()}, []crm.ReturnItem{{ProductID: prod.ID(), Quantity: 0}}); errs.KindOf(err) != errs.Invalid {
		t.Fatalf("quantity 0: %v", err)
	}
	// The delivery brings its order and customer along.
	r, err := e.S.CreateReturn(ctx, e.Admin, entity.Record{"reason": "传感器读数漂移", "delivery_id": d1.ID(), "ticket_id": e.Ticket.ID(), "kind": crm.ReturnKindExchange},
		[]crm.ReturnItem{{ProductID: prod.ID(), Quantity: 1, Serial: "SN-0001"}, {PartID: e.Filter.ID(), Quantity: 2}})
	if err != nil {
		t.Fatal(err)
	}
	if r.Str("order_id") != o1.ID() || r.Str("customer_id") != e.Customer.ID() || !strings.HasPrefix(r.Str("number"), "TH-") || len(fieldservice.Items(r)) != 2 {
		t.Fatalf("return: %v", r)
	}
	steps := []struct {
		in     fieldservice.ReturnStepInput
		code   string
		status string
	}{
		{fieldservice.ReturnStepInput{Step: crm.ReturnStepInspect, Result: crm.InspectDefect}, "return_step", crm.ReturnRequested},
		{fieldservice.ReturnStepInput{Step: crm.ReturnStepReceive}, "validation", crm.ReturnRequested},
		{fieldservice.ReturnStepInput{Step: crm.ReturnStepReceive, WarehouseID: e.Central.ID(), Notes: "外包装完好"}, "", crm.ReturnReceived},
		{fieldservice.ReturnStepInput{Step: crm.ReturnStepInspect}, "validation", crm.ReturnReceived},
		{fieldservice.ReturnStepInput{Step: crm.ReturnStepInspect, Result: "bogus"}, "validation", crm.ReturnReceived},
		{fieldservice.ReturnStepInput{Step: crm.ReturnStepInspect, Result: crm.InspectDefect, Notes: "激光头老化"}, "", crm.ReturnInspected},
		{fieldservice.ReturnStepInput{Step: crm.ReturnStepRefund, Amount: 100}, "return_step", crm.ReturnInspected},
		{fieldservice.ReturnStepInput{Step: crm.ReturnStepReplace}, "validation", crm.ReturnInspected},
		{fieldservice.ReturnStepInput{Step: crm.ReturnStepReplace, Carrier: "顺丰", TrackingNo: "SF1234567890"}, "", crm.ReturnReplaced},
		{fieldservice.ReturnStepInput{Step: crm.ReturnStepReject, Reason: "x"}, "return_step", crm.ReturnReplaced},
		{fieldservice.ReturnStepInput{Step: crm.ReturnStepClose}, "", crm.ReturnClosed},
	}
	for _, st := range steps {
		out, err := e.S.StepReturn(ctx, e.Admin, r.ID(), st.in)
		if st.code == "" && err != nil || st.code != "" && errs.CodeOf(err) != st.code {
			t.Fatalf("%s: want %q, got %v", st.in.Step, st.code, err)
		}
		if out != nil && out.Str("status") != st.status {
			t.Fatalf("%s: status %s", st.in.Step, out.Str("status"))
		}
	}
	// The spare parts came back into the central store.
	if got := e.stock(t, e.Filter.ID(), e.Central.ID()); got != 2 {
		t.Fatalf("parts back: %d", got)
	}
	mv, err := e.S.ReturnMovements(ctx, e.Admin, r.ID())
	if err != nil || len(mv) != 1 || mv[0].Str("kind") != crm.MoveReturnIn {
		t.Fatalf("return movements: %v %v", mv, err)
	}
	if _, err := e.App.Records.Update(ctx, e.Admin, "return_request", r.ID(), 0, map[string]any{"reason": "改"}); errs.CodeOf(err) != "return_closed" {
		t.Fatalf("closed return changed: %v", err)
	}
}

func TestReturnRefundAndReject(t *testing.T) {
	e := newEnv(t)
	r, err := e.S.CreateReturn(ctx, e.Mgr, entity.Record{"reason": "不需要了", "customer_id": e.Customer.ID(), "kind": crm.ReturnKindReturn}, nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, st := range []fieldservice.ReturnStepInput{{Step: crm.ReturnStepReceive}, {Step: crm.ReturnStepInspect, Result: crm.InspectNoFault}} {
		if _, err := e.S.StepReturn(ctx, e.Mgr, r.ID(), st); err != nil {
			t.Fatalf("%s: %v", st.Step, err)
		}
	}
	if _, err := e.S.StepReturn(ctx, e.Mgr, r.ID(), fieldservice.ReturnStepInput{Step: crm.ReturnStepRefund}); errs.KindOf(err) != errs.Invalid {
		t.Fatalf("refund without amount: %v", err)
	}
	if _, err := e.S.StepReturn(ctx, e.Mgr, r.ID(), fieldservice.ReturnStepInput{Step: crm.ReturnStepRefund, Amount: 5000, Date: "2999-01-01"}); errs.KindOf(err) != errs.Invalid {
		t.Fatalf("refund in the future: %v", err)
	}
	out, err := e.S.StepReturn(ctx, e.Mgr, r.ID(), fieldservice.ReturnStepInput{Step: crm.ReturnStepRefund, Amount: 128000, Reference: "TK-2026-001"})
	if err != nil || out.Str("status") != crm.ReturnRefunded || out["refund_amount"] != int64(128000) || out.Str("refund_date") == "" {
		t.Fatalf("refund: %v %v", out, err)
	}
	r2, err := e.S.CreateReturn(ctx, e.Mgr, entity.Record{"reason": "人为损坏", "customer_id": e.Customer.ID(), "kind": crm.ReturnKindExchange}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.S.StepReturn(ctx, e.Mgr, r2.ID(), fieldservice.ReturnStepInput{Step: crm.ReturnStepReject}); errs.KindOf(err) != errs.Invalid {
		t.Fatalf("reject without reason: %v", err)
	}
	if out, err := e.S.StepReturn(ctx, e.Mgr, r2.ID(), fieldservice.ReturnStepInput{Step: crm.ReturnStepReject, Reason: "超出保修期"}); err != nil || out.Str("status") != crm.ReturnRejected {
		t.Fatalf("reject: %v", err)
	}
	// A field engineer does not see a return that is not theirs.
	if _, err := e.S.StepReturn(ctx, e.Eng1, r.ID(), fieldservice.ReturnStepInput{Step: crm.ReturnStepClose}); errs.KindOf(err) != errs.NotFound {
		t.Fatalf("engineer on another's return: %v", err)
	}
}
