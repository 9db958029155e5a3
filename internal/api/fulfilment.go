package api

import (
	"encoding/json"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"time"

	"closeloop/internal/access"
	"closeloop/internal/crm"
	"closeloop/internal/entity"
	"closeloop/internal/errs"
	"closeloop/internal/fulfilment"
	"closeloop/internal/httpx"
	"closeloop/internal/i18n"
)

// Fulfilment over HTTP. An order's JSON carries its lines and a delivery's
// its lines and tracking updates (`lines: [...]`, `events: [...]`), created
// and changed with them in one transaction; a task's carries its
// checklist. Orders are created by POST /orders — typed with lines, or
// with a signed contract_id or an accepted quote_id, whose quote's lines
// come along when no lines are given. The processes: stock check,
// reserve, release, cancel; tracking updates (ship, in transit,
// delivered, cancel); the sign-off link; supply-problem and task steps;
// the acceptance link.

func init() {
	areaRoutes = append(areaRoutes, func(h *API, m *http.ServeMux) {
		m.HandleFunc("POST /api/v1/orders", h.authed(h.fulLabeled("order_line", h.createOrder)))
		m.HandleFunc("GET /api/v1/orders/{id}", h.authed(h.getOrder))
		m.HandleFunc("PATCH /api/v1/orders/{id}", h.authed(h.fulLabeled("order_line", h.updateOrder)))
		m.HandleFunc("GET /api/v1/orders/{id}/stock", h.authed(h.orderStock))
		m.HandleFunc("POST /api/v1/orders/{id}/reserve", h.authed(h.reserveOrder))
		m.HandleFunc("POST /api/v1/orders/{id}/release", h.authed(h.releaseOrder))
		m.HandleFunc("POST /api/v1/orders/{id}/cancel", h.authed(h.fulLabeled("", h.cancelOrder)))
		m.HandleFunc("POST /api/v1/deliveries", h.authed(h.fulLabeled("delivery_line", h.createDelivery)))
		m.HandleFunc("GET /api/v1/deliveries/{id}", h.authed(h.getDelivery))
		m.HandleFunc("PATCH /api/v1/deliveries/{id}", h.authed(h.fulLabeled("delivery_line", h.updateDelivery)))
		m.HandleFunc("POST /api/v1/deliveries/{id}/events", h.authed(h.fulLabeled("delivery_event", h.trackDelivery)))
		m.HandleFunc("POST /api/v1/deliveries/{id}/sign-off-link", h.authed(h.fulLabeled("", h.signOffLink)))
		m.HandleFunc("GET /api/v1/deliveries/{id}/pdf", h.authed(h.deliveryNote))
		for _, step := range []string{crm.ProblemStepStart, crm.ProblemStepResolve, crm.ProblemStepClose, crm.ProblemStepReopen} {
			m.HandleFunc("POST /api/v1/supply-problems/{id}/"+step, h.authed(h.fulLabeled("supply_problem", h.problemStep(step))))
		}
		m.HandleFunc("GET /api/v1/tasks/mine", h.authed(h.myTasks))
		m.HandleFunc("GET /api/v1/tasks/{id}", h.authed(h.getTask))
		for _, step := range []string{crm.TaskStepStart, crm.TaskStepDone, crm.TaskStepCancel} {
			m.HandleFunc("POST /api/v1/tasks/{id}/"+step, h.authed(h.fulLabeled("service_task", h.taskStep(step))))
		}
		m.HandleFunc("POST /api/v1/tasks/{id}/checklist/{item}", h.authed(h.checkItem))
		m.HandleFunc("POST /api/v1/tasks/{id}/acceptance-link", h.authed(h.fulLabeled("", h.acceptanceLink)))
		m.HandleFunc("GET /api/v1/fulfilment/settings", h.authed(h.fulfilmentSettings))
		m.HandleFunc("PUT /api/v1/fulfilment/settings", h.authed(h.fulLabeled("", h.putFulfilmentSettings)))
	})
	areaPaths = append(areaPaths, fulfilmentPaths)
	areaSchemas = append(areaSchemas, fulfilmentSchemas)
}

