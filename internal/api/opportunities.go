package api

import (
	"encoding/json"
	"net/http"
	"strconv"
	"time"

	"closeloop/internal/access"
	"closeloop/internal/errs"
	"closeloop/internal/httpx"
	"closeloop/internal/presales"
)

func init() {
	areaRoutes = append(areaRoutes, func(h *API, m *http.ServeMux) {
		m.HandleFunc("POST /api/v1/opportunities/{id}/stage", h.authed(h.moveStage))
		m.HandleFunc("POST /api/v1/opportunities/{id}/win", h.authed(h.winOpportunity))
		m.HandleFunc("POST /api/v1/opportunities/{id}/lose", h.authed(h.loseOpportunity))
		m.HandleFunc("POST /api/v1/opportunities/{id}/reopen", h.authed(h.reopenOpportunity))
		m.HandleFunc("GET /api/v1/opportunities/board", h.authed(h.board))
		m.HandleFunc("GET /api/v1/reports/funnel", h.authed(h.funnel))
		m.HandleFunc("GET /api/v1/reports/forecast", h.authed(h.forecast))
	})
	areaPaths = append(areaPaths, opportunityPaths)
}

func (h *API) moveStage(w http.ResponseWriter, r *http.Request, p *access.Principal) error {
	var body struct {
		Stage   string      `json:"stage"`
		Version json.Number `json:"version"`
	}
	if err := decodeInto(r, &body); err != nil {
		return err
	}
	if body.Stage == "" {
		return errs.Validation([]errs.FieldError{{Field: "stage", Code: "required"}})
	}
	version, err := bodyVersion(body.Version)
	if err != nil {
		return err
	}
	rec, err := h.App.Presales.MoveStage(r.Context(), p, r.PathValue("id"), body.Stage, version)
	if err != nil {
		return err
	}
	httpx.JSON(w, http.StatusOK, Record(h.App.DB.Schema().Entity("opportunity"), rec))
	return nil
}

func (h *API) winOpportunity(w http.ResponseWriter, r *http.Request, p *access.Principal) error {
	var body struct {
		Note string `json:"note"`
	}
	if err := optionalBody(r, &body); err != nil {
		return err
	}
	rec, err := h.App.Presales.Win(r.Context(), p, r.PathValue("id"), body.Note)
	if err != nil {
		return err
	}
	httpx.JSON(w, http.StatusOK, Record(h.App.DB.Schema().Entity("opportunity"), rec))
	return nil
}

func (h *API) loseOpportunity(w http.ResponseWriter, r *http.Request, p *access.Principal) error {
	var body presales.LoseInput
	if err := decodeInto(r, &body); err != nil {
		return err
	}
	rec, err := h.App.Presales.Lose(r.Context(), p, r.PathValue("id"), body)
	if err != nil {
		return err
	}
	httpx.JSON(w, http.StatusOK, Record(h.App.DB.Schema().Entity("opportunity"), rec))
	return nil
}

func (h *API) reopenOpportunity(w http.ResponseWriter, r *http.Request, p *access.Principal) error {
	rec, err := h.App.Presales.Reopen(r.Context(), p, r.PathValue("id"))
	if err != nil {
		return err
	}
	httpx.JSON(w, http.StatusOK, Record(h.App.DB.Schema().Entity("opportunity"), rec))
	return nil
}

func dealFilter(r *http.Request) presales.DealFilter {
	q := r.URL.Query()
	return presales.DealFilter{PipelineID: q.Get("pipeline_id"), OwnerID: q.Get("owner_id"), TeamID: q.Get("team_id")}
}

