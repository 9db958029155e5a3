package api

import (
	"encoding/json"
	"net/http"
	"regexp"
	"strconv"

	"closeloop/internal/access"
	"closeloop/internal/contracts"
	"closeloop/internal/crm"
	"closeloop/internal/entity"
	"closeloop/internal/errs"
	"closeloop/internal/httpx"
	"closeloop/internal/i18n"
)

// Contracts over HTTP: a contract from an accepted quote, the term
// checklist and its confirmation, approval, signing (which writes the
// hand-over), execution, completion and termination; the payment plan as
// a whole and proposals from percentages; hand-overs, their versions and
// acknowledgements. Creating, reading, listing and editing contracts,
// instalments and hand-overs are the generic resources.

func init() {
	areaRoutes = append(areaRoutes, func(h *API, m *http.ServeMux) {
		m.HandleFunc("POST /api/v1/quotes/{id}/contract", h.authed(h.contractFromQuote))
		m.HandleFunc("GET /api/v1/contracts/{id}/checklist", h.authed(h.contractChecklist))
		m.HandleFunc("POST /api/v1/contracts/{id}/confirm-term", h.authed(h.confirmTerm))
		m.HandleFunc("POST /api/v1/contracts/{id}/submit", h.authed(h.submitContract))
		m.HandleFunc("POST /api/v1/contracts/{id}/sign", h.authed(h.signContract))
		m.HandleFunc("POST /api/v1/contracts/{id}/start", h.authed(h.contractStep(contractStart)))
		m.HandleFunc("POST /api/v1/contracts/{id}/complete", h.authed(h.contractStep(contractComplete)))
		m.HandleFunc("POST /api/v1/contracts/{id}/terminate", h.authed(h.terminateContract))
		m.HandleFunc("GET /api/v1/contracts/{id}/payment-plan", h.authed(h.getPlan))
		m.HandleFunc("PUT /api/v1/contracts/{id}/payment-plan", h.authed(h.planLabeled(h.putPlan)))
		m.HandleFunc("POST /api/v1/contracts/{id}/payment-plan/proposal", h.authed(h.planLabeled(h.proposePlan)))
		m.HandleFunc("GET /api/v1/contracts/{id}/handover", h.authed(h.contractHandover))
		m.HandleFunc("GET /api/v1/handovers/pending", h.authed(h.pendingHandovers))
		m.HandleFunc("POST /api/v1/handovers/{id}/acknowledge", h.authed(h.acknowledgeHandover))
		m.HandleFunc("GET /api/v1/handovers/{id}/report", h.authed(h.handoverReport))
		m.HandleFunc("GET /api/v1/handovers/{id}/versions", h.authed(h.handoverVersions))
	})
	areaPaths = append(areaPaths, contractPaths)
}

func (h *API) contractJSON(w http.ResponseWriter, status int, rec entity.Record) {
	httpx.JSON(w, status, Record(h.App.DB.Schema().Entity("contract"), rec))
}

func (h *API) contractFromQuote(w http.ResponseWriter, r *http.Request, p *access.Principal) error {
	var body contracts.FromQuote
	if err := optionalBody(r, &body); err != nil {
		return err
	}
	out, err := h.App.Contracts.CreateFromQuote(r.Context(), p, r.PathValue("id"), body)
	if err != nil {
		return err
	}
	w.Header().Set("Location", "/api/v1/contracts/"+out.ID())
	h.contractJSON(w, http.StatusCreated, out)
	return nil
}

func (h *API) contractChecklist(w http.ResponseWriter, r *http.Request, p *access.Principal) error {
	cl, err := h.App.Contracts.Checklist(r.Context(), p, r.PathValue("id"))
	if err != nil {
		return err
	}
	httpx.JSON(w, http.StatusOK, cl)
	return nil
}

