package api

import (
	"encoding/json"
	"net/http"
	"strings"

	"closeloop/internal/access"
	"closeloop/internal/crm"
	"closeloop/internal/errs"
	"closeloop/internal/fieldservice"
	"closeloop/internal/httpx"
)

// On-site service, spare parts and returns over HTTP. A visit is created
// by POST /visits (engineer_id names the field engineer; the creator by
// default) and moved by its steps; the engineer's day is GET
// /visits/mine?date=; parts used on a visit are POST /visits/{id}/parts
// (a movement out of the engineer's warehouse). POST /stock-movements is
// the stock process itself (the generic create: the movement's rule
// changes the stock in the same transaction, never below zero). A return
// is created with its items (POST /returns with items: [...]) and moved
// by its steps.

func init() {
	areaRoutes = append(areaRoutes, func(h *API, m *http.ServeMux) {
		m.HandleFunc("POST /api/v1/visits", h.authed(h.createVisit))
		m.HandleFunc("GET /api/v1/visits/mine", h.authed(h.myVisits))
		for _, step := range crm.VisitStepNames {
			m.HandleFunc("POST /api/v1/visits/{id}/"+step, h.authed(h.visitStep(step)))
		}
		m.HandleFunc("POST /api/v1/visits/{id}/work", h.authed(h.visitWork))
		m.HandleFunc("GET /api/v1/visits/{id}/parts", h.authed(h.visitParts))
		m.HandleFunc("POST /api/v1/visits/{id}/parts", h.authed(h.fsLabeled("stock_movement", h.visitUsePart)))
		m.HandleFunc("POST /api/v1/visits/{id}/confirmation-link", h.authed(h.visitLink))
		m.HandleFunc("POST /api/v1/returns", h.authed(h.createReturn))
		m.HandleFunc("POST /api/v1/returns/{id}/items", h.authed(h.fsLabeled("return_request", h.returnItem)))
		for _, step := range crm.ReturnStepNames {
			m.HandleFunc("POST /api/v1/returns/{id}/"+step, h.authed(h.returnStep(step)))
		}
	})
	areaPaths = append(areaPaths, fieldservicePaths)
	areaSchemas = append(areaSchemas, fieldserviceSchemas)
}

// fsLabeled names the fields of an endpoint's problems by the labels of
// another entity first (a part used names the movement's fields), then
// the resource's own.
func (h *API) fsLabeled(entityName string, fn handler) handler {
	return func(w http.ResponseWriter, r *http.Request, p *access.Principal) error {
		err := fn(w, r, p)
		if err == nil {
			return nil
		}
		s, l := h.App.DB.Schema(), httpx.Lang(r)
		own := h.labeler(r)
		httpx.ProblemLabeled(w, r, err, func(field string) string {
			if e := s.Entity(entityName); e != nil {
				if f := e.Field(field); f != nil {
					return f.Label.In(l)
				}
			}
			if own != nil {
				return own(field)
			}
			return ""
		})
		return nil
	}
}

func (h *API) createVisit(w http.ResponseWriter, r *http.Request, p *access.Principal) error {
	body, err := readBody(r)
	if err != nil {
		return err
	}
	s := h.App.DB.Schema()
	e := s.Entity("service_visit")
	rec, err := DecodeRecord(s, e, body, "engineer_id")
	if err != nil {
		return err
	}
	eng, _ := body["engineer_id"].(string)
	if v, ok := body["engineer_id"]; ok && v != nil {
		if _, isStr := v.(string); !isStr {
			return errs.Validation([]errs.FieldError{{Field: "engineer_id", Code: "invalid_user"}})
		}
	}
	out, err := h.App.FieldService.CreateVisit(r.Context(), p, rec, eng)
	if err != nil {
		return err
	}
	w.Header().Set("Location", "/api/v1/visits/"+out.ID())
	httpx.JSON(w, http.StatusCreated, Record(e, out))
	return nil
}

