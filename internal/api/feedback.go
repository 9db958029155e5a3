package api

import (
	"bytes"
	"fmt"
	"net/http"
	"time"

	"closeloop/internal/access"
	"closeloop/internal/crm"
	"closeloop/internal/errs"
	"closeloop/internal/feedback"
	"closeloop/internal/httpx"
	"closeloop/internal/i18n"
	"closeloop/internal/sheet"
)

// The feedback loop: the cause review and the survey results (with their
// exports), creating an improvement item from a row of the review and
// stepping it, a knowledge article from a resolved ticket, and a fresh
// survey link to copy. The records themselves (improvement-items,
// return-visits, surveys …) have the generic endpoints.

func init() {
	areaRoutes = append(areaRoutes, func(h *API, m *http.ServeMux) {
		m.HandleFunc("GET /api/v1/reports/ticket-causes", h.authed(h.causeReview))
		m.HandleFunc("GET /api/v1/reports/ticket-causes/export", h.authed(h.causeReviewExport))
		m.HandleFunc("GET /api/v1/reports/surveys", h.authed(h.surveyResults))
		m.HandleFunc("GET /api/v1/reports/surveys/export", h.authed(h.surveyResultsExport))
		m.HandleFunc("POST /api/v1/improvement-items/from-review", h.authed(h.improvementFromReview))
		m.HandleFunc("POST /api/v1/improvement-items/{id}/step", h.authed(h.improvementStep))
		m.HandleFunc("POST /api/v1/tickets/{id}/knowledge-article", h.authed(h.ticketArticle))
		m.HandleFunc("POST /api/v1/surveys/{id}/link", h.authed(h.surveyLink))
	})
	areaPaths = append(areaPaths, feedbackPaths)
}

func (h *API) causeReview(w http.ResponseWriter, r *http.Request, p *access.Principal) error {
	q, err := feedback.ParseReportQuery(r.URL.Query().Get, crm.CauseGroups)
	if err != nil {
		return h.labelled(w, r, err, "fb.field.")
	}
	rep, err := h.App.Feedback.CauseReview(r.Context(), p, q)
	if err != nil {
		return err
	}
	// Rows are named as in the export: a cause by its label in the
	// caller's language, not by its code.
	label := CauseLabel(h, httpx.Lang(r), q.Group)
	for i := range rep.Rows {
		rep.Rows[i].Label = label(rep.Rows[i])
	}
	httpx.JSON(w, http.StatusOK, rep)
	return nil
}

func exportFormat(r *http.Request) (sheet.Format, error) {
	format := sheet.Format(r.URL.Query().Get("format"))
	if format == "" {
		format = sheet.CSV
	}
	if format != sheet.CSV && format != sheet.XLSX {
		return "", errs.Validation([]errs.FieldError{{Field: "format", Code: "invalid_option", Args: map[string]any{"value": string(format)}}})
	}
	return format, nil
}

// CauseLabel names a row of the cause review in lang (a cause by its
// picklist label; "none" for tickets without one).
func CauseLabel(h *API, lang i18n.Lang, group string) func(feedback.CauseRow) string {
	return func(r feedback.CauseRow) string {
		if r.Key == "" {
			return i18n.Msg(lang, "fb.none")
		}
		if group == "cause" {
			if f := h.App.DB.Schema().Entity("ticket").Field("cause"); f != nil {
				return h.App.DB.Schema().OptionLabel(f, r.Key, lang)
			}
		}
		return r.Label
	}
}

func (h *API) causeReviewExport(w http.ResponseWriter, r *http.Request, p *access.Principal) error {
	format, err := exportFormat(r)
	if err != nil {
		return err
	}
	q, err := feedback.ParseReportQuery(r.URL.Query().Get, crm.CauseGroups)
	if err != nil {
		return h.labelled(w, r, err, "fb.field.")
	}
	if !p.Perm("ticket").Export {
		return errs.Denied()
	}
	rep, err := h.App.Feedback.CauseReview(r.Context(), p, q)
	if err != nil {
		return err
	}
	var buf bytes.Buffer
	if err := h.App.Feedback.WriteCauseReview(r.Context(), p, rep, CauseLabel(h, httpx.Lang(r), q.Group), format, httpx.Lang(r), &buf); err != nil {
		return err
	}
	WriteDownload(w, fmt.Sprintf("ticket-causes-%s.%s", time.Now().In(h.App.Loc).Format("20060102-1504"), format), format, buf.Bytes())
	return nil
}

