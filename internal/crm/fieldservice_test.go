package crm

import (
	"testing"

	"closeloop/internal/errs"
)

func TestVisitSteps(t *testing.T) {
	for _, c := range []struct {
		step, from, to, code string
	}{
		{VisitStepStart, VisitPlanned, VisitOnTheWay, ""},
		{VisitStepCheckIn, VisitPlanned, VisitCheckedIn, ""},
		{VisitStepCheckIn, VisitOnTheWay, VisitCheckedIn, ""},
		{VisitStepCheckOut, VisitCheckedIn, VisitWorkDone, ""},
		{VisitStepCheckOut, VisitPlanned, "", "visit_step"},
		{VisitStepConfirm, VisitWorkDone, VisitConfirmed, ""},
		{VisitStepConfirm, VisitCheckedIn, "", "visit_step"},
		{VisitStepAbsent, VisitCheckedIn, VisitAbsent, ""},
		{VisitStepCancel, VisitCheckedIn, "", "visit_step"},
		{VisitStepCancel, VisitConfirmed, "", "visit_step"},
		{VisitStepStart, VisitCancelled, "", "visit_step"},
		{"fly", VisitPlanned, "", "step:invalid_option"},
	} {
		to, err := VisitStep(c.step, c.from)
		if to != c.to || codeOf(err) != c.code {
			t.Errorf("%s from %s: %q %v, want %q %q", c.step, c.from, to, err, c.to, c.code)
		}
	}
	if got := VisitSteps(VisitPlanned); len(got) != 4 {
		t.Errorf("steps of planned: %v", got)
	}
	if VisitSteps(VisitConfirmed) != nil {
		t.Error("a confirmed visit has steps")
	}
}

func TestReturnSteps(t *testing.T) {
	for _, c := range []struct {
		step, kind, from, to, code string
	}{
		{ReturnStepReceive, ReturnKindExchange, ReturnRequested, ReturnReceived, ""},
		{ReturnStepInspect, ReturnKindExchange, ReturnRequested, "", "return_step"},
		{ReturnStepInspect, ReturnKindExchange, ReturnReceived, ReturnInspected, ""},
		{ReturnStepReplace, ReturnKindExchange, ReturnInspected, ReturnReplaced, ""},
		{ReturnStepRefund, ReturnKindExchange, ReturnInspected, "", "return_step"},
		{ReturnStepRefund, ReturnKindReturn, ReturnInspected, ReturnRefunded, ""},
		{ReturnStepReplace, ReturnKindReturn, ReturnInspected, "", "return_step"},
		{ReturnStepClose, ReturnKindReturn, ReturnRefunded, ReturnClosed, ""},
		{ReturnStepClose, ReturnKindReturn, ReturnInspected, "", "return_step"},
		{ReturnStepReject, ReturnKindReturn, ReturnReceived, ReturnRejected, ""},
		{ReturnStepReject, ReturnKindReturn, ReturnRefunded, "", "return_step"},
		{"lose", ReturnKindReturn, ReturnRequested, "", "step:invalid_option"},
	} {
		to, err := ReturnStep(c.step, c.kind, c.from)
		if to != c.to || codeOf(err) != c.code {
			t.Errorf("%s (%s) from %s: %q %v, want %q %q", c.step, c.kind, c.from, to, err, c.to, c.code)
		}
	}
}