func (h *API) myVisits(w http.ResponseWriter, r *http.Request, p *access.Principal) error {
	items, err := h.App.FieldService.MyVisits(r.Context(), p, strings.TrimSpace(r.URL.Query().Get("date")))
	if err != nil {
		return err
	}
	e := h.App.DB.Schema().Entity("service_visit")
	out := make([]Object, len(items))
	for i, v := range items {
		out[i] = Record(e, v)
	}
	httpx.JSON(w, http.StatusOK, map[string]any{"items": out})
	return nil
}

func (h *API) visitStep(step string) handler {
	return func(w http.ResponseWriter, r *http.Request, p *access.Principal) error {
		var body struct {
			Location string      `json:"location"`
			WorkDone string      `json:"work_done"`
			Reason   string      `json:"reason"`
			Version  json.Number `json:"version"`
		}
		if err := optionalBody(r, &body); err != nil {
			return err
		}
		v, err := bodyVersion(body.Version)
		if err != nil {
			return err
		}
		out, err := h.App.FieldService.StepVisit(r.Context(), p, r.PathValue("id"), fieldservice.VisitStepInput{Step: step,
			Location: body.Location, WorkDone: body.WorkDone, Reason: body.Reason, Version: v})
		if err != nil {
			return err
		}
		httpx.JSON(w, http.StatusOK, Record(h.App.DB.Schema().Entity("service_visit"), out))
		return nil
	}
}

func (h *API) visitWork(w http.ResponseWriter, r *http.Request, p *access.Principal) error {
	var body struct {
		WorkDone string      `json:"work_done"`
		Version  json.Number `json:"version"`
	}
	if err := decodeInto(r, &body); err != nil {
		return err
	}
	v, err := bodyVersion(body.Version)
	if err != nil {
		return err
	}
	out, err := h.App.FieldService.SetWork(r.Context(), p, r.PathValue("id"), body.WorkDone, v)
	if err != nil {
		return err
	}
	httpx.JSON(w, http.StatusOK, Record(h.App.DB.Schema().Entity("service_visit"), out))
	return nil
}

func (h *API) visitParts(w http.ResponseWriter, r *http.Request, p *access.Principal) error {
	if _, err := h.App.FieldService.Visit(r.Context(), p, r.PathValue("id")); err != nil {
		return err
	}
	items, err := h.App.FieldService.VisitParts(r.Context(), p, r.PathValue("id"))
	if err != nil {
		return err
	}
	e := h.App.DB.Schema().Entity("stock_movement")
	out := make([]Object, len(items))
	for i, m := range items {
		out[i] = Record(e, m)
	}
	httpx.JSON(w, http.StatusOK, map[string]any{"items": out})
	return nil
}

func (h *API) visitUsePart(w http.ResponseWriter, r *http.Request, p *access.Principal) error {
	var body struct {
		PartID      string      `json:"part_id"`
		WarehouseID string      `json:"warehouse_id"`
		Quantity    json.Number `json:"quantity"`
	}
	if err := decodeInto(r, &body); err != nil {
		return err
	}
	var bad []errs.FieldError
	if strings.TrimSpace(body.PartID) == "" {
		bad = append(bad, errs.FieldError{Field: "part_id", Code: "required"})
	}
	q, err := body.Quantity.Int64()
	if err != nil {
		bad = append(bad, errs.FieldError{Field: "quantity", Code: "invalid_integer"})
	}
	if err := errs.Validation(bad); err != nil {
		return err
	}
	out, err := h.App.FieldService.UsePart(r.Context(), p, r.PathValue("id"), fieldservice.PartUse{PartID: body.PartID, WarehouseID: body.WarehouseID, Quantity: q})
	if err != nil {
		return err
	}
	httpx.JSON(w, http.StatusCreated, Record(h.App.DB.Schema().Entity("stock_movement"), out))
	return nil
}

