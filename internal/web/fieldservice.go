package web

import (
	"context"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"closeloop/internal/access"
	"closeloop/internal/crm"
	"closeloop/internal/entity"
	"closeloop/internal/errs"
	"closeloop/internal/fieldservice"
)

// Field service in the web UI: the visit's workspace (steps, work done,
// parts used, the confirmation link and its result), the engineer's day
// (/visits/today, made for a phone: the day's visits in time order with
// one tap to check in or out, record the work, add a part, show the
// confirmation link as text), the stock per warehouse with low stock
// highlighted (/stock, /stock?low=1), and the return's workspace (items,
// steps). The movement ledger is the generic list of stock movements.
// Every form posts to the same service the API calls. The customer's
// confirmation page is in fieldservice_public.go.

func init() {
	areaRoutes = append(areaRoutes, func(s *Server, m *http.ServeMux) {
		m.HandleFunc("GET /visits/today", s.page(s.visitsToday))
		m.HandleFunc("GET /visits/plan", s.page(s.planVisit))
		m.HandleFunc("POST /visits/plan", s.page(s.planVisitPost))
		m.HandleFunc("POST /visits/{id}/step", s.page(s.visitStepPost))
		m.HandleFunc("POST /visits/{id}/work", s.page(s.visitWorkPost))
		m.HandleFunc("POST /visits/{id}/parts", s.page(s.visitPartPost))
		m.HandleFunc("POST /visits/{id}/confirmation-link", s.page(s.visitLinkPost))
		m.HandleFunc("GET /stock", s.page(s.stockPage))
		m.HandleFunc("POST /returns/{id}/step", s.page(s.returnStepPost))
		m.HandleFunc("POST /returns/{id}/items", s.page(s.returnItemPost))
		m.HandleFunc("GET /v/{token}", s.public(s.visitPublic))
		m.HandleFunc("POST /v/{token}", s.public(s.visitPublicPost))
	})
	onDetail("service_visit", (*Server).visitPanels)
	onDetail("return_request", (*Server).returnPanels)
	onDetail("ticket", (*Server).ticketFieldService)
	navAfter["service_visit"] = append(navAfter["service_visit"], func(c *rc) []navItem {
		if c.p.Perm("service_visit").Read == access.None {
			return nil
		}
		items := []navItem{{Key: "visits-today", Text: c.T("fs.nav.today"), Href: "/visits/today"}}
		if c.p.Perm("service_visit").Create && !c.p.ReadOnly {
			items = append(items, navItem{Key: "visits-plan", Text: c.T("fs.nav.plan"), Href: "/visits/plan"})
		}
		return items
	})
	navAfter["spare_part_stock"] = append(navAfter["spare_part_stock"], func(c *rc) []navItem {
		if c.p.Perm("spare_part_stock").Read == access.None {
			return nil
		}
		return []navItem{{Key: "stock", Text: c.T("fs.nav.stock"), Href: "/stock"}, {Key: "stock-low", Text: c.T("fs.nav.low"), Href: "/stock?low=1"}}
	})
	for code, tone := range map[string]string{
		crm.VisitPlanned: "badge-info", crm.VisitOnTheWay: "badge-accent", crm.VisitCheckedIn: "badge-warning",
		crm.VisitWorkDone: "badge-accent", crm.VisitConfirmed: "badge-success", crm.VisitCancelled: "badge-muted", crm.VisitAbsent: "badge-danger",
		crm.ReturnRequested: "badge-info", crm.ReturnReceived: "badge-accent", crm.ReturnInspected: "badge-warning",
		crm.ReturnReplaced: "badge-success", crm.ReturnRefunded: "badge-success", crm.ReturnRejected: "badge-danger",
	} {
		if _, set := tones[code]; !set {
			tones[code] = tone
		}
	}
}

// fsStep is one step form: a button, with an input when the step needs one.
type fsStep struct {
	Text, Action, Needs, Confirm, ID string
	Primary, Danger                  bool
	Version                          int64
}

type fsPartRow struct {
	Name, Qty, Warehouse, At, By string
}

type fsLinkView struct{ URL, Expires string }

type fsConfirmView struct{ At, Name, Remarks, IP string }

