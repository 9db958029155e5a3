package api

import (
	"closeloop/internal/crm"
	"closeloop/internal/entity"
	"closeloop/internal/fulfilment"
)

// The OpenAPI description of the fulfilment endpoints and of the lines an
// order's and a delivery's JSON carry.

// fulfilmentSchemas adds the lines to the Order and Delivery schemas (as
// answered and as given) and the checklist to the Task schema.
func fulfilmentSchemas(comps obj) {
	copyProps := func(from string, names ...string) obj {
		src, ok := comps[from].(obj)
		if !ok {
			return obj{}
		}
		props, _ := src["properties"].(obj)
		out := obj{}
		for _, k := range names {
			p, ok := props[k].(obj)
			if !ok {
				continue
			}
			in := obj{}
			for kk, vv := range p {
				if kk != "readOnly" && kk != "default" {
					in[kk] = vv
				}
			}
			out[k] = in
		}
		return out
	}
	orderLineIn := copyProps("OrderLine", "position", "product_id", "name", "spec", "unit", "quantity", "unit_price")
	orderLineIn["id"] = obj{"type": "string", "format": "uuid", "description": "(change only) a line of this order to keep and change; without id the line is added"}
	comps["OrderLineIn"] = obj{"type": "object", "additionalProperties": false, "properties": orderLineIn,
		"description": "an order line as given: product_id fills name, spec and unit when they are not given; line_total = quantity × unit_price (fen, tax included)"}
	deliveryLineIn := copyProps("DeliveryLine", "order_line_id", "quantity", "batch_no", "production_date")
	comps["DeliveryLineIn"] = obj{"type": "object", "additionalProperties": false, "required": []string{"order_line_id", "quantity"}, "properties": deliveryLineIn,
		"description": "a line of the delivery: a line of its order and how much of it (at most what remains: 422 delivery_exceeds_order), with batch and production date"}
	set := func(name, key string, schema obj) {
		if c, ok := comps[name].(obj); ok {
			if props, ok := c["properties"].(obj); ok {
				props[key] = schema
			}
		}
	}
	set("SalesOrder", "lines", obj{"type": "array", "items": ref("OrderLine"), "description": "the lines in order, with reserved and delivered quantities"})
	orderLines := obj{"type": "array", "maxItems": 1000, "items": ref("OrderLineIn"),
		"description": "the complete list of lines. Create: omit with contract_id or quote_id to take the quote's lines. Change (only while nothing is reserved or planned: 422 order_lines_locked): lines with an id are kept and changed, new ones added, missing ones removed"}
	set("SalesOrderInput", "lines", orderLines)
	set("SalesOrderPatch", "lines", orderLines)
	set("Delivery", "lines", obj{"type": "array", "items": ref("DeliveryLine")})
	set("Delivery", "events", obj{"type": "array", "items": ref("DeliveryEvent"), "description": "tracking updates, newest first"})
	deliveryLines := obj{"type": "array", "maxItems": 1000, "items": ref("DeliveryLineIn"),
		"description": "the delivery's lines. Create: omit to plan all that remains of the order's goods. Change: only while planned (422 delivery_lines_locked)"}
	set("DeliveryInput", "lines", deliveryLines)
	set("DeliveryPatch", "lines", deliveryLines)
	set("ServiceTask", "checklist", obj{"type": "array", "items": ref("TaskCheckItem")})
	comps["PublicLink"] = obj{"type": "object", "required": []string{"path", "url", "expires_at"}, "properties": obj{
		"path":       obj{"type": "string", "description": "/s/{token}: the token (256 random bits) is shown once; only its SHA-256 is kept"},
		"url":        obj{"type": "string", "format": "uri"},
		"expires_at": obj{"type": "string", "format": "date-time"}}}
}

