package web

import (
	"context"
	"fmt"
	"html/template"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"time"

	"closeloop/internal/access"
	"closeloop/internal/crm"
	"closeloop/internal/entity"
	"closeloop/internal/errs"
	"closeloop/internal/fulfilment"
)

// Fulfilment in the web UI: the order's page (lines with the stock check,
// reservation, planning a delivery, cancelling), the delivery's page
// (progress, lines with batch and production date, tracking, the
// sign-off link and its result), the supply problem's and the task's
// steps, the checklist, and cards on the customer's, the opportunity's,
// the contract's and the quote's pages and on the home page. Every form
// posts to the same service the API calls. The customer's public page is
// in fulfilment_public.go.

func init() {
	areaRoutes = append(areaRoutes, func(s *Server, m *http.ServeMux) {
		m.HandleFunc("POST /orders/{id}/reserve", s.page(s.orderReserve))
		m.HandleFunc("POST /orders/{id}/release", s.page(s.orderRelease))
		m.HandleFunc("POST /orders/{id}/cancel", s.page(s.orderCancel))
		m.HandleFunc("POST /orders/{id}/deliveries", s.page(s.orderPlanDelivery))
		m.HandleFunc("POST /contracts/{id}/order", s.page(s.orderFromSource("contract")))
		m.HandleFunc("POST /quotes/{id}/order", s.page(s.orderFromSource("quote")))
		m.HandleFunc("POST /deliveries/{id}/track", s.page(s.deliveryTrack))
		m.HandleFunc("POST /deliveries/{id}/sign-off-link", s.page(s.deliveryLink))
		m.HandleFunc("POST /supply-problems/{id}/step", s.page(s.problemStep))
		m.HandleFunc("POST /tasks/{id}/step", s.page(s.taskStep))
		m.HandleFunc("POST /tasks/{id}/checklist/{item}", s.page(s.taskCheck))
		m.HandleFunc("POST /tasks/{id}/acceptance-link", s.page(s.taskLink))
		m.HandleFunc("GET /s/{token}", s.public(s.publicLink))
		m.HandleFunc("POST /s/{token}", s.public(s.publicLinkPost))
	})
	onDetail("sales_order", (*Server).orderPanels)
	onDetail("delivery", (*Server).deliveryPanels)
	onDetail("supply_problem", (*Server).problemPanels)
	onDetail("service_task", (*Server).taskPanels)
	onDetail("customer", (*Server).customerFulfilment)
	onDetail("opportunity", (*Server).opportunityFulfilment)
	onDetail("contract", sourceOrders("contract"))
	onDetail("quote", sourceOrders("quote"))
	onHome((*Server).homeFulfilment)
	for code, tone := range map[string]string{
		crm.OrderConfirmed: "badge-info", crm.OrderReserved: "badge-accent", crm.OrderPartlyDelivered: "badge-warning", crm.OrderDelivered: "badge-accent",
		crm.OrderCompleted: "badge-success", crm.OrderCancelled: "badge-muted",
		crm.DeliveryPlanned: "badge-info", crm.DeliveryShipped: "badge-accent", crm.DeliveryInTransit: "badge-accent",
		crm.DeliverySigned: "badge-success", crm.DeliverySignedWithIssues: "badge-warning",
		crm.ProblemOpen: "badge-danger", crm.ProblemInProgress: "badge-warning", crm.ProblemResolved: "badge-success",
		crm.TaskDone: "badge-warning", crm.TaskAccepted: "badge-success", crm.TaskRejected: "badge-danger",
	} {
		if _, set := tones[code]; !set {
			tones[code] = tone
		}
	}
}

// The dialogs of fulfilment pages.
const (
	dlgPlan     = "dlg-ful-plan"
	dlgCancel   = "dlg-ful-cancel"
	dlgShip     = "dlg-ful-ship"
	dlgTrack    = "dlg-ful-track"
	dlgDlvCanc  = "dlg-ful-dcancel"
	dlgTaskDone = "dlg-ful-done"
)

// writable reports whether p may change a record (the entity's write
// scope, asked of the database like every other predicate).
func (c *rc) writable(entityName, id string) bool {
	e := c.schema.Entity(entityName)
	perm := c.p.Perm(entityName)
	if e == nil || perm.Write == access.None || c.p.ReadOnly {
		return false
	}
	if perm.Write == access.All {
		return true
	}
	_, err := c.s.app.DB.Get(c.ctx(), c.s.app.DB.R(), e, id, c.s.app.DB.Visible(e, c.p, perm.Write), false)
	return err == nil
}

// fulView is what the fulfilment partials receive.
type fulView struct {
	T       func(string, ...any) string
	ID      string
	Buttons []fulButton
	Dialogs []*dialogForm

	// order
	Lines      []orderLineRow
	Total      string
	AddLine    string
	Deliveries []deliveryRow
	// delivery
	Steps      []trialStep
	DLines     []deliveryLineRow
	Events     []eventRow
	Signed     *signedView
	Link       *linkView
	LinkAction string
	PDF        string
	// task
	Items    []checkRow
	AddItem  string
	Accepted *signedView
	Result   string
}

// fulButton is a header action: a form posting at once (with a
// confirmation when Confirm is set) or a dialog opener.
type fulButton struct {
	Text, Action, Dialog, Href, Confirm string
	Primary, Danger                     bool
	Version                             int64
}

type orderLineRow struct {
	Pos, Name, Spec, Unit, SKU                  string
	Qty, UnitPrice, Total                       string
	Reserved, Delivered, Need, Available, Stock string
	Stocked, Enough                             bool
	Href                                        string
}

type deliveryRow struct {
	Href, Number, Planned, Carrier, Tracking, Signed string
	Status                                           cell
}

type deliveryLineRow struct {
	Pos, Name, Spec, Unit, Qty, Batch, Produced, Received, Issue, Remark string
	Short, Flagged                                                       bool
	Edit                                                                 string
}

type eventRow struct {
	At, Status, Location, Note string
	ISO                        string
}

type signedView struct {
	At, Name, Phone, IP, Remarks string
	Issues                       bool
	Accepted                     bool
	Reason                       string
}

type linkView struct {
	URL, Expires string
}

type checkRow struct {
	Text, By, At, Action string
	Done                 bool
}

func (s *Server) partialOr(c *rc, name string, v any, dst *[]template.HTML) error {
	h, err := c.partial(name, v)
	if err != nil {
		return err
	}
	*dst = append(*dst, h)
	return nil
}

func fulMoney(v any) string {
	if n, ok := v.(int64); ok {
		return entity.FormatMoney(n)
	}
	return ""
}

func fulItoa(n int64) string { return strconv.FormatInt(n, 10) }

// Orders.