func (h *API) confirmTerm(w http.ResponseWriter, r *http.Request, p *access.Principal) error {
	var body struct {
		Item      string      `json:"item"`
		Confirmed *bool       `json:"confirmed"`
		Version   json.Number `json:"version"`
	}
	if err := decodeInto(r, &body); err != nil {
		return err
	}
	v, err := bodyVersion(body.Version)
	if err != nil {
		return err
	}
	confirmed := body.Confirmed == nil || *body.Confirmed
	out, err := h.App.Contracts.ConfirmTerm(r.Context(), p, r.PathValue("id"), v, body.Item, confirmed)
	if err != nil {
		return err
	}
	h.contractJSON(w, http.StatusOK, out)
	return nil
}

func (h *API) submitContract(w http.ResponseWriter, r *http.Request, p *access.Principal) error {
	var body struct {
		Reason  string      `json:"reason"`
		Version json.Number `json:"version"`
	}
	if err := optionalBody(r, &body); err != nil {
		return err
	}
	v, err := bodyVersion(body.Version)
	if err != nil {
		return err
	}
	out, err := h.App.Contracts.Submit(r.Context(), p, r.PathValue("id"), v, body.Reason)
	if err != nil {
		return err
	}
	h.contractJSON(w, http.StatusOK, out)
	return nil
}

func (h *API) signContract(w http.ResponseWriter, r *http.Request, p *access.Principal) error {
	var body struct {
		contracts.SignInput
		Version json.Number `json:"version"`
	}
	if err := decodeInto(r, &body); err != nil {
		return err
	}
	v, err := bodyVersion(body.Version)
	if err != nil {
		return err
	}
	in := body.SignInput
	in.Version = v
	out, err := h.App.Contracts.Sign(r.Context(), p, r.PathValue("id"), in)
	if err != nil {
		return err
	}
	h.contractJSON(w, http.StatusOK, out)
	return nil
}

const (
	contractStart = iota
	contractComplete
)

func (h *API) contractStep(step int) handler {
	return func(w http.ResponseWriter, r *http.Request, p *access.Principal) error {
		v, err := versionBody(r)
		if err != nil {
			return err
		}
		var out entity.Record
		if step == contractStart {
			out, err = h.App.Contracts.Start(r.Context(), p, r.PathValue("id"), v)
		} else {
			out, err = h.App.Contracts.Complete(r.Context(), p, r.PathValue("id"), v)
		}
		if err != nil {
			return err
		}
		h.contractJSON(w, http.StatusOK, out)
		return nil
	}
}

func (h *API) terminateContract(w http.ResponseWriter, r *http.Request, p *access.Principal) error {
	var body struct {
		Reason  string      `json:"reason"`
		Version json.Number `json:"version"`
	}
	if err := decodeInto(r, &body); err != nil {
		return err
	}
	v, err := bodyVersion(body.Version)
	if err != nil {
		return err
	}
	out, err := h.App.Contracts.Terminate(r.Context(), p, r.PathValue("id"), v, body.Reason)
	if err != nil {
		return err
	}
	h.contractJSON(w, http.StatusOK, out)
	return nil
}

// planJSON is a payment plan as the API answers it: the contract's
// version and amount, the sum, and each instalment with what remains to
// be received.
func (h *API) planJSON(w http.ResponseWriter, pl *contracts.Plan) {
	ie := h.App.DB.Schema().Entity("payment_instalment")
	items := make([]map[string]any, len(pl.Instalments))
	for i, r := range pl.Instalments {
		var m map[string]any
		_ = json.Unmarshal(Record(ie, r).AppendJSON(nil), &m)
		m["remaining"] = r.Int("amount") - r.Int("paid_amount")
		items[i] = m
	}
	c := pl.Contract
	httpx.JSON(w, http.StatusOK, map[string]any{"contract_id": c.ID(), "version": c.Version(), "status": c.Str("status"), "amount": c.Int("amount"),
		"currency": c.Str("currency"), "plan_sum": pl.Sum, "instalments": items})
}

func (h *API) getPlan(w http.ResponseWriter, r *http.Request, p *access.Principal) error {
	pl, err := h.App.Contracts.Plan(r.Context(), p, r.PathValue("id"))
	if err != nil {
		return err
	}
	h.planJSON(w, pl)
	return nil
}