// fsVisitView is what the visit partial (workspace and the day's cards) shows.
type fsVisitView struct {
	T                                           func(string, ...any) string
	ID, Href, Number, Subject, Customer, Status string
	StatusCode, Time, Address, Work, Back       string
	CheckedIn, CheckedOut                       string
	Steps, Other                                []fsStep
	CanWork, CanParts                           bool
	Version                                     int64
	Parts                                       []fsPartRow
	PartChoices, WhChoices                      []option
	Link                                        *fsLinkView
	LinkAction                                  string
	Confirmed                                   *fsConfirmView
	Compact                                     bool
}

type fsLinkKey struct{}

func (s *Server) choiceOptions(cs []fieldservice.Choice, selected string, withEmpty string) []option {
	var out []option
	if withEmpty != "" {
		out = append(out, option{Value: "", Label: withEmpty})
	}
	for _, ch := range cs {
		out = append(out, option{Value: ch.ID, Label: ch.Label, Selected: ch.ID == selected})
	}
	return out
}

// visitView builds the view of one visit for p.
func (s *Server) visitView(c *rc, v entity.Record, back string, compact bool) (*fsVisitView, error) {
	fs := s.app.FieldService
	ve := c.schema.Entity("service_visit")
	status := v.Str("status")
	vv := &fsVisitView{T: c.T, ID: v.ID(), Href: "/visits/" + v.ID(), Number: v.Str("number"), Subject: v.Str("subject"),
		StatusCode: status, Status: optionLabel(c, ve.Field("status"), status), Address: v.Str("address"), Work: v.Str("work_done"),
		Back: back, Version: v.Version(), Compact: compact, CheckedIn: c.fmtTime(v.Time("checked_in_at")), CheckedOut: c.fmtTime(v.Time("checked_out_at")),
		LinkAction: "/visits/" + v.ID() + "/confirmation-link"}
	start, end := v.Time("appointment_start"), v.Time("appointment_end")
	if !start.IsZero() {
		vv.Time = start.In(s.app.Loc).Format("01-02 15:04")
		if !end.IsZero() {
			vv.Time += "–" + end.In(s.app.Loc).Format("15:04")
		}
	}
	if t, err := s.app.Records.Titles(c.ctx(), c.p, "customer", []string{v.Str("customer_id")}); err == nil {
		vv.Customer = t[v.Str("customer_id")]
	}
	canStep := !c.p.ReadOnly && c.writable("service_visit", v.ID())
	if canStep {
		for _, st := range crm.VisitSteps(status) {
			step := fsStep{Text: c.T("fs.step." + st), Action: "/visits/" + v.ID() + "/step?step=" + st, Version: v.Version(), ID: "vs-" + st + "-" + v.ID()}
			switch st {
			case crm.VisitStepCheckIn, crm.VisitStepStart:
				step.Primary = true
				step.Needs = "location"
			case crm.VisitStepCheckOut:
				step.Primary, step.Needs = true, "work"
			case crm.VisitStepAbsent, crm.VisitStepCancel:
				step.Danger, step.Needs = true, "reason"
				step.Confirm = c.T("fs.confirm_" + st)
			}
			if st == crm.VisitStepStart {
				step.Needs = ""
			}
			if step.Danger {
				vv.Other = append(vv.Other, step)
			} else {
				vv.Steps = append(vv.Steps, step)
			}
		}
		vv.CanWork = crm.VisitPartsAllowed(status)
		vv.CanParts = crm.VisitPartsAllowed(status) && c.p.Perm("stock_movement").Create
	}
	parts, err := fs.VisitParts(c.ctx(), c.p, v.ID())
	if err != nil {
		return nil, err
	}
	me := c.schema.Entity("stock_movement")
	rf := c.collectRefs([]*entity.Field{me.Field("part_id"), me.Field("warehouse_id"), me.Field("created_by")}, parts...)
	for _, m := range parts {
		row := fsPartRow{Qty: strconv.FormatInt(m.Int("quantity"), 10), At: c.fmtTime(m.Time("created_at"))}
		row.Name, _ = rf.title("spare_part", m.Str("part_id"))
		row.Warehouse, _ = rf.title("warehouse", m.Str("warehouse_id"))
		row.By, _ = rf.title("user", m.Str("created_by"))
		vv.Parts = append(vv.Parts, row)
	}
	if vv.CanParts {
		pcs, err := fs.PartChoices(c.ctx())
		if err != nil {
			return nil, err
		}
		vv.PartChoices = s.choiceOptions(pcs, "", "")
		whs, err := fs.WarehouseChoices(c.ctx())
		if err != nil {
			return nil, err
		}
		vv.WhChoices = s.choiceOptions(whs, "", c.T("fs.my_van"))
	}
	if status == crm.VisitConfirmed {
		vv.Confirmed = &fsConfirmView{At: c.fmtTime(v.Time("confirmed_at")), Name: v.Str("confirmer_name"), Remarks: v.Str("confirm_remarks"), IP: v.Str("confirm_ip")}
	}
	if status != crm.VisitWorkDone || !canStep {
		vv.LinkAction = ""
	}
	if l, ok := c.ctx().Value(fsLinkKey{}).(*fieldservice.Link); ok && l != nil && vv.LinkAction != "" && c.r.PathValue("id") == v.ID() {
		vv.Link = &fsLinkView{URL: s.linkURL(c, l.Path), Expires: c.fmtTime(l.ExpiresAt)}
	}
	return vv, nil
}

