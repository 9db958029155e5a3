package api

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"

	"closeloop/internal/access"
	"closeloop/internal/crm"
	"closeloop/internal/entity"
	"closeloop/internal/errs"
	"closeloop/internal/finance"
	"closeloop/internal/httpx"
	"closeloop/internal/sheet"
	"closeloop/internal/store"
)

// Finance over HTTP: invoices (issue with the instalments they cover,
// void), payments (record — idempotent with an Idempotency-Key —,
// allocate their credit, reverse), a contract's money against its plan,
// the receivables ageing (JSON, CSV, XLSX) and the reminder setting.
// Reading, listing, exporting and editing the free fields are generic.

func init() {
	areaRoutes = append(areaRoutes, func(h *API, m *http.ServeMux) {
		m.HandleFunc("POST /api/v1/invoices", h.authed(h.issueInvoice))
		m.HandleFunc("POST /api/v1/invoices/{id}/void", h.authed(h.voidInvoice))
		m.HandleFunc("POST /api/v1/payments", h.authed(h.recordPayment))
		m.HandleFunc("POST /api/v1/payments/{id}/allocate", h.authed(h.allocateCredit))
		m.HandleFunc("POST /api/v1/payments/{id}/reverse", h.authed(h.reversePayment))
		m.HandleFunc("GET /api/v1/contracts/{id}/finance", h.authed(h.contractFinance))
		m.HandleFunc("GET /api/v1/reports/receivables", h.authed(h.receivables))
		m.HandleFunc("GET /api/v1/finance/settings", h.authed(h.financeSettings))
		m.HandleFunc("PUT /api/v1/finance/settings", h.authed(h.putFinanceSettings))
	})
	areaPaths = append(areaPaths, financePaths)
}

// allocationsBody reads the optional "allocations" of a create body and
// removes it from the record's fields.
func allocationsBody(body map[string]any) ([]crm.Allocation, error) {
	raw, ok := body["allocations"]
	if !ok {
		return nil, nil
	}
	delete(body, "allocations")
	if raw == nil {
		return nil, nil
	}
	b, err := json.Marshal(raw)
	if err != nil {
		return nil, errs.New(errs.Invalid, "bad_json").With(err)
	}
	return decodeAllocations(b)
}