var fulLineField = regexp.MustCompile(`^lines\[(\d+)\]\.(\w+)$`)

// FulfilmentLabel names a field of a fulfilment problem for people: a
// line's field as "第 2 行 数量" / "line 2: Quantity", the endpoint's own
// inputs by their catalogue entries (ful.field.*), others by the labels
// of the resource's entity.
func FulfilmentLabel(s *entity.Schema, l i18n.Lang, lineEntity, resourceEntity, field string) string {
	if m := fulLineField.FindStringSubmatch(field); m != nil {
		n, _ := strconv.Atoi(m[1])
		label := m[2]
		if le := s.Entity(lineEntity); le != nil {
			if f := le.Field(m[2]); f != nil {
				label = f.Label.In(l)
			}
		}
		if k := "ful.field." + m[2]; i18n.Has(l, k) {
			label = i18n.Msg(l, k)
		}
		return i18n.Msg(l, "ful.line_field", "n", n+1, "field", label)
	}
	if k := "ful.field." + field; i18n.Has(l, k) {
		return i18n.Msg(l, k)
	}
	if e := s.Entity(resourceEntity); e != nil {
		if f := e.Field(field); f != nil {
			return f.Label.In(l)
		}
	}
	if e := s.Entity(lineEntity); e != nil {
		if f := e.Field(field); f != nil {
			return f.Label.In(l)
		}
	}
	return ""
}

// fulLabeled answers the endpoint's problems naming fields by
// FulfilmentLabel.
func (h *API) fulLabeled(lineEntity string, fn handler) handler {
	return func(w http.ResponseWriter, r *http.Request, p *access.Principal) error {
		err := fn(w, r, p)
		if err == nil {
			return nil
		}
		s, l := h.App.DB.Schema(), httpx.Lang(r)
		var resEntity string
		if e := s.ByResource(resource(r)); e != nil {
			resEntity = e.Name
		}
		httpx.ProblemLabeled(w, r, err, func(field string) string { return FulfilmentLabel(s, l, lineEntity, resEntity, field) })
		return nil
	}
}

// withList is a record's JSON with a list of records under key.
func withList(e *entity.Entity, rec entity.Record, lists ...any) json.RawMessage {
	b := Record(e, rec).AppendJSON(nil)
	b = b[:len(b)-1]
	for i := 0; i+2 < len(lists); i += 3 {
		key, le, items := lists[i].(string), lists[i+1].(*entity.Entity), lists[i+2].([]entity.Record)
		b = append(b, ',')
		b = appendString(b, key)
		b = append(b, ":["...)
		for j, it := range items {
			if j > 0 {
				b = append(b, ',')
			}
			b = Record(le, it).AppendJSON(b)
		}
		b = append(b, ']')
	}
	return append(b, '}')
}

func writeRaw(w http.ResponseWriter, status int, b json.RawMessage) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	_, _ = w.Write(append(b, '\n'))
}