// planRowBody is one row of a plan sent in; position and label are read
// back from a proposal and ignored (positions follow the list's order,
// labels come from them).
type planRowBody struct {
	Position  json.Number `json:"position"`
	Label     string      `json:"label"`
	Kind      string      `json:"kind"`
	DueDate   string      `json:"due_date"`
	Amount    json.Number `json:"amount"`
	Condition string      `json:"condition"`
}

func (h *API) putPlan(w http.ResponseWriter, r *http.Request, p *access.Principal) error {
	var body struct {
		Version     json.Number    `json:"version"`
		Instalments *[]planRowBody `json:"instalments"`
	}
	if err := decodeInto(r, &body); err != nil {
		return err
	}
	if body.Instalments == nil {
		return errs.Validation([]errs.FieldError{{Field: "instalments", Code: "required"}})
	}
	v, err := bodyVersion(body.Version)
	if err != nil {
		return err
	}
	var bad []errs.FieldError
	rows := make([]crm.PlanRow, len(*body.Instalments))
	for i, b := range *body.Instalments {
		amount, err := b.Amount.Int64()
		if b.Amount != "" && err != nil {
			bad = append(bad, errs.FieldError{Field: "instalments[" + strconv.Itoa(i) + "].amount", Code: "invalid_money"})
		}
		rows[i] = crm.PlanRow{Kind: b.Kind, DueDate: b.DueDate, Amount: amount, Condition: b.Condition}
	}
	if err := errs.Validation(bad); err != nil {
		return err
	}
	pl, err := h.App.Contracts.ReplacePlan(r.Context(), p, r.PathValue("id"), v, rows)
	if err != nil {
		return err
	}
	h.planJSON(w, pl)
	return nil
}

var rowField = regexp.MustCompile(`^(instalments|parts)\[(\d+)\]\.([a-z_]+)$`)

// planLabeled names the fields of plan rows for people ("第2期计划金额").
func (h *API) planLabeled(fn handler) handler {
	return func(w http.ResponseWriter, r *http.Request, p *access.Principal) error {
		err := fn(w, r, p)
		if err == nil {
			return nil
		}
		l := httpx.Lang(r)
		ie := h.App.DB.Schema().Entity("payment_instalment")
		httpx.ProblemLabeled(w, r, err, func(field string) string { return planFieldLabel(l, ie, field) })
		return nil
	}
}

// planFieldLabel names a plan row's field: "instalments[1].amount" is the
// second instalment's amount.
func planFieldLabel(l i18n.Lang, ie *entity.Entity, field string) string {
	m := rowField.FindStringSubmatch(field)
	if m == nil {
		if field == "instalments" {
			return ie.Plural.In(l)
		}
		return ""
	}
	n, _ := strconv.Atoi(m[2])
	label := m[3]
	if f := ie.Field(m[3]); f != nil {
		label = f.Label.In(l)
	} else if i18n.Has(l, "ct.part_"+m[3]) {
		label = i18n.Msg(l, "ct.part_"+m[3])
	}
	return i18n.Msg(l, "ct.row_field", "n", n+1, "field", label)
}

