package crm

import (
	"slices"

	"closeloop/internal/entity"
	"closeloop/internal/errs"
	"closeloop/internal/i18n"
)

// On-site service, spare parts and returns (售后: 上门维修、供应零配件、退换货;
// seeds 001, 002): a field engineer's visits with the appointment, check-in
// and check-out on site, the work done and the parts used (each a stock
// movement out of the engineer's warehouse), the customer's confirmation
// through a link; the spare-part catalogue with stock per warehouse, kept
// only by movements; returns and exchanges received, inspected, replaced or
// refunded. The declarations and the rules that need no database are here;
// the processes live in internal/fieldservice.

func init() {
	registerAftersales(ServiceVisit, Warehouse, SparePart, SparePartStock, StockMovement, ReturnRequest)
}

// Visit statuses: planned, the engineer on the way, checked in on site,
// the work done (checked out), confirmed by the customer through the link;
// or cancelled, or the customer was not there.
const (
	VisitPlanned   = "planned"
	VisitOnTheWay  = "on_the_way"
	VisitCheckedIn = "checked_in"
	VisitWorkDone  = "work_done"
	VisitConfirmed = "confirmed"
	VisitCancelled = "cancelled"
	VisitAbsent    = "customer_absent"
)

// VisitStatuses label the visit statuses.
var VisitStatuses = []entity.Option{
	opt(VisitPlanned, "已预约", "Planned"), opt(VisitOnTheWay, "在途", "On the way"),
	opt(VisitCheckedIn, "已签到", "Checked in"), opt(VisitWorkDone, "已完工", "Work done"),
	opt(VisitConfirmed, "客户已确认", "Confirmed by customer"), opt(VisitCancelled, "已取消", "Cancelled"),
	opt(VisitAbsent, "客户不在", "Customer absent"),
}

// Visit steps: what the engineer (or the dispatcher) does to a visit. The
// customer's confirmation comes through the link, never as a staff step.
const (
	VisitStepStart    = "start"
	VisitStepCheckIn  = "check_in"
	VisitStepCheckOut = "check_out"
	VisitStepAbsent   = "absent"
	VisitStepCancel   = "cancel"
	VisitStepConfirm  = "confirm"
)

// visitSteps maps each step to the statuses it may start from and the
// status it leads to.
var visitSteps = map[string]struct {
	from []string
	to   string
}{
	VisitStepStart:    {[]string{VisitPlanned}, VisitOnTheWay},
	VisitStepCheckIn:  {[]string{VisitPlanned, VisitOnTheWay}, VisitCheckedIn},
	VisitStepCheckOut: {[]string{VisitCheckedIn}, VisitWorkDone},
	VisitStepAbsent:   {[]string{VisitPlanned, VisitOnTheWay, VisitCheckedIn}, VisitAbsent},
	VisitStepCancel:   {[]string{VisitPlanned, VisitOnTheWay}, VisitCancelled},
	VisitStepConfirm:  {[]string{VisitWorkDone}, VisitConfirmed},
}

// VisitStepNames are the staff steps in the order a visit goes through them.
var VisitStepNames = []string{VisitStepStart, VisitStepCheckIn, VisitStepCheckOut, VisitStepAbsent, VisitStepCancel}

// VisitSteps lists the staff steps possible from status.
func VisitSteps(status string) []string {
	var out []string
	for _, st := range VisitStepNames {
		if slices.Contains(visitSteps[st].from, status) {
			out = append(out, st)
		}
	}
	return out
}

// VisitOpen reports whether a visit is still to be worked (on the day's
// list, parts may be added).
func VisitOpen(status string) bool {
	return status == VisitPlanned || status == VisitOnTheWay || status == VisitCheckedIn
}

// VisitPartsAllowed reports whether parts may be recorded on a visit at
// status: while the engineer is on site (and right after the work).
func VisitPartsAllowed(status string) bool {
	return status == VisitCheckedIn || status == VisitWorkDone
}

// VisitStep says where a step leads from status. A step that is not
// allowed is 422 visit_step with the current status and the allowed
// steps in its data; an unknown step is a validation error.
func VisitStep(step, status string) (string, error) {
	st, ok := visitSteps[step]
	if !ok {
		return "", errs.Validation([]errs.FieldError{{Field: "step", Code: "invalid_option", Args: map[string]any{"value": step}}})
	}
	if slices.Contains(st.from, status) {
		return st.to, nil
	}
	allowed := VisitSteps(status)
	if allowed == nil {
		allowed = []string{}
	}
	return "", errs.New(errs.Unprocessable, "visit_step", labelArgs("current", fulOptionLabel(VisitStatuses, status))...).
		WithData(map[string]any{"current": status, "step": step, "allowed": allowed})
}

