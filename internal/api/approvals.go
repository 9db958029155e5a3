package api

import (
	"encoding/json"
	"net/http"
	"strconv"

	"closeloop/internal/access"
	"closeloop/internal/crm"
	"closeloop/internal/errs"
	"closeloop/internal/httpx"
)

// Approvals over HTTP: the list (the generic one, plus mine=1 for what
// awaits the caller), one approval with its steps, and the decisions.
// Submitting is part of each document's own process (quotes' /submit).

func init() {
	areaRoutes = append(areaRoutes, func(h *API, m *http.ServeMux) {
		m.HandleFunc("GET /api/v1/approvals", h.authed(h.listApprovals))
		m.HandleFunc("GET /api/v1/approvals/{id}", h.authed(h.getApproval))
		m.HandleFunc("POST /api/v1/approvals/{id}/approve", h.authed(h.decideApproval(crm.DecisionApprove)))
		m.HandleFunc("POST /api/v1/approvals/{id}/reject", h.authed(h.decideApproval(crm.DecisionReject)))
		m.HandleFunc("POST /api/v1/approvals/{id}/return", h.authed(h.decideApproval(crm.DecisionReturn)))
	})
	areaPaths = append(areaPaths, approvalPaths)
}

// listApprovals is the generic list of approvals; mine=1 keeps those
// awaiting the caller's decision (pending, the caller among the awaited).
func (h *API) listApprovals(w http.ResponseWriter, r *http.Request, p *access.Principal) error {
	v := r.URL.Query()
	if mine := v.Get("mine"); mine != "" {
		on, err := strconv.ParseBool(mine)
		if err != nil {
			return errs.Validation([]errs.FieldError{{Field: "mine", Code: "invalid_bool"}})
		}
		v.Del("mine")
		if on {
			v.Set("awaiting", p.UserID)
			if v.Get("status") == "" {
				v.Set("status", crm.ApprovalPending)
			}
		}
	}
	e := h.App.DB.Schema().Entity("approval")
	q, err := h.App.DB.Schema().ParseQuery(e, v)
	if err != nil {
		return err
	}
	page, err := h.App.Records.List(r.Context(), p, e.Name, q)
	if err != nil {
		return err
	}
	writeList(w, e, page.Items, page.Next, page.Total, page.Total >= 0)
	return nil
}

func (h *API) getApproval(w http.ResponseWriter, r *http.Request, p *access.Principal) error {
	a, err := h.App.Approvals.Get(r.Context(), p, r.PathValue("id"))
	if err != nil {
		return err
	}
	httpx.JSON(w, http.StatusOK, a)
	return nil
}

func (h *API) decideApproval(decision string) handler {
	return func(w http.ResponseWriter, r *http.Request, p *access.Principal) error {
		var body struct {
			Comment string      `json:"comment"`
			Version json.Number `json:"version"`
		}
		if err := optionalBody(r, &body); err != nil {
			return err
		}
		v, err := bodyVersion(body.Version)
		if err != nil {
			return err
		}
		a, err := h.App.Approvals.Decide(r.Context(), p, r.PathValue("id"), decision, v, body.Comment)
		if err != nil {
			return err
		}
		httpx.JSON(w, http.StatusOK, a)
		return nil
	}
}