func (h *API) board(w http.ResponseWriter, r *http.Request, p *access.Principal) error {
	per := 20
	if v := r.URL.Query().Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > 200 {
			return errs.Validation([]errs.FieldError{{Field: "limit", Code: "out_of_range", Args: map[string]any{"min": 1, "max": 200}}})
		}
		per = n
	}
	cols, err := h.App.Presales.Board(r.Context(), p, dealFilter(r), per)
	if err != nil {
		return err
	}
	// Written by hand like the lists: through encoding/json, every card's
	// JSON would be validated and compacted again after AppendJSON made
	// it (a fifth of the board's CPU).
	oe := h.App.DB.Schema().Entity("opportunity").Subset(presales.CardFields...)
	b := make([]byte, 0, 64<<10)
	b = append(b, `{"columns":[`...)
	for i, c := range cols {
		if i > 0 {
			b = append(b, ',')
		}
		head, err := json.Marshal(c.StageTotal)
		if err != nil {
			return err
		}
		b = append(b, head[:len(head)-1]...)
		b = append(b, `,"cards":[`...)
		for j, rec := range c.Cards {
			if j > 0 {
				b = append(b, ',')
			}
			b = Record(oe, rec).AppendJSON(b)
		}
		b = append(b, `],"more":`...)
		b = strconv.AppendBool(b, c.More)
		b = append(b, '}')
	}
	writeRaw(w, http.StatusOK, append(b, "]}\n"...))
	return nil
}

func (h *API) funnel(w http.ResponseWriter, r *http.Request, p *access.Principal) error {
	stages, err := h.App.Presales.Funnel(r.Context(), p, dealFilter(r))
	if err != nil {
		return err
	}
	httpx.JSON(w, http.StatusOK, map[string]any{"stages": stages})
	return nil
}

func (h *API) forecast(w http.ResponseWriter, r *http.Request, p *access.Principal) error {
	q := r.URL.Query()
	from := time.Now().In(h.App.Loc)
	if v := q.Get("from"); v != "" {
		t, err := time.Parse("2006-01", v)
		if err != nil {
			return errs.Validation([]errs.FieldError{{Field: "from", Code: "invalid_month"}})
		}
		from = t
	}
	months := 6
	if v := q.Get("months"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil {
			return errs.Validation([]errs.FieldError{{Field: "months", Code: "out_of_range", Args: map[string]any{"min": 1, "max": 36}}})
		}
		months = n
	}
	rows, err := h.App.Presales.Forecast(r.Context(), p, dealFilter(r), from, months, q.Get("group"))
	if err != nil {
		return err
	}
	if rows == nil {
		rows = []presales.ForecastRow{}
	}
	httpx.JSON(w, http.StatusOK, map[string]any{"months": presales.Months(from, months), "rows": rows})
	return nil
}