// Warehouse kinds: the central store, a branch, an engineer's van.
const (
	WarehouseCentral = "central"
	WarehouseBranch  = "branch"
	WarehouseVan     = "van"
)

// WarehouseKinds label the warehouse kinds.
var WarehouseKinds = []entity.Option{
	opt(WarehouseCentral, "中心库", "Central store"), opt(WarehouseBranch, "网点库", "Branch store"),
	opt(WarehouseVan, "工程师随车库", "Engineer's van"),
}

// Stock movement kinds.
const (
	MoveIn       = "in"         // a receipt from a supplier
	MoveOut      = "out_ticket" // used on a ticket or visit
	MoveReturnIn = "return_in"  // a part or returned goods back
	MoveTransfer = "transfer"   // from one warehouse to another
	MoveAdjust   = "adjust"     // a stock-take: the quantity is what was counted
)

// MoveKinds label the movement kinds.
var MoveKinds = []entity.Option{
	opt(MoveIn, "入库", "Receipt"), opt(MoveOut, "工单领用", "Used on a ticket"),
	opt(MoveReturnIn, "退回入库", "Returned in"), opt(MoveTransfer, "调拨", "Transfer"),
	opt(MoveAdjust, "盘点调整", "Stock-take adjustment"),
}

// StockChange is what a movement does to the stock: the change of the
// warehouse it names (Delta, signed) and, for a transfer, the change of
// the warehouse it goes to (To, never negative).
type StockChange struct {
	Delta, To int64
}

// MoveInput is a movement as given, with the stock it finds.
type MoveInput struct {
	Kind          string
	Quantity      int64
	Warehouse     string
	ToWarehouse   string
	Reason        string
	Have          int64 // the stock of the part in Warehouse now
	LinkedTicket  bool  // an out_ticket names its ticket or visit
	PartActive    bool
	WarehouseOpen bool // the warehouse (and the target of a transfer) is active
}

// CheckStockMove checks a movement and says what it does to the stock. The
// quantity is at least 1 (a stock-take may count 0); the stock never goes
// below zero (422 stock_insufficient, with what there is); a transfer
// names another warehouse; a stock-take gives its reason; a part used
// names the ticket or visit it went to.
func CheckStockMove(in MoveInput) (StockChange, error) {
	var bad []errs.FieldError
	if !slices.ContainsFunc(MoveKinds, func(o entity.Option) bool { return o.Code == in.Kind }) {
		return StockChange{}, errs.Validation([]errs.FieldError{{Field: "kind", Code: "invalid_option", Args: map[string]any{"value": in.Kind}}})
	}
	min := int64(1)
	if in.Kind == MoveAdjust {
		min = 0
	}
	if in.Quantity < min {
		bad = append(bad, errs.FieldError{Field: "quantity", Code: "out_of_range", Args: map[string]any{"min": min, "max": int64(1_000_000)}})
	}
	if !in.PartActive {
		bad = append(bad, errs.FieldError{Field: "part_id", Code: "spare_part_inactive"})
	}
	if !in.WarehouseOpen {
		bad = append(bad, errs.FieldError{Field: "warehouse_id", Code: "warehouse_inactive"})
	}
	switch in.Kind {
	case MoveTransfer:
		if in.ToWarehouse == "" {
			bad = append(bad, errs.FieldError{Field: "to_warehouse_id", Code: "required"})
		} else if in.ToWarehouse == in.Warehouse {
			bad = append(bad, errs.FieldError{Field: "to_warehouse_id", Code: "stock_same_warehouse"})
		}
	case MoveAdjust:
		if in.Reason == "" {
			bad = append(bad, errs.FieldError{Field: "reason", Code: "required"})
		}
	case MoveOut:
		if !in.LinkedTicket {
			bad = append(bad, errs.FieldError{Field: "ticket_id", Code: "stock_out_needs_ticket"})
		}
	}
	if in.Kind != MoveTransfer && in.ToWarehouse != "" {
		bad = append(bad, errs.FieldError{Field: "to_warehouse_id", Code: "stock_transfer_only"})
	}
	if err := errs.Validation(bad); err != nil {
		return StockChange{}, err
	}
	var ch StockChange
	switch in.Kind {
	case MoveIn, MoveReturnIn:
		ch.Delta = in.Quantity
	case MoveOut:
		ch.Delta = -in.Quantity
	case MoveTransfer:
		ch.Delta, ch.To = -in.Quantity, in.Quantity
	case MoveAdjust:
		ch.Delta = in.Quantity - in.Have
	}
	if in.Have+ch.Delta < 0 {
		return StockChange{}, ErrInsufficient(in.Have, -ch.Delta)
	}
	return ch, nil
}