func (h *API) visitLink(w http.ResponseWriter, r *http.Request, p *access.Principal) error {
	l, err := h.App.FieldService.ConfirmLink(r.Context(), p, r.PathValue("id"))
	if err != nil {
		return err
	}
	l.URL = h.absoluteURL(r, l.Path)
	w.Header().Set("Cache-Control", "no-store")
	httpx.JSON(w, http.StatusCreated, l)
	return nil
}

// decodeItems reads a return's items ([{product_id|part_id, quantity,
// serial_no}]).
func decodeItems(v any) ([]crm.ReturnItem, error) {
	if v == nil {
		return nil, nil
	}
	b, err := json.Marshal(v)
	if err != nil {
		return nil, errs.Validation([]errs.FieldError{{Field: "items", Code: "return_items_invalid"}})
	}
	dec := json.NewDecoder(strings.NewReader(string(b)))
	dec.DisallowUnknownFields()
	var items []crm.ReturnItem
	if err := dec.Decode(&items); err != nil {
		return nil, errs.Validation([]errs.FieldError{{Field: "items", Code: "return_items_invalid"}})
	}
	return items, nil
}

func (h *API) createReturn(w http.ResponseWriter, r *http.Request, p *access.Principal) error {
	body, err := readBody(r)
	if err != nil {
		return err
	}
	s := h.App.DB.Schema()
	e := s.Entity("return_request")
	rec, err := DecodeRecord(s, e, body, "items")
	if err != nil {
		return err
	}
	items, err := decodeItems(body["items"])
	if err != nil {
		return err
	}
	out, err := h.App.FieldService.CreateReturn(r.Context(), p, rec, items)
	if err != nil {
		return err
	}
	w.Header().Set("Location", "/api/v1/returns/"+out.ID())
	httpx.JSON(w, http.StatusCreated, Record(e, out))
	return nil
}

func (h *API) returnItem(w http.ResponseWriter, r *http.Request, p *access.Principal) error {
	var it crm.ReturnItem
	if err := decodeInto(r, &it); err != nil {
		return err
	}
	out, err := h.App.FieldService.AddItem(r.Context(), p, r.PathValue("id"), it)
	if err != nil {
		return err
	}
	httpx.JSON(w, http.StatusOK, Record(h.App.DB.Schema().Entity("return_request"), out))
	return nil
}

func (h *API) returnStep(step string) handler {
	return func(w http.ResponseWriter, r *http.Request, p *access.Principal) error {
		var body struct {
			WarehouseID string      `json:"warehouse_id"`
			Notes       string      `json:"notes"`
			Result      string      `json:"result"`
			DeliveryID  string      `json:"delivery_id"`
			Carrier     string      `json:"carrier"`
			TrackingNo  string      `json:"tracking_no"`
			Amount      json.Number `json:"amount"`
			Date        string      `json:"date"`
			Reference   string      `json:"reference"`
			Reason      string      `json:"reason"`
			Version     json.Number `json:"version"`
		}
		if err := optionalBody(r, &body); err != nil {
			return err
		}
		v, err := bodyVersion(body.Version)
		if err != nil {
			return err
		}
		var amount int64
		if body.Amount != "" {
			if amount, err = body.Amount.Int64(); err != nil {
				return errs.Validation([]errs.FieldError{{Field: "amount", Code: "invalid_integer"}})
			}
		}
		out, err := h.App.FieldService.StepReturn(r.Context(), p, r.PathValue("id"), fieldservice.ReturnStepInput{Step: step,
			WarehouseID: body.WarehouseID, Notes: body.Notes, Result: body.Result, DeliveryID: body.DeliveryID, Carrier: body.Carrier,
			TrackingNo: body.TrackingNo, Amount: amount, Date: body.Date, Reference: body.Reference, Reason: body.Reason, Version: v})
		if err != nil {
			return err
		}
		httpx.JSON(w, http.StatusOK, Record(h.App.DB.Schema().Entity("return_request"), out))
		return nil
	}
}