func (s *Server) orderPanels(c *rc, rec entity.Record, dp *detailPage) error {
	v := &fulView{T: c.T, ID: rec.ID(), Total: fulMoney(rec["total"])}
	status := rec.Str("status")
	stock, err := s.app.Fulfilment.StockCheck(c.ctx(), c.p, rec.ID())
	if err != nil {
		return err
	}
	_, lines, err := s.app.Fulfilment.Order(c.ctx(), c.p, rec.ID())
	if err != nil {
		return err
	}
	byID := map[string]entity.Record{}
	for _, l := range lines {
		byID[l.ID()] = l
	}
	for _, st := range stock {
		l := byID[st.OrderLineID]
		row := orderLineRow{Pos: fulItoa(st.Position), Name: st.Name, Spec: l.Str("spec"), Unit: l.Str("unit"), SKU: st.SKU,
			Qty: fulItoa(st.Quantity), UnitPrice: fulMoney(l["unit_price"]), Total: fulMoney(l["line_total"]),
			Reserved: fulItoa(st.Reserved), Delivered: fulItoa(st.Delivered), Need: fulItoa(st.Need), Stocked: st.Stocked, Enough: st.Enough,
			Href: "/order-lines/" + st.OrderLineID}
		if st.Stocked {
			row.Available, row.Stock = fulItoa(st.Available), fulItoa(st.Stock)
		}
		v.Lines = append(v.Lines, row)
	}
	canWrite := s.open(status) && c.writable("sales_order", rec.ID())
	if canWrite && len(v.Lines) > 0 {
		needs, reserved := false, false
		for _, st := range stock {
			needs = needs || (st.Stocked && st.Need > 0)
			reserved = reserved || st.Reserved > 0
		}
		if needs {
			v.Buttons = append(v.Buttons, fulButton{Text: c.T("ful.reserve"), Action: "/orders/" + rec.ID() + "/reserve", Primary: true, Version: rec.Version()})
		}
		if reserved {
			v.Buttons = append(v.Buttons, fulButton{Text: c.T("ful.release"), Action: "/orders/" + rec.ID() + "/release", Confirm: c.T("ful.release_confirm"), Version: rec.Version()})
		}
		if d := s.planDialog(c, rec, stock); d != nil {
			v.Dialogs = append(v.Dialogs, d)
			v.Buttons = append(v.Buttons, fulButton{Text: d.Button, Dialog: d.ID})
		}
	}
	if canWrite && (status == crm.OrderConfirmed || status == crm.OrderDraft) && c.p.Perm("order_line").Create {
		lockErr := len(lines) > 0 && hasReservations(stock)
		if !lockErr {
			v.AddLine = "/order-lines/new?" + url.Values{"order_id": {rec.ID()}, "position": {fulItoa(int64(len(lines) + 1))}}.Encode()
		}
	}
	if status != crm.OrderCancelled && status != crm.OrderCompleted && c.writable("sales_order", rec.ID()) && !anyDelivered(stock) {
		d := &dialogForm{ID: dlgCancel, Title: c.T("ful.cancel_order"), Button: c.T("ful.cancel_order"), Action: "/orders/" + rec.ID() + "/cancel",
			Submit: c.T("ful.cancel_order"), Hint: c.T("ful.cancel_hint"), Confirm: c.T("ful.cancel_confirm", "title", rec.Str("number")), Danger: true, Version: rec.Version(),
			Fields: []formField{{ID: "oc-reason", Name: "reason", Label: c.T("ful.field.reason"), Kind: "textarea", Required: true, Wide: true, MaxLen: 2000}}}
		d.apply(c.formStateOf(dlgCancel))
		v.Dialogs = append(v.Dialogs, d)
		v.Buttons = append(v.Buttons, fulButton{Text: d.Button, Dialog: d.ID, Danger: true})
	}
	if status == crm.OrderCancelled || status == crm.OrderCompleted {
		dp.EditHref = ""
	}
	if err := s.orderDeliveries(c, rec.ID(), v); err != nil {
		return err
	}
	if err := s.partialOr(c, "ful_actions", v, &dp.Actions); err != nil {
		return err
	}
	if err := s.partialOr(c, "ful_order", v, &dp.Panels); err != nil {
		return err
	}
	return s.sideLists(c, dp, "order_id", rec.ID())
}

func hasReservations(st []fulfilment.StockLine) bool {
	for _, l := range st {
		if l.Reserved > 0 {
			return true
		}
	}
	return false
}

func anyDelivered(st []fulfilment.StockLine) bool {
	for _, l := range st {
		if l.Delivered > 0 {
			return true
		}
	}
	return false
}

func (s *Server) open(status string) bool {
	return status == crm.OrderConfirmed || status == crm.OrderReserved || status == crm.OrderPartlyDelivered
}

// planDialog plans a delivery: per line what is still to send (prefilled
// with all of it), batch and production date, and the shipment's details.
func (s *Server) planDialog(c *rc, rec entity.Record, stock []fulfilment.StockLine) *dialogForm {
	de := c.schema.Entity("delivery")
	if !c.p.Perm("delivery").Create {
		return nil
	}
	rem, err := s.app.Fulfilment.Remaining(c.ctx(), c.p, rec.ID())
	if err != nil || len(rem) == 0 {
		return nil
	}
	d := &dialogForm{ID: dlgPlan, Title: c.T("ful.plan"), Button: c.T("ful.plan"), Action: "/orders/" + rec.ID() + "/deliveries",
		Submit: c.T("ful.plan_submit"), Hint: c.T("ful.plan_hint"), Large: true}
	any := false
	for _, st := range stock {
		left := rem[st.OrderLineID]
		if left <= 0 {
			continue
		}
		any = true
		d.Fields = append(d.Fields,
			formField{ID: "pl-qty-" + st.OrderLineID, Name: "qty_" + st.OrderLineID, Label: c.T("ful.plan_qty", "n", st.Position, "name", st.Name, "left", left),
				Kind: "input", InputType: "number", InputMode: "numeric", Value: fulItoa(left)},
			formField{ID: "pl-batch-" + st.OrderLineID, Name: "batch_" + st.OrderLineID, Label: c.T("ful.plan_batch", "n", st.Position), Kind: "input", InputType: "text", MaxLen: 64},
			formField{ID: "pl-prod-" + st.OrderLineID, Name: "prod_" + st.OrderLineID, Label: c.T("ful.plan_produced", "n", st.Position), Kind: "input", InputType: "date"})
	}
	if !any {
		return nil
	}
	values := url.Values{"planned_date": {time.Now().In(s.app.Loc).Format(entity.DateLayout)}}
	for _, name := range []string{"planned_date", "expected_date", "carrier", "tracking_no", "packaging", "package_count", "ship_to", "receiver_name", "receiver_phone"} {
		f := de.Field(name)
		if name == "ship_to" || name == "receiver_name" || name == "receiver_phone" {
			values.Set(name, rec.Str(name))
		}
		ff := c.widget(de, f, values, "", &refs{})
		ff.ID = "pl-" + name
		d.Fields = append(d.Fields, ff)
	}
	d.apply(c.formStateOf(dlgPlan))
	return d
}