func (h *API) proposePlan(w http.ResponseWriter, r *http.Request, p *access.Principal) error {
	var body struct {
		From  string `json:"from"`
		Parts []struct {
			Kind      string      `json:"kind"`
			PercentBP json.Number `json:"percent_bp"`
			Days      json.Number `json:"days"`
			Condition string      `json:"condition"`
		} `json:"parts"`
	}
	if err := decodeInto(r, &body); err != nil {
		return err
	}
	var bad []errs.FieldError
	parts := make([]crm.PlanPart, len(body.Parts))
	for i, b := range body.Parts {
		bp, err := b.PercentBP.Int64()
		if err != nil {
			bad = append(bad, errs.FieldError{Field: "parts[" + strconv.Itoa(i) + "].percent_bp", Code: "invalid_integer"})
		}
		days, err := b.Days.Int64()
		if b.Days != "" && err != nil {
			bad = append(bad, errs.FieldError{Field: "parts[" + strconv.Itoa(i) + "].days", Code: "invalid_integer"})
		}
		parts[i] = crm.PlanPart{Kind: b.Kind, PercentBP: bp, Days: int(max(min(days, 1<<20), -1)), Condition: b.Condition}
	}
	if err := errs.Validation(bad); err != nil {
		return err
	}
	rows, err := h.App.Contracts.ProposePlan(r.Context(), p, r.PathValue("id"), body.From, parts)
	if err != nil {
		return err
	}
	items := make([]map[string]any, len(rows))
	for i, row := range rows {
		items[i] = map[string]any{"position": i + 1, "kind": row.Kind, "label": crm.InstalmentLabel(int64(i+1), row.Kind), "due_date": row.DueDate,
			"amount": row.Amount, "condition": row.Condition}
	}
	httpx.JSON(w, http.StatusOK, map[string]any{"instalments": items, "plan_sum": crm.PlanSum(rows)})
	return nil
}

func (h *API) handoverJSON(w http.ResponseWriter, status int, rec entity.Record) {
	httpx.JSON(w, status, Record(h.App.DB.Schema().Entity("handover"), rec))
}

func (h *API) contractHandover(w http.ResponseWriter, r *http.Request, p *access.Principal) error {
	out, err := h.App.Contracts.HandoverOf(r.Context(), p, r.PathValue("id"))
	if err != nil {
		return err
	}
	h.handoverJSON(w, http.StatusOK, out)
	return nil
}

func (h *API) pendingHandovers(w http.ResponseWriter, r *http.Request, p *access.Principal) error {
	items, err := h.App.Contracts.Pending(r.Context(), p, 200)
	if err != nil {
		return err
	}
	writeObjects(w, h.App.DB.Schema().Entity("handover"), items)
	return nil
}

func (h *API) acknowledgeHandover(w http.ResponseWriter, r *http.Request, p *access.Principal) error {
	var body struct {
		Version json.Number `json:"version"`
		Comment string      `json:"comment"`
	}
	if err := optionalBody(r, &body); err != nil {
		return err
	}
	v, err := bodyVersion(body.Version)
	if err != nil {
		return err
	}
	out, err := h.App.Contracts.Acknowledge(r.Context(), p, r.PathValue("id"), v, body.Comment)
	if err != nil {
		return err
	}
	h.handoverJSON(w, http.StatusOK, out)
	return nil
}

func (h *API) handoverReport(w http.ResponseWriter, r *http.Request, p *access.Principal) error {
	var n int64
	if s := r.URL.Query().Get("version_no"); s != "" {
		var err error
		if n, err = strconv.ParseInt(s, 10, 64); err != nil || n < 1 {
			return errs.Validation([]errs.FieldError{{Field: "version_no", Code: "invalid_integer"}})
		}
	}
	rp, err := h.App.Contracts.Report(r.Context(), p, r.PathValue("id"), n)
	if err != nil {
		return err
	}
	s := h.App.DB.Schema()
	content := map[string]any{}
	for _, name := range crm.HandoverContentFields {
		content[name] = rp.Content[name]
	}
	acks := make([]Object, len(rp.Acks))
	for i, a := range rp.Acks {
		acks[i] = Record(s.Entity("handover_ack"), a)
	}
	httpx.JSON(w, http.StatusOK, map[string]any{"handover": Record(s.Entity("handover"), rp.Handover), "version_no": rp.VersionNo, "current": rp.Current,
		"content": content, "sections": rp.Sections, "body": rp.Body, "recipients": rp.Recipients, "acknowledgements": acks, "versions": rp.Versions})
	return nil
}