func opportunityPaths(paths obj) {
	idOnly := []obj{idParam}
	okOpp := obj{"200": obj{"description": "the opportunity after the change", "content": jsonContent(ref("Opportunity"))}}
	post := func(summary, op string, body obj) obj {
		o := obj{"tags": []string{"opportunities"}, "summary": summary, "operationId": op, "responses": withResponses(okOpp, "401", "403", "404", "409", "422")}
		if body != nil {
			o["requestBody"] = obj{"required": true, "content": jsonContent(body)}
		}
		return o
	}
	paths["/api/v1/opportunities/{id}/stage"] = obj{"parameters": idOnly, "post": post(
		"Move to a stage of its pipeline. A gate that is not met answers 422 with code gate_<gate> (gate_needs_analysis, gate_solution_submitted, gate_solution_approved, gate_quote, gate_primary_contact, gate_bid, gate_fields), the missing fields in errors and every failure in data; skipping stages forward is a manager's right (stage_skip_denied).",
		"moveOpportunityStage", obj{"type": "object", "required": []string{"stage"}, "additionalProperties": false, "properties": obj{
			"stage":   obj{"type": "string", "description": "stage code, e.g. solution_design"},
			"version": obj{"type": "integer", "description": "the version you saw; a stale one answers 409"}}})}
	paths["/api/v1/opportunities/{id}/win"] = obj{"parameters": idOnly, "post": post("Close as won (the customer becomes 成交)", "winOpportunity",
		obj{"type": "object", "additionalProperties": false, "properties": obj{"note": obj{"type": "string", "maxLength": 2000}}})}
	paths["/api/v1/opportunities/{id}/lose"] = obj{"parameters": idOnly, "post": post("Close as lost with a reason and, optionally, the competitor that won", "loseOpportunity",
		obj{"type": "object", "required": []string{"reason"}, "additionalProperties": false, "properties": obj{
			"reason":        obj{"type": "string", "description": "a loss_reason code"},
			"competitor_id": obj{"type": "string", "format": "uuid"},
			"note":          obj{"type": "string", "maxLength": 2000}}})}
	paths["/api/v1/opportunities/{id}/reopen"] = obj{"parameters": idOnly, "post": post("Reopen a closed opportunity (managers)", "reopenOpportunity", nil)}
	filters := []obj{
		{"name": "pipeline_id", "in": "query", "schema": obj{"type": "string", "format": "uuid"}, "description": "default: the default pipeline"},
		{"name": "owner_id", "in": "query", "schema": obj{"type": "string", "format": "uuid"}},
		{"name": "team_id", "in": "query", "schema": obj{"type": "string", "format": "uuid"}, "description": "the team and its sub-teams"},
	}
	money := obj{"type": "object", "description": "minor units (分) per currency; currencies are never added up", "additionalProperties": obj{"type": "integer"}}
	stageTotal := obj{"type": "object", "properties": obj{"stage": obj{"type": "object"}, "count": obj{"type": "integer"}, "amount": money, "weighted": money}}
	get := func(summary, op string, params []obj, schema obj) obj {
		return obj{"get": obj{"tags": []string{"opportunities"}, "summary": summary, "operationId": op, "parameters": params,
			"responses": withResponses(obj{"200": obj{"description": "ok", "content": jsonContent(schema)}}, "401", "403", "422")}}
	}
	card := obj{"type": "object", "description": "the fields of an Opportunity a card shows: id, version, name, customer_id, amount, currency, expected_close_date, stage_id, stage, probability, status, next_step, next_step_due, owner_id, team_id, updated_at"}
	paths["/api/v1/opportunities/board"] = get("Kanban columns of a pipeline's open deals: totals, weighted totals and the most recently updated cards per stage", "opportunityBoard",
		append(filters, obj{"name": "limit", "in": "query", "schema": obj{"type": "integer", "minimum": 1, "maximum": 200, "default": 20}, "description": "cards per column"}),
		obj{"type": "object", "properties": obj{"columns": obj{"type": "array", "items": obj{"allOf": []obj{stageTotal, {"type": "object", "properties": obj{
			"cards": obj{"type": "array", "items": card}, "more": obj{"type": "boolean"}}}}}}}})
	paths["/api/v1/reports/funnel"] = get("Open pipeline by stage: count, amount and weighted amount", "funnel", filters,
		obj{"type": "object", "properties": obj{"stages": obj{"type": "array", "items": stageTotal}}})
	paths["/api/v1/reports/forecast"] = get("Open pipeline by expected close month, raw and weighted, in total or per owner or team", "forecast",
		append(filters,
			obj{"name": "from", "in": "query", "schema": obj{"type": "string", "pattern": `^\d{4}-\d{2}$`}, "description": "first month, default this month"},
			obj{"name": "months", "in": "query", "schema": obj{"type": "integer", "minimum": 1, "maximum": 36, "default": 6}},
			obj{"name": "group", "in": "query", "schema": obj{"type": "string", "enum": []string{"", "owner", "team"}}}),
		obj{"type": "object", "properties": obj{"months": obj{"type": "array", "items": obj{"type": "string"}}, "rows": obj{"type": "array", "items": obj{"type": "object", "properties": obj{
			"month": obj{"type": "string"}, "group": obj{"type": "string"}, "count": obj{"type": "integer"}, "amount": money, "weighted": money}}}}})
}
