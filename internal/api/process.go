package api

import (
	"context"
	"encoding/json"
	"net/http"
	"strconv"
	"strings"
	"time"

	"closeloop/internal/access"
	"closeloop/internal/customers"
	"closeloop/internal/entity"
	"closeloop/internal/errs"
	"closeloop/internal/httpx"
	"closeloop/internal/records"
)

func withAllowDup(ctx context.Context) context.Context { return records.AllowDuplicates(ctx) }

// decodeInto decodes a JSON body into a struct, reporting unknown fields.
func decodeInto(r *http.Request, dst any) error {
	var raw json.RawMessage
	if err := httpx.ReadJSON(r, &raw); err != nil {
		return err
	}
	dec := json.NewDecoder(strings.NewReader(string(raw)))
	dec.DisallowUnknownFields()
	dec.UseNumber()
	if err := dec.Decode(dst); err != nil {
		return errs.New(errs.Invalid, "bad_json").With(err)
	}
	return nil
}

func (h *API) convert(w http.ResponseWriter, r *http.Request, p *access.Principal) error {
	var body struct {
		CustomerID     string         `json:"customer_id"`
		Customer       map[string]any `json:"customer"`
		Contact        map[string]any `json:"contact"`
		SkipContact    bool           `json:"skip_contact"`
		AllowDuplicate bool           `json:"allow_duplicate"`
	}
	if r.ContentLength != 0 {
		if err := decodeInto(r, &body); err != nil {
			return err
		}
	}
	s := h.App.DB.Schema()
	in := customers.ConvertInput{CustomerID: body.CustomerID, SkipContact: body.SkipContact, AllowDuplicate: body.AllowDuplicate || allowDup(r)}
	var err error
	if body.Customer != nil {
		if in.Customer, err = DecodeRecord(s, s.Entity("customer"), body.Customer); err != nil {
			return prefix(err, "customer.")
		}
	}
	if body.Contact != nil {
		if in.Contact, err = DecodeRecord(s, s.Entity("contact"), body.Contact); err != nil {
			return prefix(err, "contact.")
		}
	}
	res, err := h.App.Customers.Convert(r.Context(), p, r.PathValue("id"), in)
	if err != nil {
		return err
	}
	httpx.JSON(w, http.StatusOK, res)
	return nil
}

func prefix(err error, pre string) error {
	e := errs.As(err)
	if e == nil {
		return err
	}
	out := *e
	out.Fields = nil
	for _, f := range e.Fields {
		f.Field = pre + f.Field
		out.Fields = append(out.Fields, f)
	}
	return &out
}

func (h *API) poolEntity(r *http.Request) (*entity.Entity, error) {
	e, err := h.entity(r)
	if err != nil {
		return nil, err
	}
	if !e.Vis.Pool {
		return nil, errs.New(errs.NotFound, "no_route")
	}
	return e, nil
}

func (h *API) claim(w http.ResponseWriter, r *http.Request, p *access.Principal) error {
	e, err := h.poolEntity(r)
	if err != nil {
		return err
	}
	out, err := h.App.Customers.Claim(r.Context(), p, e.Name, r.PathValue("id"))
	if err != nil {
		return err
	}
	httpx.JSON(w, http.StatusOK, Record(e, out))
	return nil
}

func (h *API) release(w http.ResponseWriter, r *http.Request, p *access.Principal) error {
	e, err := h.poolEntity(r)
	if err != nil {
		return err
	}
	var body struct {
		Reason string `json:"reason"`
	}
	if err := decodeInto(r, &body); err != nil {
		return err
	}
	out, err := h.App.Customers.Release(r.Context(), p, e.Name, r.PathValue("id"), body.Reason)
	if err != nil {
		return err
	}
	httpx.JSON(w, http.StatusOK, Record(e, out))
	return nil
}

func (h *API) assign(w http.ResponseWriter, r *http.Request, p *access.Principal) error {
	e, err := h.entity(r)
	if err != nil {
		return err
	}
	var body struct {
		OwnerID string `json:"owner_id"`
	}
	if err := decodeInto(r, &body); err != nil {
		return err
	}
	if _, err := h.App.Customers.Assign(r.Context(), p, e.Name, []string{r.PathValue("id")}, body.OwnerID); err != nil {
		return err
	}
	out, err := h.App.Records.Get(r.Context(), p, e.Name, r.PathValue("id"))
	if errs.KindOf(err) == errs.NotFound {
		// Handed to someone outside the caller's view: report success plainly.
		httpx.JSON(w, http.StatusOK, map[string]any{"id": r.PathValue("id"), "owner_id": body.OwnerID})
		return nil
	}
	if err != nil {
		return err
	}
	httpx.JSON(w, http.StatusOK, Record(e, out))
	return nil
}

func (h *API) merge(w http.ResponseWriter, r *http.Request, p *access.Principal) error {
	var body struct {
		OtherID string `json:"other_id"`
	}
	if err := decodeInto(r, &body); err != nil {
		return err
	}
	if body.OtherID == "" {
		return errs.Validation([]errs.FieldError{{Field: "other_id", Code: "required"}})
	}
	res, err := h.App.Customers.Merge(r.Context(), p, r.PathValue("id"), body.OtherID)
	if err != nil {
		return err
	}
	httpx.JSON(w, http.StatusOK, res)
	return nil
}

