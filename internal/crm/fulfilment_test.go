package crm

import (
	"slices"
	"testing"

	"closeloop/internal/errs"
	"closeloop/internal/i18n"
)

func TestOrderStatusFromLines(t *testing.T) {
	goods := func(q, res, del, rec int64) LineProgress {
		return LineProgress{Quantity: q, Reserved: res, Delivered: del, Received: rec, Deliverable: true, Stocked: true}
	}
	typed := func(q, del, rec int64) LineProgress {
		return LineProgress{Quantity: q, Delivered: del, Received: rec, Deliverable: true}
	}
	service := LineProgress{Quantity: 1}
	cases := []struct {
		name    string
		current string
		lines   []LineProgress
		want    string
	}{
		{"nothing yet", OrderConfirmed, []LineProgress{goods(10, 0, 0, 0)}, OrderConfirmed},
		{"partly reserved", OrderConfirmed, []LineProgress{goods(10, 4, 0, 0)}, OrderConfirmed},
		{"one of two lines reserved", OrderConfirmed, []LineProgress{goods(10, 10, 0, 0), goods(5, 0, 0, 0)}, OrderConfirmed},
		{"all reserved", OrderConfirmed, []LineProgress{goods(10, 10, 0, 0), goods(5, 5, 0, 0)}, OrderReserved},
		{"reserved with a typed line beside", OrderConfirmed, []LineProgress{goods(10, 10, 0, 0), typed(2, 0, 0)}, OrderReserved},
		{"only typed lines: nothing to reserve", OrderConfirmed, []LineProgress{typed(2, 0, 0)}, OrderConfirmed},
		{"reservation released", OrderReserved, []LineProgress{goods(10, 0, 0, 0)}, OrderConfirmed},
		{"something left", OrderReserved, []LineProgress{goods(10, 6, 4, 0)}, OrderPartlyDelivered},
		{"one line out, one not", OrderReserved, []LineProgress{goods(10, 0, 10, 0), goods(5, 5, 0, 0)}, OrderPartlyDelivered},
		{"all out", OrderPartlyDelivered, []LineProgress{goods(10, 0, 10, 0), typed(2, 2, 0)}, OrderDelivered},
		{"all out, some signed", OrderDelivered, []LineProgress{goods(10, 0, 10, 10), typed(2, 2, 0)}, OrderDelivered},
		{"all out and received", OrderDelivered, []LineProgress{goods(10, 0, 10, 10), typed(2, 2, 2)}, OrderCompleted},
		{"a shortfall given back reopens it", OrderDelivered, []LineProgress{goods(10, 0, 9, 9)}, OrderPartlyDelivered},
		{"service lines do not hold it back", OrderDelivered, []LineProgress{goods(3, 0, 3, 3), service}, OrderCompleted},
		{"services only", OrderConfirmed, []LineProgress{service}, OrderConfirmed},
		{"no lines", OrderConfirmed, nil, OrderConfirmed},
		{"cancelled stays", OrderCancelled, []LineProgress{goods(10, 0, 10, 10)}, OrderCancelled},
		{"draft stays", OrderDraft, []LineProgress{goods(10, 10, 0, 0)}, OrderDraft},
	}
	for _, c := range cases {
		if got := OrderStatus(c.current, c.lines); got != c.want {
			t.Errorf("%s: %s, want %s", c.name, got, c.want)
		}
	}
}

func TestDeliveryQuantities(t *testing.T) {
	rem := map[string]LineRemaining{
		"a": {Quantity: 10, Delivered: 4, Planned: 2}, // 4 left
		"b": {Quantity: 5},                            // 5 left
		"c": {Quantity: 3, Delivered: 3},              // nothing left
	}
	cases := []struct {
		name   string
		lines  []DeliveryLineIn
		code   string // top-level code, "" for none
		fields []string
	}{
		{"within what remains", []DeliveryLineIn{{"a", 4}, {"b", 1}}, "", nil},
		{"exactly all", []DeliveryLineIn{{"a", 4}, {"b", 5}}, "", nil},
		{"one over", []DeliveryLineIn{{"a", 5}}, "delivery_exceeds_order", []string{"lines[0].quantity:delivery_exceeds_order"}},
		{"the second over", []DeliveryLineIn{{"b", 5}, {"a", 6}}, "delivery_exceeds_order", []string{"lines[1].quantity:delivery_exceeds_order"}},
		{"a line with nothing left", []DeliveryLineIn{{"c", 1}}, "delivery_exceeds_order", []string{"lines[0].quantity:delivery_exceeds_order"}},
		{"zero", []DeliveryLineIn{{"b", 0}}, "validation", []string{"lines[0].quantity:out_of_range"}},
		{"negative", []DeliveryLineIn{{"b", -2}}, "validation", []string{"lines[0].quantity:out_of_range"}},
		{"another order's line", []DeliveryLineIn{{"z", 1}}, "validation", []string{"lines[0].order_line_id:delivery_line_not_of_order"}},
		{"the same line twice", []DeliveryLineIn{{"b", 1}, {"b", 1}}, "validation", []string{"lines[1].order_line_id:delivery_line_twice"}},
		{"no lines", nil, "validation", []string{"lines:delivery_no_lines"}},
		{"bad and over: every problem named", []DeliveryLineIn{{"z", 1}, {"a", 9}}, "validation",
			[]string{"lines[0].order_line_id:delivery_line_not_of_order", "lines[1].quantity:delivery_exceeds_order"}},
	}
	for _, c := range cases {
		err := CheckDeliveryLines(c.lines, rem)
		if c.code == "" {
			if err != nil {
				t.Errorf("%s: refused: %v", c.name, err)
			}
			continue
		}
		e := errs.As(err)
		if e == nil || e.Code != c.code {
			t.Errorf("%s: %v, want %s", c.name, err, c.code)
			continue
		}
		if e.Kind != errs.Unprocessable && e.Code != "validation" {
			t.Errorf("%s: kind %v", c.name, e.Kind)
		}
		var got []string
		for _, fe := range e.Fields {
			got = append(got, fe.Field+":"+fe.Code)
		}
		if !slices.Equal(got, c.fields) {
			t.Errorf("%s: fields %v, want %v", c.name, got, c.fields)
		}
	}
	if e := errs.As(CheckDeliveryLines([]DeliveryLineIn{{"a", 7}}, rem)); e.Fields[0].Args["remaining"] != int64(4) {
		t.Errorf("remaining not reported: %v", e.Fields[0].Args)
	}
	if (LineRemaining{Quantity: 2, Delivered: 3}).Left() != 0 {
		t.Error("left never negative")
	}
}