func optionLabel(c *rc, f *entity.Field, code string) string {
	if f == nil {
		return code
	}
	for _, o := range f.Options {
		if o.Code == code {
			return o.Label.In(c.L)
		}
	}
	return code
}

func (s *Server) visitPanels(c *rc, rec entity.Record, dp *detailPage) error {
	vv, err := s.visitView(c, rec, "/visits/"+rec.ID(), false)
	if err != nil {
		return err
	}
	if rec.Str("status") == crm.VisitConfirmed || rec.Str("status") == crm.VisitCancelled {
		dp.EditHref = ""
	}
	return s.partialOr(c, "fs_visit", vv, &dp.Top)
}

// visitsPage is the engineer's day.
type visitsPage struct {
	*base
	Date, Prev, Next, Today string
	IsToday                 bool
	Visits                  []*fsVisitView
}

func (s *Server) visitsToday(c *rc) error {
	if c.p.Perm("service_visit").Read == access.None {
		return errs.Denied()
	}
	date := strings.TrimSpace(c.r.URL.Query().Get("date"))
	from, _, err := s.app.FieldService.DayBounds(date)
	if err != nil {
		return err
	}
	day := from.In(s.app.Loc)
	vp := &visitsPage{base: c.newBase(c.T("fs.today.title"), "visits-today"), Date: day.Format(entity.DateLayout),
		Prev: "/visits/today?date=" + day.AddDate(0, 0, -1).Format(entity.DateLayout), Next: "/visits/today?date=" + day.AddDate(0, 0, 1).Format(entity.DateLayout),
		Today: "/visits/today"}
	vp.IsToday = vp.Date == time.Now().In(s.app.Loc).Format(entity.DateLayout)
	list, err := s.app.FieldService.MyVisits(c.ctx(), c.p, vp.Date)
	if err != nil {
		return err
	}
	back := "/visits/today"
	if date != "" {
		back += "?date=" + vp.Date
	}
	for _, v := range list {
		vv, err := s.visitView(c, v, back, true)
		if err != nil {
			return err
		}
		if l, ok := c.ctx().Value(fsLinkKey{}).(*fieldservice.Link); ok && l != nil && c.r.PathValue("id") == v.ID() {
			vv.Link = &fsLinkView{URL: s.linkURL(c, l.Path), Expires: c.fmtTime(l.ExpiresAt)}
		}
		vp.Visits = append(vp.Visits, vv)
	}
	return c.render(http.StatusOK, "fieldservice_today", vp)
}

// visitBack is where a visit form returns: the day or the visit.
func visitBack(c *rc) string {
	if n := c.r.PostFormValue("next"); n != "" {
		return safeNext(n)
	}
	return "/visits/" + strings.ToLower(c.r.PathValue("id"))
}

func (s *Server) visitStepPost(c *rc) error {
	if err := c.r.ParseForm(); err != nil {
		return errs.New(errs.Invalid, "validation")
	}
	step := c.r.URL.Query().Get("step")
	out, err := s.app.FieldService.StepVisit(c.ctx(), c.p, c.r.PathValue("id"), fieldservice.VisitStepInput{Step: step,
		Location: c.r.PostFormValue("location"), WorkDone: c.r.PostFormValue("work_done"), Reason: c.r.PostFormValue("reason"), Version: formVersion(c.r.PostForm)})
	if err != nil {
		return c.processFailed(err, visitBack(c))
	}
	return c.processDone(c.T("fs.done."+step, "title", out.Str("number")), visitBack(c))
}

