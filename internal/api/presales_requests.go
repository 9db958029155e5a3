package api

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"time"

	"closeloop/internal/access"
	"closeloop/internal/crm"
	"closeloop/internal/entity"
	"closeloop/internal/errs"
	"closeloop/internal/httpx"
	"closeloop/internal/presales"
	"closeloop/internal/sheet"
)

// The pre-sales request process over HTTP: evaluation, assignment, work
// records, closing and scores, the ageing of open requests and the
// monthly summary. Raising a request is the generic create.

func init() {
	areaRoutes = append(areaRoutes, func(h *API, m *http.ServeMux) {
		m.HandleFunc("POST /api/v1/presales-requests/{id}/evaluation", h.authed(h.labeled(h.evaluateRequest, presales.EvaluationInputs)))
		m.HandleFunc("POST /api/v1/presales-requests/{id}/assign", h.authed(h.labeled(h.assignEngineers, presales.AssignInputs)))
		m.HandleFunc("GET /api/v1/presales-requests/{id}/work-records", h.authed(h.listWork))
		m.HandleFunc("POST /api/v1/presales-requests/{id}/work-records", h.authed(h.labeled(h.logWork, nil)))
		m.HandleFunc("POST /api/v1/presales-requests/{id}/close", h.authed(h.labeled(h.closeRequest, presales.CloseInputs)))
		m.HandleFunc("GET /api/v1/presales-requests/{id}/scores", h.authed(h.listScores))
		m.HandleFunc("POST /api/v1/presales-requests/{id}/scores", h.authed(h.labeled(h.addScore, presales.ScoreInputs)))
		m.HandleFunc("GET /api/v1/reports/presales-ageing", h.authed(h.presalesAgeing))
		m.HandleFunc("GET /api/v1/reports/presales-summary", h.authed(h.presalesSummary))
	})
	areaPaths = append(areaPaths, presalesRequestPaths)
}

// labeled answers a process's errors naming its inputs by their fields'
// labels (an evaluation's "products" is "涉及产品"); nil inputs name the
// fields of the work record.
func (h *API) labeled(fn handler, in presales.Inputs) handler {
	return func(w http.ResponseWriter, r *http.Request, p *access.Principal) error {
		err := fn(w, r, p)
		if err == nil {
			return nil
		}
		l := httpx.Lang(r)
		we := h.App.DB.Schema().Entity("presales_work_record")
		httpx.ProblemLabeled(w, r, err, func(field string) string {
			if in == nil {
				if f := we.Field(field); f != nil {
					return f.Label.In(l)
				}
				return ""
			}
			return in.Label(field, l)
		})
		return nil
	}
}

// bodyVersion reads an optional "version" of a process body: the version
// of the record the caller's decision was based on (0: not checked).
func bodyVersion(n json.Number) (int64, error) {
	if n == "" {
		return 0, nil
	}
	v, err := n.Int64()
	if err != nil || v < 1 {
		return 0, errs.Validation([]errs.FieldError{{Field: "version", Code: "invalid_integer"}})
	}
	return v, nil
}

// versionBody reads an optional {"version": n} body: the version the
// caller saw, zero when not given.
func versionBody(r *http.Request) (int64, error) {
	var body struct {
		Version json.Number `json:"version"`
	}
	if err := optionalBody(r, &body); err != nil {
		return 0, err
	}
	return bodyVersion(body.Version)
}

// optionalBody decodes a body that may be absent.
func optionalBody(r *http.Request, dst any) error {
	if r.ContentLength == 0 {
		return nil
	}
	return decodeInto(r, dst)
}

func (h *API) requestJSON(w http.ResponseWriter, status int, rec entity.Record) {
	httpx.JSON(w, status, Record(h.App.DB.Schema().Entity("presales_request"), rec))
}

func (h *API) evaluateRequest(w http.ResponseWriter, r *http.Request, p *access.Principal) error {
	var body struct {
		crm.Evaluation
		Version json.Number `json:"version"`
	}
	if err := decodeInto(r, &body); err != nil {
		return err
	}
	v, err := bodyVersion(body.Version)
	if err != nil {
		return err
	}
	out, err := h.App.Presales.Evaluate(r.Context(), p, r.PathValue("id"), v, body.Evaluation)
	if err != nil {
		return err
	}
	h.requestJSON(w, http.StatusOK, out)
	return nil
}

func (h *API) assignEngineers(w http.ResponseWriter, r *http.Request, p *access.Principal) error {
	var body struct {
		EngineerIDs *[]string   `json:"engineer_ids"`
		Version     json.Number `json:"version"`
	}
	if err := decodeInto(r, &body); err != nil {
		return err
	}
	if body.EngineerIDs == nil {
		return errs.Validation([]errs.FieldError{{Field: "engineer_ids", Code: "required"}})
	}
	v, err := bodyVersion(body.Version)
	if err != nil {
		return err
	}
	out, err := h.App.Presales.Assign(r.Context(), p, r.PathValue("id"), v, *body.EngineerIDs)
	if err != nil {
		return err
	}
	h.requestJSON(w, http.StatusOK, out)
	return nil
}