// ErrInsufficient is the refusal of a movement that would take the stock
// below zero: 422 stock_insufficient naming what there is.
func ErrInsufficient(have, need int64) error {
	return errs.New(errs.Unprocessable, "stock_insufficient", "have", have, "need", need).
		WithData(map[string]any{"have": have, "need": need})
}

// LowCrossing says what a stock change does to a low-stock warning: warn
// when the stock falls below the minimum from at or above it (once per
// crossing), re-arm when it is back at or above the minimum. A minimum of
// 0 never warns.
func LowCrossing(wasLow bool, after, minimum int64) (low, warn bool) {
	low = minimum > 0 && after < minimum
	return low, low && !wasLow
}

// Return kinds.
const (
	ReturnKindReturn   = "return"
	ReturnKindExchange = "exchange"
)

// ReturnKinds label the kinds of a return request.
var ReturnKinds = []entity.Option{opt(ReturnKindReturn, "退货", "Return"), opt(ReturnKindExchange, "换货", "Exchange")}

// Return statuses.
const (
	ReturnRequested = "requested"
	ReturnReceived  = "received"
	ReturnInspected = "inspected"
	ReturnReplaced  = "replaced"
	ReturnRefunded  = "refunded"
	ReturnClosed    = "closed"
	ReturnRejected  = "rejected"
)

// ReturnStatuses label the return statuses.
var ReturnStatuses = []entity.Option{
	opt(ReturnRequested, "已申请", "Requested"), opt(ReturnReceived, "已收货", "Received"),
	opt(ReturnInspected, "已检测", "Inspected"), opt(ReturnReplaced, "已换货", "Replaced"),
	opt(ReturnRefunded, "已退款", "Refunded"), opt(ReturnClosed, "已关闭", "Closed"),
	opt(ReturnRejected, "已拒绝", "Rejected"),
}

// Inspection results of returned goods.
const (
	InspectDefect  = "defect_confirmed"
	InspectNoFault = "no_fault_found"
	InspectTransit = "transit_damage"
	InspectMisuse  = "customer_misuse"
)

// InspectionResults label the inspection results.
var InspectionResults = []entity.Option{
	opt(InspectDefect, "确认质量问题", "Defect confirmed"), opt(InspectNoFault, "未发现故障", "No fault found"),
	opt(InspectTransit, "运输损坏", "Damaged in transit"), opt(InspectMisuse, "客户使用不当", "Customer misuse"),
}

// Return steps.
const (
	ReturnStepReceive = "receive"
	ReturnStepInspect = "inspect"
	ReturnStepReplace = "replace"
	ReturnStepRefund  = "refund"
	ReturnStepClose   = "close"
	ReturnStepReject  = "reject"
)

// ReturnStepNames are the return steps in order.
var ReturnStepNames = []string{ReturnStepReceive, ReturnStepInspect, ReturnStepReplace, ReturnStepRefund, ReturnStepClose, ReturnStepReject}

var returnSteps = map[string]struct {
	from []string
	to   string
}{
	ReturnStepReceive: {[]string{ReturnRequested}, ReturnReceived},
	ReturnStepInspect: {[]string{ReturnReceived}, ReturnInspected},
	ReturnStepReplace: {[]string{ReturnInspected}, ReturnReplaced},
	ReturnStepRefund:  {[]string{ReturnInspected}, ReturnRefunded},
	ReturnStepClose:   {[]string{ReturnReplaced, ReturnRefunded}, ReturnClosed},
	ReturnStepReject:  {[]string{ReturnRequested, ReturnReceived, ReturnInspected}, ReturnRejected},
}