// decodeWithLines reads a body of e's fields and, when present, a list of
// line objects of le (allowed: the line fields plus "id" when keepID).
func (h *API) decodeWithLines(body map[string]any, e, le *entity.Entity, keepID bool, skip ...string) (entity.Record, []entity.Record, error) {
	s := h.App.DB.Schema()
	rec, err := DecodeRecord(s, e, body, append(skip, "lines")...)
	bad := fieldProblems(err)
	if err != nil && bad == nil {
		return nil, nil, err
	}
	raw, given := body["lines"]
	if !given {
		return rec, nil, errs.Validation(bad)
	}
	list, ok := raw.([]any)
	if !ok {
		return nil, nil, errs.Validation(append(bad, errs.FieldError{Field: "lines", Code: "invalid_list"}))
	}
	lines := []entity.Record{}
	for i, item := range list {
		prefix := "lines[" + strconv.Itoa(i) + "]."
		obj, ok := item.(map[string]any)
		if !ok {
			bad = append(bad, errs.FieldError{Field: prefix + "id", Code: "invalid_list"})
			continue
		}
		line, err := DecodeRecord(s, le, obj, "id")
		if fes := fieldProblems(err); fes != nil {
			for _, fe := range fes {
				fe.Field = prefix + fe.Field
				bad = append(bad, fe)
			}
		} else if err != nil {
			return nil, nil, err
		}
		if id, ok := obj["id"]; ok && id != nil {
			sid, _ := id.(string)
			if !keepID || !entity.LooksLikeID(strings.ToLower(sid)) {
				bad = append(bad, errs.FieldError{Field: prefix + "id", Code: "invalid_ref"})
			}
			line["id"] = strings.ToLower(sid)
		}
		lines = append(lines, line)
	}
	if len(list) > 1000 {
		bad = append(bad, errs.FieldError{Field: "lines", Code: "fulfilment_too_many_lines", Args: map[string]any{"max": 1000}})
	}
	return rec, lines, errs.Validation(bad)
}

// fieldProblems returns the field problems of a validation error.
func fieldProblems(err error) []errs.FieldError {
	if e := errs.As(err); e != nil && e.Code == "validation" {
		return e.Fields
	}
	return nil
}

func (h *API) orderJSON(w http.ResponseWriter, r *http.Request, p *access.Principal, status int, id string) error {
	o, lines, err := h.App.Fulfilment.Order(r.Context(), p, id)
	if err != nil {
		return err
	}
	s := h.App.DB.Schema()
	writeRaw(w, status, withList(s.Entity("sales_order"), o, "lines", s.Entity("order_line"), lines))
	return nil
}

func (h *API) createOrder(w http.ResponseWriter, r *http.Request, p *access.Principal) error {
	body, err := readBody(r)
	if err != nil {
		return err
	}
	s := h.App.DB.Schema()
	rec, lines, err := h.decodeWithLines(body, s.Entity("sales_order"), s.Entity("order_line"), false)
	if err != nil {
		return err
	}
	o, err := h.App.Fulfilment.CreateOrder(r.Context(), p, fulfilment.OrderInput{Order: rec, Lines: lines})
	if err != nil {
		return err
	}
	w.Header().Set("Location", "/api/v1/orders/"+o.ID())
	return h.orderJSON(w, r, p, http.StatusCreated, o.ID())
}

func (h *API) getOrder(w http.ResponseWriter, r *http.Request, p *access.Principal) error {
	return h.orderJSON(w, r, p, http.StatusOK, r.PathValue("id"))
}

func (h *API) updateOrder(w http.ResponseWriter, r *http.Request, p *access.Principal) error {
	body, err := readBody(r)
	if err != nil {
		return err
	}
	v, err := version(r, body)
	if err != nil {
		return err
	}
	s := h.App.DB.Schema()
	rec, lines, err := h.decodeWithLines(body, s.Entity("sales_order"), s.Entity("order_line"), true, "version", "id")
	if err != nil {
		return err
	}
	o, err := h.App.Fulfilment.UpdateOrder(r.Context(), p, r.PathValue("id"), v, fulfilment.OrderInput{Order: rec, Lines: lines})
	if err != nil {
		return err
	}
	return h.orderJSON(w, r, p, http.StatusOK, o.ID())
}

func (h *API) orderStock(w http.ResponseWriter, r *http.Request, p *access.Principal) error {
	lines, err := h.App.Fulfilment.StockCheck(r.Context(), p, r.PathValue("id"))
	if err != nil {
		return err
	}
	if lines == nil {
		lines = []fulfilment.StockLine{}
	}
	httpx.JSON(w, http.StatusOK, map[string]any{"lines": lines})
	return nil
}

