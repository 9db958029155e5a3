package api

import (
	"closeloop/internal/crm"
	"closeloop/internal/entity"
)

// The OpenAPI description of the field-service endpoints: visit steps,
// the engineer's day, parts used, the confirmation link, returns with
// their items and steps. Stock movements are the generic create (their
// rule is the stock process).

func fieldserviceSchemas(comps obj) {
	item := obj{"type": "object", "additionalProperties": false, "required": []string{"quantity"}, "properties": obj{
		"product_id": obj{"type": "string", "format": "uuid", "description": "the product returned (or part_id)"},
		"part_id":    obj{"type": "string", "format": "uuid", "description": "the spare part returned (or product_id); received parts go back into stock"},
		"name":       obj{"type": "string", "readOnly": true},
		"quantity":   obj{"type": "integer", "minimum": 1, "maximum": 100000},
		"serial_no":  obj{"type": "string", "maxLength": 100}}}
	comps["ReturnItem"] = item
	if c, ok := comps["ReturnRequestInput"].(obj); ok {
		if props, ok := c["properties"].(obj); ok {
			props["items"] = obj{"type": "array", "maxItems": crm.MaxReturnItems, "items": ref("ReturnItem")}
		}
	}
	if c, ok := comps["ServiceVisitInput"].(obj); ok {
		if props, ok := c["properties"].(obj); ok {
			props["engineer_id"] = obj{"type": "string", "format": "uuid", "description": "the field engineer (an active service agent marked field_engineer); the creator when omitted"}
		}
	}
	comps["VisitLink"] = obj{"type": "object", "required": []string{"path", "url", "expires_at"}, "properties": obj{
		"path":       obj{"type": "string", "description": "/v/{token}: the token (256 random bits) is shown once; only its SHA-256 is kept"},
		"url":        obj{"type": "string", "format": "uri"},
		"expires_at": obj{"type": "string", "format": "date-time", "description": "24 hours after it was made"}}}
}