// ReturnSteps lists the steps possible for a return of kind at status:
// an exchange is replaced, a return refunded.
func ReturnSteps(kind, status string) []string {
	var out []string
	for _, st := range ReturnStepNames {
		if !slices.Contains(returnSteps[st].from, status) {
			continue
		}
		if (st == ReturnStepReplace && kind != ReturnKindExchange) || (st == ReturnStepRefund && kind != ReturnKindReturn) {
			continue
		}
		out = append(out, st)
	}
	return out
}

// ReturnStep says where a step leads a return of kind from status: 422
// return_step (with the allowed steps) when it may not be taken.
func ReturnStep(step, kind, status string) (string, error) {
	st, ok := returnSteps[step]
	if !ok {
		return "", errs.Validation([]errs.FieldError{{Field: "step", Code: "invalid_option", Args: map[string]any{"value": step}}})
	}
	allowed := ReturnSteps(kind, status)
	if slices.Contains(allowed, step) {
		return st.to, nil
	}
	if allowed == nil {
		allowed = []string{}
	}
	return "", errs.New(errs.Unprocessable, "return_step", labelArgs("current", fulOptionLabel(ReturnStatuses, status))...).
		WithData(map[string]any{"current": status, "step": step, "allowed": allowed})
}

// ReturnOpen reports whether a return is still being handled.
func ReturnOpen(status string) bool {
	return status != ReturnClosed && status != ReturnRejected
}

// ReturnItem is one line of a return: a product (or a spare part) with
// its quantity and serial number.
type ReturnItem struct {
	ProductID string `json:"product_id,omitempty"`
	PartID    string `json:"part_id,omitempty"`
	Name      string `json:"name,omitempty"`
	Quantity  int64  `json:"quantity"`
	Serial    string `json:"serial_no,omitempty"`
}

// MaxReturnItems caps the lines of one return.
const MaxReturnItems = 100

// CheckReturnItems checks a return's lines: each names a product or a
// spare part (not both), a quantity of 1 … 100000, a serial of at most
// 100 characters. Problems name the line: items[2].quantity.
func CheckReturnItems(items []ReturnItem) error {
	var bad []errs.FieldError
	if len(items) > MaxReturnItems {
		return errs.Validation([]errs.FieldError{{Field: "items", Code: "return_items_too_many", Args: map[string]any{"max": MaxReturnItems}}})
	}
	for i, it := range items {
		field := func(name string) string { return "items[" + itoa(i) + "]." + name }
		if (it.ProductID == "") == (it.PartID == "") {
			bad = append(bad, errs.FieldError{Field: field("product_id"), Code: "return_item_product"})
		}
		if it.Quantity < 1 || it.Quantity > 100000 {
			bad = append(bad, errs.FieldError{Field: field("quantity"), Code: "out_of_range", Args: map[string]any{"min": 1, "max": 100000}})
		}
		if len([]rune(it.Serial)) > 100 {
			bad = append(bad, errs.FieldError{Field: field("serial_no"), Code: "too_long", Args: map[string]any{"max": 100}})
		}
	}
	return errs.Validation(bad)
}

func itoa(n int) string {
	if n == 0 {
		return "0"
	}
	var b []byte
	for n > 0 {
		b = append([]byte{byte('0' + n%10)}, b...)
		n /= 10
	}
	return string(b)
}

// Number prefixes of visits and returns (store.MonthlyNumber).
const (
	VisitNumberPrefix  = "SM"
	ReturnNumberPrefix = "TH"
)