func TestReserveAmount(t *testing.T) {
	for _, c := range []struct{ need, avail, want int64 }{{10, 100, 10}, {10, 4, 4}, {10, 0, 0}, {0, 5, 0}, {5, -3, 0}} {
		if got := ReserveAmount(c.need, c.avail); got != c.want {
			t.Errorf("need %d avail %d: %d, want %d", c.need, c.avail, got, c.want)
		}
	}
}

func TestDeliveryMoves(t *testing.T) {
	ok := [][2]string{{DeliveryPlanned, DeliveryShipped}, {DeliveryPlanned, DeliveryCancelled}, {DeliveryShipped, DeliveryInTransit},
		{DeliveryShipped, DeliveryDelivered}, {DeliveryInTransit, DeliveryInTransit}, {DeliveryInTransit, DeliveryDelivered}}
	for _, m := range ok {
		if err := CheckDeliveryMove(m[0], m[1]); err != nil {
			t.Errorf("%s → %s refused: %v", m[0], m[1], err)
		}
	}
	bad := []struct{ from, to, code string }{
		{DeliveryPlanned, DeliveryDelivered, "delivery_status_order"},
		{DeliveryShipped, DeliveryPlanned, "delivery_status_order"},
		{DeliveryShipped, DeliveryCancelled, "delivery_status_order"},
		{DeliveryDelivered, DeliveryInTransit, "delivery_status_order"},
		{DeliverySigned, DeliveryDelivered, "delivery_status_order"},
		{DeliveryCancelled, DeliveryShipped, "delivery_status_order"},
		{DeliveryDelivered, DeliverySigned, "delivery_sign_by_link"},
		{DeliveryShipped, "lost", "validation"},
	}
	for _, c := range bad {
		if got := errs.CodeOf(CheckDeliveryMove(c.from, c.to)); got != c.code {
			t.Errorf("%s → %s: %s, want %s", c.from, c.to, got, c.code)
		}
	}
	for _, st := range []string{DeliveryShipped, DeliveryInTransit, DeliveryDelivered} {
		if !DeliverySignable(st) {
			t.Errorf("%s not signable", st)
		}
	}
	for _, st := range []string{DeliveryPlanned, DeliverySigned, DeliverySignedWithIssues, DeliveryCancelled} {
		if DeliverySignable(st) {
			t.Errorf("%s signable", st)
		}
	}
}

func TestReceiptAndDiscrepancies(t *testing.T) {
	lines := []ReceiptLine{
		{LineID: "a", Shipped: 10, Received: 10},
		{LineID: "b", Shipped: 5, Received: 3},
		{LineID: "c", Shipped: 2, Received: 2, Issue: IssueDamage},
		{LineID: "d", Shipped: 1, Received: 0, Issue: IssueWrongItem},
	}
	if err := CheckReceipt(lines); err != nil {
		t.Fatal(err)
	}
	got := Discrepancies(lines)
	want := []Discrepancy{{ProblemShortQuantity, []int{1}}, {ProblemDamage, []int{2}}, {ProblemWrongItem, []int{3}}}
	if len(got) != len(want) {
		t.Fatalf("discrepancies %v", got)
	}
	for i := range want {
		if got[i].Kind != want[i].Kind || !slices.Equal(got[i].Lines, want[i].Lines) {
			t.Errorf("discrepancy %d: %v, want %v", i, got[i], want[i])
		}
	}
	if d := Discrepancies(lines[:1]); len(d) != 0 {
		t.Errorf("a clean receipt has none: %v", d)
	}
	bad := []ReceiptLine{{Shipped: 5, Received: 6}, {Shipped: 5, Received: -1}, {Shipped: 5, Received: 5, Issue: "stolen"}}
	e := errs.As(CheckReceipt(bad))
	if e == nil || len(e.Fields) != 3 || e.Fields[0].Field != "lines[0].received" || e.Fields[2].Field != "lines[2].issue" {
		t.Errorf("bad receipt: %v", e)
	}
}