func fieldservicePaths(paths obj) {
	idOnly := []obj{idParam}
	version := obj{"type": "integer", "description": "the version read; a stale one answers 409"}
	body := func(required []string, props obj) obj {
		o := obj{"type": "object", "additionalProperties": false, "properties": props}
		if len(required) > 0 {
			o["required"] = required
		}
		return obj{"required": len(required) > 0, "content": jsonContent(o)}
	}
	post := func(tag, op, summary string, req obj, ok obj, codes ...string) obj {
		o := obj{"tags": []string{tag}, "operationId": op, "summary": summary, "responses": withResponses(ok, codes...)}
		if req != nil {
			o["requestBody"] = req
		}
		return obj{"parameters": idOnly, "post": o}
	}
	visit := obj{"200": obj{"description": "the visit", "content": jsonContent(ref("ServiceVisit"))}}
	for _, st := range []struct{ step, summary string }{
		{crm.VisitStepStart, "The engineer leaves for the site (planned → on the way)"},
		{crm.VisitStepCheckIn, "Check in on site, with optional location text from the phone"},
		{crm.VisitStepCheckOut, "Check out: work_done required (given now or recorded before: 422 validation work_done)"},
		{crm.VisitStepAbsent, "The customer was not there: reason required"},
		{crm.VisitStepCancel, "Cancel a visit not yet on site: reason required"},
	} {
		paths["/api/v1/visits/{id}/"+st.step] = post("visits", st.step+"Visit", st.summary+"; a step not allowed answers 422 visit_step; another engineer's visit 404",
			body(nil, obj{"location": obj{"type": "string", "maxLength": 200}, "work_done": obj{"type": "string"}, "reason": obj{"type": "string", "maxLength": 500}, "version": version}),
			visit, "400", "401", "403", "404", "409", "422")
	}
	paths["/api/v1/visits/{id}/work"] = post("visits", "visitWork", "Record the work done so far (on site)",
		body([]string{"work_done"}, obj{"work_done": obj{"type": "string"}, "version": version}), visit, "400", "401", "403", "404", "409", "422")
	movement := obj{"201": obj{"description": "the stock movement", "content": jsonContent(ref("StockMovement"))}}
	paths["/api/v1/visits/{id}/parts"] = obj{"parameters": idOnly,
		"get": obj{"tags": []string{"visits"}, "operationId": "visitParts", "summary": "The parts used on a visit (its out_ticket movements)",
			"responses": withResponses(obj{"200": obj{"description": "movements", "content": jsonContent(obj{"type": "object", "properties": obj{"items": obj{"type": "array", "items": ref("StockMovement")}}})}}, "401", "404")},
		"post": obj{"tags": []string{"visits"}, "operationId": "visitUsePart",
			"summary":     "Record a part used (checked in or work done: 422 visit_not_on_site): a movement out of the engineer's warehouse (or warehouse_id) to the visit's ticket; never below zero (422 stock_insufficient); a ticket waiting for parts goes back to in progress",
			"requestBody": body([]string{"part_id", "quantity"}, obj{"part_id": obj{"type": "string", "format": "uuid"}, "warehouse_id": obj{"type": "string", "format": "uuid"}, "quantity": obj{"type": "integer", "minimum": 1}}),
			"responses":   withResponses(movement, "400", "401", "403", "404", "422")}}
	paths["/api/v1/visits/{id}/confirmation-link"] = post("visits", "visitConfirmationLink",
		"Make the customer's confirmation link of a visit whose work is done (422 visit_not_done): no login, 24 hours, single use; the page /v/{token} takes the confirmer's name and remarks",
		nil, obj{"201": obj{"description": "the link", "content": jsonContent(ref("VisitLink"))}}, "401", "403", "404", "422")
	paths["/api/v1/visits/mine"] = obj{"get": obj{"tags": []string{"visits"}, "operationId": "myVisits", "summary": "The caller's visits (as engineer) of a day, in time order",
		"parameters": []obj{{"name": "date", "in": "query", "schema": obj{"type": "string", "format": "date"}, "description": "the day (company time zone); today when omitted"}},
		"responses":  withResponses(obj{"200": obj{"description": "visits", "content": jsonContent(obj{"type": "object", "properties": obj{"items": obj{"type": "array", "items": ref("ServiceVisit")}}})}}, "400", "401")}}
	ret := obj{"200": obj{"description": "the return", "content": jsonContent(ref("ReturnRequest"))}}
	paths["/api/v1/returns/{id}/items"] = post("returns", "returnAddItem", "Add an item to a return still requested (422 return_items_locked)",
		obj{"required": true, "content": jsonContent(ref("ReturnItem"))}, ret, "400", "401", "403", "404", "422")
	for _, st := range []struct{ step, summary string }{
		{crm.ReturnStepReceive, "Goods back: spare-part items go into warehouse_id (required then) as return_in movements; products are recorded on the return"},
		{crm.ReturnStepInspect, "Inspection: result required (" + joinCodes(crm.InspectionResults) + "), notes"},
		{crm.ReturnStepReplace, "An exchange's replacement: delivery_id (a delivery of the customer) or carrier and tracking_no"},
		{crm.ReturnStepRefund, "A return's refund: amount in fen (> 0), date (default today, not in the future), reference"},
		{crm.ReturnStepClose, "Close a replaced or refunded return"},
		{crm.ReturnStepReject, "Reject a return not yet replaced or refunded: reason required"},
	} {
		paths["/api/v1/returns/{id}/"+st.step] = post("returns", st.step+"Return", st.summary+"; a step not allowed answers 422 return_step",
			body(nil, obj{"warehouse_id": obj{"type": "string", "format": "uuid"}, "notes": obj{"type": "string"}, "result": obj{"type": "string", "enum": fulOptionCodes(crm.InspectionResults)},
				"delivery_id": obj{"type": "string", "format": "uuid"}, "carrier": obj{"type": "string", "maxLength": 100}, "tracking_no": obj{"type": "string", "maxLength": 100},
				"amount": obj{"type": "integer", "minimum": 1}, "date": obj{"type": "string", "format": "date"}, "reference": obj{"type": "string", "maxLength": 100},
				"reason": obj{"type": "string", "maxLength": 1000}, "version": version}), ret, "400", "401", "403", "404", "409", "422")
	}
}

func joinCodes(opts []entity.Option) string {
	s := ""
	for i, o := range opts {
		if i > 0 {
			s += ", "
		}
		s += o.Code
	}
	return s
}