// ServiceVisit is an on-site visit (上门服务): from a ticket or standalone
// for a customer. Its owner is the engineer (a field engineer); it is
// also read through its customer. Status and the on-site times are kept
// by the visit's steps; the confirmation by the customer's link.
var ServiceVisit = (&entity.Entity{
	Name: "service_visit", Resource: "visits", Table: "service_visits",
	Label: i18n.T("上门服务", "On-site visit"), Plural: i18n.T("上门服务", "On-site visits"),
	Title: "number", Subtitle: "subject", DefaultSort: "-appointment_start",
	Vis:        entity.Visibility{Owned: true, Grants: true, Parents: []string{"customer_id"}},
	SoftDelete: true, Customizable: true,
	Fields: []*entity.Field{
		{Name: "number", Label: i18n.T("服务单号", "Number"), Kind: entity.Text, MaxLen: 40, Flags: entity.ReadOnly | f | s | entity.Listed | entity.Search | entity.Export | entity.NotNull},
		{Name: "subject", Label: i18n.T("服务内容", "Subject"), Kind: entity.Text, Required: true, MaxLen: 300, Flags: std | entity.Listed | entity.Search | entity.NotNull},
		{Name: "status", Label: i18n.T("状态", "Status"), Kind: entity.Select, Options: VisitStatuses, Default: VisitPlanned, Flags: entity.ReadOnly | f | s | entity.Export | entity.Listed | entity.NotNull},
		{Name: "ticket_id", Label: i18n.T("服务工单", "Ticket"), Kind: entity.Ref, Ref: "ticket", Flags: f | entity.Export | entity.Import | entity.Listed},
		{Name: "customer_id", Label: i18n.T("客户", "Customer"), Kind: entity.Ref, Ref: "customer", Required: true, Flags: f | entity.Export | entity.Import | entity.Listed | entity.NotNull},
		{Name: "contact_id", Label: i18n.T("联系人", "Contact"), Kind: entity.Ref, Ref: "contact", Flags: f | entity.Export | entity.Import},
		{Name: "appointment_start", Label: i18n.T("预约开始", "Appointment from"), Kind: entity.DateTime, Required: true, Flags: std | entity.Listed | entity.NotNull},
		{Name: "appointment_end", Label: i18n.T("预约结束", "Appointment until"), Kind: entity.DateTime, Required: true, Flags: std | entity.NotNull},
		{Name: "address", Label: i18n.T("服务地址", "Address"), Kind: entity.Text, MaxLen: 300, Flags: std | entity.Search},
		{Name: "started_at", Label: i18n.T("出发时间", "Left at"), Kind: entity.DateTime, Flags: entity.ReadOnly | f | entity.Export},
		{Name: "checked_in_at", Label: i18n.T("签到时间", "Checked in at"), Kind: entity.DateTime, Flags: entity.ReadOnly | f | s | entity.Export},
		{Name: "check_in_location", Label: i18n.T("签到位置", "Check-in location"), Kind: entity.Text, MaxLen: 200, Flags: entity.ReadOnly | entity.Export},
		{Name: "checked_out_at", Label: i18n.T("签退时间", "Checked out at"), Kind: entity.DateTime, Flags: entity.ReadOnly | f | s | entity.Export},
		{Name: "check_out_location", Label: i18n.T("签退位置", "Check-out location"), Kind: entity.Text, MaxLen: 200, Flags: entity.ReadOnly | entity.Export},
		{Name: "work_done", Label: i18n.T("处理情况", "Work done"), Kind: entity.LongText, Flags: entity.ReadOnly | entity.Export | entity.Search},
		{Name: "confirmed_at", Label: i18n.T("客户确认时间", "Confirmed at"), Kind: entity.DateTime, Flags: entity.ReadOnly | f | s | entity.Export},
		{Name: "confirmer_name", Label: i18n.T("确认人", "Confirmed by"), Kind: entity.Text, MaxLen: 100, Flags: entity.ReadOnly | entity.Export},
		{Name: "confirm_remarks", Label: i18n.T("客户意见", "Customer's remarks"), Kind: entity.LongText, Flags: entity.ReadOnly | entity.Export},
		{Name: "confirm_ip", Label: i18n.T("确认来源地址", "Confirmed from"), Kind: entity.Text, MaxLen: 64, Flags: entity.ReadOnly | entity.Export},
		{Name: "cancel_reason", Label: i18n.T("取消/未遇原因", "Reason (cancelled / absent)"), Kind: entity.Text, MaxLen: 500, Flags: entity.ReadOnly | entity.Export},
		{Name: "opportunity_id", Label: i18n.T("由此产生的商机", "Opportunity raised"), Kind: entity.Ref, Ref: "opportunity", Flags: entity.ReadOnly | f | entity.Export},
	},
}).Init()