func (h *API) reserveOrder(w http.ResponseWriter, r *http.Request, p *access.Principal) error {
	v, err := versionBody(r)
	if err != nil {
		return err
	}
	res, err := h.App.Fulfilment.Reserve(r.Context(), p, r.PathValue("id"), v)
	if err != nil {
		return err
	}
	if res.Lines == nil {
		res.Lines = []fulfilment.ReserveLine{}
	}
	httpx.JSON(w, http.StatusOK, map[string]any{"order": Record(h.App.DB.Schema().Entity("sales_order"), res.Order), "lines": res.Lines})
	return nil
}

func (h *API) releaseOrder(w http.ResponseWriter, r *http.Request, p *access.Principal) error {
	v, err := versionBody(r)
	if err != nil {
		return err
	}
	o, err := h.App.Fulfilment.Release(r.Context(), p, r.PathValue("id"), v)
	if err != nil {
		return err
	}
	httpx.JSON(w, http.StatusOK, Record(h.App.DB.Schema().Entity("sales_order"), o))
	return nil
}

func (h *API) cancelOrder(w http.ResponseWriter, r *http.Request, p *access.Principal) error {
	var body struct {
		Reason  string      `json:"reason"`
		Version json.Number `json:"version"`
	}
	if err := decodeInto(r, &body); err != nil {
		return err
	}
	v, err := bodyVersion(body.Version)
	if err != nil {
		return err
	}
	o, err := h.App.Fulfilment.Cancel(r.Context(), p, r.PathValue("id"), v, strings.TrimSpace(body.Reason))
	if err != nil {
		return err
	}
	httpx.JSON(w, http.StatusOK, Record(h.App.DB.Schema().Entity("sales_order"), o))
	return nil
}

func (h *API) deliveryJSON(w http.ResponseWriter, r *http.Request, p *access.Principal, status int, id string) error {
	d, lines, evs, err := h.App.Fulfilment.Delivery(r.Context(), p, id)
	if err != nil {
		return err
	}
	s := h.App.DB.Schema()
	writeRaw(w, status, withList(s.Entity("delivery"), d, "lines", s.Entity("delivery_line"), lines, "events", s.Entity("delivery_event"), evs))
	return nil
}

func (h *API) createDelivery(w http.ResponseWriter, r *http.Request, p *access.Principal) error {
	body, err := readBody(r)
	if err != nil {
		return err
	}
	s := h.App.DB.Schema()
	rec, lines, err := h.decodeWithLines(body, s.Entity("delivery"), s.Entity("delivery_line"), false)
	if err != nil {
		return err
	}
	d, err := h.App.Fulfilment.CreateDelivery(r.Context(), p, fulfilment.DeliveryInput{Delivery: rec, Lines: lines})
	if err != nil {
		return err
	}
	w.Header().Set("Location", "/api/v1/deliveries/"+d.ID())
	return h.deliveryJSON(w, r, p, http.StatusCreated, d.ID())
}

func (h *API) getDelivery(w http.ResponseWriter, r *http.Request, p *access.Principal) error {
	return h.deliveryJSON(w, r, p, http.StatusOK, r.PathValue("id"))
}

func (h *API) updateDelivery(w http.ResponseWriter, r *http.Request, p *access.Principal) error {
	body, err := readBody(r)
	if err != nil {
		return err
	}
	v, err := version(r, body)
	if err != nil {
		return err
	}
	s := h.App.DB.Schema()
	rec, lines, err := h.decodeWithLines(body, s.Entity("delivery"), s.Entity("delivery_line"), false, "version", "id")
	if err != nil {
		return err
	}
	d, err := h.App.Fulfilment.UpdateDelivery(r.Context(), p, r.PathValue("id"), v, fulfilment.DeliveryInput{Delivery: rec, Lines: lines})
	if err != nil {
		return err
	}
	return h.deliveryJSON(w, r, p, http.StatusOK, d.ID())
}