func TestStockArithmetic(t *testing.T) {
	base := MoveInput{PartActive: true, WarehouseOpen: true, Warehouse: "a"}
	for _, c := range []struct {
		name      string
		mod       func(*MoveInput)
		delta, to int64
		code      string
	}{
		{"receipt", func(m *MoveInput) { m.Kind, m.Quantity = MoveIn, 5 }, 5, 0, ""},
		{"out", func(m *MoveInput) { m.Kind, m.Quantity, m.Have, m.LinkedTicket = MoveOut, 3, 3, true }, -3, 0, ""},
		{"out below zero", func(m *MoveInput) { m.Kind, m.Quantity, m.Have, m.LinkedTicket = MoveOut, 4, 3, true }, 0, 0, "stock_insufficient"},
		{"out without ticket", func(m *MoveInput) { m.Kind, m.Quantity, m.Have = MoveOut, 1, 3 }, 0, 0, "ticket_id:stock_out_needs_ticket"},
		{"transfer", func(m *MoveInput) { m.Kind, m.Quantity, m.Have, m.ToWarehouse = MoveTransfer, 2, 2, "b" }, -2, 2, ""},
		{"transfer to itself", func(m *MoveInput) { m.Kind, m.Quantity, m.Have, m.ToWarehouse = MoveTransfer, 2, 2, "a" }, 0, 0, "to_warehouse_id:stock_same_warehouse"},
		{"transfer too much", func(m *MoveInput) { m.Kind, m.Quantity, m.Have, m.ToWarehouse = MoveTransfer, 3, 2, "b" }, 0, 0, "stock_insufficient"},
		{"stock-take up", func(m *MoveInput) { m.Kind, m.Quantity, m.Have, m.Reason = MoveAdjust, 9, 4, "盘点" }, 5, 0, ""},
		{"stock-take to zero", func(m *MoveInput) { m.Kind, m.Quantity, m.Have, m.Reason = MoveAdjust, 0, 4, "盘点" }, -4, 0, ""},
		{"stock-take without reason", func(m *MoveInput) { m.Kind, m.Quantity, m.Have = MoveAdjust, 0, 4 }, 0, 0, "reason:required"},
		{"zero quantity", func(m *MoveInput) { m.Kind = MoveIn }, 0, 0, "quantity:out_of_range"},
		{"inactive part", func(m *MoveInput) { m.Kind, m.Quantity, m.PartActive = MoveIn, 1, false }, 0, 0, "part_id:spare_part_inactive"},
		{"unknown kind", func(m *MoveInput) { m.Kind, m.Quantity = "steal", 1 }, 0, 0, "kind:invalid_option"},
		{"target on a receipt", func(m *MoveInput) { m.Kind, m.Quantity, m.ToWarehouse = MoveIn, 1, "b" }, 0, 0, "to_warehouse_id:stock_transfer_only"},
	} {
		in := base
		c.mod(&in)
		ch, err := CheckStockMove(in)
		if codeOf(err) != c.code || ch.Delta != c.delta || ch.To != c.to {
			t.Errorf("%s: %+v %v, want %d/%d %q", c.name, ch, err, c.delta, c.to, c.code)
		}
	}
}

func TestLowCrossing(t *testing.T) {
	for _, c := range []struct {
		wasLow     bool
		after, min int64
		low, warn  bool
	}{
		{false, 1, 2, true, true},
		{true, 0, 2, true, false},
		{true, 2, 2, false, false},
		{false, 5, 2, false, false},
		{false, 0, 0, false, false},
	} {
		low, warn := LowCrossing(c.wasLow, c.after, c.min)
		if low != c.low || warn != c.warn {
			t.Errorf("%+v: %v %v", c, low, warn)
		}
	}
}

func TestReturnItems(t *testing.T) {
	for _, c := range []struct {
		items []ReturnItem
		field string
	}{
		{[]ReturnItem{{ProductID: "p", Quantity: 1}}, ""},
		{[]ReturnItem{{PartID: "x", Quantity: 3, Serial: "SN"}}, ""},
		{[]ReturnItem{{Quantity: 1}}, "items[0].product_id"},
		{[]ReturnItem{{ProductID: "p", PartID: "x", Quantity: 1}}, "items[0].product_id"},
		{[]ReturnItem{{ProductID: "p", Quantity: 1}, {ProductID: "p", Quantity: 0}}, "items[1].quantity"},
	} {
		err := CheckReturnItems(c.items)
		got := ""
		if e := errs.As(err); e != nil && len(e.Fields) > 0 {
			got = e.Fields[0].Field
		}
		if got != c.field {
			t.Errorf("%+v: %v, want %s", c.items, err, c.field)
		}
	}
}