func TestProblemSteps(t *testing.T) {
	cases := []struct {
		status string
		in     ProblemStep
		want   string // the next status, or the refusal's code
	}{
		{ProblemOpen, ProblemStep{Step: ProblemStepStart}, ProblemInProgress},
		{ProblemOpen, ProblemStep{Step: ProblemStepResolve, Resolution: "补发 2 件"}, ProblemResolved},
		{ProblemInProgress, ProblemStep{Step: ProblemStepResolve, Resolution: "换货", RootCause: "logistics"}, ProblemResolved},
		{ProblemInProgress, ProblemStep{Step: ProblemStepResolve}, "supply_problem_resolution_required"},
		{ProblemResolved, ProblemStep{Step: ProblemStepClose, Resolution: "客户确认"}, ProblemClosed},
		{ProblemOpen, ProblemStep{Step: ProblemStepClose, Resolution: "误报"}, ProblemClosed},
		{ProblemOpen, ProblemStep{Step: ProblemStepClose}, "supply_problem_resolution_required"},
		{ProblemClosed, ProblemStep{Step: ProblemStepReopen, Reason: "再次出现"}, ProblemOpen},
		{ProblemResolved, ProblemStep{Step: ProblemStepReopen}, "supply_problem_reason_required"},
		{ProblemOpen, ProblemStep{Step: ProblemStepReopen, Reason: "x"}, "supply_problem_step"},
		{ProblemClosed, ProblemStep{Step: ProblemStepResolve, Resolution: "x"}, "supply_problem_step"},
		{ProblemInProgress, ProblemStep{Step: ProblemStepStart}, "supply_problem_step"},
		{ProblemOpen, ProblemStep{Step: ProblemStepResolve, Resolution: "x", RootCause: "aliens"}, "validation"},
		{ProblemOpen, ProblemStep{Step: "escalate"}, "validation"},
	}
	for _, c := range cases {
		got, err := ProblemNext(c.status, c.in)
		if err != nil {
			got = errs.CodeOf(err)
		}
		if got != c.want {
			t.Errorf("%s %+v: %s, want %s", c.status, c.in, got, c.want)
		}
	}
	_, err := ProblemNext(ProblemOpen, ProblemStep{Step: ProblemStepResolve})
	if e := errs.As(err); e.Kind != errs.Unprocessable || len(e.Fields) != 1 || e.Fields[0].Field != "resolution" {
		t.Errorf("missing resolution: %+v", e)
	}
	for _, st := range []string{ProblemOpen, ProblemInProgress, ProblemResolved, ProblemClosed} {
		for _, step := range ProblemSteps(st) {
			if _, err := ProblemNext(st, ProblemStep{Step: step, Resolution: "r", Reason: "r"}); err != nil {
				t.Errorf("%s offers %s but refuses it: %v", st, step, err)
			}
		}
	}
}

func TestTaskSteps(t *testing.T) {
	cases := []struct {
		status string
		in     TaskInput
		want   string
	}{
		{TaskPlanned, TaskInput{Step: TaskStepStart}, TaskInProgress},
		{TaskInProgress, TaskInput{Step: TaskStepDone, Result: "安装完成"}, TaskDone},
		{TaskInProgress, TaskInput{Step: TaskStepDone}, "task_result_required"},
		{TaskInProgress, TaskInput{Step: TaskStepDone, Result: "x", OpenItems: 2}, "task_checklist_open"},
		{TaskRejected, TaskInput{Step: TaskStepStart}, TaskInProgress},
		{TaskDone, TaskInput{Step: TaskStepStart}, "task_step"},
		{TaskAccepted, TaskInput{Step: TaskStepDone, Result: "x"}, "task_step"},
		{TaskPlanned, TaskInput{Step: TaskStepCancel}, TaskCancelled},
		{TaskDone, TaskInput{Step: TaskStepCancel}, "task_step"},
		{TaskPlanned, TaskInput{Step: "accept"}, "validation"},
	}
	for _, c := range cases {
		got, err := TaskNext(c.status, c.in)
		if err != nil {
			got = errs.CodeOf(err)
		}
		if got != c.want {
			t.Errorf("%s %+v: %s, want %s", c.status, c.in, got, c.want)
		}
	}
	if !TaskAcceptable(TaskDone) || TaskAcceptable(TaskInProgress) || TaskAcceptable(TaskAccepted) {
		t.Error("only a done task awaits acceptance")
	}
	for _, k := range TaskKinds {
		if len(DefaultChecklist(k.Code, i18n.ZH)) == 0 || len(DefaultChecklist(k.Code, i18n.EN)) != len(DefaultChecklist(k.Code, i18n.ZH)) {
			t.Errorf("checklist of %s", k.Code)
		}
	}
}