func (s *Server) visitWorkPost(c *rc) error {
	if err := c.r.ParseForm(); err != nil {
		return errs.New(errs.Invalid, "validation")
	}
	out, err := s.app.FieldService.SetWork(c.ctx(), c.p, c.r.PathValue("id"), c.r.PostFormValue("work_done"), formVersion(c.r.PostForm))
	if err != nil {
		return c.processFailed(err, visitBack(c))
	}
	return c.processDone(c.T("fs.done.work", "title", out.Str("number")), visitBack(c))
}

func (s *Server) visitPartPost(c *rc) error {
	if err := c.r.ParseForm(); err != nil {
		return errs.New(errs.Invalid, "validation")
	}
	q, err := strconv.ParseInt(strings.TrimSpace(c.r.PostFormValue("quantity")), 10, 64)
	if err != nil {
		return c.processFailed(errs.Validation([]errs.FieldError{{Field: "quantity", Code: "invalid_integer"}}), visitBack(c))
	}
	if _, err := s.app.FieldService.UsePart(c.ctx(), c.p, c.r.PathValue("id"), fieldservice.PartUse{PartID: c.r.PostFormValue("part_id"),
		WarehouseID: c.r.PostFormValue("warehouse_id"), Quantity: q}); err != nil {
		return c.processFailed(err, visitBack(c))
	}
	return c.processDone(c.T("fs.done.part"), visitBack(c))
}

func (s *Server) visitLinkPost(c *rc) error {
	if err := c.r.ParseForm(); err != nil {
		return errs.New(errs.Invalid, "validation")
	}
	id := strings.ToLower(c.r.PathValue("id"))
	l, err := s.app.FieldService.ConfirmLink(c.ctx(), c.p, id)
	if err != nil {
		return c.processFailed(err, visitBack(c))
	}
	c.r = c.r.WithContext(context.WithValue(c.ctx(), fsLinkKey{}, &l))
	c.w.Header().Set("Referrer-Policy", "no-referrer")
	if strings.HasPrefix(c.r.PostFormValue("next"), "/visits/today") {
		q := c.r.URL.Query()
		if n := c.r.PostFormValue("next"); strings.Contains(n, "date=") {
			q.Set("date", n[strings.Index(n, "date=")+5:])
		}
		c.r.URL.RawQuery = q.Encode()
		return s.visitsToday(c)
	}
	return s.showDetail(c, c.schema.Entity("service_visit"), id, http.StatusOK, nil)
}

// The stock page.

type stockRow struct {
	Part, PartHref, SKU, Unit, Warehouse, Qty, Min string
	Low                                            bool
}

type stockPage struct {
	*base
	Warehouses         []option
	LowOnly            bool
	Rows               []stockRow
	LowCount           int
	Ledger, CanMove    string
	NewMove, Catalogue string
}

func (s *Server) stockPage(c *rc) error {
	q := c.r.URL.Query()
	f := fieldservice.StockFilter{WarehouseID: strings.TrimSpace(q.Get("warehouse_id")), LowOnly: q.Get("low") == "1"}
	if f.WarehouseID != "" && !entity.LooksLikeID(strings.ToLower(f.WarehouseID)) {
		f.WarehouseID = ""
	}
	rows, err := s.app.FieldService.StockList(c.ctx(), c.p, f)
	if err != nil {
		return err
	}
	title := c.T("fs.stock.title")
	nav := "stock"
	if f.LowOnly {
		title, nav = c.T("fs.stock.low_title"), "stock-low"
	}
	sp := &stockPage{base: c.newBase(title, nav), LowOnly: f.LowOnly, Ledger: "/stock-movements", Catalogue: "/spare-parts"}
	if c.p.Perm("stock_movement").Create && !c.p.ReadOnly {
		sp.NewMove = "/stock-movements/new"
	}
	whs, err := s.app.FieldService.WarehouseChoices(c.ctx())
	if err != nil {
		return err
	}
	sp.Warehouses = s.choiceOptions(whs, strings.ToLower(f.WarehouseID), c.T("fs.stock.all_warehouses"))
	for _, r := range rows {
		sp.Rows = append(sp.Rows, stockRow{Part: r.Name, PartHref: "/spare-parts/" + r.PartID, SKU: r.SKU, Unit: r.Unit, Warehouse: r.Warehouse,
			Qty: strconv.FormatInt(r.Quantity, 10), Min: strconv.FormatInt(r.Min, 10), Low: r.Low})
		if r.Low {
			sp.LowCount++
		}
	}
	return c.render(http.StatusOK, "fieldservice_stock", sp)
}

