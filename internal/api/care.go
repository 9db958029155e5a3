package api

import (
	"net/http"
	"strings"
	"time"

	"closeloop/internal/access"
	"closeloop/internal/care"
	"closeloop/internal/crm"
	"closeloop/internal/errs"
	"closeloop/internal/httpx"
)

// Care and opportunities from service over HTTP: an opportunity raised
// from a ticket, visit, return visit, survey or care reminder
// (POST /api/v1/{resource}/{id}/opportunity; a second call answers 409
// opportunity_already_raised with the existing id in data.opportunity_id),
// a care reminder's greeting and its done/skip steps, the signals list,
// the care settings, and planning run by hand (administrators). The
// reminders and rules themselves are the generic resources care-reminders
// and care-rules.

// careOriginPaths are the API resources of the origin records, as the
// issue's contract names them; a part that declares its record under
// another resource name gets that path too.
var careOriginPaths = map[string]string{"ticket": "tickets", "service_visit": "visits", "return_visit": "return-visits", "survey": "surveys", "care_reminder": "care-reminders"}

func init() {
	areaRoutes = append(areaRoutes, func(h *API, m *http.ServeMux) {
		for _, e := range h.App.Care.Origins() {
			seen := map[string]bool{}
			for _, res := range []string{careOriginPaths[e.Name], e.Resource} {
				if res == "" || seen[res] {
					continue
				}
				seen[res] = true
				m.HandleFunc("POST /api/v1/"+res+"/{id}/opportunity", h.authed(h.raiseOpportunity(e.Name)))
			}
		}
		m.HandleFunc("POST /api/v1/care-reminders/{id}/greeting", h.authed(h.careGreeting))
		m.HandleFunc("POST /api/v1/care-reminders/{id}/done", h.authed(h.careStatus(crm.CareDone)))
		m.HandleFunc("POST /api/v1/care-reminders/{id}/skip", h.authed(h.careStatus(crm.CareSkipped)))
		m.HandleFunc("POST /api/v1/care/plan", h.authed(h.carePlan))
		m.HandleFunc("GET /api/v1/care/settings", h.authed(h.careSettings))
		m.HandleFunc("PUT /api/v1/care/settings", h.authed(h.putCareSettings))
		m.HandleFunc("GET /api/v1/service/signals", h.authed(h.serviceSignals))
	})
	areaPaths = append(areaPaths, carePaths)
}

func (h *API) raiseOpportunity(entityName string) handler {
	return func(w http.ResponseWriter, r *http.Request, p *access.Principal) error {
		var in care.RaiseInput
		if err := optionalBody(r, &in); err != nil {
			return err
		}
		opp, origin, err := h.App.Care.Raise(r.Context(), p, entityName, r.PathValue("id"), in)
		if err != nil {
			return err
		}
		s := h.App.DB.Schema()
		httpx.JSON(w, http.StatusCreated, map[string]any{"opportunity": Record(s.Entity("opportunity"), h.App.Records.Present(p, s.Entity("opportunity"), opp)),
			"origin": Record(s.Entity(entityName), h.App.Records.Present(p, s.Entity(entityName), origin))})
		return nil
	}
}

func (h *API) careGreeting(w http.ResponseWriter, r *http.Request, p *access.Principal) error {
	rec, err := h.App.Care.SendGreeting(r.Context(), p, r.PathValue("id"))
	if err != nil {
		return err
	}
	e := h.App.DB.Schema().Entity("care_reminder")
	httpx.JSON(w, http.StatusOK, Record(e, h.App.Records.Present(p, e, rec)))
	return nil
}

func (h *API) careStatus(status string) handler {
	return func(w http.ResponseWriter, r *http.Request, p *access.Principal) error {
		var body struct {
			Note string `json:"note"`
		}
		if err := optionalBody(r, &body); err != nil {
			return err
		}
		if len([]rune(body.Note)) > 2000 {
			return errs.Validation([]errs.FieldError{{Field: "note", Code: "too_long", Args: map[string]any{"max": 2000}}})
		}
		rec, err := h.App.Care.SetStatus(r.Context(), p, r.PathValue("id"), status, body.Note)
		if err != nil {
			return err
		}
		e := h.App.DB.Schema().Entity("care_reminder")
		httpx.JSON(w, http.StatusOK, Record(e, h.App.Records.Present(p, e, rec)))
		return nil
	}
}