func decodeAllocations(b []byte) ([]crm.Allocation, error) {
	var items []struct {
		InstalmentID string      `json:"instalment_id"`
		Amount       json.Number `json:"amount"`
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	dec.UseNumber()
	if err := dec.Decode(&items); err != nil {
		return nil, errs.Validation([]errs.FieldError{{Field: "allocations", Code: "invalid_list"}})
	}
	out := make([]crm.Allocation, 0, len(items))
	for _, it := range items {
		n, err := it.Amount.Int64()
		if err != nil || !entity.LooksLikeID(it.InstalmentID) {
			return nil, errs.Validation([]errs.FieldError{{Field: "allocations", Code: "invalid_list"}})
		}
		out = append(out, crm.Allocation{InstalmentID: it.InstalmentID, Amount: n})
	}
	return out, nil
}

// financeBody decodes a create body of e: the record's fields and the
// allocations.
func (h *API) financeBody(r *http.Request, e *entity.Entity) (entity.Record, []crm.Allocation, error) {
	body, err := readBody(r)
	if err != nil {
		return nil, nil, err
	}
	allocs, err := allocationsBody(body)
	if err != nil {
		return nil, nil, err
	}
	rec, err := DecodeRecord(h.App.DB.Schema(), e, body)
	return rec, allocs, err
}

func (h *API) issueInvoice(w http.ResponseWriter, r *http.Request, p *access.Principal) error {
	e := h.App.DB.Schema().Entity("invoice")
	rec, allocs, err := h.financeBody(r, e)
	if err != nil {
		return err
	}
	out, err := h.App.Finance.IssueInvoice(r.Context(), p, rec, allocs)
	if err != nil {
		return err
	}
	w.Header().Set("Location", "/api/v1/invoices/"+out.ID())
	httpx.JSON(w, http.StatusCreated, Record(e, out))
	return nil
}

// reasonBody reads {"reason": …, "version": n}.
func reasonBody(r *http.Request) (string, int64, error) {
	var body struct {
		Reason  string      `json:"reason"`
		Version json.Number `json:"version"`
	}
	if err := optionalBody(r, &body); err != nil {
		return "", 0, err
	}
	v, err := bodyVersion(body.Version)
	return body.Reason, v, err
}

func (h *API) voidInvoice(w http.ResponseWriter, r *http.Request, p *access.Principal) error {
	why, v, err := reasonBody(r)
	if err != nil {
		return err
	}
	out, err := h.App.Finance.VoidInvoice(r.Context(), p, r.PathValue("id"), v, why)
	if err != nil {
		return err
	}
	httpx.JSON(w, http.StatusOK, Record(h.App.DB.Schema().Entity("invoice"), out))
	return nil
}

// recordPayment is POST /payments: idempotent under an Idempotency-Key.
func (h *API) recordPayment(w http.ResponseWriter, r *http.Request, p *access.Principal) error {
	raw, err := readRaw(r)
	if err != nil {
		return err
	}
	e := h.App.DB.Schema().Entity("payment")
	rec, allocs, err := h.financeBody(r, e)
	if err != nil {
		return err
	}
	return h.idempotent(w, r, p, raw, "/api/v1/payments/", func(ctx context.Context, tx *store.Tx) (created, error) {
		out, err := h.App.Finance.RecordPaymentTx(ctx, tx, p, rec.Clone(), allocs)
		if err != nil {
			return created{}, err
		}
		return created{Status: http.StatusCreated, Location: "/api/v1/payments/" + out.ID(), Body: Record(e, out)}, nil
	})
}

func (h *API) allocateCredit(w http.ResponseWriter, r *http.Request, p *access.Principal) error {
	var body struct {
		Allocations json.RawMessage `json:"allocations"`
		Version     json.Number     `json:"version"`
	}
	if err := optionalBody(r, &body); err != nil {
		return err
	}
	v, err := bodyVersion(body.Version)
	if err != nil {
		return err
	}
	var allocs []crm.Allocation
	if len(body.Allocations) > 0 && string(body.Allocations) != "null" {
		if allocs, err = decodeAllocations(body.Allocations); err != nil {
			return err
		}
	}
	out, err := h.App.Finance.AllocateCredit(r.Context(), p, r.PathValue("id"), v, allocs)
	if err != nil {
		return err
	}
	httpx.JSON(w, http.StatusOK, Record(h.App.DB.Schema().Entity("payment"), out))
	return nil
}

func (h *API) reversePayment(w http.ResponseWriter, r *http.Request, p *access.Principal) error {
	why, v, err := reasonBody(r)
	if err != nil {
		return err
	}
	out, err := h.App.Finance.ReversePayment(r.Context(), p, r.PathValue("id"), v, why)
	if err != nil {
		return err
	}
	httpx.JSON(w, http.StatusOK, Record(h.App.DB.Schema().Entity("payment"), out))
	return nil
}

func (h *API) contractFinance(w http.ResponseWriter, r *http.Request, p *access.Principal) error {
	cf, err := h.App.Finance.ContractSummary(r.Context(), p, r.PathValue("id"))
	if err != nil {
		return err
	}
	s := h.App.DB.Schema()
	objs := func(name string, items []entity.Record) []Object {
		out := make([]Object, len(items))
		for i, it := range items {
			out[i] = Record(s.Entity(name), it)
		}
		return out
	}
	httpx.JSON(w, http.StatusOK, map[string]any{"contract_id": cf.Contract.ID(), "totals": cf,
		"instalments": objs("payment_instalment", cf.Plan), "invoices": objs("invoice", cf.Invoices), "payments": objs("payment", cf.Payments)})
	return nil
}

// AgeingFilter reads the receivables filter of a query (API and web).
func AgeingFilter(q map[string][]string, allowed ...string) (finance.AgeingFilter, error) {
	get := func(k string) string {
		if v := q[k]; len(v) > 0 {
			return v[0]
		}
		return ""
	}
	known := map[string]bool{"as_of": true, "group": true, "customer_id": true, "owner_id": true, "team_id": true, "limit": true}
	for _, k := range allowed {
		known[k] = true
	}
	for k := range q {
		if !known[k] {
			return finance.AgeingFilter{}, errs.Validation([]errs.FieldError{{Field: k, Code: "unknown_field", Args: map[string]any{"field": k}}})
		}
	}
	f := finance.AgeingFilter{AsOf: get("as_of"), Group: get("group"), CustomerID: get("customer_id"), OwnerID: get("owner_id"), TeamID: get("team_id")}
	if l := get("limit"); l != "" {
		n, err := strconv.Atoi(l)
		if err != nil || n < 1 || n > 5000 {
			return f, errs.Validation([]errs.FieldError{{Field: "limit", Code: "out_of_range", Args: map[string]any{"min": 1, "max": 5000}}})
		}
		f.Limit = n
	}
	return f, nil
}

func (h *API) receivables(w http.ResponseWriter, r *http.Request, p *access.Principal) error {
	q := r.URL.Query()
	f, err := AgeingFilter(q, "format")
	if err != nil {
		return err
	}
	format := q.Get("format")
	if format == "" || format == "json" {
		a, err := h.App.Finance.Ageing(r.Context(), p, f)
		if err != nil {
			return err
		}
		httpx.JSON(w, http.StatusOK, a)
		return nil
	}
	var buf bytes.Buffer
	if err := h.App.Finance.ExportAgeing(r.Context(), p, f, sheet.Format(format), httpx.Lang(r), &buf); err != nil {
		return err
	}
	asOf := f.AsOf
	if asOf == "" {
		asOf = "today"
	}
	WriteDownload(w, fmt.Sprintf("receivables-%s.%s", asOf, format), sheet.Format(format), buf.Bytes())
	return nil
}

func (h *API) financeSettings(w http.ResponseWriter, r *http.Request, p *access.Principal) error {
	if p.Perm("payment_instalment").Read == access.None {
		return errs.Denied()
	}
	days, err := h.App.Finance.RemindDays(r.Context(), h.App.DB.R())
	if err != nil {
		return err
	}
	httpx.JSON(w, http.StatusOK, map[string]any{"remind_days": days})
	return nil
}

func (h *API) putFinanceSettings(w http.ResponseWriter, r *http.Request, p *access.Principal) error {
	var body struct {
		RemindDays *int `json:"remind_days"`
	}
	if err := decodeInto(r, &body); err != nil {
		return err
	}
	if body.RemindDays == nil {
		return errs.Validation([]errs.FieldError{{Field: "remind_days", Code: "required"}})
	}
	if err := h.App.Finance.SetRemindDays(r.Context(), p, *body.RemindDays); err != nil {
		return err
	}
	return h.financeSettings(w, r, p)
}