// The return's workspace.

type fsItemRow struct{ Name, Kind, Qty, Serial string }

type fsReturnView struct {
	T               func(string, ...any) string
	ID              string
	Items           []fsItemRow
	AddItem         string
	Products, Parts []option
	Warehouses      []option
	Results         []option
	Steps           []fsStep
	Version         int64
	Summary         []dlItemText
	Movements       []fsPartRow
	Kind            string
}

type dlItemText struct{ Label, Value string }

func (s *Server) returnPanels(c *rc, rec entity.Record, dp *detailPage) error {
	fs := s.app.FieldService
	re := c.schema.Entity("return_request")
	rv := &fsReturnView{T: c.T, ID: rec.ID(), Version: rec.Version(), Kind: rec.Str("kind")}
	for _, it := range fieldservice.Items(rec) {
		kind := c.T("fs.item.product")
		if it.PartID != "" {
			kind = c.T("fs.item.part")
		}
		rv.Items = append(rv.Items, fsItemRow{Name: it.Name, Kind: kind, Qty: strconv.FormatInt(it.Quantity, 10), Serial: it.Serial})
	}
	can := !c.p.ReadOnly && c.writable("return_request", rec.ID())
	status := rec.Str("status")
	if can && status == crm.ReturnRequested {
		rv.AddItem = "/returns/" + rec.ID() + "/items"
		pcs, err := fs.PartChoices(c.ctx())
		if err != nil {
			return err
		}
		rv.Parts = s.choiceOptions(pcs, "", c.T("fs.item.none"))
	}
	if can {
		for _, st := range crm.ReturnSteps(rec.Str("kind"), status) {
			step := fsStep{Text: c.T("fs.rstep." + st), Action: "/returns/" + rec.ID() + "/step?step=" + st, Needs: st, Version: rec.Version(), ID: "rs-" + st,
				Primary: st != crm.ReturnStepReject, Danger: st == crm.ReturnStepReject}
			if st == crm.ReturnStepReject {
				step.Confirm = c.T("fs.confirm_reject")
			}
			rv.Steps = append(rv.Steps, step)
		}
		whs, err := fs.WarehouseChoices(c.ctx())
		if err != nil {
			return err
		}
		rv.Warehouses = s.choiceOptions(whs, "", c.T("fs.item.none"))
		for _, o := range crm.InspectionResults {
			rv.Results = append(rv.Results, option{Value: o.Code, Label: o.Label.In(c.L)})
		}
	}
	mv, err := fs.ReturnMovements(c.ctx(), c.p, rec.ID())
	if err != nil {
		return err
	}
	me := c.schema.Entity("stock_movement")
	rf := c.collectRefs([]*entity.Field{me.Field("part_id"), me.Field("warehouse_id"), me.Field("created_by")}, mv...)
	for _, m := range mv {
		row := fsPartRow{Qty: strconv.FormatInt(m.Int("quantity"), 10), At: c.fmtTime(m.Time("created_at"))}
		row.Name, _ = rf.title("spare_part", m.Str("part_id"))
		row.Warehouse, _ = rf.title("warehouse", m.Str("warehouse_id"))
		row.By, _ = rf.title("user", m.Str("created_by"))
		rv.Movements = append(rv.Movements, row)
	}
	_ = re
	if !crm.ReturnOpen(status) {
		dp.EditHref = ""
	}
	return s.partialOr(c, "fs_return", rv, &dp.Top)
}