func (h *API) carePlan(w http.ResponseWriter, r *http.Request, p *access.Principal) error {
	if !p.IsAdmin() || p.ReadOnly {
		return errs.Denied()
	}
	res, err := h.App.Care.Plan(r.Context(), time.Now())
	if err != nil {
		return err
	}
	httpx.JSON(w, http.StatusOK, res)
	return nil
}

func (h *API) careSettings(w http.ResponseWriter, r *http.Request, p *access.Principal) error {
	if !p.IsAdmin() {
		return errs.Denied()
	}
	st, err := h.App.Care.LoadSettings(r.Context(), h.App.DB.R())
	if err != nil {
		return err
	}
	httpx.JSON(w, http.StatusOK, st)
	return nil
}

func (h *API) putCareSettings(w http.ResponseWriter, r *http.Request, p *access.Principal) error {
	if !p.IsAdmin() || p.ReadOnly {
		return errs.Denied()
	}
	cur, err := h.App.Care.LoadSettings(r.Context(), h.App.DB.R())
	if err != nil {
		return err
	}
	in := cur
	in.Greetings = nil
	if err := decodeInto(r, &in); err != nil {
		return err
	}
	st, err := h.App.Care.SaveSettings(r.Context(), p, in)
	if err != nil {
		return err
	}
	httpx.JSON(w, http.StatusOK, st)
	return nil
}

func (h *API) serviceSignals(w http.ResponseWriter, r *http.Request, p *access.Principal) error {
	kind := strings.TrimSpace(r.URL.Query().Get("kind"))
	switch kind {
	case "", crm.SignalWarranty, crm.SignalContract, crm.SignalRepeated, crm.SignalConsumables:
	default:
		return errs.Validation([]errs.FieldError{{Field: "kind", Code: "invalid_option", Args: map[string]any{"value": kind}}})
	}
	items, err := h.App.Care.Signals(r.Context(), p, kind, time.Now())
	if err != nil {
		return err
	}
	if items == nil {
		items = []care.Signal{}
	}
	httpx.JSON(w, http.StatusOK, map[string]any{"items": items})
	return nil
}