// orderDeliveries lists an order's deliveries.
func (s *Server) orderDeliveries(c *rc, orderID string, v *fulView) error {
	de := c.schema.Entity("delivery")
	if c.p.Perm(de.Name).Read == access.None {
		return nil
	}
	page, err := s.app.Records.List(c.ctx(), c.p, de.Name, entity.Query{Sort: de.Field("created_at"), Limit: 50,
		Conds: []entity.Cond{{Field: de.Field("order_id"), Op: entity.Eq, Values: []any{orderID}}}})
	if err != nil {
		return err
	}
	for _, d := range page.Items {
		v.Deliveries = append(v.Deliveries, deliveryRow{Href: "/deliveries/" + d.ID(), Number: d.Str("number"), Status: c.cell(de.Field("status"), d["status"], nil),
			Planned: d.Str("planned_date"), Carrier: d.Str("carrier"), Tracking: d.Str("tracking_no"), Signed: c.fmtTime(d.Time("signed_at"))})
	}
	return nil
}

// sideLists adds the supply problems and tasks of an order or a delivery.
func (s *Server) sideLists(c *rc, dp *detailPage, field, id string) error {
	for _, name := range []string{"supply_problem", "service_task"} {
		e := c.schema.Entity(name)
		if c.p.Perm(name).Read == access.None || e.Field(field) == nil {
			continue
		}
		page, err := s.app.Records.List(c.ctx(), c.p, name, entity.Query{Sort: e.Field("created_at"), Desc: true, Limit: 10,
			Conds: []entity.Cond{{Field: e.Field(field), Op: entity.Eq, Values: []any{id}}}})
		if err != nil {
			return err
		}
		card := sideCard{T: c.T, ID: "ful-" + name, Title: e.Plural.In(c.L), Empty: c.T("ful.none_" + name),
			ViewAll: basePath(e) + "?" + field + "=" + id, ViewAllTxt: c.T("ful.all")}
		if c.p.Perm(name).Create {
			card.AddHref, card.AddText = basePath(e)+"/new?"+field+"="+id, c.T("ui.add")
		}
		for _, r := range page.Items {
			card.Rows = append(card.Rows, sideRow{Href: basePath(e) + "/" + r.ID(), Title: r.Str(e.Title), Tag: c.schema.OptionLabel(e.Field("status"), r.Str("status"), c.L),
				Accent: r.Str("status") == crm.ProblemOpen})
		}
		if err := s.partialOr(c, "side_card", card, &dp.Side); err != nil {
			return err
		}
	}
	return nil
}

func (s *Server) orderBack(c *rc) string { return "/orders/" + strings.ToLower(c.r.PathValue("id")) }

// fulFailed shows a record's page again with a refused dialog open, or
// answers like any other failure.
func (s *Server) fulFailed(c *rc, err error, entityName, dialog string, shown []string, rename map[string]string) error {
	id := strings.ToLower(c.r.PathValue("id"))
	e := c.schema.Entity(entityName)
	st, ok := c.refusedForm(err, dialog, c.r.PostForm, shown, func(field string) string { return c.fulLabel(entityName, field) }, rename)
	if !ok || dialog == "" {
		return c.processFailed(err, basePath(e)+"/"+id)
	}
	c.withFormState(st)
	return s.showDetail(c, e, id, httpStatus(err), nil)
}

// fulLabel names a field of a fulfilment refusal for people.
func (c *rc) fulLabel(entityName, field string) string {
	lineEntity := map[string]string{"sales_order": "order_line", "delivery": "delivery_line"}[entityName]
	if m := fulLineRE.FindStringSubmatch(field); m != nil {
		n, _ := strconv.Atoi(m[1])
		label := m[2]
		if le := c.schema.Entity(lineEntity); le != nil {
			if f := le.Field(m[2]); f != nil {
				label = f.Label.In(c.L)
			}
		}
		return c.T("ful.line_field", "n", n+1, "field", label)
	}
	if hasKey(c.L, "ful.field."+field) {
		return c.T("ful.field." + field)
	}
	if e := c.schema.Entity(entityName); e != nil {
		if f := e.Field(field); f != nil {
			return f.Label.In(c.L)
		}
	}
	return field
}

func (s *Server) orderReserve(c *rc) error {
	_ = c.r.ParseForm()
	res, err := s.app.Fulfilment.Reserve(c.ctx(), c.p, c.r.PathValue("id"), formVersion(c.r.PostForm))
	if err != nil {
		return c.processFailed(err, s.orderBack(c))
	}
	var got, short int64
	for _, l := range res.Lines {
		got += l.Reserved
		short += l.Short
	}
	if short > 0 {
		c.flash("warning", c.T("ful.reserved_short", "got", got, "short", short))
		return c.redirect(s.orderBack(c))
	}
	return c.processDone(c.T("ful.reserved", "got", got), s.orderBack(c))
}

func (s *Server) orderRelease(c *rc) error {
	_ = c.r.ParseForm()
	if _, err := s.app.Fulfilment.Release(c.ctx(), c.p, c.r.PathValue("id"), formVersion(c.r.PostForm)); err != nil {
		return c.processFailed(err, s.orderBack(c))
	}
	return c.processDone(c.T("ful.released"), s.orderBack(c))
}

func (s *Server) orderCancel(c *rc) error {
	if err := c.r.ParseForm(); err != nil {
		return errs.New(errs.Invalid, "validation")
	}
	o, err := s.app.Fulfilment.Cancel(c.ctx(), c.p, c.r.PathValue("id"), formVersion(c.r.PostForm), strings.TrimSpace(c.r.PostFormValue("reason")))
	if err != nil {
		return s.fulFailed(c, err, "sales_order", dlgCancel, []string{"reason"}, nil)
	}
	return c.processDone(c.T("ful.cancelled", "title", o.Str("number")), s.orderBack(c))
}