// Warehouse is a place spare parts are kept: the central store, a branch,
// an engineer's van (its keeper is the engineer, whose visits take parts
// from it).
var Warehouse = (&entity.Entity{
	Name: "warehouse", Resource: "warehouses", Table: "warehouses",
	Label: i18n.T("备件仓库", "Warehouse"), Plural: i18n.T("备件仓库", "Warehouses"),
	Title: "name", Subtitle: "code", DefaultSort: "code",
	SoftDelete: true,
	Fields: []*entity.Field{
		{Name: "code", Label: i18n.T("仓库编码", "Code"), Kind: entity.Text, Required: true, MaxLen: 40, Flags: std | entity.Listed | entity.Search | entity.NotNull | entity.Unique},
		{Name: "name", Label: i18n.T("仓库名称", "Name"), Kind: entity.Text, Required: true, MaxLen: 100, Flags: std | entity.Listed | entity.Search | entity.NotNull},
		{Name: "kind", Label: i18n.T("类型", "Kind"), Kind: entity.Select, Options: WarehouseKinds, Required: true, Default: WarehouseCentral, Flags: std | entity.Listed | entity.NotNull},
		{Name: "keeper_id", Label: i18n.T("保管人", "Keeper"), Kind: entity.User, Flags: std | entity.Listed},
		{Name: "address", Label: i18n.T("地址", "Address"), Kind: entity.Text, MaxLen: 300, Flags: std},
		{Name: "active", Label: i18n.T("启用", "Active"), Kind: entity.Bool, Default: true, Flags: std | entity.Listed | entity.NotNull},
	},
}).Init()

// SparePart is an entry of the spare-part catalogue (备件目录).
var SparePart = (&entity.Entity{
	Name: "spare_part", Resource: "spare-parts", Table: "spare_parts",
	Label: i18n.T("备件", "Spare part"), Plural: i18n.T("备件", "Spare parts"),
	Title: "name", Subtitle: "sku", DefaultSort: "sku",
	SoftDelete: true, Customizable: true,
	Fields: []*entity.Field{
		{Name: "sku", Label: i18n.T("备件编码", "SKU"), Kind: entity.Text, Required: true, MaxLen: 60, Flags: std | entity.Listed | entity.Search | entity.NotNull | entity.Unique},
		{Name: "name", Label: i18n.T("备件名称", "Name"), Kind: entity.Text, Required: true, MaxLen: 200, Flags: std | entity.Listed | entity.Search | entity.NotNull},
		{Name: "product_id", Label: i18n.T("适用产品", "Fits product"), Kind: entity.Ref, Ref: "product", Flags: f | entity.Export | entity.Import | entity.Listed},
		{Name: "unit", Label: i18n.T("单位", "Unit"), Kind: entity.Text, MaxLen: 20, Default: "个", Flags: std | entity.Listed},
		{Name: "unit_cost", Label: i18n.T("单位成本", "Unit cost"), Kind: entity.Money, Flags: std | entity.Listed},
		{Name: "min_stock", Label: i18n.T("最低库存", "Minimum stock"), Kind: entity.Integer, Default: int64(0), Min: ptr(0), Max: ptr(1000000), Flags: std | entity.Listed | entity.NotNull},
		{Name: "active", Label: i18n.T("启用", "Active"), Kind: entity.Bool, Default: true, Flags: std | entity.Listed | entity.NotNull},
	},
}).Init()

// SparePartStock is the stock of one part in one warehouse: written only
// by the stock process (every change is a movement), read by everyone in
// service. low is set while the stock is below the part's minimum.
var SparePartStock = (&entity.Entity{
	Name: "spare_part_stock", Resource: "spare-part-stock", Table: "spare_part_stock",
	Label: i18n.T("备件库存", "Spare-part stock"), Plural: i18n.T("备件库存", "Spare-part stock"),
	Title: "part_id", Subtitle: "warehouse_id", DefaultSort: "part_id",
	Fields: []*entity.Field{
		{Name: "part_id", Label: i18n.T("备件", "Part"), Kind: entity.Ref, Ref: "spare_part", Flags: entity.ReadOnly | f | s | entity.Export | entity.Listed | entity.NotNull},
		{Name: "warehouse_id", Label: i18n.T("仓库", "Warehouse"), Kind: entity.Ref, Ref: "warehouse", Flags: entity.ReadOnly | f | s | entity.Export | entity.Listed | entity.NotNull},
		{Name: "quantity", Label: i18n.T("库存数量", "Quantity"), Kind: entity.Integer, Default: int64(0), Flags: entity.ReadOnly | f | s | entity.Export | entity.Listed | entity.NotNull},
		{Name: "low", Label: i18n.T("低于最低库存", "Below minimum"), Kind: entity.Bool, Default: false, Flags: entity.ReadOnly | f | s | entity.Export | entity.Listed | entity.NotNull},
		{Name: "low_since", Label: i18n.T("低库存起始", "Low since"), Kind: entity.DateTime, Flags: entity.ReadOnly | f | s | entity.Export},
	},
}).Init()