func (h *API) timeline(w http.ResponseWriter, r *http.Request, p *access.Principal) error {
	e, err := h.entity(r)
	if err != nil {
		return err
	}
	if e.Name != "customer" && e.Name != "lead" {
		return errs.New(errs.NotFound, "no_route")
	}
	limit, _ := strconv.Atoi(r.URL.Query().Get("limit"))
	items, err := h.App.Customers.Timeline(r.Context(), p, e.Name, r.PathValue("id"), r.URL.Query().Get("before"), limit)
	if err != nil {
		return err
	}
	ae := h.App.DB.Schema().Entity("activity")
	out := make([]map[string]any, len(items))
	for i, it := range items {
		m := map[string]any{"id": it.ID, "at": it.At, "kind": it.Kind, "entity": it.Entity, "record_id": it.RecordID,
			"actor_id": it.ActorID, "actor": it.Actor, "data": it.Data}
		if it.Activity != nil {
			m["activity"] = Record(ae, it.Activity)
		}
		out[i] = m
	}
	next := ""
	if len(items) > 0 && len(items) == clampLimit(limit) {
		next = customers.TimelineCursor(items[len(items)-1])
	}
	httpx.JSON(w, http.StatusOK, map[string]any{"items": out, "next_before": next})
	return nil
}

func clampLimit(n int) int {
	if n <= 0 || n > 200 {
		return 50
	}
	return n
}

func (h *API) consent(w http.ResponseWriter, r *http.Request, p *access.Principal) error {
	var in customers.ConsentInput
	if err := decodeInto(r, &in); err != nil {
		return err
	}
	out, err := h.App.Customers.RecordConsent(r.Context(), p, r.PathValue("id"), in)
	if err != nil {
		return err
	}
	httpx.JSON(w, http.StatusOK, Record(h.App.DB.Schema().Entity("contact"), out))
	return nil
}

func (h *API) consentHistory(w http.ResponseWriter, r *http.Request, p *access.Principal) error {
	evs, err := h.App.Customers.ConsentHistory(r.Context(), p, r.PathValue("id"))
	if err != nil {
		return err
	}
	if evs == nil {
		evs = []customers.ConsentEvent{}
	}
	httpx.JSON(w, http.StatusOK, map[string]any{"items": evs})
	return nil
}

func (h *API) duplicates(w http.ResponseWriter, r *http.Request, p *access.Principal) error {
	e, err := h.entity(r)
	if err != nil {
		return err
	}
	if e.Name != "customer" && e.Name != "contact" && e.Name != "lead" {
		return errs.New(errs.NotFound, "no_route")
	}
	body, err := readBody(r)
	if err != nil {
		return err
	}
	rec, err := DecodeRecord(h.App.DB.Schema(), e, body)
	if err != nil {
		return err
	}
	ds, err := h.App.Customers.Duplicates(r.Context(), p, e.Name, rec)
	if err != nil {
		return err
	}
	if ds == nil {
		ds = []customers.Duplicate{}
	}
	httpx.JSON(w, http.StatusOK, map[string]any{"items": ds})
	return nil
}

func (h *API) search(w http.ResponseWriter, r *http.Request, p *access.Principal) error {
	q := r.URL.Query().Get("q")
	if len([]rune(q)) > 100 {
		return errs.Validation([]errs.FieldError{{Field: "q", Code: "too_long", Args: map[string]any{"max": 100}}})
	}
	limit, _ := strconv.Atoi(r.URL.Query().Get("limit"))
	var types []string
	if t := r.URL.Query().Get("type"); t != "" {
		for _, x := range strings.Split(t, ",") {
			if e := h.App.DB.Schema().Entity(x); e == nil {
				return errs.Validation([]errs.FieldError{{Field: "type", Code: "invalid_option", Args: map[string]any{"value": x}}})
			}
			types = append(types, x)
		}
	}
	hits, err := h.App.Records.Search(r.Context(), p, q, types, limit)
	if err != nil {
		return err
	}
	if hits == nil {
		hits = []records.Hit{}
	}
	httpx.JSON(w, http.StatusOK, map[string]any{"items": hits})
	return nil
}

func (h *API) followups(w http.ResponseWriter, r *http.Request, p *access.Principal) error {
	fu, err := h.App.Customers.DueFollowUps(r.Context(), p, time.Now(), 200)
	if err != nil {
		return err
	}
	ae := h.App.DB.Schema().Entity("activity")
	conv := func(rs []entity.Record) []Object {
		out := make([]Object, len(rs))
		for i, x := range rs {
			out[i] = Record(ae, x)
		}
		return out
	}
	httpx.JSON(w, http.StatusOK, map[string]any{"overdue": conv(fu.Overdue), "today": conv(fu.Today)})
	return nil
}

func (h *API) poolWarnings(w http.ResponseWriter, r *http.Request, p *access.Principal) error {
	items, err := h.App.Customers.PoolWarnings(r.Context(), p, 7, 200)
	if err != nil {
		return err
	}
	if items == nil {
		items = []customers.PoolItem{}
	}
	httpx.JSON(w, http.StatusOK, map[string]any{"items": items})
	return nil
}

func (h *API) getPoolConfig(w http.ResponseWriter, r *http.Request, p *access.Principal) error {
	rules, st, err := h.App.Customers.PoolRules(r.Context(), h.App.DB.R())
	if err != nil {
		return err
	}
	httpx.JSON(w, http.StatusOK, customers.PoolConfig{Rules: rules, Settings: st})
	return nil
}

func (h *API) putPoolConfig(w http.ResponseWriter, r *http.Request, p *access.Principal) error {
	var cfg customers.PoolConfig
	if err := decodeInto(r, &cfg); err != nil {
		return err
	}
	if err := h.App.Customers.SavePoolConfig(r.Context(), p, cfg); err != nil {
		return err
	}
	return h.getPoolConfig(w, r, p)
}