func (s *Server) returnStepPost(c *rc) error {
	if err := c.r.ParseForm(); err != nil {
		return errs.New(errs.Invalid, "validation")
	}
	f := c.r.PostFormValue
	in := fieldservice.ReturnStepInput{Step: c.r.URL.Query().Get("step"), WarehouseID: f("warehouse_id"), Notes: f("notes"), Result: f("result"),
		DeliveryID: f("delivery_id"), Carrier: f("carrier"), TrackingNo: f("tracking_no"), Date: f("date"), Reference: f("reference"), Reason: f("reason"),
		Version: formVersion(c.r.PostForm)}
	back := "/returns/" + strings.ToLower(c.r.PathValue("id"))
	if a := strings.TrimSpace(f("amount")); a != "" {
		n, ok := entity.ParseMoney(a)
		if !ok {
			return c.processFailed(errs.Validation([]errs.FieldError{{Field: "amount", Code: "invalid_money"}}), back)
		}
		in.Amount = n
	}
	out, err := s.app.FieldService.StepReturn(c.ctx(), c.p, c.r.PathValue("id"), in)
	if err != nil {
		return c.processFailed(err, back)
	}
	return c.processDone(c.T("fs.rdone."+in.Step, "title", out.Str("number")), back)
}

func (s *Server) returnItemPost(c *rc) error {
	if err := c.r.ParseForm(); err != nil {
		return errs.New(errs.Invalid, "validation")
	}
	back := "/returns/" + strings.ToLower(c.r.PathValue("id"))
	q, err := strconv.ParseInt(strings.TrimSpace(c.r.PostFormValue("quantity")), 10, 64)
	if err != nil {
		return c.processFailed(errs.Validation([]errs.FieldError{{Field: "quantity", Code: "invalid_integer"}}), back)
	}
	it := crm.ReturnItem{ProductID: c.r.PostFormValue("product_id"), PartID: c.r.PostFormValue("part_id"), Quantity: q, Serial: c.r.PostFormValue("serial_no")}
	if _, err := s.app.FieldService.AddItem(c.ctx(), c.p, c.r.PathValue("id"), it); err != nil {
		return c.processFailed(err, back)
	}
	return c.processDone(c.T("fs.done.item"), back)
}

// On the ticket's page: its visits and returns, and links to plan one.

type fsSideRow struct{ Href, Number, Status, When string }

type fsTicketSide struct {
	T                   func(string, ...any) string
	Visits, Returns     []fsSideRow
	NewVisit, NewReturn string
}

func (s *Server) ticketFieldService(c *rc, rec entity.Record, dp *detailPage) error {
	v := &fsTicketSide{T: c.T}
	list := func(name string) ([]entity.Record, error) {
		e := c.schema.Entity(name)
		if e == nil || c.p.Perm(name).Read == access.None {
			return nil, nil
		}
		pg, err := s.app.Records.List(c.ctx(), c.p, name, entity.Query{Conds: []entity.Cond{{Field: e.Field("ticket_id"), Op: entity.Eq, Values: []any{rec.ID()}}}, Sort: e.Field("created_at"), Desc: true, Limit: 20})
		if err != nil {
			return nil, err
		}
		return pg.Items, nil
	}
	visits, err := list("service_visit")
	if err != nil {
		return err
	}
	ve := c.schema.Entity("service_visit")
	for _, x := range visits {
		v.Visits = append(v.Visits, fsSideRow{Href: "/visits/" + x.ID(), Number: x.Str("number"), Status: optionLabel(c, ve.Field("status"), x.Str("status")),
			When: c.fmtTime(x.Time("appointment_start"))})
	}
	returns, err := list("return_request")
	if err != nil {
		return err
	}
	re := c.schema.Entity("return_request")
	for _, x := range returns {
		v.Returns = append(v.Returns, fsSideRow{Href: "/returns/" + x.ID(), Number: x.Str("number"), Status: optionLabel(c, re.Field("status"), x.Str("status"))})
	}
	if !c.p.ReadOnly && c.p.Perm("service_visit").Create {
		v.NewVisit = "/visits/plan?ticket_id=" + rec.ID() + "&customer_id=" + rec.Str("customer_id") + "&subject=" + urlQueryEscape(rec.Str("subject"))
	}
	if !c.p.ReadOnly && c.p.Perm("return_request").Create {
		v.NewReturn = "/returns/new?ticket_id=" + rec.ID() + "&customer_id=" + rec.Str("customer_id")
	}
	if len(v.Visits) == 0 && len(v.Returns) == 0 && v.NewVisit == "" && v.NewReturn == "" {
		return nil
	}
	return s.partialOr(c, "fs_ticket_side", v, &dp.Side)
}