// StockMovement is one line of the stock ledger (出入库流水): creating one
// is the stock process (the stock changes in the same transaction, never
// below zero); a movement is never changed afterwards.
var StockMovement = (&entity.Entity{
	Name: "stock_movement", Resource: "stock-movements", Table: "stock_movements",
	Label: i18n.T("备件出入库", "Stock movement"), Plural: i18n.T("备件出入库", "Stock movements"),
	Title: "kind", Subtitle: "part_id", DefaultSort: "-created_at",
	Fields: []*entity.Field{
		{Name: "kind", Label: i18n.T("类型", "Kind"), Kind: entity.Select, Options: MoveKinds, Required: true, Flags: std | entity.Listed | entity.NotNull},
		{Name: "part_id", Label: i18n.T("备件", "Part"), Kind: entity.Ref, Ref: "spare_part", Required: true, Flags: f | entity.Export | entity.Import | entity.Listed | entity.NotNull},
		{Name: "warehouse_id", Label: i18n.T("仓库", "Warehouse"), Kind: entity.Ref, Ref: "warehouse", Required: true, Flags: f | entity.Export | entity.Import | entity.Listed | entity.NotNull},
		{Name: "to_warehouse_id", Label: i18n.T("调入仓库", "To warehouse"), Kind: entity.Ref, Ref: "warehouse", Flags: f | entity.Export | entity.Import | entity.Listed},
		{Name: "quantity", Label: i18n.T("数量", "Quantity"), Kind: entity.Integer, Required: true, Min: ptr(0), Max: ptr(1000000), Flags: std | entity.Listed | entity.NotNull},
		{Name: "delta", Label: i18n.T("库存变动", "Stock change"), Kind: entity.Integer, Flags: entity.ReadOnly | f | s | entity.Export | entity.Listed},
		{Name: "balance_after", Label: i18n.T("变动后库存", "Stock after"), Kind: entity.Integer, Flags: entity.ReadOnly | entity.Export | entity.Listed},
		{Name: "ticket_id", Label: i18n.T("服务工单", "Ticket"), Kind: entity.Ref, Ref: "ticket", Flags: f | entity.Export | entity.Import},
		{Name: "visit_id", Label: i18n.T("上门服务", "Visit"), Kind: entity.Ref, Ref: "service_visit", Flags: f | entity.Export | entity.Import},
		{Name: "return_id", Label: i18n.T("退换货", "Return"), Kind: entity.Ref, Ref: "return_request", Flags: f | entity.Export | entity.Import},
		{Name: "reason", Label: i18n.T("原因说明", "Reason"), Kind: entity.Text, MaxLen: 500, Flags: std},
	},
}).Init()