func (s *Server) orderPlanDelivery(c *rc) error {
	if err := c.r.ParseForm(); err != nil {
		return errs.New(errs.Invalid, "validation")
	}
	f := c.r.PostForm
	de, le := c.schema.Entity("delivery"), c.schema.Entity("delivery_line")
	orderID := strings.ToLower(c.r.PathValue("id"))
	rec := entity.Record{"order_id": orderID}
	var bad []errs.FieldError
	shown := []string{}
	for _, name := range []string{"planned_date", "expected_date", "carrier", "tracking_no", "packaging", "package_count", "ship_to", "receiver_name", "receiver_phone"} {
		shown = append(shown, name)
		raw := strings.TrimSpace(f.Get(name))
		if raw == "" {
			continue
		}
		v, fe := c.schema.ParseText(de.Field(name), raw)
		if fe != nil {
			bad = append(bad, *fe)
			continue
		}
		rec[name] = v
	}
	rename := map[string]string{}
	var lines []entity.Record
	for key := range f {
		id, ok := strings.CutPrefix(key, "qty_")
		if !ok {
			continue
		}
		raw := strings.TrimSpace(f.Get(key))
		if raw == "" || raw == "0" {
			continue
		}
		i := len(lines)
		field := fmt.Sprintf("lines[%d]", i)
		rename[field+".quantity"], rename[field+".order_line_id"] = key, key
		rename[field+".batch_no"], rename[field+".production_date"] = "batch_"+id, "prod_"+id
		shown = append(shown, key, "batch_"+id, "prod_"+id)
		line := entity.Record{"order_line_id": id}
		if n, err := strconv.ParseInt(raw, 10, 64); err != nil {
			bad = append(bad, errs.FieldError{Field: field + ".quantity", Code: "invalid_integer"})
		} else {
			line["quantity"] = n
		}
		if b := strings.TrimSpace(f.Get("batch_" + id)); b != "" {
			line["batch_no"] = b
		}
		if d := strings.TrimSpace(f.Get("prod_" + id)); d != "" {
			v, fe := c.schema.ParseText(le.Field("production_date"), d)
			if fe != nil {
				fe.Field = field + ".production_date"
				bad = append(bad, *fe)
			} else {
				line["production_date"] = v
			}
		}
		lines = append(lines, line)
	}
	if lines == nil {
		lines = []entity.Record{}
	}
	err := errs.Validation(bad)
	var d entity.Record
	if err == nil {
		d, err = s.app.Fulfilment.CreateDelivery(c.ctx(), c.p, fulfilment.DeliveryInput{Delivery: rec, Lines: lines})
	}
	if err != nil {
		return s.fulFailed(c, err, "sales_order", dlgPlan, shown, rename)
	}
	return c.processDone(c.T("ful.planned", "title", d.Str("number")), "/deliveries/"+d.ID())
}

// orderFromSource makes an order from a signed contract or an accepted quote.
func (s *Server) orderFromSource(entityName string) handler {
	return func(c *rc) error {
		id := strings.ToLower(c.r.PathValue("id"))
		back := basePath(c.schema.Entity(entityName)) + "/" + id
		o, err := s.app.Fulfilment.CreateOrder(c.ctx(), c.p, fulfilment.OrderInput{Order: entity.Record{entityName + "_id": id}})
		if err != nil {
			return c.processFailed(err, back)
		}
		return c.processDone(c.T("ful.order_made", "title", o.Str("number")), "/orders/"+o.ID())
	}
}

// sourceOrders offers "make the order" on a signed contract or an accepted
// quote and lists the orders made from it.
func sourceOrders(entityName string) detailExtender {
	return func(s *Server, c *rc, rec entity.Record, dp *detailPage) error {
		oe := c.schema.Entity("sales_order")
		if c.p.Perm(oe.Name).Read == access.None {
			return nil
		}
		st := rec.Str("status")
		ready := (entityName == "contract" && (st == crm.ContractSigned || st == crm.ContractInExecution)) || (entityName == "quote" && st == crm.QuoteAccepted)
		if ready && c.p.Perm(oe.Name).Create && !c.p.ReadOnly {
			b := fulButton{Text: c.T("ful.make_order"), Action: basePath(c.schema.Entity(entityName)) + "/" + rec.ID() + "/order", Primary: true,
				Confirm: c.T("ful.make_order_confirm", "title", rec.Str("number"))}
			if err := s.partialOr(c, "ful_actions", &fulView{T: c.T, Buttons: []fulButton{b}}, &dp.Actions); err != nil {
				return err
			}
		}
		page, err := s.app.Records.List(c.ctx(), c.p, oe.Name, entity.Query{Sort: oe.Field("created_at"), Desc: true, Limit: 20,
			Conds: []entity.Cond{{Field: oe.Field(entityName + "_id"), Op: entity.Eq, Values: []any{rec.ID()}}}})
		if err != nil {
			return err
		}
		card := sideCard{T: c.T, ID: "ful-orders", Title: oe.Plural.In(c.L), Empty: c.T("ful.no_orders"),
			ViewAll: "/orders?" + entityName + "_id=" + rec.ID(), ViewAllTxt: c.T("ful.all")}
		for _, o := range page.Items {
			card.Rows = append(card.Rows, sideRow{Href: "/orders/" + o.ID(), Title: o.Str("number"), Tag: c.schema.OptionLabel(oe.Field("status"), o.Str("status"), c.L), Note: fulMoney(o["total"])})
		}
		return s.partialOr(c, "side_card", card, &dp.Side)
	}
}

// Deliveries.

