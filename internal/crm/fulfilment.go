package crm

import (
	"fmt"
	"slices"

	"closeloop/internal/entity"
	"closeloop/internal/errs"
	"closeloop/internal/i18n"
)

// Fulfilment (售中第二阶段, seed 003; 000 订单执行): what happens after an
// order is confirmed — stock reserved, one or more deliveries with batch,
// production date, packaging, carrier and tracking, the customer's sign-off
// (签收) through a link, problems during supply followed to resolution, and
// installation, commissioning and training tasks with the customer's
// acceptance (验收). The declarations are here with the rules that need no
// database; the processes live in internal/fulfilment.

// Delivery statuses. A delivery is planned, then shipped (the goods leave:
// stock is consumed), in transit, delivered, and finally signed by the
// receiver — with or without issues. Only a planned delivery may be
// cancelled (nothing has left yet).
const (
	DeliveryPlanned          = "planned"
	DeliveryShipped          = "shipped"
	DeliveryInTransit        = "in_transit"
	DeliveryDelivered        = "delivered"
	DeliverySigned           = "signed"
	DeliverySignedWithIssues = "signed_with_issues"
	DeliveryCancelled        = "cancelled"
)

// DeliveryStatuses label the delivery statuses.
var DeliveryStatuses = []entity.Option{
	opt(DeliveryPlanned, "待发货", "Planned"), opt(DeliveryShipped, "已发货", "Shipped"),
	opt(DeliveryInTransit, "运输中", "In transit"), opt(DeliveryDelivered, "已送达", "Delivered"),
	opt(DeliverySigned, "已签收", "Signed"), opt(DeliverySignedWithIssues, "有异议签收", "Signed with issues"),
	opt(DeliveryCancelled, "已取消", "Cancelled"),
}

// deliveryNext lists the moves a coordinator may make from each status;
// signing is the receiver's, through the sign-off link (DeliverySignable).
var deliveryNext = map[string][]string{
	DeliveryPlanned:   {DeliveryShipped, DeliveryCancelled},
	DeliveryShipped:   {DeliveryInTransit, DeliveryDelivered},
	DeliveryInTransit: {DeliveryInTransit, DeliveryDelivered},
	DeliveryDelivered: {},
}

// DeliveryMoves lists the statuses a delivery at status may be moved to by
// its coordinator (in_transit to in_transit is a tracking update).
func DeliveryMoves(status string) []string { return slices.Clone(deliveryNext[status]) }

// DeliveryOpen reports whether a delivery still counts against its order
// (everything but cancelled).
func DeliveryOpen(status string) bool { return status != DeliveryCancelled }

// DeliveryShippedAlready reports whether the goods of a delivery have left
// (its quantities are in the order lines' delivered quantities).
func DeliveryShippedAlready(status string) bool {
	switch status {
	case DeliveryShipped, DeliveryInTransit, DeliveryDelivered, DeliverySigned, DeliverySignedWithIssues:
		return true
	}
	return false
}

// DeliveryIsSigned reports whether the receiver has signed the delivery.
func DeliveryIsSigned(status string) bool {
	return status == DeliverySigned || status == DeliverySignedWithIssues
}

// DeliverySignable reports whether the receiver may sign a delivery at
// status: once the goods have left and until it is signed.
func DeliverySignable(status string) bool {
	return status == DeliveryShipped || status == DeliveryInTransit || status == DeliveryDelivered
}

// CheckDeliveryMove says whether a coordinator may move a delivery from
// one status to another. A refusal is 422 delivery_status_order with the
// allowed moves in its data.
func CheckDeliveryMove(from, to string) error {
	if !slices.ContainsFunc(DeliveryStatuses, func(o entity.Option) bool { return o.Code == to }) {
		return errs.Validation([]errs.FieldError{{Field: "status", Code: "invalid_option", Args: map[string]any{"value": to}}})
	}
	if slices.Contains(deliveryNext[from], to) {
		return nil
	}
	if DeliveryIsSigned(to) {
		return errs.New(errs.Unprocessable, "delivery_sign_by_link")
	}
	args := append(labelArgs("current", fulOptionLabel(DeliveryStatuses, from)), labelArgs("wanted", fulOptionLabel(DeliveryStatuses, to))...)
	return errs.New(errs.Unprocessable, "delivery_status_order", args...).WithData(map[string]any{"current": from, "wanted": to, "allowed": nonNilStrings(deliveryNext[from])})
}