// ReturnRequest is a return or exchange (退换货): linked to the order, the
// delivery and the ticket, with its items; received (spare parts back in
// a warehouse), inspected, then replaced (the replacement delivery or its
// tracking) or refunded (the refund record), and closed — or rejected.
var ReturnRequest = (&entity.Entity{
	Name: "return_request", Resource: "returns", Table: "return_requests",
	Label: i18n.T("退换货", "Return / exchange"), Plural: i18n.T("退换货", "Returns and exchanges"),
	Title: "number", Subtitle: "reason", DefaultSort: "-created_at",
	Vis:        entity.Visibility{Owned: true, Grants: true, Parents: []string{"customer_id"}},
	SoftDelete: true, Customizable: true,
	Fields: []*entity.Field{
		{Name: "number", Label: i18n.T("退换货单号", "Number"), Kind: entity.Text, MaxLen: 40, Flags: entity.ReadOnly | f | s | entity.Listed | entity.Search | entity.Export | entity.NotNull},
		{Name: "kind", Label: i18n.T("类型", "Kind"), Kind: entity.Select, Options: ReturnKinds, Required: true, Default: ReturnKindExchange, Flags: std | entity.Listed | entity.NotNull},
		{Name: "status", Label: i18n.T("状态", "Status"), Kind: entity.Select, Options: ReturnStatuses, Default: ReturnRequested, Flags: entity.ReadOnly | f | s | entity.Export | entity.Listed | entity.NotNull},
		{Name: "customer_id", Label: i18n.T("客户", "Customer"), Kind: entity.Ref, Ref: "customer", Required: true, Flags: f | entity.Export | entity.Import | entity.Listed | entity.NotNull},
		{Name: "order_id", Label: i18n.T("订单", "Order"), Kind: entity.Ref, Ref: "sales_order", Flags: f | entity.Export | entity.Import | entity.Listed},
		{Name: "delivery_id", Label: i18n.T("发货单", "Delivery"), Kind: entity.Ref, Ref: "delivery", Flags: f | entity.Export | entity.Import},
		{Name: "ticket_id", Label: i18n.T("服务工单", "Ticket"), Kind: entity.Ref, Ref: "ticket", Flags: f | entity.Export | entity.Import},
		{Name: "reason", Label: i18n.T("退换原因", "Reason"), Kind: entity.LongText, Required: true, Flags: entity.Export | entity.Import | entity.Search},
		{Name: "items", Label: i18n.T("退换明细", "Items"), Kind: entity.LongText, Flags: entity.ReadOnly | entity.Hidden | entity.Export},
		{Name: "received_at", Label: i18n.T("收货时间", "Received at"), Kind: entity.DateTime, Flags: entity.ReadOnly | f | s | entity.Export},
		{Name: "received_warehouse_id", Label: i18n.T("收货仓库", "Received into"), Kind: entity.Ref, Ref: "warehouse", Flags: entity.ReadOnly | f | entity.Export},
		{Name: "receive_notes", Label: i18n.T("收货说明", "Receipt notes"), Kind: entity.Text, MaxLen: 1000, Flags: entity.ReadOnly | entity.Export},
		{Name: "inspected_at", Label: i18n.T("检测时间", "Inspected at"), Kind: entity.DateTime, Flags: entity.ReadOnly | f | s | entity.Export},
		{Name: "inspection_result", Label: i18n.T("检测结论", "Inspection result"), Kind: entity.Select, Options: InspectionResults, Flags: entity.ReadOnly | f | entity.Export | entity.Listed},
		{Name: "inspection_notes", Label: i18n.T("检测说明", "Inspection notes"), Kind: entity.LongText, Flags: entity.ReadOnly | entity.Export},
		{Name: "replacement_delivery_id", Label: i18n.T("换货发货单", "Replacement delivery"), Kind: entity.Ref, Ref: "delivery", Flags: entity.ReadOnly | f | entity.Export},
		{Name: "replacement_carrier", Label: i18n.T("换货承运商", "Replacement carrier"), Kind: entity.Text, MaxLen: 100, Flags: entity.ReadOnly | entity.Export},
		{Name: "replacement_tracking_no", Label: i18n.T("换货运单号", "Replacement tracking no."), Kind: entity.Text, MaxLen: 100, Flags: entity.ReadOnly | entity.Export | entity.Search},
		{Name: "refund_amount", Label: i18n.T("退款金额", "Refund amount"), Kind: entity.Money, Flags: entity.ReadOnly | f | entity.Export},
		{Name: "refund_date", Label: i18n.T("退款日期", "Refund date"), Kind: entity.Date, Flags: entity.ReadOnly | f | entity.Export},
		{Name: "refund_reference", Label: i18n.T("退款凭证号", "Refund reference"), Kind: entity.Text, MaxLen: 100, Flags: entity.ReadOnly | entity.Export | entity.Search},
		{Name: "done_at", Label: i18n.T("换货/退款时间", "Replaced / refunded at"), Kind: entity.DateTime, Flags: entity.ReadOnly | f | s | entity.Export},
		{Name: "rejected_reason", Label: i18n.T("拒绝原因", "Rejected because"), Kind: entity.Text, MaxLen: 1000, Flags: entity.ReadOnly | entity.Export},
		{Name: "closed_at", Label: i18n.T("关闭时间", "Closed at"), Kind: entity.DateTime, Flags: entity.ReadOnly | f | s | entity.Export},
		{Name: "opportunity_id", Label: i18n.T("由此产生的商机", "Opportunity raised"), Kind: entity.Ref, Ref: "opportunity", Flags: entity.ReadOnly | f | entity.Export},
	},
}).Init()