func carePaths(paths obj) {
	idOnly := []obj{idParam}
	raise := obj{"type": "object", "additionalProperties": false, "properties": obj{
		"name":           obj{"type": "string", "maxLength": 200, "description": "default: the record's kind and title with 新需求"},
		"amount":         obj{"type": "integer", "minimum": 0, "description": "estimated amount in fen"},
		"explicit_needs": obj{"type": "string", "maxLength": 2000, "description": "default: the record's description"}}}
	for _, o := range []struct{ res, entity, tag string }{
		{"tickets", "Ticket", "tickets"}, {"visits", "ServiceVisit", "visits"}, {"return-visits", "ReturnVisit", "return-visits"},
		{"surveys", "Survey", "surveys"}, {"care-reminders", "CareReminder", "care-reminders"},
	} {
		paths["/api/v1/"+o.res+"/{id}/opportunity"] = obj{"parameters": idOnly, "post": obj{"tags": []string{o.tag}, "operationId": "raiseOpportunityFrom" + o.entity,
			"summary": "Raise an opportunity for the record's customer (售后即下一次售前): pre-sales defaults apply, origin_entity/origin_id are set and the record's opportunity_id links back. " +
				"A second call answers 409 opportunity_already_raised with data.opportunity_id; a record without customer 422 opportunity_needs_customer; not visible 404. Present only when the record type is declared.",
			"requestBody": obj{"required": false, "content": jsonContent(raise)},
			"responses": withResponses(obj{"201": obj{"description": "the opportunity and the record", "content": jsonContent(obj{"type": "object", "properties": obj{
				"opportunity": ref("Opportunity"), "origin": obj{"type": "object"}}})}}, "400", "401", "403", "404", "409", "422")}}
	}
	reminder := obj{"200": obj{"description": "the reminder", "content": jsonContent(ref("CareReminder"))}}
	paths["/api/v1/care-reminders/{id}/greeting"] = obj{"parameters": idOnly, "post": obj{"tags": []string{"care-reminders"}, "operationId": "sendCareGreeting",
		"summary":   "E-mail the greeting (template under /settings/care) to the reminder's contact through the outbox; the reminder is done. 422 care_do_not_contact, care_no_email, care_no_contact, care_not_greetable; 409 care_already_greeted",
		"responses": withResponses(reminder, "401", "403", "404", "409", "422")}}
	note := obj{"required": false, "content": jsonContent(obj{"type": "object", "additionalProperties": false, "properties": obj{"note": obj{"type": "string", "maxLength": 2000}}})}
	paths["/api/v1/care-reminders/{id}/done"] = obj{"parameters": idOnly, "post": obj{"tags": []string{"care-reminders"}, "operationId": "careReminderDone",
		"summary": "Mark a pending reminder done (409 care_not_pending)", "requestBody": note, "responses": withResponses(reminder, "400", "401", "403", "404", "409")}}
	paths["/api/v1/care-reminders/{id}/skip"] = obj{"parameters": idOnly, "post": obj{"tags": []string{"care-reminders"}, "operationId": "careReminderSkip",
		"summary": "Skip a pending reminder (409 care_not_pending)", "requestBody": note, "responses": withResponses(reminder, "400", "401", "403", "404", "409")}}
	paths["/api/v1/care/plan"] = obj{"post": obj{"tags": []string{"care-reminders"}, "operationId": "planCare",
		"summary":   "Run the daily care planning now (administrators; idempotent: a reminder per kind, record and day)",
		"responses": withResponses(obj{"200": obj{"description": "what was added", "content": jsonContent(obj{"type": "object", "properties": obj{"created": obj{"type": "integer"}, "greeted": obj{"type": "integer"}}})}}, "401", "403")}}
	settings := obj{"type": "object", "properties": obj{
		"days":            obj{"type": "integer", "minimum": 1, "maximum": crm.CareMaxDays, "description": "look-ahead of the care list and expiry signals (default 7)"},
		"consumable_days": obj{"type": "integer", "minimum": 1, "maximum": 730, "description": "a consumable is due this many days after the customer's last order of it (default 90)"},
		"greeting_lang":   obj{"type": "string", "enum": []string{"zh-CN", "en"}},
		"greetings": obj{"type": "object", "description": "templates by language; placeholders {name} {holiday} {company} {owner}", "additionalProperties": obj{"type": "object", "properties": obj{
			"subject": obj{"type": "string", "maxLength": 200}, "body": obj{"type": "string", "maxLength": 5000}}}}}}
	paths["/api/v1/care/settings"] = obj{
		"get": obj{"tags": []string{"care-reminders"}, "operationId": "careSettings", "summary": "The care settings (administrators)",
			"responses": withResponses(obj{"200": obj{"description": "the settings", "content": jsonContent(settings)}}, "401", "403")},
		"put": obj{"tags": []string{"care-reminders"}, "operationId": "putCareSettings", "summary": "Change the care settings (administrators; audited)",
			"requestBody": obj{"required": true, "content": jsonContent(settings)},
			"responses":   withResponses(obj{"200": obj{"description": "the settings", "content": jsonContent(settings)}}, "400", "401", "403", "422")}}
	signal := obj{"type": "object", "properties": obj{
		"kind":        obj{"type": "string", "enum": []string{crm.SignalWarranty, crm.SignalContract, crm.SignalRepeated, crm.SignalConsumables}},
		"customer_id": obj{"type": "string"}, "customer_name": obj{"type": "string"}, "owner_id": obj{"type": "string"},
		"date":   obj{"type": "string", "format": "date", "description": "last day of the warranty or contract; newest repeated ticket; last order"},
		"detail": obj{"type": "string"}, "entity": obj{"type": "string"}, "record_id": obj{"type": "string"},
		"count":      obj{"type": "integer", "description": "tickets of a repeated fault; days since the last order of a consumable"},
		"product_id": obj{"type": "string"}}}
	paths["/api/v1/service/signals"] = obj{"get": obj{"tags": []string{"care-reminders"}, "operationId": "serviceSignals",
		"summary":    "Customers the user may see with a reason to call: warranty_expiring and contract_expiring (within the care look-ahead), repeated_faults (≥ 3 tickets on one product in 90 days), consumables_due (a product of category material last ordered more than consumable_days ago)",
		"parameters": []obj{{"name": "kind", "in": "query", "schema": obj{"type": "string", "enum": []string{crm.SignalWarranty, crm.SignalContract, crm.SignalRepeated, crm.SignalConsumables}}}},
		"responses":  withResponses(obj{"200": obj{"description": "the signals", "content": jsonContent(obj{"type": "object", "properties": obj{"items": obj{"type": "array", "items": signal}}})}}, "400", "401", "403")}}
}