// approvalPaths documents the approvals' own endpoints (the generic list
// gains mine=1; one approval comes with its steps).
func approvalPaths(paths obj) {
	tag := []string{"approvals"}
	str := obj{"type": "string"}
	when := obj{"type": "string", "format": "date-time"}
	step := obj{"type": "object", "properties": obj{
		"id": str, "position": obj{"type": "integer"}, "level": obj{"type": "integer"}, "rule": obj{"type": "string", "description": "the rule that asked for the step"},
		"role": obj{"type": "string", "description": "role the step waits for"}, "user_id": obj{"type": "string", "description": "named approver"},
		"label":      str,
		"status":     obj{"type": "string", "enum": []string{crm.StepWaiting, crm.StepPending, crm.StepApproved, crm.StepRejected, crm.StepReturned, crm.StepSkipped, crm.StepCancelled}},
		"approvers":  obj{"type": "array", "items": str, "description": "users who may decide it, resolved when it was reached"},
		"fallback":   obj{"type": "boolean", "description": "nobody fitted (no manager above the submitter): it fell to the administrators"},
		"decision":   obj{"type": "string", "enum": []string{crm.DecisionApprove, crm.DecisionReject, crm.DecisionReturn}},
		"decided_by": str, "comment": str, "decided_at": when}}
	detail := obj{"type": "object", "required": []string{"id", "version", "doc_type", "record_id", "status", "steps"}, "properties": obj{
		"id": str, "version": obj{"type": "integer", "description": "send it back with a decision; a stale one answers 409"},
		"doc_type": obj{"type": "string", "description": "entity name of the document, e.g. quote"}, "record_id": str, "record_title": str, "customer_id": str,
		"status":       obj{"type": "string", "enum": []string{crm.ApprovalPending, crm.ApprovalApproved, crm.ApprovalRejected, crm.ApprovalReturned, crm.ApprovalCancelled}},
		"current_step": obj{"type": "integer"}, "awaiting": obj{"type": "array", "items": str},
		"submitted_by": str, "submitted_at": when, "reason": str, "decided_at": when,
		"facts": obj{"type": "object", "description": "the condition inputs as submitted: whole numbers (basis points, fen) and codes"},
		"steps": obj{"type": "array", "items": step}}}
	if list, ok := paths["/api/v1/approvals"].(obj); ok {
		if get, ok := list["get"].(obj); ok {
			ps, _ := get["parameters"].([]obj)
			get["parameters"] = append(ps, obj{"name": "mine", "in": "query", "description": "true: only approvals awaiting my decision (status pending unless given)", "schema": obj{"type": "boolean"}})
			get["summary"] = "List approvals (审批) I may see: mine=true for my inbox; filter by status, doc_type, record_id …"
		}
	}
	if item, ok := paths["/api/v1/approvals/{id}"].(obj); ok {
		item["get"] = obj{"tags": tag, "summary": "One approval with its steps (the history of its decisions)", "operationId": "getApproval",
			"responses": withResponses(obj{"200": obj{"description": "the approval", "content": jsonContent(detail)}}, "401", "404")}
	}
	body := func(required bool) obj {
		b := obj{"type": "object", "additionalProperties": false, "properties": obj{
			"comment": obj{"type": "string", "maxLength": 20000}, "version": versionProp}}
		if required {
			b["required"] = []string{"comment"}
		}
		return b
	}
	decide := func(op, summary string, required bool) obj {
		rb := obj{"required": required, "content": jsonContent(body(required))}
		return obj{"parameters": []obj{idParam}, "post": obj{"tags": tag, "summary": summary, "operationId": op, "requestBody": rb,
			"responses": withResponses(obj{"200": obj{"description": "the approval after the decision", "content": jsonContent(detail)}}, "400", "401", "403", "404", "409", "422")}}
	}
	paths["/api/v1/approvals/{id}/approve"] = decide("approveApproval",
		"Approve the pending step (its awaited approvers or an administrator): the next step becomes pending, or the approval ends approved and the document is told. 409: approval_closed, approval_cancelled, approval_already_decided, stale_version; 403 approval_not_awaiting_you", false)
	paths["/api/v1/approvals/{id}/reject"] = decide("rejectApproval",
		"Reject: the approval ends rejected. The comment is required (422 approval_comment_required)", true)
	paths["/api/v1/approvals/{id}/return"] = decide("returnApproval",
		"Return for changes: the approval ends returned; the submitter may change the document and submit it again. The comment is required (422 approval_comment_required)", true)
}
