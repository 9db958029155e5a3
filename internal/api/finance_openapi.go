package api

import "closeloop/internal/crm"

// financePaths documents the finance endpoints; the creates of invoices
// and payments replace the generic ones (they take allocations, and a
// payment an Idempotency-Key).
func financePaths(paths obj) {
	idOnly := []obj{idParam}
	alloc := obj{"type": "array", "items": obj{"type": "object", "required": []string{"instalment_id", "amount"}, "additionalProperties": false,
		"properties": obj{"instalment_id": obj{"type": "string", "format": "uuid"}, "amount": obj{"type": "integer", "minimum": 1, "description": "minor units (分)"}}}}
	withAllocs := func(input, what string) obj {
		return obj{"allOf": []obj{ref(input), {"type": "object", "properties": obj{"allocations": obj{"description": what, "oneOf": []obj{alloc, {"type": "null"}}}}}}}
	}
	reasonBody := obj{"type": "object", "required": []string{"reason"}, "additionalProperties": false, "properties": obj{
		"reason": obj{"type": "string", "maxLength": 2000}, "version": versionProp}}
	if base, ok := paths["/api/v1/invoices"].(obj); ok {
		base["post"] = obj{"tags": []string{"invoices"}, "operationId": "createInvoice",
			"summary":     "Issue an invoice against a signed contract (finance). The amount (incl. tax) is spread over the instalments in instalment_ids, or over the whole plan earliest due first, or exactly as allocations say (they must add up to the amount). An instalment invoiced beyond its amount answers 422 invoice_exceeds_instalment; a number already recorded 422 invoice_number_taken.",
			"requestBody": obj{"required": true, "content": jsonContent(withAllocs("InvoiceInput", "how much covers each instalment; sums to amount"))},
			"responses":   withResponses(obj{"201": obj{"description": "issued", "content": jsonContent(ref("Invoice"))}}, "400", "401", "403", "422")}
	}
	if base, ok := paths["/api/v1/payments"].(obj); ok {
		base["post"] = obj{"tags": []string{"payments"}, "operationId": "createPayment",
			"summary":     "Record a payment received against a contract (finance), matched to instalments as allocations say or earliest due first (partial payments allowed); what is left is kept as the payment's unallocated credit. With an Idempotency-Key a retry returns the first response (same status and body, header Idempotent-Replayed: true) and records nothing; the same key with another body answers 422 idempotency_key_reused; keys last 24 hours.",
			"parameters":  []obj{{"name": IdempotencyHeader, "in": "header", "required": false, "description": "1–255 printable ASCII characters, unique per request you mean once", "schema": obj{"type": "string", "maxLength": 255}}},
			"requestBody": obj{"required": true, "content": jsonContent(withAllocs("PaymentInput", "how much pays each instalment; at most amount"))},
			"responses":   withResponses(obj{"201": obj{"description": "recorded (or the first response, replayed)", "content": jsonContent(ref("Payment"))}}, "400", "401", "403", "409", "422")}
	}
	post := func(tag, summary, op string, body obj, schema string) obj {
		return obj{"parameters": idOnly, "post": obj{"tags": []string{tag}, "summary": summary, "operationId": op,
			"requestBody": obj{"required": true, "content": jsonContent(body)},
			"responses":   withResponses(obj{"200": obj{"description": "after the step", "content": jsonContent(ref(schema))}}, "400", "401", "403", "404", "409", "422")}}
	}
	paths["/api/v1/invoices/{id}/void"] = post("invoices", "Void an issued invoice with a reason (作废): the instalments' invoiced amounts go down by what it covered", "voidInvoice", reasonBody, "Invoice")
	paths["/api/v1/payments/{id}/reverse"] = post("payments", "Reverse a received payment with a reason (冲销): what it paid is taken off its instalments, whose statuses follow", "reversePayment", reasonBody, "Payment")
	paths["/api/v1/payments/{id}/allocate"] = post("payments", "Allocate a payment's unallocated credit to instalments, as allocations say or earliest due first", "allocatePaymentCredit",
		obj{"type": "object", "additionalProperties": false, "properties": obj{"allocations": obj{"oneOf": []obj{alloc, {"type": "null"}}}, "version": versionProp}}, "Payment")
	totals := obj{"type": "object", "properties": obj{"currency": obj{"type": "string"}, "planned": obj{"type": "integer"}, "invoiced": obj{"type": "integer"},
		"received": obj{"type": "integer"}, "paid": obj{"type": "integer"}, "credit": obj{"type": "integer"}, "outstanding": obj{"type": "integer"}, "overdue": obj{"type": "integer"}}}
	paths["/api/v1/contracts/{id}/finance"] = obj{"parameters": idOnly, "get": obj{"tags": []string{"contracts"}, "operationId": "contractFinance",
		"summary": "A contract's money against its plan: instalments with invoiced and paid amounts, invoices, payments and totals (minor units)",
		"responses": withResponses(obj{"200": obj{"description": "the contract's finance", "content": jsonContent(obj{"type": "object", "properties": obj{
			"contract_id": obj{"type": "string"}, "totals": totals,
			"instalments": obj{"type": "array", "items": ref("PaymentInstalment")}, "invoices": obj{"type": "array", "items": ref("Invoice")},
			"payments": obj{"type": "array", "items": ref("Payment")}}})}}, "401", "404")}}
	var bands []string
	for _, b := range crm.AgeBands {
		bands = append(bands, b.Key)
	}
	row := obj{"type": "object", "properties": obj{"key": obj{"type": "string", "description": "customer, user or team id"}, "name": obj{"type": "string"},
		"currency": obj{"type": "string"}, "not_due": obj{"type": "integer"}, "d0_30": obj{"type": "integer"}, "d31_60": obj{"type": "integer"},
		"d61_90": obj{"type": "integer"}, "d90_plus": obj{"type": "integer"},
		"due": obj{"type": "integer", "description": "due and unpaid (0 days past due or more)"}, "overdue": obj{"type": "integer", "description": "a day or more past due"},
		"outstanding": obj{"type": "integer", "description": "everything unpaid, due or not"}, "due_instalments": obj{"type": "integer"}, "overdue_instalments": obj{"type": "integer"}}}
	paths["/api/v1/reports/receivables"] = obj{"get": obj{"tags": []string{"payment-instalments"}, "operationId": "receivablesAgeing",
		"summary": "Receivables and ageing (账龄) of the instalments you can see, per customer, rep (the contract's owner) or team, in bands of days past due (" +
			"not yet due, 0–30, 31–60, 61–90, over 90) as of a date; amounts in minor units, per currency; most overdue first. format=csv|xlsx downloads every row.",
		"parameters": []obj{
			{"name": "as_of", "in": "query", "schema": obj{"type": "string", "format": "date"}, "description": "default today (company time zone); a past date counts payments received after it as still owed"},
			{"name": "group", "in": "query", "schema": obj{"type": "string", "enum": []string{"customer", "owner", "team"}, "default": "customer"}},
			{"name": "customer_id", "in": "query", "schema": obj{"type": "string", "format": "uuid"}},
			{"name": "owner_id", "in": "query", "schema": obj{"type": "string", "format": "uuid"}},
			{"name": "team_id", "in": "query", "schema": obj{"type": "string", "format": "uuid"}, "description": "the team and its sub-teams"},
			{"name": "limit", "in": "query", "schema": obj{"type": "integer", "minimum": 1, "maximum": 5000, "default": 100}},
			{"name": "format", "in": "query", "schema": obj{"type": "string", "enum": []string{"json", "csv", "xlsx"}, "default": "json"}}},
		"responses": withResponses(obj{"200": obj{"description": "the ageing; bands: " + joinComma(bands), "content": obj{
			"application/json": obj{"schema": obj{"type": "object", "properties": obj{"as_of": obj{"type": "string", "format": "date"}, "group": obj{"type": "string"},
				"rows": obj{"type": "array", "items": row}, "totals": obj{"type": "array", "items": row}, "more": obj{"type": "integer", "description": "rows with amounts due beyond the limit, not listed"}}}},
			"text/csv": obj{"schema": obj{"type": "string"}},
			"application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": obj{"schema": obj{"type": "string", "contentEncoding": "binary"}}}}}, "401", "403", "422")}}
	settings := obj{"type": "object", "properties": obj{"remind_days": obj{"type": "integer", "minimum": 0, "maximum": 90,
		"description": "days before an instalment's due date its contract's owner is reminded (again once it is overdue)"}}}
	paths["/api/v1/finance/settings"] = obj{
		"get": obj{"tags": []string{"finance"}, "operationId": "financeSettings", "summary": "Finance settings",
			"responses": withResponses(obj{"200": obj{"description": "the settings", "content": jsonContent(settings)}}, "401", "403")},
		"put": obj{"tags": []string{"finance"}, "operationId": "putFinanceSettings", "summary": "Change finance settings (administrators)",
			"requestBody": obj{"required": true, "content": jsonContent(obj{"type": "object", "required": []string{"remind_days"}, "additionalProperties": false, "properties": settings["properties"]})},
			"responses":   withResponses(obj{"200": obj{"description": "the settings", "content": jsonContent(settings)}}, "400", "401", "403", "422")},
	}
}

func joinComma(ss []string) string {
	out := ""
	for i, s := range ss {
		if i > 0 {
			out += ", "
		}
		out += s
	}
	return out
}