func (s *Server) deliveryPanels(c *rc, rec entity.Record, dp *detailPage) error {
	d, lines, evs, err := s.app.Fulfilment.Delivery(c.ctx(), c.p, rec.ID())
	if err != nil {
		return err
	}
	de, le, ee := c.schema.Entity("delivery"), c.schema.Entity("delivery_line"), c.schema.Entity("delivery_event")
	status := d.Str("status")
	v := &fulView{T: c.T, ID: d.ID(), LinkAction: "/deliveries/" + d.ID() + "/sign-off-link"}
	// Progress.
	path := []string{crm.DeliveryPlanned, crm.DeliveryShipped, crm.DeliveryInTransit, crm.DeliveryDelivered, crm.DeliverySigned}
	reached := map[string]int{crm.DeliveryPlanned: 0, crm.DeliveryShipped: 1, crm.DeliveryInTransit: 2, crm.DeliveryDelivered: 3, crm.DeliverySigned: 4, crm.DeliverySignedWithIssues: 4, crm.DeliveryCancelled: -1}[status]
	for i, st := range path {
		step := trialStep{N: i + 1, Label: c.schema.OptionLabel(de.Field("status"), st, c.L), State: "todo"}
		switch {
		case status == crm.DeliveryCancelled && i == 1:
			step.State, step.Label = "failed", c.schema.OptionLabel(de.Field("status"), crm.DeliveryCancelled, c.L)
		case i <= reached:
			step.State = "done"
		case i == reached+1:
			step.State = "next"
		}
		if i == 4 && status == crm.DeliverySignedWithIssues {
			step.Label = c.schema.OptionLabel(de.Field("status"), status, c.L)
		}
		switch st {
		case crm.DeliveryShipped:
			step.On = c.fmtTime(d.Time("shipped_at"))
		case crm.DeliveryDelivered:
			step.On = c.fmtTime(d.Time("delivered_at"))
		case crm.DeliverySigned:
			step.On = c.fmtTime(d.Time("signed_at"))
		case crm.DeliveryPlanned:
			step.On = d.Str("planned_date")
		}
		v.Steps = append(v.Steps, step)
	}
	canWrite := c.writable("delivery", d.ID())
	editable := canWrite && !crm.DeliveryIsSigned(status) && status != crm.DeliveryCancelled
	for _, l := range lines {
		row := deliveryLineRow{Pos: fulItoa(l.Int("position")), Name: l.Str("name"), Spec: l.Str("spec"), Unit: l.Str("unit"), Qty: fulItoa(l.Int("quantity")),
			Batch: l.Str("batch_no"), Produced: l.Str("production_date"), Remark: l.Str("receipt_remark")}
		if r, ok := l["received_qty"].(int64); ok {
			row.Received = fulItoa(r)
			row.Short = r < l.Int("quantity")
		}
		if is := l.Str("receipt_issue"); is != "" && is != crm.IssueNone {
			row.Issue, row.Flagged = c.schema.OptionLabel(le.Field("receipt_issue"), is, c.L), true
		}
		if editable {
			row.Edit = "/delivery-lines/" + l.ID() + "/edit"
		}
		v.DLines = append(v.DLines, row)
	}
	for _, ev := range evs {
		v.Events = append(v.Events, eventRow{At: c.fmtTime(ev.Time("at")), ISO: ev.Time("at").UTC().Format(time.RFC3339), Status: c.schema.OptionLabel(ee.Field("status"), ev.Str("status"), c.L),
			Location: ev.Str("location"), Note: ev.Str("note")})
	}
	if crm.DeliveryIsSigned(status) {
		v.Signed = &signedView{At: c.fmtTime(d.Time("signed_at")), Name: d.Str("signer_name"), Phone: d.Str("signer_phone"), IP: d.Str("signed_ip"), Remarks: d.Str("sign_remarks"), Issues: d.Bool("has_issues")}
	}
	if l, ok := c.ctx().Value(linkKey{}).(*fulfilment.Link); ok && l != nil {
		v.Link = &linkView{URL: s.linkURL(c, l.Path), Expires: c.fmtTime(l.ExpiresAt)}
	}
	v.PDF = s.deliveryPDF(d)
	if canWrite {
		switch status {
		case crm.DeliveryPlanned:
			v.Dialogs = append(v.Dialogs, s.trackDialog(c, d, dlgShip, crm.DeliveryShipped, nil))
			v.Buttons = append(v.Buttons, fulButton{Text: c.T("ful.ship"), Dialog: dlgShip, Primary: true})
			v.Dialogs = append(v.Dialogs, s.trackDialog(c, d, dlgDlvCanc, crm.DeliveryCancelled, nil))
			v.Buttons = append(v.Buttons, fulButton{Text: c.T("ful.cancel_delivery"), Dialog: dlgDlvCanc, Danger: true})
		case crm.DeliveryShipped, crm.DeliveryInTransit, crm.DeliveryDelivered:
			if status != crm.DeliveryDelivered {
				v.Dialogs = append(v.Dialogs, s.trackDialog(c, d, dlgTrack, "", crm.DeliveryMoves(status)))
				v.Buttons = append(v.Buttons, fulButton{Text: c.T("ful.track"), Dialog: dlgTrack})
			}
			v.Buttons = append(v.Buttons, fulButton{Text: c.T("ful.sign_off_link"), Action: v.LinkAction, Primary: v.Link == nil,
				Confirm: c.T("ful.link_confirm")})
		}
	}
	if editable || crm.DeliveryIsSigned(status) || status == crm.DeliveryCancelled {
		// The record of a signed delivery is the customer's confirmation.
		if crm.DeliveryIsSigned(status) || status == crm.DeliveryCancelled {
			dp.EditHref = ""
		}
	}
	if crm.DeliveryShippedAlready(status) && !c.p.IsAdmin() {
		dp.Delete = ""
	}
	if err := s.partialOr(c, "ful_actions", v, &dp.Actions); err != nil {
		return err
	}
	if err := s.partialOr(c, "ful_delivery", v, &dp.Top); err != nil {
		return err
	}
	if err := s.partialOr(c, "ful_delivery_panels", v, &dp.Panels); err != nil {
		return err
	}
	return s.sideLists(c, dp, "delivery_id", d.ID())
}

// trackDialog is a tracking update: shipping, an update in transit or the
// arrival, or cancelling a planned delivery.
func (s *Server) trackDialog(c *rc, d entity.Record, id, status string, moves []string) *dialogForm {
	title, submit, hint := c.T("ful.track"), c.T("ful.track_submit"), ""
	var fields []formField
	switch status {
	case crm.DeliveryShipped:
		title, submit, hint = c.T("ful.ship"), c.T("ful.ship_submit"), c.T("ful.ship_hint")
	case crm.DeliveryCancelled:
		title, submit = c.T("ful.cancel_delivery"), c.T("ful.cancel_delivery")
	default:
		ff := formField{ID: id + "-status", Name: "status", Label: c.T("ful.field.status"), Kind: "select", Required: true}
		de := c.schema.Entity("delivery")
		for _, m := range moves {
			ff.Options = append(ff.Options, option{Value: m, Label: c.schema.OptionLabel(de.Field("status"), m, c.L), Selected: m == crm.DeliveryInTransit})
		}
		fields = append(fields, ff)
	}
	if status != "" {
		fields = append(fields, formField{ID: id + "-status", Name: "status", Kind: "input", InputType: "hidden", Value: status})
	}
	if status != crm.DeliveryCancelled {
		fields = append(fields, formField{ID: id + "-at", Name: "at", Label: c.T("ful.field.at"), Kind: "input", InputType: "datetime-local",
			Value: time.Now().In(s.app.Loc).Format("2006-01-02T15:04"), Hint: c.T("ful.at_hint")},
			formField{ID: id + "-location", Name: "location", Label: c.T("ful.field.location"), Kind: "input", InputType: "text", MaxLen: 200})
	}
	fields = append(fields, formField{ID: id + "-note", Name: "note", Label: c.T("ful.field.note"), Kind: "textarea", Wide: true, MaxLen: 1000})
	dlg := &dialogForm{ID: id, Title: title, Action: "/deliveries/" + d.ID() + "/track", Submit: submit, Hint: hint, Version: d.Version(), Fields: fields,
		Danger: status == crm.DeliveryCancelled}
	if status == crm.DeliveryCancelled {
		dlg.Confirm = c.T("ful.cancel_delivery_confirm", "title", d.Str("number"))
	}
	dlg.apply(c.formStateOf(id))
	return dlg
}