func (h *API) listWork(w http.ResponseWriter, r *http.Request, p *access.Principal) error {
	items, err := h.App.Presales.Work(r.Context(), p, r.PathValue("id"))
	if err != nil {
		return err
	}
	writeObjects(w, h.App.DB.Schema().Entity("presales_work_record"), items)
	return nil
}

func (h *API) logWork(w http.ResponseWriter, r *http.Request, p *access.Principal) error {
	body, err := readBody(r)
	if err != nil {
		return err
	}
	id := strings.ToLower(r.PathValue("id"))
	if v, ok := body["request_id"]; ok && v != id {
		return errs.Validation([]errs.FieldError{{Field: "request_id", Code: "read_only"}})
	}
	we := h.App.DB.Schema().Entity("presales_work_record")
	rec, err := DecodeRecord(h.App.DB.Schema(), we, body, "request_id")
	if err != nil {
		return err
	}
	out, err := h.App.Presales.LogWork(r.Context(), p, id, rec)
	if err != nil {
		return err
	}
	w.Header().Set("Location", "/api/v1/"+we.Resource+"/"+out.ID())
	httpx.JSON(w, http.StatusCreated, Record(we, out))
	return nil
}

func (h *API) closeRequest(w http.ResponseWriter, r *http.Request, p *access.Principal) error {
	var body struct {
		crm.Closing
		Version json.Number `json:"version"`
	}
	if err := optionalBody(r, &body); err != nil {
		return err
	}
	v, err := bodyVersion(body.Version)
	if err != nil {
		return err
	}
	out, err := h.App.Presales.Close(r.Context(), p, r.PathValue("id"), v, body.Closing)
	if err != nil {
		return err
	}
	h.requestJSON(w, http.StatusOK, out)
	return nil
}

func (h *API) listScores(w http.ResponseWriter, r *http.Request, p *access.Principal) error {
	items, err := h.App.Presales.Scores(r.Context(), p, r.PathValue("id"))
	if err != nil {
		return err
	}
	writeObjects(w, h.App.DB.Schema().Entity("presales_score"), items)
	return nil
}

func (h *API) addScore(w http.ResponseWriter, r *http.Request, p *access.Principal) error {
	var body crm.Score
	if err := decodeInto(r, &body); err != nil {
		return err
	}
	out, err := h.App.Presales.AddScore(r.Context(), p, r.PathValue("id"), body)
	if err != nil {
		return err
	}
	se := h.App.DB.Schema().Entity("presales_score")
	w.Header().Set("Location", "/api/v1/"+se.Resource+"/"+out.ID())
	httpx.JSON(w, http.StatusCreated, Record(se, out))
	return nil
}

func (h *API) presalesAgeing(w http.ResponseWriter, r *http.Request, p *access.Principal) error {
	a, err := h.App.Presales.Ageing(r.Context(), p, time.Now())
	if err != nil {
		return err
	}
	httpx.JSON(w, http.StatusOK, a)
	return nil
}

func (h *API) presalesSummary(w http.ResponseWriter, r *http.Request, p *access.Principal) error {
	q := r.URL.Query()
	for k := range q {
		if k != "month" && k != "group" && k != "format" {
			return errs.Validation([]errs.FieldError{{Field: k, Code: "unknown_field", Args: map[string]any{"field": k}}})
		}
	}
	month := q.Get("month")
	if month == "" {
		month = time.Now().In(h.App.Loc).Format("2006-01")
	}
	format := q.Get("format")
	if format != "" && format != "json" && format != string(sheet.CSV) && format != string(sheet.XLSX) {
		return errs.Validation([]errs.FieldError{{Field: "format", Code: "invalid_option", Args: map[string]any{"value": format}}})
	}
	sum, err := h.App.Presales.Summary(r.Context(), p, month, q.Get("group"))
	if err != nil {
		return err
	}
	if format == "" || format == "json" {
		httpx.JSON(w, http.StatusOK, sum)
		return nil
	}
	var buf bytes.Buffer
	if err := presales.WriteSummary(&buf, sheet.Format(format), sum, httpx.Lang(r)); err != nil {
		return err
	}
	WriteDownload(w, fmt.Sprintf("presales-summary-%s-%s.%s", sum.Month, sum.Group, format), sheet.Format(format), buf.Bytes())
	return nil
}

// writeObjects answers a list of records of e as {"items": [...]}.
func writeObjects(w http.ResponseWriter, e *entity.Entity, items []entity.Record) {
	out := make([]Object, len(items))
	for i, it := range items {
		out[i] = Record(e, it)
	}
	httpx.JSON(w, http.StatusOK, map[string]any{"items": out})
}