func (h *API) trackDelivery(w http.ResponseWriter, r *http.Request, p *access.Principal) error {
	var body struct {
		Status   string      `json:"status"`
		At       string      `json:"at"`
		Location string      `json:"location"`
		Note     string      `json:"note"`
		Version  json.Number `json:"version"`
	}
	if err := decodeInto(r, &body); err != nil {
		return err
	}
	v, err := bodyVersion(body.Version)
	if err != nil {
		return err
	}
	in := fulfilment.TrackInput{Status: body.Status, Location: body.Location, Note: body.Note, Version: v}
	if strings.TrimSpace(body.At) != "" {
		s := h.App.DB.Schema()
		at, fe := s.ParseText(s.Entity("delivery_event").Field("at"), body.At)
		if fe != nil {
			fe.Field = "at"
			return errs.Validation([]errs.FieldError{*fe})
		}
		in.At, _ = at.(time.Time)
	}
	if _, err := h.App.Fulfilment.Track(r.Context(), p, r.PathValue("id"), in); err != nil {
		return err
	}
	return h.deliveryJSON(w, r, p, http.StatusOK, r.PathValue("id"))
}

// deliveryNote answers the delivery note (送货单) as a PDF, in Chinese or
// (lang=en) English.
func (h *API) deliveryNote(w http.ResponseWriter, r *http.Request, p *access.Principal) error {
	lang := i18n.ZH
	switch v := r.URL.Query().Get("lang"); v {
	case "", "zh", "zh-CN":
	case "en":
		lang = i18n.EN
	default:
		return errs.Validation([]errs.FieldError{{Field: "lang", Code: "invalid_option", Args: map[string]any{"value": v}}})
	}
	name, data, err := h.App.Fulfilment.DeliveryNote(r.Context(), p, r.PathValue("id"), lang)
	if err != nil {
		return err
	}
	WritePDF(w, name, data, false)
	return nil
}

// linkBody reads {"days": n} (optional).
func linkBody(r *http.Request) (int, error) {
	var body struct {
		Days json.Number `json:"days"`
	}
	if err := optionalBody(r, &body); err != nil {
		return 0, err
	}
	if body.Days == "" {
		return 0, nil
	}
	n, err := body.Days.Int64()
	if err != nil || n < 1 || n > fulfilment.MaxLinkDays {
		return 0, errs.Validation([]errs.FieldError{{Field: "days", Code: "out_of_range", Args: map[string]any{"min": 1, "max": fulfilment.MaxLinkDays}}})
	}
	return int(n), nil
}

// absoluteURL is the full address of a public link: the configured base
// URL, else the address the request came to.
func (h *API) absoluteURL(r *http.Request, path string) string {
	if b := strings.TrimRight(h.App.Cfg.BaseURL, "/"); b != "" {
		return b + path
	}
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	return scheme + "://" + r.Host + path
}

func (h *API) linkJSON(w http.ResponseWriter, r *http.Request, l fulfilment.Link) {
	l.URL = h.absoluteURL(r, l.Path)
	w.Header().Set("Cache-Control", "no-store")
	httpx.JSON(w, http.StatusCreated, l)
}

func (h *API) signOffLink(w http.ResponseWriter, r *http.Request, p *access.Principal) error {
	days, err := linkBody(r)
	if err != nil {
		return err
	}
	l, err := h.App.Fulfilment.SignOffLink(r.Context(), p, r.PathValue("id"), days)
	if err != nil {
		return err
	}
	h.linkJSON(w, r, l)
	return nil
}

func (h *API) problemStep(step string) handler {
	return func(w http.ResponseWriter, r *http.Request, p *access.Principal) error {
		var body struct {
			Resolution    string      `json:"resolution"`
			RootCause     string      `json:"root_cause"`
			RootCauseNote string      `json:"root_cause_note"`
			Reason        string      `json:"reason"`
			Version       json.Number `json:"version"`
		}
		if err := optionalBody(r, &body); err != nil {
			return err
		}
		v, err := bodyVersion(body.Version)
		if err != nil {
			return err
		}
		out, err := h.App.Fulfilment.StepProblem(r.Context(), p, r.PathValue("id"), fulfilment.ProblemInput{Step: step,
			Resolution: body.Resolution, RootCause: body.RootCause, RootCauseNote: body.RootCauseNote, Reason: body.Reason, Version: v})
		if err != nil {
			return err
		}
		httpx.JSON(w, http.StatusOK, Record(h.App.DB.Schema().Entity("supply_problem"), out))
		return nil
	}
}

