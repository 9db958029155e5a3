package api

import (
	"closeloop/internal/crm"
	"closeloop/internal/tickets"
)

// The OpenAPI description of the ticket process: the conversation on a
// ticket's JSON, the first message on create, the steps and the queue.

func ticketSchemas(comps obj) {
	set := func(name, key string, schema obj) {
		if c, ok := comps[name].(obj); ok {
			if props, ok := c["properties"].(obj); ok {
				props[key] = schema
			}
		}
	}
	set("Ticket", "messages", obj{"type": "array", "items": ref("TicketMessage"), "readOnly": true,
		"description": "GET /tickets/{id}: the conversation oldest first, with the messages of duplicates merged into it; internal notes only for those who work tickets"})
	set("TicketInput", "message", obj{"type": "object", "additionalProperties": false, "required": []string{"body"}, "properties": obj{
		"body": obj{"type": "string"}, "from_name": obj{"type": "string"}, "from_email": obj{"type": "string", "format": "email"}},
		"description": "the customer's first message (optional), recorded as a customer message on the ticket's channel"})
	item := obj{"allOf": []obj{ref("Ticket"), {"type": "object", "properties": obj{
		"next_due_at":    obj{"type": []string{"string", "null"}, "format": "date-time", "description": "the nearest open deadline: first_response_due_at while nobody answered, else resolution_due_at"},
		"next_due_kind":  obj{"type": "string", "enum": []string{"", "first_response", "resolution"}},
		"customer_name":  obj{"type": "string"},
		"customer_level": obj{"type": "string"},
		"assignee_name":  obj{"type": "string"},
		"team_name":      obj{"type": "string"}}}}}
	comps["TicketQueueItem"] = item
	comps["TicketSettings"] = obj{"type": "object", "properties": obj{
		"reopen_days": obj{"type": "integer", "minimum": 1, "maximum": crm.MaxReopenDays, "description": "a resolved ticket may be reopened within this many days (default 7)"},
		"auto_assign": obj{"type": "boolean", "description": "assign new tickets nobody owns at once, round-robin by skill and region within the ticket's team (any service team when none)"}}}
}

func ticketPaths(paths obj) {
	version := obj{"type": "integer", "description": "the version read; a stale one answers 409"}
	one := obj{"200": obj{"description": "the ticket", "content": jsonContent(ref("Ticket"))}}
	props := map[string]obj{
		"reply":   {"body": obj{"type": "string", "maxLength": 20000}, "wait": obj{"type": "boolean", "description": "and wait for the customer"}, "channel": obj{"type": "string", "enum": fulOptionCodes(crm.TicketChannels), "default": crm.ChannelEmail}},
		"note":    {"body": obj{"type": "string", "maxLength": 20000}},
		"assign":  {"user_id": obj{"type": "string", "format": "uuid"}, "team_id": obj{"type": "string", "format": "uuid"}, "auto": obj{"type": "boolean"}},
		"take":    {},
		"wait":    {"for": obj{"type": "string", "enum": []string{"customer", "parts"}, "default": "customer"}},
		"resume":  {},
		"resolve": {"cause": obj{"type": "string", "description": "a code of the ticket_cause pick-list"}, "resolution": obj{"type": "string", "maxLength": 20000}},
		"close":   {},
		"reopen":  {},
		"merge":   {"target_id": obj{"type": "string", "format": "uuid"}},
	}
	required := map[string][]string{"reply": {"body"}, "note": {"body"}, "resolve": {"cause", "resolution"}, "merge": {"target_id"}}
	for _, st := range ticketEndpoints {
		p := obj{"version": version}
		for k, v := range props[st.path] {
			p[k] = v
		}
		if st.path != "reply" && st.path != "note" {
			p["body"] = obj{"type": "string", "maxLength": 20000, "description": "an optional internal note with the step"}
		}
		b := obj{"type": "object", "additionalProperties": false, "properties": p}
		if r := required[st.path]; len(r) > 0 {
			b["required"] = r
		}
		paths["/api/v1/tickets/{id}/"+st.path] = obj{"parameters": []obj{idParam}, "post": obj{"tags": []string{"tickets"}, "operationId": st.path + "Ticket",
			"summary":     st.summary + "; a step the status does not allow answers 422 ticket_step",
			"requestBody": obj{"required": len(required[st.path]) > 0, "content": jsonContent(b)},
			"responses":   withResponses(one, "400", "401", "403", "404", "409", "422")}}
	}
	views := []string{}
	views = append(views, tickets.QueueViews...)
	arr := func(codes []string) obj {
		return obj{"type": "array", "items": obj{"type": "string", "enum": codes}}
	}
	paths["/api/v1/tickets/queue"] = obj{"get": obj{"tags": []string{"tickets"}, "operationId": "ticketQueue",
		"summary": "The agent's queue: open tickets by SLA urgency (the nearest open deadline first, so breached first; none last), keyset paged",
		"parameters": []obj{
			{"name": "view", "in": "query", "schema": obj{"type": "string", "enum": views, "default": tickets.ViewMine}, "description": "mine; team (my teams' tickets); unassigned (nobody's); all"},
			{"name": "kind", "in": "query", "style": "form", "explode": true, "schema": arr(fulOptionCodes(crm.TicketKinds))},
			{"name": "priority", "in": "query", "style": "form", "explode": true, "schema": arr(fulOptionCodes(crm.TicketPriorities))},
			{"name": "sla_state", "in": "query", "style": "form", "explode": true, "schema": arr(fulOptionCodes(crm.SLAStates))},
			{"name": "after", "in": "query", "schema": obj{"type": "string"}, "description": "the next cursor of the previous page"},
			{"name": "limit", "in": "query", "schema": obj{"type": "integer", "minimum": 1, "maximum": 200, "default": 50}}},
		"responses": withResponses(obj{"200": obj{"description": "a page", "content": jsonContent(obj{"type": "object", "properties": obj{
			"items": obj{"type": "array", "items": ref("TicketQueueItem")}, "next": obj{"type": []string{"string", "null"}}}})}}, "401", "403", "422")}}
	settings := ref("TicketSettings")
	paths["/api/v1/tickets/settings"] = obj{
		"get": obj{"tags": []string{"tickets"}, "operationId": "ticketSettings", "summary": "Settings of the ticket process",
			"responses": withResponses(obj{"200": obj{"description": "settings", "content": jsonContent(settings)}}, "401")},
		"put": obj{"tags": []string{"tickets"}, "operationId": "putTicketSettings", "summary": "Change them (admins, service managers)",
			"requestBody": obj{"required": true, "content": jsonContent(settings)},
			"responses":   withResponses(obj{"200": obj{"description": "settings", "content": jsonContent(settings)}}, "400", "401", "403", "422")}}
}