func (h *API) surveyResults(w http.ResponseWriter, r *http.Request, p *access.Principal) error {
	q, err := feedback.ParseReportQuery(r.URL.Query().Get, crm.SurveyGroups)
	if err != nil {
		return h.labelled(w, r, err, "fb.field.")
	}
	rep, err := h.App.Feedback.SurveyResults(r.Context(), p, q)
	if err != nil {
		return err
	}
	httpx.JSON(w, http.StatusOK, rep)
	return nil
}

func (h *API) surveyResultsExport(w http.ResponseWriter, r *http.Request, p *access.Principal) error {
	format, err := exportFormat(r)
	if err != nil {
		return err
	}
	q, err := feedback.ParseReportQuery(r.URL.Query().Get, crm.SurveyGroups)
	if err != nil {
		return h.labelled(w, r, err, "fb.field.")
	}
	if !p.Perm("survey").Export {
		return errs.Denied()
	}
	rep, err := h.App.Feedback.SurveyResults(r.Context(), p, q)
	if err != nil {
		return err
	}
	l := httpx.Lang(r)
	label := func(row feedback.SurveyRow) string {
		if row.Label == "" {
			return i18n.Msg(l, "fb.none")
		}
		return row.Label
	}
	var buf bytes.Buffer
	if err := h.App.Feedback.WriteSurveyResults(r.Context(), p, rep, label, format, l, &buf); err != nil {
		return err
	}
	WriteDownload(w, fmt.Sprintf("survey-results-%s.%s", time.Now().In(h.App.Loc).Format("20060102-1504"), format), format, buf.Bytes())
	return nil
}

// reviewItem is an improvement item asked from a row of the cause review:
// the item, and the review's filters and row (cause, product, customer)
// whose tickets are linked.
type reviewItem struct {
	feedback.NewItem
	From       string `json:"from"`
	To         string `json:"to"`
	Kind       string `json:"kind"`
	TeamID     string `json:"team_id"`
	CustomerID string `json:"customer_id"`
}

func (h *API) improvementFromReview(w http.ResponseWriter, r *http.Request, p *access.Principal) error {
	var in reviewItem
	if err := decodeInto(r, &in); err != nil {
		return err
	}
	q, err := feedback.ParseReportQuery(func(k string) string {
		return map[string]string{"from": in.From, "to": in.To, "kind": in.Kind, "team_id": in.TeamID}[k]
	}, crm.CauseGroups)
	if err != nil {
		return h.labelled(w, r, err, "fb.field.")
	}
	if len(in.TicketIDs) == 0 && (in.Cause != "" || in.ProductID != "" || in.CustomerID != "") {
		ids, err := h.App.Feedback.CauseTickets(r.Context(), p, q, in.Cause, in.ProductID, in.CustomerID)
		if err != nil {
			return err
		}
		in.TicketIDs = ids
	}
	out, err := h.App.Feedback.CreateItem(r.Context(), p, in.NewItem)
	if err != nil {
		return h.labelled(w, r, err, "fb.field.")
	}
	httpx.JSON(w, http.StatusCreated, Record(h.App.DB.Schema().Entity("improvement_item"), out))
	return nil
}

func (h *API) improvementStep(w http.ResponseWriter, r *http.Request, p *access.Principal) error {
	var in feedback.ItemStep
	if err := decodeInto(r, &in); err != nil {
		return err
	}
	out, err := h.App.Feedback.StepItem(r.Context(), p, r.PathValue("id"), in)
	if err != nil {
		return h.labelled(w, r, err, "fb.field.")
	}
	httpx.JSON(w, http.StatusOK, Record(h.App.DB.Schema().Entity("improvement_item"), out))
	return nil
}

func (h *API) ticketArticle(w http.ResponseWriter, r *http.Request, p *access.Principal) error {
	out, created, err := h.App.Feedback.KnowledgeArticle(r.Context(), p, r.PathValue("id"))
	if err != nil {
		return err
	}
	status := http.StatusOK
	if created {
		status = http.StatusCreated
	}
	httpx.JSON(w, status, Record(h.App.DB.Schema().Entity("knowledge_article"), out))
	return nil
}