func (s *Server) deliveryTrack(c *rc) error {
	if err := c.r.ParseForm(); err != nil {
		return errs.New(errs.Invalid, "validation")
	}
	f := c.r.PostForm
	in := fulfilment.TrackInput{Status: f.Get("status"), Location: f.Get("location"), Note: f.Get("note"), Version: formVersion(f)}
	dialog := dlgTrack
	switch in.Status {
	case crm.DeliveryShipped:
		dialog = dlgShip
	case crm.DeliveryCancelled:
		dialog = dlgDlvCanc
	}
	var err error
	if at := strings.TrimSpace(f.Get("at")); at != "" {
		v, fe := c.schema.ParseText(c.schema.Entity("delivery_event").Field("at"), at)
		if fe != nil {
			fe.Field = "at"
			err = errs.Validation([]errs.FieldError{*fe})
		} else {
			in.At, _ = v.(time.Time)
		}
	}
	var d entity.Record
	if err == nil {
		d, err = s.app.Fulfilment.Track(c.ctx(), c.p, c.r.PathValue("id"), in)
	}
	if err != nil {
		return s.fulFailed(c, err, "delivery", dialog, []string{"status", "at", "location", "note"}, nil)
	}
	return c.processDone(c.T("ful.tracked", "title", d.Str("number"), "status", c.schema.OptionLabel(c.schema.Entity("delivery").Field("status"), d.Str("status"), c.L)),
		"/deliveries/"+d.ID())
}

type linkKey struct{}

var fulLineRE = regexp.MustCompile(`^lines\[(\d+)\]\.(\w+)$`)

func contextWith(c *rc, key, val any) context.Context { return context.WithValue(c.ctx(), key, val) }

// deliveryPDF is the delivery note's address (the API answers the PDF to
// the signed-in browser as well).
func (s *Server) deliveryPDF(d entity.Record) string { return "/api/v1/deliveries/" + d.ID() + "/pdf" }

// linkURL is a public link's full address: the configured base URL, else
// the address this page was asked at.
func (s *Server) linkURL(c *rc, path string) string {
	if b := strings.TrimRight(s.app.Cfg.BaseURL, "/"); b != "" {
		return b + path
	}
	scheme := "http"
	if c.r.TLS != nil {
		scheme = "https"
	}
	return scheme + "://" + c.r.Host + path
}

// deliveryLink makes the sign-off link and shows the page with it: the
// token is shown this once, never stored in clear nor put in a cookie.
func (s *Server) deliveryLink(c *rc) error {
	id := strings.ToLower(c.r.PathValue("id"))
	l, err := s.app.Fulfilment.SignOffLink(c.ctx(), c.p, id, 0)
	if err != nil {
		return c.processFailed(err, "/deliveries/"+id)
	}
	c.r = c.r.WithContext(contextWith(c, linkKey{}, &l))
	c.w.Header().Set("Referrer-Policy", "no-referrer")
	return s.showDetail(c, c.schema.Entity("delivery"), id, http.StatusOK, nil)
}

// Supply problems.

func (s *Server) problemPanels(c *rc, rec entity.Record, dp *detailPage) error {
	pe := c.schema.Entity("supply_problem")
	// The resolution, root cause and reopening show among the fields.
	v := &fulView{T: c.T, ID: rec.ID()}
	if rec.Str("status") == crm.ProblemClosed {
		dp.EditHref = ""
	}
	if c.writable("supply_problem", rec.ID()) {
		for _, step := range crm.ProblemSteps(rec.Str("status")) {
			d := s.problemDialog(c, pe, rec, step)
			v.Dialogs = append(v.Dialogs, d)
			v.Buttons = append(v.Buttons, fulButton{Text: d.Button, Dialog: d.ID, Primary: step == crm.ProblemStepResolve})
		}
	}
	if err := s.partialOr(c, "ful_actions", v, &dp.Actions); err != nil {
		return err
	}
	return s.partialOr(c, "ful_problem", v, &dp.Panels)
}

func (s *Server) problemDialog(c *rc, pe *entity.Entity, rec entity.Record, step string) *dialogForm {
	id := "dlg-ful-sp-" + step
	d := &dialogForm{ID: id, Title: c.T("ful.sp." + step), Button: c.T("ful.sp." + step), Action: "/supply-problems/" + rec.ID() + "/step",
		Submit: c.T("ful.sp." + step), Version: rec.Version(), Hint: c.T("ful.sp." + step + "_hint")}
	d.Fields = append(d.Fields, formField{ID: id + "-step", Name: "step", Kind: "input", InputType: "hidden", Value: step})
	switch step {
	case crm.ProblemStepResolve, crm.ProblemStepClose:
		d.Large = true
		d.Fields = append(d.Fields, formField{ID: id + "-resolution", Name: "resolution", Label: c.T("ful.field.resolution"), Kind: "textarea", Wide: true,
			Required: step == crm.ProblemStepResolve || rec.Str("resolution") == "", MaxLen: 20000, Value: rec.Str("resolution")})
		rcf := formField{ID: id + "-root_cause", Name: "root_cause", Label: c.T("ful.field.root_cause"), Kind: "select",
			Options: append([]option{{Value: "", Label: c.T("form.choose")}}, c.selectOptions(pe.Field("root_cause"), rec.Str("root_cause"))...)}
		d.Fields = append(d.Fields, rcf, formField{ID: id + "-root_cause_note", Name: "root_cause_note", Label: c.T("ful.field.root_cause_note"), Kind: "textarea", Wide: true, MaxLen: 20000, Value: rec.Str("root_cause_note")})
	case crm.ProblemStepReopen:
		d.Fields = append(d.Fields, formField{ID: id + "-reason", Name: "reason", Label: c.T("ful.field.reason"), Kind: "textarea", Wide: true, Required: true, MaxLen: 20000})
	}
	if step == crm.ProblemStepClose {
		d.Confirm = c.T("ful.sp.close_confirm", "title", rec.Str("title"))
	}
	d.apply(c.formStateOf(id))
	return d
}

func (s *Server) problemStep(c *rc) error {
	if err := c.r.ParseForm(); err != nil {
		return errs.New(errs.Invalid, "validation")
	}
	f := c.r.PostForm
	in := fulfilment.ProblemInput{Step: f.Get("step"), Resolution: f.Get("resolution"), RootCause: f.Get("root_cause"), RootCauseNote: f.Get("root_cause_note"),
		Reason: f.Get("reason"), Version: formVersion(f)}
	out, err := s.app.Fulfilment.StepProblem(c.ctx(), c.p, c.r.PathValue("id"), in)
	if err != nil {
		return s.fulFailed(c, err, "supply_problem", "dlg-ful-sp-"+in.Step, []string{"resolution", "root_cause", "root_cause_note", "reason"}, nil)
	}
	return c.processDone(c.T("ful.sp.done_"+in.Step, "title", out.Str("title")), "/supply-problems/"+out.ID())
}

