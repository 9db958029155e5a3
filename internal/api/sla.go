package api

import (
	"net/http"
	"strconv"

	"closeloop/internal/access"
	"closeloop/internal/errs"
	"closeloop/internal/httpx"
)

// The SLA over HTTP: policies and calendars are generic resources
// (sla-policies, calendars, calendar-days); here are a calendar's year
// (every day that is not ordinary for its weekday) and a ticket's SLA
// (policy, both clocks with business time used and left, pauses, state,
// history).

func init() {
	areaRoutes = append(areaRoutes, func(h *API, m *http.ServeMux) {
		m.HandleFunc("GET /api/v1/calendars/{id}/year/{year}", h.authed(h.calendarYear))
		m.HandleFunc("GET /api/v1/tickets/{id}/sla", h.authed(h.ticketSLA))
	})
	areaPaths = append(areaPaths, slaPaths)
}

func (h *API) calendarYear(w http.ResponseWriter, r *http.Request, p *access.Principal) error {
	year, err := strconv.Atoi(r.PathValue("year"))
	if err != nil {
		return errs.Validation([]errs.FieldError{{Field: "year", Code: "sla_bad_year"}})
	}
	v, err := h.App.SLA.Year(r.Context(), p, r.PathValue("id"), year)
	if err != nil {
		return err
	}
	httpx.JSON(w, http.StatusOK, v)
	return nil
}

func (h *API) ticketSLA(w http.ResponseWriter, r *http.Request, p *access.Principal) error {
	v, err := h.App.SLA.Ticket(r.Context(), p, r.PathValue("id"))
	if err != nil {
		return err
	}
	httpx.JSON(w, http.StatusOK, v)
	return nil
}

func slaPaths(paths obj) {
	day := obj{"type": "object", "properties": obj{
		"date": obj{"type": "string", "format": "date"}, "kind": obj{"type": "string", "enum": []string{"holiday", "workday"}},
		"work":     obj{"type": "boolean", "description": "whether the day is worked in the end"},
		"source":   obj{"type": "string", "enum": []string{"official", "correction"}, "description": "the official holiday table (lunar-go HolidayUtil) or an admin's calendar-day"},
		"name":     obj{"type": "string", "description": "the holiday (春节, 国庆节 …) or the correction's note"},
		"official": obj{"type": "string", "description": "for a correction: what the official table says of that date"}}}
	year := obj{"type": "object", "properties": obj{
		"calendar_id": obj{"type": "string", "format": "uuid"}, "name": obj{"type": "string"}, "year": obj{"type": "integer"},
		"time_zone": obj{"type": "string"}, "work_start": obj{"type": "string"}, "work_end": obj{"type": "string"}, "official_holidays": obj{"type": "boolean"},
		"days":        obj{"type": "array", "items": day},
		"corrections": obj{"type": "object", "additionalProperties": obj{"type": "string"}, "description": "corrected date → calendar-day id (DELETE /api/v1/calendar-days/{id} removes it)"}}}
	paths["/api/v1/calendars/{id}/year/{year}"] = obj{
		"parameters": []obj{idParam, {"name": "year", "in": "path", "required": true, "schema": obj{"type": "integer", "minimum": 1970, "maximum": 2100}}},
		"get": obj{"tags": []string{"calendars"}, "operationId": "calendarYear",
			"summary":   "A business calendar's year: official holidays, 调休 make-up working days and the admin's corrections, in date order (422 sla_bad_year)",
			"responses": withResponses(obj{"200": obj{"description": "the year", "content": jsonContent(year)}}, "401", "404", "422")}}
	clock := obj{"type": "object", "properties": obj{
		"clock": obj{"type": "string", "enum": []string{"first_response", "resolution"}}, "target_minutes": obj{"type": "integer", "description": "business minutes"},
		"due_at": obj{"type": "string", "format": "date-time"}, "stopped_at": obj{"type": "string", "format": "date-time"}, "running": obj{"type": "boolean"},
		"elapsed_minutes":   obj{"type": "integer", "description": "business minutes used (paused time not counted)"},
		"remaining_minutes": obj{"type": "integer", "description": "business minutes left, negative once overdue"},
		"met":               obj{"type": "boolean", "description": "once stopped: whether in time"}}}
	event := obj{"type": "object", "properties": obj{
		"at":    obj{"type": "string", "format": "date-time"},
		"kind":  obj{"type": "string", "enum": []string{"started", "paused", "resumed", "first_response", "warned", "breached", "escalated", "resolved", "closed"}},
		"level": obj{"type": "integer"}, "clock": obj{"type": "string"}, "minutes": obj{"type": "integer", "description": "business minutes a pause lasted"},
		"notified": obj{"type": "array", "items": obj{"type": "string", "format": "uuid"}}}}
	view := obj{"type": "object", "properties": obj{
		"ticket_id": obj{"type": "string", "format": "uuid"}, "policy_id": obj{"type": "string", "format": "uuid"}, "policy_name": obj{"type": "string"},
		"calendar_id": obj{"type": "string", "format": "uuid"}, "calendar_name": obj{"type": "string"},
		"state": obj{"type": "string", "enum": []string{"ok", "warning", "breached", "paused"}}, "cycle": obj{"type": "integer", "description": "0, +1 on each reopen"},
		"escalation_level": obj{"type": "integer"}, "paused_at": obj{"type": "string", "format": "date-time"},
		"paused_minutes": obj{"type": "integer", "description": "business minutes paused in all"}, "warn_percent": obj{"type": "integer"},
		"clocks": obj{"type": "array", "items": clock}, "events": obj{"type": "array", "items": event}}}
	paths["/api/v1/tickets/{id}/sla"] = obj{"parameters": []obj{idParam},
		"get": obj{"tags": []string{"tickets"}, "operationId": "ticketSLA",
			"summary":   "A ticket's SLA: policy, first-response and resolution clocks with business time used and left, pauses, state, warnings, breach and escalations",
			"responses": withResponses(obj{"200": obj{"description": "the SLA", "content": jsonContent(view)}}, "401", "404")}}
}