func (h *API) taskJSON(w http.ResponseWriter, r *http.Request, p *access.Principal, id string) error {
	t, items, err := h.App.Fulfilment.Task(r.Context(), p, id)
	if err != nil {
		return err
	}
	s := h.App.DB.Schema()
	writeRaw(w, http.StatusOK, withList(s.Entity("service_task"), t, "checklist", s.Entity("task_check_item"), items))
	return nil
}

func (h *API) getTask(w http.ResponseWriter, r *http.Request, p *access.Principal) error {
	return h.taskJSON(w, r, p, r.PathValue("id"))
}

func (h *API) myTasks(w http.ResponseWriter, r *http.Request, p *access.Principal) error {
	limit, _ := strconv.Atoi(r.URL.Query().Get("limit"))
	items, err := h.App.Fulfilment.MyTasks(r.Context(), p, limit)
	if err != nil {
		return err
	}
	te := h.App.DB.Schema().Entity("service_task")
	out := make([]Object, len(items))
	for i, t := range items {
		out[i] = Record(te, t)
	}
	httpx.JSON(w, http.StatusOK, map[string]any{"items": out})
	return nil
}

func (h *API) taskStep(step string) handler {
	return func(w http.ResponseWriter, r *http.Request, p *access.Principal) error {
		var body struct {
			Result  string      `json:"result"`
			Version json.Number `json:"version"`
		}
		if err := optionalBody(r, &body); err != nil {
			return err
		}
		v, err := bodyVersion(body.Version)
		if err != nil {
			return err
		}
		if _, err := h.App.Fulfilment.StepTask(r.Context(), p, r.PathValue("id"), fulfilment.TaskStepInput{Step: step, Result: body.Result, Version: v}); err != nil {
			return err
		}
		return h.taskJSON(w, r, p, r.PathValue("id"))
	}
}

func (h *API) checkItem(w http.ResponseWriter, r *http.Request, p *access.Principal) error {
	var body struct {
		Done *bool `json:"done"`
	}
	if err := decodeInto(r, &body); err != nil {
		return err
	}
	if body.Done == nil {
		return errs.Validation([]errs.FieldError{{Field: "done", Code: "required"}})
	}
	it, err := h.App.Fulfilment.CheckItem(r.Context(), p, r.PathValue("id"), r.PathValue("item"), *body.Done)
	if err != nil {
		return err
	}
	httpx.JSON(w, http.StatusOK, Record(h.App.DB.Schema().Entity("task_check_item"), it))
	return nil
}

func (h *API) acceptanceLink(w http.ResponseWriter, r *http.Request, p *access.Principal) error {
	days, err := linkBody(r)
	if err != nil {
		return err
	}
	l, err := h.App.Fulfilment.AcceptanceLink(r.Context(), p, r.PathValue("id"), days)
	if err != nil {
		return err
	}
	h.linkJSON(w, r, l)
	return nil
}

func (h *API) fulfilmentSettings(w http.ResponseWriter, r *http.Request, p *access.Principal) error {
	httpx.JSON(w, http.StatusOK, map[string]any{"link_days": h.App.Fulfilment.LinkDays(r.Context())})
	return nil
}

func (h *API) putFulfilmentSettings(w http.ResponseWriter, r *http.Request, p *access.Principal) error {
	var body struct {
		LinkDays int `json:"link_days"`
	}
	if err := decodeInto(r, &body); err != nil {
		return err
	}
	if err := h.App.Fulfilment.SetLinkDays(r.Context(), p, body.LinkDays); err != nil {
		if e := errs.As(err); e != nil && len(e.Fields) > 0 {
			e.Fields[0].Field = "link_days"
		}
		return err
	}
	return h.fulfilmentSettings(w, r, p)
}