// Tasks.

func (s *Server) taskPanels(c *rc, rec entity.Record, dp *detailPage) error {
	t, items, err := s.app.Fulfilment.Task(c.ctx(), c.p, rec.ID())
	if err != nil {
		return err
	}
	ie := c.schema.Entity("task_check_item")
	status := t.Str("status")
	engineer := fulfilment.IsEngineer(c.p, t) && !c.p.ReadOnly
	canStep := engineer || c.writable("service_task", t.ID())
	workable := status == crm.TaskPlanned || status == crm.TaskInProgress || status == crm.TaskRejected
	v := &fulView{T: c.T, ID: t.ID(), Result: t.Str("result"), LinkAction: "/tasks/" + t.ID() + "/acceptance-link"}
	rf := c.collectRefs([]*entity.Field{ie.Field("done_by")}, items...)
	for _, it := range items {
		row := checkRow{Text: it.Str("text"), Done: it.Bool("done"), At: c.fmtTime(it.Time("done_at"))}
		row.By, _ = rf.title("user", it.Str("done_by"))
		if canStep && workable {
			row.Action = "/tasks/" + t.ID() + "/checklist/" + it.ID()
		}
		v.Items = append(v.Items, row)
	}
	if workable && c.p.Perm(ie.Name).Create && c.writable("service_task", t.ID()) {
		v.AddItem = "/task-check-items/new?task_id=" + t.ID()
	}
	switch status {
	case crm.TaskAccepted, crm.TaskRejected:
		v.Accepted = &signedView{At: c.fmtTime(t.Time("accepted_at")), Name: t.Str("acceptor_name"), Phone: t.Str("acceptor_phone"), IP: t.Str("acceptance_ip"),
			Remarks: t.Str("acceptance_remarks"), Accepted: status == crm.TaskAccepted, Reason: t.Str("rejected_reason")}
	}
	if l, ok := c.ctx().Value(linkKey{}).(*fulfilment.Link); ok && l != nil {
		v.Link = &linkView{URL: s.linkURL(c, l.Path), Expires: c.fmtTime(l.ExpiresAt)}
	}
	if canStep {
		step := func(name string, primary bool, confirm string) {
			v.Buttons = append(v.Buttons, fulButton{Text: c.T("ful.task." + name), Action: "/tasks/" + t.ID() + "/step?step=" + name, Primary: primary, Confirm: confirm, Version: t.Version()})
		}
		switch status {
		case crm.TaskPlanned, crm.TaskRejected:
			step(crm.TaskStepStart, true, "")
		}
		if status == crm.TaskPlanned || status == crm.TaskInProgress || status == crm.TaskRejected {
			d := &dialogForm{ID: dlgTaskDone, Title: c.T("ful.task.done"), Button: c.T("ful.task.done"), Action: "/tasks/" + t.ID() + "/step?step=done",
				Submit: c.T("ful.task.done"), Hint: c.T("ful.task.done_hint"), Version: t.Version(), Large: true,
				Fields: []formField{{ID: "td-result", Name: "result", Label: c.T("ful.field.result"), Kind: "textarea", Wide: true, Required: true, MaxLen: 20000, Value: t.Str("result")}}}
			d.apply(c.formStateOf(dlgTaskDone))
			v.Dialogs = append(v.Dialogs, d)
			v.Buttons = append(v.Buttons, fulButton{Text: d.Button, Dialog: d.ID, Primary: status == crm.TaskInProgress})
		}
		if status == crm.TaskDone {
			v.Buttons = append(v.Buttons, fulButton{Text: c.T("ful.acceptance_link"), Action: v.LinkAction, Primary: v.Link == nil, Confirm: c.T("ful.link_confirm")})
		}
		if status == crm.TaskPlanned || status == crm.TaskInProgress {
			v.Buttons = append(v.Buttons, fulButton{Text: c.T("ful.task.cancel"), Action: "/tasks/" + t.ID() + "/step?step=cancel", Danger: true,
				Confirm: c.T("ful.task.cancel_confirm", "title", t.Str("title")), Version: t.Version()})
		}
	}
	if status == crm.TaskAccepted || status == crm.TaskCancelled {
		dp.EditHref = ""
	}
	if err := s.partialOr(c, "ful_actions", v, &dp.Actions); err != nil {
		return err
	}
	return s.partialOr(c, "ful_task", v, &dp.Panels)
}

func (s *Server) taskBack(c *rc) string { return "/tasks/" + strings.ToLower(c.r.PathValue("id")) }

func (s *Server) taskStep(c *rc) error {
	if err := c.r.ParseForm(); err != nil {
		return errs.New(errs.Invalid, "validation")
	}
	step := c.r.URL.Query().Get("step")
	out, err := s.app.Fulfilment.StepTask(c.ctx(), c.p, c.r.PathValue("id"), fulfilment.TaskStepInput{Step: step, Result: c.r.PostFormValue("result"), Version: formVersion(c.r.PostForm)})
	if err != nil {
		dialog := ""
		if step == crm.TaskStepDone {
			dialog = dlgTaskDone
		}
		return s.fulFailed(c, err, "service_task", dialog, []string{"result"}, nil)
	}
	return c.processDone(c.T("ful.task.done_"+step, "title", out.Str("title")), s.taskBack(c))
}

func (s *Server) taskCheck(c *rc) error {
	if err := c.r.ParseForm(); err != nil {
		return errs.New(errs.Invalid, "validation")
	}
	done := c.r.PostFormValue("done") == "1"
	if _, err := s.app.Fulfilment.CheckItem(c.ctx(), c.p, c.r.PathValue("id"), c.r.PathValue("item"), done); err != nil {
		return c.processFailed(err, s.taskBack(c)+"#checklist")
	}
	return c.redirect(s.taskBack(c) + "#checklist")
}

func (s *Server) taskLink(c *rc) error {
	id := strings.ToLower(c.r.PathValue("id"))
	l, err := s.app.Fulfilment.AcceptanceLink(c.ctx(), c.p, id, 0)
	if err != nil {
		return c.processFailed(err, "/tasks/"+id)
	}
	c.r = c.r.WithContext(contextWith(c, linkKey{}, &l))
	c.w.Header().Set("Referrer-Policy", "no-referrer")
	return s.showDetail(c, c.schema.Entity("service_task"), id, http.StatusOK, nil)
}

// Cards on other pages.