func nonNilStrings(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

func fulOptionLabel(opts []entity.Option, code string) i18n.Text {
	for _, o := range opts {
		if o.Code == code {
			return o.Label
		}
	}
	return i18n.T(code, code)
}

// LineProgress is one order line as the order's status sees it: how much
// was ordered, is reserved, has left (delivered), and was confirmed
// received by the customer's sign-off. Deliverable lines are goods (or
// typed lines without a product); service lines are fulfilled by tasks.
// Stocked lines are of products kept in stock, which reservation covers.
type LineProgress struct {
	Quantity, Reserved, Delivered, Received int64
	Deliverable, Stocked                    bool
}

// OrderStatus derives an order's status from its lines: confirmed until
// anything happens; reserved once every stocked line still to ship is fully
// reserved; partly_delivered once something has left; delivered when every
// deliverable line has left in full; completed when the customer has
// confirmed receiving all of it. Draft and cancelled orders keep their
// status, and so does an order without deliverable lines (services only).
func OrderStatus(current string, lines []LineProgress) string {
	if current == OrderDraft || current == OrderCancelled {
		return current
	}
	any, allOut, allIn, shipped := false, true, true, false
	stocked, allReserved := false, true
	for _, l := range lines {
		if !l.Deliverable {
			continue
		}
		any = true
		if l.Delivered > 0 {
			shipped = true
		}
		if l.Delivered < l.Quantity {
			allOut = false
		}
		if l.Received < l.Quantity {
			allIn = false
		}
		if l.Stocked {
			stocked = true
			if l.Reserved < l.Quantity-l.Delivered {
				allReserved = false
			}
		}
	}
	switch {
	case !any:
		if current == OrderCompleted {
			return current
		}
		return OrderConfirmed
	case allOut && allIn:
		return OrderCompleted
	case allOut:
		return OrderDelivered
	case shipped:
		return OrderPartlyDelivered
	case stocked && allReserved:
		return OrderReserved
	}
	return OrderConfirmed
}

// OrderEditable reports whether an order's lines may still change: nothing
// reserved, nothing planned for delivery or shipped, not cancelled.
func OrderEditable(status string, reserved, committed int64) bool {
	return (status == OrderDraft || status == OrderConfirmed) && reserved == 0 && committed == 0
}

// LineRemaining is what of an order line may still go into a delivery:
// the ordered quantity less what has left and what other deliveries not
// yet shipped already plan to send.
type LineRemaining struct {
	Quantity, Delivered, Planned int64
}

// Left is the quantity still free for a new delivery.
func (r LineRemaining) Left() int64 { return max(r.Quantity-r.Delivered-r.Planned, 0) }

// DeliveryLineIn is one line of a delivery being planned: which order
// line, how much.
type DeliveryLineIn struct {
	OrderLineID string
	Quantity    int64
}

// CheckDeliveryLines checks a delivery's lines against its order: at least
// one line, each naming a line of the order once, with a quantity of at
// least 1 and at most what remains of it. A quantity over what remains is
// 422 delivery_exceeds_order; each offending line is named
// (lines[i].quantity) with what remains.
func CheckDeliveryLines(lines []DeliveryLineIn, remaining map[string]LineRemaining) error {
	if len(lines) == 0 {
		return errs.Validation([]errs.FieldError{{Field: "lines", Code: "delivery_no_lines"}})
	}
	var bad, over []errs.FieldError
	seen := map[string]bool{}
	for i, l := range lines {
		field := fmt.Sprintf("lines[%d]", i)
		r, ok := remaining[l.OrderLineID]
		switch {
		case l.OrderLineID == "" || !ok:
			bad = append(bad, errs.FieldError{Field: field + ".order_line_id", Code: "delivery_line_not_of_order"})
		case seen[l.OrderLineID]:
			bad = append(bad, errs.FieldError{Field: field + ".order_line_id", Code: "delivery_line_twice"})
		case l.Quantity < 1:
			bad = append(bad, errs.FieldError{Field: field + ".quantity", Code: "out_of_range", Args: map[string]any{"min": 1, "max": r.Left()}})
		case l.Quantity > r.Left():
			over = append(over, errs.FieldError{Field: field + ".quantity", Code: "delivery_exceeds_order", Args: map[string]any{"remaining": r.Left(), "quantity": l.Quantity}})
		}
		seen[l.OrderLineID] = true
	}
	if len(bad) > 0 {
		return errs.Validation(append(bad, over...))
	}
	if len(over) > 0 {
		e := errs.New(errs.Unprocessable, "delivery_exceeds_order", "remaining", over[0].Args["remaining"], "quantity", over[0].Args["quantity"])
		e.Fields = over
		return e
	}
	return nil
}

// ReserveAmount is how much to reserve for a line: what it still needs,
// at most what is available (never negative).
func ReserveAmount(need, available int64) int64 {
	return max(min(need, available), 0)
}

// Receipt issues a receiver may flag on a delivered line.
const (
	IssueNone      = "none"
	IssueDamage    = "damage"
	IssueWrongItem = "wrong_item"
)

// ReceiptIssues label what a receiver may flag on a line.
var ReceiptIssues = []entity.Option{
	opt(IssueNone, "无", "None"), opt(IssueDamage, "货物破损", "Damaged"), opt(IssueWrongItem, "错发/型号不符", "Wrong item"),
}

// ReceiptLine is what the receiver confirms for one delivered line.
type ReceiptLine struct {
	LineID   string
	Shipped  int64
	Received int64
	Issue    string
	Remark   string
}

// Discrepancy is one kind of problem a sign-off revealed, with the lines
// it concerns (indexes into the receipt).
type Discrepancy struct {
	Kind  string // a supply-problem kind: short_quantity, damage, wrong_item
	Lines []int
}

// CheckReceipt checks a receiver's confirmation: every line answered
// once, received between 0 and what was shipped, a known issue. Fields are
// named lines[i].received and lines[i].issue.
func CheckReceipt(lines []ReceiptLine) error {
	var bad []errs.FieldError
	for i, l := range lines {
		if l.Received < 0 || l.Received > l.Shipped {
			bad = append(bad, errs.FieldError{Field: fmt.Sprintf("lines[%d].received", i), Code: "out_of_range", Args: map[string]any{"min": 0, "max": l.Shipped}})
		}
		if l.Issue != "" && !slices.ContainsFunc(ReceiptIssues, func(o entity.Option) bool { return o.Code == l.Issue }) {
			bad = append(bad, errs.FieldError{Field: fmt.Sprintf("lines[%d].issue", i), Code: "invalid_option", Args: map[string]any{"value": l.Issue}})
		}
	}
	return errs.Validation(bad)
}

// Discrepancies lists what a sign-off revealed, one entry per kind in a
// fixed order: lines received short (without a flag), lines flagged
// damaged, lines flagged as the wrong item. A flagged line is its flag's
// problem only, whatever it lacks: the damaged units are what is short.
func Discrepancies(lines []ReceiptLine) []Discrepancy {
	var short, damage, wrong []int
	for i, l := range lines {
		switch l.Issue {
		case IssueDamage:
			damage = append(damage, i)
		case IssueWrongItem:
			wrong = append(wrong, i)
		default:
			if l.Received < l.Shipped {
				short = append(short, i)
			}
		}
	}
	var out []Discrepancy
	for _, d := range []Discrepancy{{ProblemShortQuantity, short}, {ProblemDamage, damage}, {ProblemWrongItem, wrong}} {
		if len(d.Lines) > 0 {
			out = append(out, d)
		}
	}
	return out
}

// Supply-problem kinds (seed 003 售中第二阶段 6: 产品品质波动、数量不足、
// 交货不及时、资金、发票、测试方法差异、价格; and what a sign-off reveals).
const (
	ProblemQuality       = "quality"
	ProblemShortQuantity = "short_quantity"
	ProblemLateDelivery  = "late_delivery"
	ProblemPayment       = "payment"
	ProblemInvoice       = "invoice"
	ProblemTestMethod    = "test_method"
	ProblemPrice         = "price"
	ProblemDamage        = "damage"
	ProblemWrongItem     = "wrong_item"
	ProblemOther         = "other"
)

// ProblemKinds label the supply-problem kinds.
var ProblemKinds = []entity.Option{
	opt(ProblemQuality, "质量波动", "Quality fluctuation"), opt(ProblemShortQuantity, "数量短缺", "Short quantity"),
	opt(ProblemLateDelivery, "交货延迟", "Late delivery"), opt(ProblemPayment, "付款", "Payment"),
	opt(ProblemInvoice, "发票", "Invoice"), opt(ProblemTestMethod, "检测方法差异", "Test-method difference"),
	opt(ProblemPrice, "价格", "Price"), opt(ProblemDamage, "货物破损", "Damage"),
	opt(ProblemWrongItem, "错发货物", "Wrong item"), opt(ProblemOther, "其他", "Other"),
}

// Supply-problem statuses: open → in_progress → resolved → closed; a
// resolved or closed problem may be reopened.
const (
	ProblemOpen       = "open"
	ProblemInProgress = "in_progress"
	ProblemResolved   = "resolved"
	ProblemClosed     = "closed"
)

// ProblemStatuses label the supply-problem statuses.
var ProblemStatuses = []entity.Option{
	opt(ProblemOpen, "待处理", "Open"), opt(ProblemInProgress, "处理中", "In progress"),
	opt(ProblemResolved, "已解决", "Resolved"), opt(ProblemClosed, "已关闭", "Closed"),
}

// RootCauses are the seed's questions when a problem is analysed (我们产品
// 的问题？客户应用不熟练？客户工艺不配合？个别人员有意制造问题？) plus
// logistics and other.
var RootCauses = []entity.Option{
	opt("our_product", "我方产品问题", "Our product"), opt("customer_application", "客户应用不熟练", "Customer's use of it"),
	opt("customer_process", "客户工艺不配合", "Customer's process"), opt("logistics", "物流运输", "Logistics"),
	opt("deliberate", "个别人员有意制造问题", "Raised on purpose"), opt("other", "其他", "Other"),
}

// Problem steps.
const (
	ProblemStepStart   = "start"
	ProblemStepResolve = "resolve"
	ProblemStepClose   = "close"
	ProblemStepReopen  = "reopen"
)

// ProblemStep is one step asked of a supply problem, with what it needs.
type ProblemStep struct {
	Step       string
	Resolution string // resolve and close: what was done (required)
	RootCause  string // a RootCauses code (optional)
	Reason     string // reopen: why (required)
}

// ProblemNext says what status a step leads to from status, or refuses it:
// 422 supply_problem_step (not allowed from status), and for resolve and
// close 422 supply_problem_resolution_required when there is no resolution
// (a problem is not solved without saying how), for reopen
// supply_problem_reason_required.
func ProblemNext(status string, in ProblemStep) (string, error) {
	var to string
	var from []string
	switch in.Step {
	case ProblemStepStart:
		to, from = ProblemInProgress, []string{ProblemOpen}
	case ProblemStepResolve:
		to, from = ProblemResolved, []string{ProblemOpen, ProblemInProgress}
	case ProblemStepClose:
		to, from = ProblemClosed, []string{ProblemOpen, ProblemInProgress, ProblemResolved}
	case ProblemStepReopen:
		to, from = ProblemOpen, []string{ProblemResolved, ProblemClosed}
	default:
		return "", errs.Validation([]errs.FieldError{{Field: "step", Code: "invalid_option", Args: map[string]any{"value": in.Step}}})
	}
	if !slices.Contains(from, status) {
		return "", errs.New(errs.Unprocessable, "supply_problem_step", append(labelArgs("current", fulOptionLabel(ProblemStatuses, status)), "step", in.Step)...).
			WithData(map[string]any{"current": status, "step": in.Step})
	}
	if in.RootCause != "" && !slices.ContainsFunc(RootCauses, func(o entity.Option) bool { return o.Code == in.RootCause }) {
		return "", errs.Validation([]errs.FieldError{{Field: "root_cause", Code: "invalid_option", Args: map[string]any{"value": in.RootCause}}})
	}
	switch {
	case (in.Step == ProblemStepResolve || in.Step == ProblemStepClose) && in.Resolution == "":
		e := errs.New(errs.Unprocessable, "supply_problem_resolution_required")
		e.Fields = []errs.FieldError{{Field: "resolution", Code: "required"}}
		return "", e
	case in.Step == ProblemStepReopen && in.Reason == "":
		e := errs.New(errs.Unprocessable, "supply_problem_reason_required")
		e.Fields = []errs.FieldError{{Field: "reason", Code: "required"}}
		return "", e
	}
	return to, nil
}

// ProblemSteps lists the steps a problem at status allows, in the order a
// page offers them.
func ProblemSteps(status string) []string {
	switch status {
	case ProblemOpen:
		return []string{ProblemStepStart, ProblemStepResolve, ProblemStepClose}
	case ProblemInProgress:
		return []string{ProblemStepResolve, ProblemStepClose}
	case ProblemResolved:
		return []string{ProblemStepClose, ProblemStepReopen}
	case ProblemClosed:
		return []string{ProblemStepReopen}
	}
	return nil
}

// Service-task kinds (000 交付与初步培训; 001 安装调试).
const (
	TaskInstallation  = "installation"
	TaskCommissioning = "commissioning"
	TaskTraining      = "training"
)

// TaskKinds label the task kinds.
var TaskKinds = []entity.Option{
	opt(TaskInstallation, "安装", "Installation"), opt(TaskCommissioning, "调试", "Commissioning"), opt(TaskTraining, "培训", "Training"),
}

// Task statuses: planned → in_progress → done → accepted, or rejected by
// the customer (with a reason), after which the engineer works on it again
// (in_progress). A task not yet done may be cancelled.
const (
	TaskPlanned    = "planned"
	TaskInProgress = "in_progress"
	TaskDone       = "done"
	TaskAccepted   = "accepted"
	TaskRejected   = "rejected"
	TaskCancelled  = "cancelled"
)

// TaskStatuses label the task statuses.
var TaskStatuses = []entity.Option{
	opt(TaskPlanned, "已计划", "Planned"), opt(TaskInProgress, "进行中", "In progress"), opt(TaskDone, "已完成待验收", "Done, awaiting acceptance"),
	opt(TaskAccepted, "客户已验收", "Accepted"), opt(TaskRejected, "验收未通过", "Rejected"), opt(TaskCancelled, "已取消", "Cancelled"),
}

// Task steps.
const (
	TaskStepStart  = "start"
	TaskStepDone   = "done"
	TaskStepCancel = "cancel"
)

// TaskInput is a step asked of a task: done needs the result and every
// checklist item ticked.
type TaskInput struct {
	Step      string
	Result    string
	OpenItems int // checklist items not done
}

// TaskNext says what status a step leads to from status, or refuses it
// (422 task_step; task_result_required; task_checklist_open naming how many
// items are not done).
func TaskNext(status string, in TaskInput) (string, error) {
	var to string
	var from []string
	switch in.Step {
	case TaskStepStart:
		to, from = TaskInProgress, []string{TaskPlanned, TaskRejected}
	case TaskStepDone:
		to, from = TaskDone, []string{TaskPlanned, TaskInProgress, TaskRejected}
	case TaskStepCancel:
		to, from = TaskCancelled, []string{TaskPlanned, TaskInProgress}
	default:
		return "", errs.Validation([]errs.FieldError{{Field: "step", Code: "invalid_option", Args: map[string]any{"value": in.Step}}})
	}
	if !slices.Contains(from, status) {
		return "", errs.New(errs.Unprocessable, "task_step", append(labelArgs("current", fulOptionLabel(TaskStatuses, status)), "step", in.Step)...).
			WithData(map[string]any{"current": status, "step": in.Step})
	}
	if in.Step == TaskStepDone {
		if in.Result == "" {
			e := errs.New(errs.Unprocessable, "task_result_required")
			e.Fields = []errs.FieldError{{Field: "result", Code: "required"}}
			return "", e
		}
		if in.OpenItems > 0 {
			return "", errs.New(errs.Unprocessable, "task_checklist_open", "count", in.OpenItems)
		}
	}
	return to, nil
}

// TaskAcceptable reports whether the customer may accept (or reject) a
// task at status.
func TaskAcceptable(status string) bool { return status == TaskDone }

// DefaultChecklist is the checklist a new task starts with when none is
// given, by kind; the coordinator edits it.
func DefaultChecklist(kind string, l i18n.Lang) []string {
	items := map[string][]i18n.Text{
		TaskInstallation: {
			i18n.T("开箱检查：数量、型号与装箱单一致，外观无损", "Unpacking: quantities and models match the packing list, no damage"),
			i18n.T("设备就位与固定", "Equipment placed and fixed"),
			i18n.T("电源、接地与线缆连接检查", "Power, earthing and cabling checked"),
			i18n.T("通电自检正常", "Power-on self test passed"),
			i18n.T("现场清理，包装物回收", "Site cleaned, packaging removed"),
		},
		TaskCommissioning: {
			i18n.T("参数配置按方案完成", "Parameters configured as specified"),
			i18n.T("单机功能测试", "Functional test of each unit"),
			i18n.T("联机/联调测试", "Integrated test"),
			i18n.T("试运行记录", "Trial run recorded"),
			i18n.T("调试报告交客户", "Commissioning report handed over"),
		},
		TaskTraining: {
			i18n.T("培训签到", "Attendance recorded"),
			i18n.T("操作演示", "Operation demonstrated"),
			i18n.T("学员实操", "Hands-on practice"),
			i18n.T("常见故障处理讲解", "Troubleshooting explained"),
			i18n.T("培训资料移交", "Training material handed over"),
		},
	}[kind]
	out := make([]string, len(items))
	for i, t := range items {
		out[i] = t.In(l)
	}
	return out
}

// Declarations.

// Delivery is one shipment of an order (发货单/送货单): lines with batch and
// production date, packaging, carrier and tracking; signed by the
// receiver through a link. Visible with its order (and its customer).
var Delivery = (&entity.Entity{
	Name: "delivery", Resource: "deliveries", Table: "deliveries",
	Label: i18n.T("发货单", "Delivery"), Plural: i18n.T("发货单", "Deliveries"),
	Title: "number", Subtitle: "customer_name",
	Vis:        entity.Visibility{Parents: []string{"order_id", "customer_id"}},
	SoftDelete: true, Customizable: true,
	Fields: []*entity.Field{
		{Name: "number", Label: i18n.T("发货单号", "Number"), Kind: entity.Text, MaxLen: 40, Flags: entity.ReadOnly | f | s | entity.Listed | entity.Search | entity.Export | entity.NotNull},
		{Name: "order_id", Label: i18n.T("订单", "Order"), Kind: entity.Ref, Ref: "sales_order", Required: true, Flags: f | entity.Export | entity.Import | entity.Listed | entity.NotNull},
		{Name: "customer_id", Label: i18n.T("客户", "Customer"), Kind: entity.Ref, Ref: "customer", Flags: entity.ReadOnly | f | entity.Export | entity.NotNull},
		{Name: "customer_name", Label: i18n.T("收货单位", "Consignee"), Kind: entity.Text, Flags: entity.ReadOnly | f | entity.Listed | entity.Search | entity.Export},
		{Name: "status", Label: i18n.T("状态", "Status"), Kind: entity.Select, Options: DeliveryStatuses, Default: DeliveryPlanned, Flags: entity.ReadOnly | f | s | entity.Export | entity.Listed | entity.NotNull},
		{Name: "planned_date", Label: i18n.T("计划发货日期", "Planned ship date"), Kind: entity.Date, Flags: std | entity.Listed},
		{Name: "expected_date", Label: i18n.T("预计到货日期", "Expected arrival"), Kind: entity.Date, Flags: std},
		{Name: "packaging", Label: i18n.T("包装方式", "Packaging"), Kind: entity.Text, MaxLen: 200, Flags: std},
		{Name: "package_count", Label: i18n.T("件数", "Packages"), Kind: entity.Integer, Min: ptr(0), Max: ptr(1e6), Flags: std},
		{Name: "carrier", Label: i18n.T("承运商", "Carrier"), Kind: entity.Text, MaxLen: 100, Flags: std | entity.Listed},
		{Name: "tracking_no", Label: i18n.T("运单号", "Tracking number"), Kind: entity.Text, MaxLen: 100, Flags: std | entity.Listed | entity.Search},
		{Name: "ship_to", Label: i18n.T("收货地址", "Ship to"), Kind: entity.Text, MaxLen: 300, Flags: std},
		{Name: "receiver_name", Label: i18n.T("收货人", "Receiver"), Kind: entity.Text, MaxLen: 50, Flags: std},
		{Name: "receiver_phone", Label: i18n.T("收货人电话", "Receiver's phone"), Kind: entity.Phone, Flags: std | entity.Contact},
		{Name: "notes", Label: i18n.T("备注", "Notes"), Kind: entity.LongText, Flags: entity.Export | entity.Import},
		{Name: "shipped_at", Label: i18n.T("发货时间", "Shipped at"), Kind: entity.DateTime, Flags: entity.ReadOnly | f | s | entity.Export},
		{Name: "delivered_at", Label: i18n.T("送达时间", "Delivered at"), Kind: entity.DateTime, Flags: entity.ReadOnly | f | s | entity.Export},
		{Name: "signed_at", Label: i18n.T("签收时间", "Signed at"), Kind: entity.DateTime, Flags: entity.ReadOnly | f | s | entity.Export},
		{Name: "signer_name", Label: i18n.T("签收人", "Signed by"), Kind: entity.Text, MaxLen: 50, Flags: entity.ReadOnly | f | entity.Export},
		{Name: "signer_phone", Label: i18n.T("签收人电话", "Signer's phone"), Kind: entity.Phone, Flags: entity.ReadOnly | entity.Export | entity.Contact},
		{Name: "signed_ip", Label: i18n.T("签收 IP", "Signed from IP"), Kind: entity.Text, MaxLen: 64, Flags: entity.ReadOnly | entity.Export},
		{Name: "sign_remarks", Label: i18n.T("签收意见", "Receiver's remarks"), Kind: entity.LongText, Flags: entity.ReadOnly | entity.Export},
		{Name: "has_issues", Label: i18n.T("签收异常", "Discrepancies"), Kind: entity.Bool, Default: false, Flags: entity.ReadOnly | f | entity.Export | entity.NotNull},
		{Name: "handover_id", Label: i18n.T("交接报告", "Hand-over report"), Kind: entity.Ref, Ref: "handover", Flags: entity.ReadOnly | f | entity.Export},
	},
}).Init()

// DeliveryLine is one line of a delivery: an order line's quantity sent,
// with batch and production date, and what the receiver confirmed.
var DeliveryLine = (&entity.Entity{
	Name: "delivery_line", Resource: "delivery-lines", Table: "delivery_lines",
	Label: i18n.T("发货明细", "Delivery line"), Plural: i18n.T("发货明细", "Delivery lines"),
	Title: "name", DefaultSort: "position",
	Vis: entity.Visibility{Parents: []string{"order_id", "customer_id"}},
	Fields: []*entity.Field{
		{Name: "delivery_id", Label: i18n.T("发货单", "Delivery"), Kind: entity.Ref, Ref: "delivery", Required: true, Flags: entity.ReadOnly | f | entity.Export | entity.Listed | entity.NotNull},
		{Name: "order_id", Label: i18n.T("订单", "Order"), Kind: entity.Ref, Ref: "sales_order", Flags: entity.ReadOnly | f | entity.Export | entity.NotNull},
		{Name: "customer_id", Label: i18n.T("客户", "Customer"), Kind: entity.Ref, Ref: "customer", Flags: entity.ReadOnly | f | entity.Export | entity.NotNull},
		{Name: "order_line_id", Label: i18n.T("订单明细", "Order line"), Kind: entity.Ref, Ref: "order_line", Required: true, Flags: entity.ReadOnly | f | entity.Export | entity.NotNull},
		{Name: "position", Label: i18n.T("序号", "No."), Kind: entity.Integer, Flags: entity.ReadOnly | f | s | entity.Export | entity.Listed | entity.NotNull},
		{Name: "product_id", Label: i18n.T("产品", "Product"), Kind: entity.Ref, Ref: "product", Flags: entity.ReadOnly | f | entity.Export | entity.Listed},
		{Name: "name", Label: i18n.T("名称", "Name"), Kind: entity.Text, Flags: entity.ReadOnly | f | s | entity.Listed | entity.Export | entity.NotNull},
		{Name: "spec", Label: i18n.T("规格型号", "Specification"), Kind: entity.Text, MaxLen: 300, Flags: entity.ReadOnly | f | entity.Listed | entity.Export},
		{Name: "unit", Label: i18n.T("单位", "Unit"), Kind: entity.Text, MaxLen: 20, Flags: entity.ReadOnly | entity.Listed | entity.Export},
		{Name: "quantity", Label: i18n.T("发货数量", "Quantity"), Kind: entity.Integer, Required: true, Min: ptr(1), Max: ptr(1e9), Flags: entity.ReadOnly | f | s | entity.Listed | entity.Export | entity.NotNull},
		{Name: "batch_no", Label: i18n.T("批次号", "Batch"), Kind: entity.Text, MaxLen: 64, Flags: std | entity.Listed | entity.Search},
		{Name: "production_date", Label: i18n.T("生产日期", "Production date"), Kind: entity.Date, Flags: std | entity.Listed},
		{Name: "received_qty", Label: i18n.T("实收数量", "Received"), Kind: entity.Integer, Flags: entity.ReadOnly | f | entity.Listed | entity.Export},
		{Name: "receipt_issue", Label: i18n.T("收货异常", "Issue"), Kind: entity.Select, Options: ReceiptIssues, Flags: entity.ReadOnly | f | entity.Listed | entity.Export},
		{Name: "receipt_remark", Label: i18n.T("收货备注", "Receiver's remark"), Kind: entity.Text, MaxLen: 500, Flags: entity.ReadOnly | entity.Export},
	},
}).Init()

// DeliveryEvent is a tracking update of a delivery (物流在途信息): a status
// with a time, a place and a note; written by its processes only.
var DeliveryEvent = (&entity.Entity{
	Name: "delivery_event", Resource: "delivery-events", Table: "delivery_events",
	Label: i18n.T("物流跟踪", "Tracking update"), Plural: i18n.T("物流跟踪", "Tracking updates"),
	Title: "status", DefaultSort: "-at",
	Vis: entity.Visibility{Parents: []string{"order_id", "customer_id"}},
	Fields: []*entity.Field{
		{Name: "delivery_id", Label: i18n.T("发货单", "Delivery"), Kind: entity.Ref, Ref: "delivery", Required: true, Flags: entity.ReadOnly | f | entity.Export | entity.Listed | entity.NotNull},
		{Name: "order_id", Label: i18n.T("订单", "Order"), Kind: entity.Ref, Ref: "sales_order", Flags: entity.ReadOnly | f | entity.Export | entity.NotNull},
		{Name: "customer_id", Label: i18n.T("客户", "Customer"), Kind: entity.Ref, Ref: "customer", Flags: entity.ReadOnly | f | entity.Export | entity.NotNull},
		{Name: "at", Label: i18n.T("时间", "Time"), Kind: entity.DateTime, Required: true, Flags: entity.ReadOnly | f | s | entity.Listed | entity.Export | entity.NotNull},
		{Name: "status", Label: i18n.T("状态", "Status"), Kind: entity.Select, Options: DeliveryStatuses, Required: true, Flags: entity.ReadOnly | f | entity.Listed | entity.Export | entity.NotNull},
		{Name: "location", Label: i18n.T("地点", "Location"), Kind: entity.Text, MaxLen: 200, Flags: entity.ReadOnly | entity.Listed | entity.Export},
		{Name: "note", Label: i18n.T("说明", "Note"), Kind: entity.Text, MaxLen: 1000, Flags: entity.ReadOnly | entity.Listed | entity.Export},
	},
}).Init()

// SupplyProblem is a problem met during supply (seed 003), logged against
// an order or a delivery and the customer, followed to resolution with
// its root cause. Its owner is the person who follows it.
var SupplyProblem = (&entity.Entity{
	Name: "supply_problem", Resource: "supply-problems", Table: "supply_problems",
	Label: i18n.T("供货问题", "Supply problem"), Plural: i18n.T("供货问题", "Supply problems"),
	Title: "title", Subtitle: "number",
	Vis:        entity.Visibility{Owned: true, Parents: []string{"customer_id"}},
	SoftDelete: true, Customizable: true,
	Fields: []*entity.Field{
		{Name: "number", Label: i18n.T("问题编号", "Number"), Kind: entity.Text, MaxLen: 40, Flags: entity.ReadOnly | f | s | entity.Listed | entity.Search | entity.Export | entity.NotNull},
		{Name: "title", Label: i18n.T("问题", "Problem"), Kind: entity.Text, Required: true, Flags: std | entity.Listed | entity.Search | entity.NotNull},
		{Name: "kind", Label: i18n.T("问题类型", "Kind"), Kind: entity.Select, Options: ProblemKinds, Required: true, Flags: std | entity.Listed | entity.NotNull},
		{Name: "severity", Label: i18n.T("严重程度", "Severity"), Kind: entity.Select, Default: "medium", Required: true, Flags: std | entity.Listed | entity.NotNull, Options: []entity.Option{
			opt("low", "低", "Low"), opt("medium", "中", "Medium"), opt("high", "高", "High"), opt("critical", "紧急", "Critical")}},
		{Name: "status", Label: i18n.T("状态", "Status"), Kind: entity.Select, Options: ProblemStatuses, Default: ProblemOpen, Flags: entity.ReadOnly | f | s | entity.Export | entity.Listed | entity.NotNull},
		{Name: "customer_id", Label: i18n.T("客户", "Customer"), Kind: entity.Ref, Ref: "customer", Flags: f | entity.Export | entity.Import | entity.Listed | entity.NotNull},
		{Name: "order_id", Label: i18n.T("订单", "Order"), Kind: entity.Ref, Ref: "sales_order", Flags: f | entity.Export | entity.Import},
		{Name: "delivery_id", Label: i18n.T("发货单", "Delivery"), Kind: entity.Ref, Ref: "delivery", Flags: f | entity.Export | entity.Import},
		{Name: "occurred_on", Label: i18n.T("发生日期", "Occurred on"), Kind: entity.Date, Flags: std | entity.Listed},
		{Name: "due_date", Label: i18n.T("要求解决日期", "Resolve by"), Kind: entity.Date, Flags: std},
		{Name: "description", Label: i18n.T("问题描述", "Description"), Kind: entity.LongText, Flags: entity.Export | entity.Import | entity.Search},
		{Name: "source", Label: i18n.T("来源", "Source"), Kind: entity.Select, Default: "manual", Flags: entity.ReadOnly | f | entity.Export | entity.NotNull, Options: []entity.Option{
			opt("manual", "人工登记", "Logged by staff"), opt("sign_off", "客户签收", "Customer's sign-off")}},
		{Name: "resolution", Label: i18n.T("处理措施", "Resolution"), Kind: entity.LongText, Flags: entity.ReadOnly | entity.Export},
		{Name: "root_cause", Label: i18n.T("根本原因", "Root cause"), Kind: entity.Select, Options: RootCauses, Flags: entity.ReadOnly | f | entity.Export},
		{Name: "root_cause_note", Label: i18n.T("原因分析", "Cause analysis"), Kind: entity.LongText, Flags: entity.ReadOnly | entity.Export},
		{Name: "resolved_at", Label: i18n.T("解决时间", "Resolved at"), Kind: entity.DateTime, Flags: entity.ReadOnly | f | s | entity.Export},
		{Name: "closed_at", Label: i18n.T("关闭时间", "Closed at"), Kind: entity.DateTime, Flags: entity.ReadOnly | f | s | entity.Export},
		{Name: "reopen_reason", Label: i18n.T("重新打开原因", "Why reopened"), Kind: entity.LongText, Flags: entity.ReadOnly | entity.Export},
	},
}).Init()

// ServiceTask is an installation, commissioning or training job (安装、
// 调试、培训) with a schedule, an engineer, a checklist, a result and the
// customer's acceptance (验收) through a link. Resource "tasks".
var ServiceTask = (&entity.Entity{
	Name: "service_task", Resource: "tasks", Table: "service_tasks",
	Label: i18n.T("实施任务", "Task"), Plural: i18n.T("安装调试培训", "Installation & training"),
	Title: "title", Subtitle: "number", DefaultSort: "scheduled_start",
	Vis:        entity.Visibility{Owned: true, Grants: true, Parents: []string{"customer_id"}},
	SoftDelete: true, Customizable: true,
	Fields: []*entity.Field{
		{Name: "number", Label: i18n.T("任务编号", "Number"), Kind: entity.Text, MaxLen: 40, Flags: entity.ReadOnly | f | s | entity.Listed | entity.Search | entity.Export | entity.NotNull},
		{Name: "title", Label: i18n.T("任务名称", "Title"), Kind: entity.Text, Required: true, Flags: std | entity.Listed | entity.Search | entity.NotNull},
		{Name: "kind", Label: i18n.T("任务类型", "Kind"), Kind: entity.Select, Options: TaskKinds, Required: true, Flags: std | entity.Listed | entity.NotNull},
		{Name: "status", Label: i18n.T("状态", "Status"), Kind: entity.Select, Options: TaskStatuses, Default: TaskPlanned, Flags: entity.ReadOnly | f | s | entity.Export | entity.Listed | entity.NotNull},
		{Name: "customer_id", Label: i18n.T("客户", "Customer"), Kind: entity.Ref, Ref: "customer", Flags: f | entity.Export | entity.Import | entity.Listed | entity.NotNull},
		{Name: "order_id", Label: i18n.T("订单", "Order"), Kind: entity.Ref, Ref: "sales_order", Flags: f | entity.Export | entity.Import},
		{Name: "delivery_id", Label: i18n.T("发货单", "Delivery"), Kind: entity.Ref, Ref: "delivery", Flags: f | entity.Export | entity.Import},
		{Name: "contract_id", Label: i18n.T("合同", "Contract"), Kind: entity.Ref, Ref: "contract", Flags: f | entity.Export | entity.Import},
		{Name: "engineer_id", Label: i18n.T("工程师", "Engineer"), Kind: entity.User, Flags: std | entity.Listed},
		{Name: "scheduled_start", Label: i18n.T("计划开始", "Scheduled start"), Kind: entity.DateTime, Required: true, Flags: std | entity.Listed | entity.NotNull},
		{Name: "scheduled_end", Label: i18n.T("计划结束", "Scheduled end"), Kind: entity.DateTime, Flags: std},
		{Name: "location", Label: i18n.T("地点", "Location"), Kind: entity.Text, MaxLen: 300, Flags: std},
		{Name: "description", Label: i18n.T("工作内容", "Scope of work"), Kind: entity.LongText, Flags: entity.Export | entity.Import | entity.Search},
		{Name: "result", Label: i18n.T("实施结果", "Result"), Kind: entity.LongText, Flags: entity.ReadOnly | entity.Export},
		{Name: "started_at", Label: i18n.T("开始时间", "Started at"), Kind: entity.DateTime, Flags: entity.ReadOnly | f | s | entity.Export},
		{Name: "done_at", Label: i18n.T("完成时间", "Done at"), Kind: entity.DateTime, Flags: entity.ReadOnly | f | s | entity.Export},
		{Name: "accepted_at", Label: i18n.T("验收时间", "Accepted at"), Kind: entity.DateTime, Flags: entity.ReadOnly | f | s | entity.Export},
		{Name: "acceptor_name", Label: i18n.T("验收人", "Accepted by"), Kind: entity.Text, MaxLen: 50, Flags: entity.ReadOnly | entity.Export},
		{Name: "acceptor_phone", Label: i18n.T("验收人电话", "Acceptor's phone"), Kind: entity.Phone, Flags: entity.ReadOnly | entity.Export | entity.Contact},
		{Name: "acceptance_ip", Label: i18n.T("验收 IP", "Accepted from IP"), Kind: entity.Text, MaxLen: 64, Flags: entity.ReadOnly | entity.Export},
		{Name: "acceptance_remarks", Label: i18n.T("验收意见", "Customer's remarks"), Kind: entity.LongText, Flags: entity.ReadOnly | entity.Export},
		{Name: "rejected_reason", Label: i18n.T("验收未通过原因", "Why rejected"), Kind: entity.LongText, Flags: entity.ReadOnly | entity.Export},
		{Name: "handover_id", Label: i18n.T("交接报告", "Hand-over report"), Kind: entity.Ref, Ref: "handover", Flags: entity.ReadOnly | f | entity.Export},
	},
}).Init()

// TaskCheckItem is one line of a task's checklist, ticked by its engineer.
var TaskCheckItem = (&entity.Entity{
	Name: "task_check_item", Resource: "task-check-items", Table: "task_check_items",
	Label: i18n.T("检查项", "Checklist item"), Plural: i18n.T("检查项", "Checklist items"),
	Title: "text", DefaultSort: "position",
	Vis:        entity.Visibility{Parents: []string{"task_id"}},
	SoftDelete: true,
	Fields: []*entity.Field{
		{Name: "task_id", Label: i18n.T("任务", "Task"), Kind: entity.Ref, Ref: "service_task", Required: true, Flags: f | entity.Export | entity.Import | entity.Listed | entity.NotNull},
		{Name: "position", Label: i18n.T("序号", "No."), Kind: entity.Integer, Min: ptr(1), Max: ptr(1000), Flags: std | entity.Listed | entity.NotNull},
		{Name: "text", Label: i18n.T("检查内容", "Item"), Kind: entity.Text, Required: true, MaxLen: 500, Flags: std | entity.Listed | entity.NotNull},
		{Name: "done", Label: i18n.T("已完成", "Done"), Kind: entity.Bool, Default: false, Flags: entity.ReadOnly | f | entity.Listed | entity.Export | entity.NotNull},
		{Name: "done_by", Label: i18n.T("完成人", "Done by"), Kind: entity.User, Flags: entity.ReadOnly | f | entity.Export},
		{Name: "done_at", Label: i18n.T("完成时间", "Done at"), Kind: entity.DateTime, Flags: entity.ReadOnly | entity.Export},
	},
}).Init()

// FulfilmentEntities are the fulfilment declarations, in dependency order.
func FulfilmentEntities() []*entity.Entity {
	return []*entity.Entity{Delivery, DeliveryLine, DeliveryEvent, SupplyProblem, ServiceTask, TaskCheckItem}
}