func (h *API) handoverVersions(w http.ResponseWriter, r *http.Request, p *access.Principal) error {
	rp, err := h.App.Contracts.Report(r.Context(), p, r.PathValue("id"), 0)
	if err != nil {
		return err
	}
	httpx.JSON(w, http.StatusOK, map[string]any{"items": rp.Versions})
	return nil
}

// contractPaths documents the contract and hand-over endpoints.
func contractPaths(paths obj) {
	idOnly := []obj{idParam}
	okContract := obj{"200": obj{"description": "the contract after the step", "content": jsonContent(ref("Contract"))}}
	versionOnly := obj{"type": "object", "additionalProperties": false, "properties": obj{"version": versionProp}}
	op := func(tag, summary, id string, body obj, required bool, ok obj, codes ...string) obj {
		o := obj{"tags": []string{tag}, "summary": summary, "operationId": id, "responses": withResponses(ok, codes...)}
		if body != nil {
			o["requestBody"] = obj{"required": required, "content": jsonContent(body)}
		}
		return o
	}
	all := []string{"400", "401", "403", "404", "409", "422"}
	refusal := obj{"type": "object", "properties": obj{"code": obj{"type": "string"}, "args": obj{"type": "object"}}}
	paths["/api/v1/quotes/{id}/contract"] = obj{"parameters": idOnly, "post": op("contracts",
		"Make a draft contract from a quote the customer accepted: customer, opportunity, amount (the quote's total), currency, signatory, "+
			"payment and after-sales terms (into terms), delivery period (delivery_terms) and service content (scope) are copied. "+
			"422 quote_not_accepted for a quote not accepted; 409 quote_has_contract when it has one already.",
		"contractFromQuote", obj{"type": "object", "additionalProperties": false, "properties": obj{
			"title": obj{"type": "string", "maxLength": 200}, "delivery_owner_id": obj{"type": "string", "format": "uuid"}, "service_owner_id": obj{"type": "string", "format": "uuid"}}},
		false, obj{"201": obj{"description": "the draft contract", "content": jsonContent(ref("Contract"))}}, all...)}
	paths["/api/v1/contracts/{id}/checklist"] = obj{"parameters": idOnly, "get": op("contracts",
		"What signing waits for: each term item (confirmed, by whom, when), the plan's sum against the amount, approval, and every refusal a signature would meet now",
		"contractChecklist", nil, false, obj{"200": obj{"description": "the checklist", "content": jsonContent(obj{"type": "object", "properties": obj{
			"terms": obj{"type": "array", "items": obj{"type": "object", "properties": obj{"item": obj{"type": "string"}, "confirmed": obj{"type": "boolean"},
				"confirmed_by": obj{"type": "string"}, "confirmed_at": obj{"type": "string", "format": "date-time"}}}},
			"missing_terms": obj{"type": "array", "items": obj{"type": "string"}}, "amount": obj{"type": "integer"}, "plan_sum": obj{"type": "integer"},
			"plan_rows": obj{"type": "integer"}, "needs_approval": obj{"type": "boolean"}, "approved": obj{"type": "boolean"},
			"refusals": obj{"type": "array", "items": refusal}, "can_sign": obj{"type": "boolean"}}})}}, "401", "404")}
	var items []any
	for _, o := range crm.ContractTermItems {
		items = append(items, o.Code)
	}
	paths["/api/v1/contracts/{id}/confirm-term"] = obj{"parameters": idOnly, "post": op("contracts",
		"Confirm one term of a draft item by item (price, delivery, scope, payment, acceptance, after_sales), or withdraw it with confirmed=false. "+
			"A later change of the term's fields (or of the payment plan, for payment) withdraws its confirmation.",
		"confirmContractTerm", obj{"type": "object", "required": []string{"item"}, "additionalProperties": false, "properties": obj{
			"item": obj{"type": "string", "enum": items}, "confirmed": obj{"type": "boolean", "default": true}, "version": versionProp}},
		true, okContract, all...)}
	paths["/api/v1/contracts/{id}/submit"] = obj{"parameters": idOnly, "post": op("contracts",
		"Send a draft to approval when an approval rule for contracts applies (status in_approval until decided); 422 contract_approval_not_needed when none applies",
		"submitContract", obj{"type": "object", "additionalProperties": false, "properties": obj{"reason": obj{"type": "string"}, "version": versionProp}}, false, okContract, all...)}
	paths["/api/v1/contracts/{id}/sign"] = obj{"parameters": idOnly, "post": op("contracts",
		"Record the signing of a draft. Refused (422) when a term is unconfirmed (contract_terms_unconfirmed, args.missing), the plan does not add up "+
			"to the amount (payment_plan_mismatch, data.plan_sum and data.amount), the hand-over's recipients are missing (handover_recipients_missing) "+
			"or an approval is needed (contract_needs_approval); data.refusals lists every refusal. Writes the hand-over report in the same transaction.",
		"signContract", obj{"type": "object", "required": []string{"signed_on"}, "additionalProperties": false, "properties": obj{
			"signed_on": obj{"type": "string", "format": "date"}, "signer_contact_id": obj{"type": "string", "format": "uuid", "description": "default: the contract's signatory"},
			"version": versionProp}}, true, okContract, all...)}
	paths["/api/v1/contracts/{id}/start"] = obj{"parameters": idOnly, "post": op("contracts", "A signed contract goes into execution", "startContract", versionOnly, false, okContract, all...)}
	paths["/api/v1/contracts/{id}/complete"] = obj{"parameters": idOnly, "post": op("contracts", "A contract in execution is completed", "completeContract", versionOnly, false, okContract, all...)}
	paths["/api/v1/contracts/{id}/terminate"] = obj{"parameters": idOnly, "post": op("contracts", "End a signed or executing contract early, with a reason (audited)",
		"terminateContract", obj{"type": "object", "required": []string{"reason"}, "additionalProperties": false, "properties": obj{
			"reason": obj{"type": "string", "maxLength": 2000}, "version": versionProp}}, true, okContract, all...)}
	inst := obj{"allOf": []any{ref("PaymentInstalment"), obj{"type": "object", "properties": obj{"remaining": obj{"type": "integer", "description": "amount − paid_amount (fen)"}}}}}
	planResp := obj{"200": obj{"description": "the plan", "content": jsonContent(obj{"type": "object", "properties": obj{
		"contract_id": obj{"type": "string", "format": "uuid"}, "version": obj{"type": "integer", "description": "the contract's version"},
		"status": obj{"type": "string"}, "amount": obj{"type": "integer"}, "currency": obj{"type": "string"}, "plan_sum": obj{"type": "integer"},
		"instalments": obj{"type": "array", "items": inst}}})}}
	var kinds []any
	for _, o := range crm.InstalmentKinds {
		kinds = append(kinds, o.Code)
	}
	row := obj{"type": "object", "required": []string{"kind", "due_date", "amount"}, "additionalProperties": false, "properties": obj{
		"position": obj{"type": "integer", "description": "ignored: positions follow the order of the list"},
		"label":    obj{"type": "string", "description": "ignored: made from position and kind"},
		"kind":     obj{"type": "string", "enum": kinds}, "due_date": obj{"type": "string", "format": "date"},
		"amount": obj{"type": "integer", "minimum": 1, "description": "fen"}, "condition": obj{"type": "string", "maxLength": 300}}}
	paths["/api/v1/contracts/{id}/payment-plan"] = obj{"parameters": idOnly,
		"get": op("contracts", "The contract's payment plan with invoiced, paid and remaining amounts per instalment", "getPaymentPlan", nil, false, planResp, "401", "404"),
		"put": op("contracts", "Replace a draft's whole plan in one transaction. The rows are checked (kind, dates in order, positive amounts; "+
			"errors name instalments[i].field) and must add up to the contract amount (422 payment_plan_mismatch with data.plan_sum and data.amount). "+
			"version is the contract's.", "putPaymentPlan", obj{"type": "object", "required": []string{"instalments"}, "additionalProperties": false, "properties": obj{
			"version": versionProp, "instalments": obj{"type": "array", "items": row, "maxItems": crm.MaxInstalments}}}, true, planResp, all...)}
	paths["/api/v1/contracts/{id}/payment-plan/proposal"] = obj{"parameters": idOnly, "post": op("contracts",
		"Propose (not save) a plan from percentages: amounts rounded half-up to the fen, the last part taking the rest so the parts add up to the amount; "+
			"due dates are `from` (default: the signing date, or today) plus each part's days",
		"proposePaymentPlan", obj{"type": "object", "required": []string{"parts"}, "additionalProperties": false, "properties": obj{
			"from": obj{"type": "string", "format": "date"},
			"parts": obj{"type": "array", "items": obj{"type": "object", "required": []string{"percent_bp"}, "additionalProperties": false, "properties": obj{
				"kind": obj{"type": "string", "enum": kinds}, "percent_bp": obj{"type": "integer", "minimum": 1, "maximum": 10000, "description": "basis points: 3000 is 30 %"},
				"days": obj{"type": "integer", "minimum": 0}, "condition": obj{"type": "string"}}}}}},
		true, obj{"200": obj{"description": "the proposed rows", "content": jsonContent(obj{"type": "object", "properties": obj{
			"plan_sum": obj{"type": "integer"}, "instalments": obj{"type": "array", "items": row}}})}}, "400", "401", "404", "422")}
	paths["/api/v1/contracts/{id}/handover"] = obj{"parameters": idOnly, "get": op("handovers", "The hand-over written when the contract was signed", "contractHandover",
		nil, false, obj{"200": obj{"description": "the hand-over", "content": jsonContent(ref("Handover"))}}, "401", "404")}
	paths["/api/v1/handovers/pending"] = obj{"get": op("handovers", "Hand-overs waiting for the caller's acknowledgement of their current version, newest first",
		"pendingHandovers", nil, false, obj{"200": obj{"description": "the hand-overs", "content": jsonContent(obj{"type": "object", "properties": obj{
			"items": obj{"type": "array", "items": ref("Handover")}}})}}, "401")}
	paths["/api/v1/handovers/{id}/acknowledge"] = obj{"parameters": idOnly, "post": op("handovers",
		"A recipient (delivery or after-sales owner) acknowledges the current version. version is the hand-over's version read (409 when it changed since); "+
			"a version acknowledged twice answers 409 handover_already_acknowledged; others answer 403 handover_not_recipient. Each edit of the report is a new version, asked again.",
		"acknowledgeHandover", obj{"type": "object", "additionalProperties": false, "properties": obj{"version": versionProp, "comment": obj{"type": "string", "maxLength": 2000}}},
		false, obj{"200": obj{"description": "the hand-over", "content": jsonContent(ref("Handover"))}}, all...)}
	paths["/api/v1/handovers/{id}/report"] = obj{"parameters": []obj{idParam, {"name": "version_no", "in": "query", "schema": obj{"type": "integer", "minimum": 1},
		"description": "an earlier version (default: the current one)"}}, "get": op("handovers",
		"The report as written: content fields, structured sections (contract and plan, solution, contacts, competitors, promises quoted from the documents, risks), its text, "+
			"recipients with their acknowledgements, and the versions kept", "handoverReport", nil, false,
		obj{"200": obj{"description": "the report", "content": jsonContent(obj{"type": "object"})}}, "400", "401", "404")}
	paths["/api/v1/handovers/{id}/versions"] = obj{"parameters": idOnly, "get": op("handovers", "The versions of the report kept, oldest first", "handoverVersions", nil, false,
		obj{"200": obj{"description": "the versions", "content": jsonContent(obj{"type": "object", "properties": obj{"items": obj{"type": "array", "items": obj{"type": "object", "properties": obj{
			"version_no": obj{"type": "integer"}, "edited_by": obj{"type": "string"}, "edited_at": obj{"type": "string", "format": "date-time"}}}}}})}}, "401", "404")}
}