// customerFulfilment shows the customer's orders, deliveries, open supply
// problems and tasks.
func (s *Server) customerFulfilment(c *rc, rec entity.Record, dp *detailPage) error {
	for _, it := range []struct {
		entity string
		conds  func(e *entity.Entity) []entity.Cond
		sort   string
		desc   bool
	}{
		{"sales_order", nil, "created_at", true},
		{"delivery", nil, "created_at", true},
		{"supply_problem", func(e *entity.Entity) []entity.Cond {
			return []entity.Cond{{Field: e.Field("status"), Op: entity.In, Values: []any{crm.ProblemOpen, crm.ProblemInProgress}}}
		}, "created_at", true},
		{"service_task", nil, "scheduled_start", true},
	} {
		e := c.schema.Entity(it.entity)
		if e == nil || c.p.Perm(e.Name).Read == access.None {
			continue
		}
		conds := []entity.Cond{{Field: e.Field("customer_id"), Op: entity.Eq, Values: []any{rec.ID()}}}
		if it.conds != nil {
			conds = append(conds, it.conds(e)...)
		}
		page, err := s.app.Records.List(c.ctx(), c.p, e.Name, entity.Query{Sort: e.Field(it.sort), Desc: it.desc, Limit: 5, Conds: conds})
		if err != nil {
			return err
		}
		if len(page.Items) == 0 && it.entity != "sales_order" {
			continue
		}
		card := sideCard{T: c.T, ID: "ful-c-" + it.entity, Title: e.Plural.In(c.L), Empty: c.T("ful.none_" + it.entity),
			ViewAll: basePath(e) + "?customer_id=" + rec.ID(), ViewAllTxt: c.T("ful.all")}
		if it.entity == "supply_problem" {
			card.Title = c.T("ful.open_problems")
		}
		for _, r := range page.Items {
			row := sideRow{Href: basePath(e) + "/" + r.ID(), Title: r.Str(e.Title), Tag: c.schema.OptionLabel(e.Field("status"), r.Str("status"), c.L)}
			switch it.entity {
			case "sales_order":
				row.Note = fulMoney(r["total"])
			case "delivery":
				row.Note = r.Str("planned_date")
			case "service_task":
				row.Note = c.fmtTime(r.Time("scheduled_start"))
			case "supply_problem":
				row.Accent = true
				row.Note = c.schema.OptionLabel(e.Field("kind"), r.Str("kind"), c.L)
			}
			card.Rows = append(card.Rows, row)
		}
		if err := s.partialOr(c, "side_card", card, &dp.Side); err != nil {
			return err
		}
	}
	return nil
}

// opportunityFulfilment shows the orders of a deal and their deliveries.
func (s *Server) opportunityFulfilment(c *rc, rec entity.Record, dp *detailPage) error {
	oe, de := c.schema.Entity("sales_order"), c.schema.Entity("delivery")
	if c.p.Perm(oe.Name).Read == access.None {
		return nil
	}
	page, err := s.app.Records.List(c.ctx(), c.p, oe.Name, entity.Query{Sort: oe.Field("created_at"), Desc: true, Limit: 10,
		Conds: []entity.Cond{{Field: oe.Field("opportunity_id"), Op: entity.Eq, Values: []any{rec.ID()}}}})
	if err != nil || len(page.Items) == 0 {
		return err
	}
	card := sideCard{T: c.T, ID: "ful-o-orders", Title: c.T("ful.deal_orders"), ViewAll: "/orders?opportunity_id=" + rec.ID(), ViewAllTxt: c.T("ful.all")}
	var ids []any
	for _, o := range page.Items {
		ids = append(ids, o.ID())
		card.Rows = append(card.Rows, sideRow{Href: "/orders/" + o.ID(), Title: o.Str("number"), Tag: c.schema.OptionLabel(oe.Field("status"), o.Str("status"), c.L), Note: fulMoney(o["total"])})
	}
	if c.p.Perm(de.Name).Read != access.None {
		dl, err := s.app.Records.List(c.ctx(), c.p, de.Name, entity.Query{Sort: de.Field("created_at"), Desc: true, Limit: 10,
			Conds: []entity.Cond{{Field: de.Field("order_id"), Op: entity.In, Values: ids}}})
		if err != nil {
			return err
		}
		for _, d := range dl.Items {
			card.Rows = append(card.Rows, sideRow{Href: "/deliveries/" + d.ID(), Title: d.Str("number"), Tag: c.schema.OptionLabel(de.Field("status"), d.Str("status"), c.L),
				Note: c.T("ful.delivery_of")})
		}
	}
	return s.partialOr(c, "side_card", card, &dp.Side)
}

// homeFulfilment shows an engineer's tasks to come and a coordinator's
// open supply problems.
func (s *Server) homeFulfilment(c *rc, hp *homePage) error {
	te := c.schema.Entity("service_task")
	tasks, err := s.app.Fulfilment.MyTasks(c.ctx(), c.p, 8)
	if err != nil {
		return err
	}
	if len(tasks) > 0 {
		card := sideCard{T: c.T, ID: "home-tasks", Title: c.T("ful.my_tasks"), ViewAll: "/tasks?engineer_id=" + c.p.UserID, ViewAllTxt: c.T("ful.all")}
		for _, t := range tasks {
			card.Rows = append(card.Rows, sideRow{Href: "/tasks/" + t.ID(), Title: t.Str("title"), Tag: c.schema.OptionLabel(te.Field("status"), t.Str("status"), c.L),
				Note: c.fmtTime(t.Time("scheduled_start")), Accent: t.Str("status") == crm.TaskRejected})
		}
		if err := s.partialOr(c, "side_card", card, &hp.Cards); err != nil {
			return err
		}
	}
	pe := c.schema.Entity("supply_problem")
	if c.p.Perm(pe.Name).Read == access.None || c.p.UserID == "" {
		return nil
	}
	page, err := s.app.Records.List(c.ctx(), c.p, pe.Name, entity.Query{Sort: pe.Field("created_at"), Desc: true, Limit: 6, Conds: []entity.Cond{
		{Field: pe.Field("owner_id"), Op: entity.Eq, Values: []any{c.p.UserID}},
		{Field: pe.Field("status"), Op: entity.In, Values: []any{crm.ProblemOpen, crm.ProblemInProgress}}}})
	if err != nil || len(page.Items) == 0 {
		return err
	}
	card := sideCard{T: c.T, ID: "home-problems", Title: c.T("ful.my_problems"), ViewAll: "/supply-problems?owner_id=" + c.p.UserID + "&status=open&status=in_progress", ViewAllTxt: c.T("ful.all")}
	for _, r := range page.Items {
		card.Rows = append(card.Rows, sideRow{Href: "/supply-problems/" + r.ID(), Title: r.Str("title"), Tag: c.schema.OptionLabel(pe.Field("kind"), r.Str("kind"), c.L), Accent: true,
			Note: c.schema.OptionLabel(pe.Field("status"), r.Str("status"), c.L)})
	}
	return s.partialOr(c, "side_card", card, &hp.Cards)
}