func (h *API) surveyLink(w http.ResponseWriter, r *http.Request, p *access.Principal) error {
	l, err := h.App.Feedback.CopyLink(r.Context(), p, r.PathValue("id"))
	if err != nil {
		return err
	}
	if l.URL == "" {
		l.URL = h.absoluteURL(r, l.Path)
	}
	httpx.JSON(w, http.StatusCreated, l)
	return nil
}

func feedbackPaths(paths obj) {
	tag := func(t string) []string { return []string{t} }
	groupParam := func(groups []string) obj {
		return obj{"name": "group", "in": "query", "schema": obj{"type": "string", "enum": groups, "default": groups[0]}}
	}
	common := []obj{
		{"name": "from", "in": "query", "description": "on or after (date)", "schema": obj{"type": "string", "format": "date"}},
		{"name": "to", "in": "query", "description": "on or before (date)", "schema": obj{"type": "string", "format": "date"}},
		{"name": "kind", "in": "query", "description": "ticket kind", "schema": obj{"type": "string"}},
		{"name": "team_id", "in": "query", "description": "the team and its sub-teams", "schema": obj{"type": "string", "format": "uuid"}},
	}
	formatParam := obj{"name": "format", "in": "query", "schema": obj{"type": "string", "enum": []string{"csv", "xlsx"}, "default": "csv"}}
	file := obj{"description": "the file", "content": obj{"text/csv": obj{"schema": obj{"type": "string"}},
		"application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": obj{"schema": obj{"type": "string", "format": "binary"}}}}
	causeRow := obj{"type": "object", "properties": obj{"key": obj{"type": "string"}, "label": obj{"type": "string"}, "count": obj{"type": "integer"},
		"share": obj{"type": "number"}, "months": obj{"type": "object", "additionalProperties": obj{"type": "integer"}}}}
	paths["/api/v1/reports/ticket-causes"] = obj{"get": obj{"tags": tag("tickets"), "operationId": "ticketCauses",
		"summary":    "Cause review: resolved tickets (by resolution date) per cause, product or customer and per month — only tickets the caller may see",
		"parameters": append([]obj{groupParam(crm.CauseGroups)}, common...),
		"responses": withResponses(obj{"200": obj{"description": "the review", "content": jsonContent(obj{"type": "object", "properties": obj{
			"group": obj{"type": "string"}, "months": obj{"type": "array", "items": obj{"type": "string"}}, "rows": obj{"type": "array", "items": causeRow},
			"total": obj{"type": "integer"}, "per_month": obj{"type": "object", "additionalProperties": obj{"type": "integer"}}}})}}, "401", "403", "422")}}
	paths["/api/v1/reports/ticket-causes/export"] = obj{"get": obj{"tags": tag("tickets"), "operationId": "exportTicketCauses", "summary": "The cause review as CSV or XLSX",
		"parameters": append([]obj{formatParam, groupParam(crm.CauseGroups)}, common...), "responses": withResponses(obj{"200": file}, "401", "403", "422")}}
	surveyRow := obj{"type": "object", "properties": obj{"key": obj{"type": "string"}, "label": obj{"type": "string"}, "surveys": obj{"type": "integer"},
		"sent": obj{"type": "integer"}, "answered": obj{"type": "integer"}, "response_rate": obj{"type": "number"}, "avg_satisfaction": obj{"type": "number"},
		"promoters": obj{"type": "integer"}, "passives": obj{"type": "integer"}, "detractors": obj{"type": "integer"},
		"nps": obj{"type": "number", "description": "% promoters (9–10) − % detractors (0–6)"}, "low_scores": obj{"type": "integer"}}}
	paths["/api/v1/reports/surveys"] = obj{"get": obj{"tags": tag("surveys"), "operationId": "surveyResults",
		"summary":    "Survey results per agent, team, product or month: average satisfaction, NPS, response rate. Service agents see their team's surveys, service managers all",
		"parameters": append([]obj{groupParam(crm.SurveyGroups)}, common...),
		"responses": withResponses(obj{"200": obj{"description": "the results", "content": jsonContent(obj{"type": "object", "properties": obj{
			"group": obj{"type": "string"}, "scope": obj{"type": "string", "enum": []string{"own", "team", "all"}}, "rows": obj{"type": "array", "items": surveyRow}, "total": surveyRow}})}}, "401", "403", "422")}}
	paths["/api/v1/reports/surveys/export"] = obj{"get": obj{"tags": tag("surveys"), "operationId": "exportSurveyResults", "summary": "The survey results as CSV or XLSX",
		"parameters": append([]obj{formatParam, groupParam(crm.SurveyGroups)}, common...), "responses": withResponses(obj{"200": file}, "401", "403", "422")}}
	paths["/api/v1/improvement-items/from-review"] = obj{"post": obj{"tags": tag("improvement-items"), "operationId": "improvementFromReview",
		"summary": "Create an improvement item routed to its owner (notified), linking the resolved tickets of a cause-review row (cause, product_id, customer_id with the review's from/to/kind/team_id) or the ticket_ids given",
		"requestBody": obj{"required": true, "content": jsonContent(obj{"type": "object", "required": []string{"title"}, "properties": obj{
			"title": obj{"type": "string"}, "description": obj{"type": "string"}, "cause": obj{"type": "string"}, "product_id": obj{"type": "string", "format": "uuid"},
			"owner_id": obj{"type": "string", "format": "uuid"}, "due_date": obj{"type": "string", "format": "date"},
			"ticket_ids":  obj{"type": "array", "items": obj{"type": "string", "format": "uuid"}, "maxItems": feedback.MaxLinkedTickets},
			"customer_id": obj{"type": "string", "format": "uuid"}, "from": obj{"type": "string", "format": "date"}, "to": obj{"type": "string", "format": "date"},
			"kind": obj{"type": "string"}, "team_id": obj{"type": "string", "format": "uuid"}}})},
		"responses": withResponses(obj{"201": obj{"description": "the item", "content": jsonContent(ref("ImprovementItem"))}}, "401", "403", "422")}}
	paths["/api/v1/improvement-items/{id}/step"] = obj{"parameters": []obj{idParam}, "post": obj{"tags": tag("improvement-items"), "operationId": "stepImprovementItem",
		"summary": "Step an improvement item: start (open → in_progress), done, verify (done → verified), drop (with reason, any status before verified), reopen; a step not open from the status answers 422 improvement_step_invalid",
		"requestBody": obj{"required": true, "content": jsonContent(obj{"type": "object", "required": []string{"step"}, "properties": obj{
			"step": obj{"type": "string", "enum": []string{"start", "done", "verify", "drop", "reopen"}}, "reason": obj{"type": "string"}, "version": obj{"type": "integer"}}})},
		"responses": withResponses(obj{"200": obj{"description": "the item", "content": jsonContent(ref("ImprovementItem"))}}, "401", "403", "404", "409", "422")}}
	paths["/api/v1/tickets/{id}/knowledge-article"] = obj{"parameters": []obj{idParam}, "post": obj{"tags": tag("tickets"), "operationId": "ticketKnowledgeArticle",
		"summary":   "Turn a resolved or closed ticket into a draft knowledge article (subject, description, resolution; the ticket number in the body and tags). One per ticket: asking again answers 200 with the same article; a ticket not resolved answers 422 ticket_not_resolved",
		"responses": withResponses(obj{"201": obj{"description": "the new article", "content": jsonContent(ref("KnowledgeArticle"))}, "200": obj{"description": "the article made before", "content": jsonContent(ref("KnowledgeArticle"))}}, "401", "403", "404", "422")}}
	paths["/api/v1/surveys/{id}/link"] = obj{"parameters": []obj{idParam}, "post": obj{"tags": tag("surveys"), "operationId": "surveyLink",
		"summary": "A fresh one-time link to the survey to send by hand (WeChat); the token is shown once. An answered or expired survey answers 422",
		"responses": withResponses(obj{"201": obj{"description": "the link", "content": jsonContent(obj{"type": "object", "properties": obj{
			"path": obj{"type": "string"}, "url": obj{"type": "string"}, "expires_at": obj{"type": "string", "format": "date-time"}}})}}, "401", "403", "404", "422")}}
}