func urlQueryEscape(v string) string { return url.QueryEscape(v) }

// Planning a visit with its engineer (the dispatcher's form; the generic
// form has no engineer picker).

type visitPlanPage struct {
	*base
	TicketID, CustomerID, TicketTitle, CustomerTitle string
	Subject, Address, Start, End                     string
	Engineers                                        []option
	Errors                                           []string
}

func (s *Server) planVisitForm(c *rc, pp *visitPlanPage, status int) error {
	engs, err := s.app.FieldService.EngineerChoices(c.ctx())
	if err != nil {
		return err
	}
	sel := c.r.PostFormValue("engineer_id")
	pp.Engineers = s.choiceOptions(engs, sel, "")
	if pp.TicketID != "" {
		if t, err := s.app.Records.Titles(c.ctx(), c.p, "ticket", []string{pp.TicketID}); err == nil {
			pp.TicketTitle = t[pp.TicketID]
		}
	}
	if pp.CustomerID != "" {
		if t, err := s.app.Records.Titles(c.ctx(), c.p, "customer", []string{pp.CustomerID}); err == nil {
			pp.CustomerTitle = t[pp.CustomerID]
		}
	}
	return c.render(status, "fieldservice_plan", pp)
}

func (s *Server) planVisit(c *rc) error {
	if !c.p.Perm("service_visit").Create || c.p.ReadOnly {
		return errs.Denied()
	}
	q := c.r.URL.Query()
	pp := &visitPlanPage{base: c.newBase(c.T("fs.plan.title"), "visits"), TicketID: strings.ToLower(q.Get("ticket_id")), CustomerID: strings.ToLower(q.Get("customer_id")),
		Subject: q.Get("subject")}
	if pp.TicketID != "" && !entity.LooksLikeID(pp.TicketID) {
		pp.TicketID = ""
	}
	if pp.CustomerID != "" && !entity.LooksLikeID(pp.CustomerID) {
		pp.CustomerID = ""
	}
	tomorrow := time.Now().In(s.app.Loc).AddDate(0, 0, 1)
	day := time.Date(tomorrow.Year(), tomorrow.Month(), tomorrow.Day(), 9, 0, 0, 0, s.app.Loc)
	pp.Start, pp.End = day.Format("2006-01-02T15:04"), day.Add(2*time.Hour).Format("2006-01-02T15:04")
	return s.planVisitForm(c, pp, http.StatusOK)
}

func (s *Server) planVisitPost(c *rc) error {
	if err := c.r.ParseForm(); err != nil {
		return errs.New(errs.Invalid, "validation")
	}
	f := c.r.PostFormValue
	pp := &visitPlanPage{base: c.newBase(c.T("fs.plan.title"), "visits"), TicketID: strings.ToLower(f("ticket_id")), CustomerID: strings.ToLower(f("customer_id")),
		Subject: f("subject"), Address: f("address"), Start: f("appointment_start"), End: f("appointment_end")}
	in := entity.Record{}
	var bad []errs.FieldError
	for _, k := range []string{"ticket_id", "customer_id", "subject", "address"} {
		if v := strings.TrimSpace(f(k)); v != "" {
			in[k] = v
		}
	}
	for _, k := range []string{"appointment_start", "appointment_end"} {
		t, err := time.ParseInLocation("2006-01-02T15:04", strings.TrimSpace(f(k)), s.app.Loc)
		if err != nil {
			bad = append(bad, errs.FieldError{Field: k, Code: "invalid_datetime"})
			continue
		}
		in[k] = entity.CanonTime(t)
	}
	err := errs.Validation(bad)
	var out entity.Record
	if err == nil {
		out, err = s.app.FieldService.CreateVisit(c.ctx(), c.p, in, f("engineer_id"))
	}
	if err != nil {
		if errs.KindOf(err) != errs.Invalid {
			return c.processFailed(err, "/visits/plan")
		}
		ve := c.schema.Entity("service_visit")
		for _, fe := range fieldErrors(err) {
			pp.Errors = append(pp.Errors, c.fieldText(ve, fe))
		}
		return s.planVisitForm(c, pp, httpStatus(err))
	}
	return c.processDone(c.T("fs.plan.done", "title", out.Str("number")), "/visits/"+out.ID())
}