func fulfilmentPaths(paths obj) {
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
	order := obj{"200": obj{"description": "the order", "content": jsonContent(ref("SalesOrder"))}}
	stockLine := obj{"type": "object", "properties": obj{
		"order_line_id": obj{"type": "string"}, "position": obj{"type": "integer"}, "name": obj{"type": "string"}, "product_id": obj{"type": "string"},
		"sku": obj{"type": "string"}, "stocked": obj{"type": "boolean", "description": "a product kept in stock (goods)"},
		"quantity": obj{"type": "integer"}, "delivered": obj{"type": "integer"}, "reserved": obj{"type": "integer"},
		"need": obj{"type": "integer", "description": "quantity − delivered − reserved"}, "stock": obj{"type": "integer"},
		"reserved_total": obj{"type": "integer", "description": "reserved for every order"}, "available": obj{"type": "integer", "description": "stock − reserved_total"},
		"enough": obj{"type": "boolean"}}}
	paths["/api/v1/orders/{id}/stock"] = obj{"parameters": idOnly, "get": obj{"tags": []string{"orders"}, "operationId": "orderStock",
		"summary":   "Stock check: per line what it still needs against the product's available stock (stock − reserved)",
		"responses": withResponses(obj{"200": obj{"description": "the lines", "content": jsonContent(obj{"type": "object", "properties": obj{"lines": obj{"type": "array", "items": stockLine}}})}}, "401", "404")}}
	paths["/api/v1/orders/{id}/reserve"] = post("orders", "reserveOrder",
		"Reserve for every stocked line what it needs, or what is available, in one transaction; never oversold under concurrency (422 order_not_open, order_no_lines)",
		body(nil, obj{"version": version}),
		obj{"200": obj{"description": "the order and what each line got", "content": jsonContent(obj{"type": "object", "properties": obj{"order": ref("SalesOrder"),
			"lines": obj{"type": "array", "items": obj{"type": "object", "properties": obj{"order_line_id": obj{"type": "string"}, "name": obj{"type": "string"},
				"need": obj{"type": "integer"}, "reserved": obj{"type": "integer"}, "short": obj{"type": "integer"}}}}}})}}, "401", "403", "404", "409", "422")
	paths["/api/v1/orders/{id}/release"] = post("orders", "releaseOrder", "Give back the order's reserved stock", body(nil, obj{"version": version}), order, "401", "403", "404", "409", "422")
	paths["/api/v1/orders/{id}/cancel"] = post("orders", "cancelOrder",
		"Cancel an order nothing of which has left (422 order_has_shipments): reservations released, planned deliveries cancelled",
		body([]string{"reason"}, obj{"reason": obj{"type": "string"}, "version": version}), order, "401", "403", "404", "409", "422")
	delivery := obj{"200": obj{"description": "the delivery with its lines and tracking", "content": jsonContent(ref("Delivery"))}}
	paths["/api/v1/deliveries/{id}/events"] = post("deliveries", "trackDelivery",
		"A tracking update: move to shipped (consumes the stock: 422 delivery_insufficient_stock), in_transit, delivered, or cancelled (only planned); the same status with a note is an update in transit. Signing is the receiver's (422 delivery_sign_by_link)",
		body(nil, obj{"status": obj{"type": "string", "enum": []string{crm.DeliveryShipped, crm.DeliveryInTransit, crm.DeliveryDelivered, crm.DeliveryCancelled}},
			"at": obj{"type": "string", "format": "date-time", "description": "when; now when omitted; not in the future"}, "location": obj{"type": "string", "maxLength": 200},
			"note": obj{"type": "string", "maxLength": 1000}, "version": version}), delivery, "400", "401", "403", "404", "409", "422")
	paths["/api/v1/deliveries/{id}/pdf"] = obj{"parameters": idOnly, "get": obj{"tags": []string{"deliveries"}, "operationId": "deliveryNote",
		"summary":    "The delivery note (送货单) as PDF: letterhead, consignee, shipment, lines with quantities, batch and production date, signatures",
		"parameters": []obj{{"name": "lang", "in": "query", "schema": obj{"type": "string", "enum": []string{"zh-CN", "en"}, "default": "zh-CN"}}},
		"responses":  withResponses(obj{"200": obj{"description": "the PDF", "content": obj{"application/pdf": obj{"schema": obj{"type": "string", "contentEncoding": "binary"}}}}}, "401", "404", "422")}}
	link := obj{"201": obj{"description": "the link", "content": jsonContent(ref("PublicLink"))}}
	days := obj{"days": obj{"type": "integer", "minimum": 1, "maximum": fulfilment.MaxLinkDays, "description": "lifetime; default the setting link_days (7)"}}
	paths["/api/v1/deliveries/{id}/sign-off-link"] = post("deliveries", "signOffLink",
		"Make the customer's sign-off link (签收) of a shipped delivery (422 delivery_not_signable), replacing an earlier one: no login, expiring, single use",
		body(nil, days), link, "401", "403", "404", "422")
	problem := obj{"200": obj{"description": "the problem", "content": jsonContent(ref("SupplyProblem"))}}
	for _, st := range []struct{ step, summary string }{
		{crm.ProblemStepStart, "Start work on an open problem"},
		{crm.ProblemStepResolve, "Resolve it: resolution required (422 supply_problem_resolution_required), root cause"},
		{crm.ProblemStepClose, "Close it (with the resolution it has or one given now)"},
		{crm.ProblemStepReopen, "Reopen a resolved or closed problem: reason required"},
	} {
		paths["/api/v1/supply-problems/{id}/"+st.step] = post("supply-problems", st.step+"SupplyProblem", st.summary+"; a step not allowed answers 422 supply_problem_step",
			body(nil, obj{"resolution": obj{"type": "string"}, "root_cause": obj{"type": "string", "enum": fulOptionCodes(crm.RootCauses)},
				"root_cause_note": obj{"type": "string"}, "reason": obj{"type": "string"}, "version": version}), problem, "400", "401", "403", "404", "409", "422")
	}
	task := obj{"200": obj{"description": "the task with its checklist", "content": jsonContent(ref("ServiceTask"))}}
	for _, st := range []struct{ step, summary string }{
		{crm.TaskStepStart, "Start a task (its engineer or a coordinator)"},
		{crm.TaskStepDone, "Finish it: result required, every checklist item ticked (422 task_result_required, task_checklist_open)"},
		{crm.TaskStepCancel, "Cancel a task not done"},
	} {
		paths["/api/v1/tasks/{id}/"+st.step] = post("tasks", st.step+"Task", st.summary+"; a step not allowed answers 422 task_step",
			body(nil, obj{"result": obj{"type": "string"}, "version": version}), task, "400", "401", "403", "404", "409", "422")
	}
	paths["/api/v1/tasks/{id}/checklist/{item}"] = obj{"parameters": []obj{idParam, {"name": "item", "in": "path", "required": true, "schema": obj{"type": "string", "format": "uuid"}}},
		"post": obj{"tags": []string{"tasks"}, "operationId": "checkTaskItem", "summary": "Tick or untick a checklist item (while the task is worked on: 422 task_locked)",
			"requestBody": body([]string{"done"}, obj{"done": obj{"type": "boolean"}}),
			"responses":   withResponses(obj{"200": obj{"description": "the item", "content": jsonContent(ref("TaskCheckItem"))}}, "400", "401", "403", "404", "422")}}
	paths["/api/v1/tasks/{id}/acceptance-link"] = post("tasks", "taskAcceptanceLink",
		"Make the customer's acceptance link (验收) of a done task (422 task_not_done): the same kind of link as the sign-off", body(nil, days), link, "401", "403", "404", "422")
	paths["/api/v1/tasks/mine"] = obj{"get": obj{"tags": []string{"tasks"}, "operationId": "myTasks", "summary": "The caller's tasks as engineer not yet accepted, soonest first",
		"parameters": []obj{{"name": "limit", "in": "query", "schema": obj{"type": "integer", "maximum": 200}}},
		"responses":  withResponses(obj{"200": obj{"description": "tasks", "content": jsonContent(obj{"type": "object", "properties": obj{"items": obj{"type": "array", "items": ref("ServiceTask")}}})}}, "401")}}
	settings := obj{"type": "object", "properties": obj{"link_days": obj{"type": "integer", "minimum": 1, "maximum": fulfilment.MaxLinkDays}}}
	paths["/api/v1/fulfilment/settings"] = obj{
		"get": obj{"tags": []string{"fulfilment"}, "operationId": "fulfilmentSettings", "summary": "Settings: the default lifetime of sign-off and acceptance links (days)",
			"responses": withResponses(obj{"200": obj{"description": "settings", "content": jsonContent(settings)}}, "401")},
		"put": obj{"tags": []string{"fulfilment"}, "operationId": "putFulfilmentSettings", "summary": "Change the settings (admins)",
			"requestBody": obj{"required": true, "content": jsonContent(settings)},
			"responses":   withResponses(obj{"200": obj{"description": "settings", "content": jsonContent(settings)}}, "400", "401", "403", "422")}}
}

func fulOptionCodes(opts []entity.Option) []string {
	out := make([]string, len(opts))
	for i, o := range opts {
		out[i] = o.Code
	}
	return out
}
