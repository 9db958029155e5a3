// Package api is the JSON REST API under /api/v1, derived from the entity
// declarations (every resource gets list, create, get, update, delete,
// restore, export and import) plus the explicit processes (convert, claim,
// release, merge …). Errors are RFC 9457 problem documents with a stable
// code; the OpenAPI 3.1 document is generated from the same declarations,
// custom fields included, so it cannot drift from what the handlers accept.
package api

import (
	"encoding/json"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"closeloop/internal/access"
	"closeloop/internal/app"
	"closeloop/internal/entity"
	"closeloop/internal/errs"
	"closeloop/internal/httpx"
)

// API serves /api/v1.
type API struct {
	App *app.App
	mux *http.ServeMux
}

// New builds the API handler.
func New(a *app.App) *API {
	h := &API{App: a, mux: http.NewServeMux()}
	h.routes()
	return h
}

func (h *API) ServeHTTP(w http.ResponseWriter, r *http.Request) { h.mux.ServeHTTP(w, r) }

// handler is an API handler that may fail; failures become problems.
type handler func(w http.ResponseWriter, r *http.Request, p *access.Principal) error

// authed requires a signed-in principal.
func (h *API) authed(fn handler) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		httpx.NoteRoute(r)
		p := httpx.Principal(r)
		if p == nil {
			if su := httpx.Session(r); su != nil && su.NeedTOTP {
				httpx.Problem(w, r, errs.New(errs.Unauthorized, "totp_required"))
				return
			}
			httpx.Problem(w, r, errs.New(errs.Unauthorized, "unauthorized"))
			return
		}
		if r.Method != http.MethodGet && r.Method != http.MethodHead && p.ReadOnly {
			httpx.Problem(w, r, errs.New(errs.Forbidden, "token_read_only"))
			return
		}
		if err := fn(w, r, p); err != nil {
			httpx.ProblemLabeled(w, r, err, h.labeler(r))
		}
	}
}

// resource is the resource segment of an /api/v1/<resource>/… path.
func resource(r *http.Request) string {
	rest := strings.TrimPrefix(r.URL.Path, "/api/v1/")
	res, _, _ := strings.Cut(rest, "/")
	return res
}

// labeler names fields of the resource in the URL for messages.
func (h *API) labeler(r *http.Request) httpx.Labeler {
	e := h.App.DB.Schema().ByResource(resource(r))
	if e == nil {
		return nil
	}
	l := httpx.Lang(r)
	return func(field string) string {
		if f := e.Field(field); f != nil {
			return f.Label.In(l)
		}
		return ""
	}
}

// areaRoutes are the process endpoints of later areas, registered from
// init in each area's own file (pre-sales, in-sales …).
var areaRoutes []func(h *API, m *http.ServeMux)

func (h *API) routes() {
	m := h.mux
	for _, add := range areaRoutes {
		add(h, m)
	}
	m.HandleFunc("GET /api/openapi.json", h.openAPI)
	m.HandleFunc("GET /api/v1/me", h.authed(h.me))
	m.HandleFunc("GET /api/v1/search", h.authed(h.search))
	m.HandleFunc("GET /api/v1/followups", h.authed(h.followups))
	m.HandleFunc("GET /api/v1/pool/warnings", h.authed(h.poolWarnings))
	m.HandleFunc("GET /api/v1/pool/config", h.authed(h.getPoolConfig))
	m.HandleFunc("PUT /api/v1/pool/config", h.authed(h.putPoolConfig))
	m.HandleFunc("GET /api/v1/tokens", h.authed(h.listTokens))
	m.HandleFunc("POST /api/v1/tokens", h.authed(h.createToken))
	m.HandleFunc("DELETE /api/v1/tokens/{id}", h.authed(h.revokeToken))
	m.HandleFunc("GET /api/v1/custom-fields", h.authed(h.listCustomFields))
	m.HandleFunc("POST /api/v1/custom-fields", h.authed(h.createCustomField))
	m.HandleFunc("DELETE /api/v1/custom-fields/{entity}/{name}", h.authed(h.deleteCustomField))
	m.HandleFunc("GET /api/v1/picklists", h.authed(h.listPicklists))
	m.HandleFunc("PUT /api/v1/picklists/{list}", h.authed(h.putPicklist))
	m.HandleFunc("GET /api/v1/roles", h.authed(h.listRoles))
	m.HandleFunc("PUT /api/v1/roles/{code}", h.authed(h.putRole))
	m.HandleFunc("DELETE /api/v1/roles/{code}", h.authed(h.deleteRole))
	m.HandleFunc("GET /api/v1/audit", h.authed(h.audit))
	m.HandleFunc("GET /api/v1/imports/{id}", h.authed(h.getImport))
	m.HandleFunc("POST /api/v1/users/{id}/password", h.authed(h.setPassword))

	// Processes of the customer base.
	m.HandleFunc("POST /api/v1/leads/{id}/convert", h.authed(h.convert))
	m.HandleFunc("POST /api/v1/customers/{id}/merge", h.authed(h.merge))
	m.HandleFunc("POST /api/v1/contacts/{id}/consent", h.authed(h.consent))
	m.HandleFunc("GET /api/v1/contacts/{id}/consent", h.authed(h.consentHistory))
	for _, res := range []string{"customers", "leads"} {
		m.HandleFunc("POST /api/v1/"+res+"/{id}/claim", h.authed(h.claim))
		m.HandleFunc("POST /api/v1/"+res+"/{id}/release", h.authed(h.release))
		m.HandleFunc("GET /api/v1/"+res+"/{id}/timeline", h.authed(h.timeline))
	}
	for _, res := range []string{"customers", "contacts", "leads"} {
		m.HandleFunc("POST /api/v1/"+res+"/duplicates", h.authed(h.duplicates))
	}

	// Generic resources, from the declarations. Resources are fixed by
	// declarations (custom fields add fields, not resources), so the routes
	// are registered once per resource.
	// An area may serve one of them itself (the approvals list reads
	// "mine"): a pattern it registered is not registered again.
	generic := func(pattern string, fn handler) {
		if !registered(m, pattern) {
			m.HandleFunc(pattern, h.authed(fn))
		}
	}
	for _, e := range h.App.DB.Schema().Entities() {
		base := "/api/v1/" + e.Resource
		generic("GET "+base, h.list)
		generic("POST "+base, h.create)
		generic("GET "+base+"/export", h.export)
		generic("POST "+base+"/import", h.importFile)
		generic("GET "+base+"/{id}", h.get)
		generic("PATCH "+base+"/{id}", h.update)
		generic("DELETE "+base+"/{id}", h.remove)
		generic("POST "+base+"/{id}/restore", h.restore)
		if e.Vis.Owned && !routed(m, http.MethodPost, base+"/x/assign") {
			// An area may give /assign its own meaning (pre-sales requests
			// assign engineers, not an owner).
			m.HandleFunc("POST "+base+"/{id}/assign", h.authed(h.assign))
		}
	}
	m.HandleFunc("/api/", func(w http.ResponseWriter, r *http.Request) {
		httpx.Problem(w, r, errs.New(errs.NotFound, "no_route"))
	})
}

// registered reports whether exactly this pattern ("GET /api/v1/x/{id}")
// is registered already.
func registered(m *http.ServeMux, pattern string) bool {
	method, path, _ := strings.Cut(pattern, " ")
	probe := strings.ReplaceAll(path, "{id}", "00000000-0000-7000-8000-000000000000")
	_, got := m.Handler(&http.Request{Method: method, URL: &url.URL{Path: probe}})
	return got == pattern
}

// routed reports whether a route registered so far serves method and path.
func routed(m *http.ServeMux, method, path string) bool {
	_, pattern := m.Handler(&http.Request{Method: method, URL: &url.URL{Path: path}})
	return pattern != ""
}

func (h *API) entity(r *http.Request) (*entity.Entity, error) {
	e := h.App.DB.Schema().ByResource(resource(r))
	if e == nil {
		return nil, errs.New(errs.NotFound, "no_route")
	}
	return e, nil
}

// DecodeRecord reads a JSON object into canonical values of e's fields.
// Keys that are not fields are errors naming them, so typos do not vanish.
func DecodeRecord(s *entity.Schema, e *entity.Entity, body map[string]any, skip ...string) (entity.Record, error) {
	out := entity.Record{}
	var bad []errs.FieldError
	for k, v := range body {
		if contains(skip, k) {
			continue
		}
		f := e.Field(k)
		if f == nil {
			bad = append(bad, errs.FieldError{Field: k, Code: "unknown_field", Args: map[string]any{"field": k}})
			continue
		}
		val, fe := s.ParseJSON(f, v)
		if fe != nil {
			bad = append(bad, *fe)
			continue
		}
		out[k] = val
	}
	return out, errs.Validation(bad)
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

func (h *API) list(w http.ResponseWriter, r *http.Request, p *access.Principal) error {
	e, err := h.entity(r)
	if err != nil {
		return err
	}
	q, err := h.App.DB.Schema().ParseQuery(e, r.URL.Query())
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

func (h *API) get(w http.ResponseWriter, r *http.Request, p *access.Principal) error {
	e, err := h.entity(r)
	if err != nil {
		return err
	}
	rec, err := h.App.Records.Get(r.Context(), p, e.Name, r.PathValue("id"))
	if err != nil {
		return err
	}
	if e.AuditReads {
		h.App.Records.LogRead(r.Context(), p, e.Name, rec.ID(), "")
	}
	httpx.JSON(w, http.StatusOK, Record(e, rec))
	return nil
}

func readBody(r *http.Request) (map[string]any, error) {
	var body map[string]any
	if err := httpx.ReadJSON(r, &body); err != nil {
		return nil, err
	}
	if body == nil {
		return nil, errs.New(errs.Invalid, "bad_json")
	}
	return body, nil
}

func (h *API) create(w http.ResponseWriter, r *http.Request, p *access.Principal) error {
	e, err := h.entity(r)
	if err != nil {
		return err
	}
	if e.Name == "user" {
		return h.createUser(w, r, p, e)
	}
	body, err := readBody(r)
	if err != nil {
		return err
	}
	rec, err := DecodeRecord(h.App.DB.Schema(), e, body)
	if err != nil {
		return err
	}
	ctx := r.Context()
	if allowDup(r) {
		ctx = withAllowDup(ctx)
	}
	out, err := h.App.Records.Create(ctx, p, e.Name, rec)
	if err != nil {
		return err
	}
	w.Header().Set("Location", "/api/v1/"+e.Resource+"/"+out.ID())
	httpx.JSON(w, http.StatusCreated, Record(e, out))
	return nil
}

func allowDup(r *http.Request) bool {
	v := r.URL.Query().Get("allow_duplicate")
	return v == "1" || v == "true"
}

func (h *API) createUser(w http.ResponseWriter, r *http.Request, p *access.Principal, e *entity.Entity) error {
	body, err := readBody(r)
	if err != nil {
		return err
	}
	pw, _ := body["password"].(string)
	rec, err := DecodeRecord(h.App.DB.Schema(), e, body, "password")
	if err != nil {
		return err
	}
	out, err := h.App.Auth.CreateUser(r.Context(), p, rec, pw)
	if err != nil {
		return err
	}
	w.Header().Set("Location", "/api/v1/users/"+out.ID())
	httpx.JSON(w, http.StatusCreated, Record(e, out))
	return nil
}

// version reads the version a change is based on: the body's "version",
// or an If-Match header.
func version(r *http.Request, body map[string]any) (int64, error) {
	if v, ok := body["version"]; ok {
		if n, ok := v.(json.Number); ok {
			if x, err := n.Int64(); err == nil && x > 0 {
				return x, nil
			}
		}
		return 0, errs.Validation([]errs.FieldError{{Field: "version", Code: "invalid_integer"}})
	}
	if im := strings.Trim(r.Header.Get("If-Match"), `" W/`); im != "" {
		if x, err := strconv.ParseInt(im, 10, 64); err == nil && x > 0 {
			return x, nil
		}
	}
	if q := r.URL.Query().Get("version"); q != "" {
		if x, err := strconv.ParseInt(q, 10, 64); err == nil && x > 0 {
			return x, nil
		}
	}
	return 0, errs.Validation([]errs.FieldError{{Field: "version", Code: "required"}})
}

func (h *API) update(w http.ResponseWriter, r *http.Request, p *access.Principal) error {
	e, err := h.entity(r)
	if err != nil {
		return err
	}
	body, err := readBody(r)
	if err != nil {
		return err
	}
	v, err := version(r, body)
	if err != nil {
		return err
	}
	rec, err := DecodeRecord(h.App.DB.Schema(), e, body, "version", "id")
	if err != nil {
		return err
	}
	out, err := h.App.Records.Update(r.Context(), p, e.Name, r.PathValue("id"), v, rec)
	if err != nil {
		return err
	}
	httpx.JSON(w, http.StatusOK, Record(e, out))
	return nil
}

func (h *API) remove(w http.ResponseWriter, r *http.Request, p *access.Principal) error {
	e, err := h.entity(r)
	if err != nil {
		return err
	}
	var v int64
	if q := r.URL.Query().Get("version"); q != "" || r.Header.Get("If-Match") != "" {
		if v, err = version(r, nil); err != nil {
			return err
		}
	}
	if err := h.App.Records.Delete(r.Context(), p, e.Name, r.PathValue("id"), v); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (h *API) restore(w http.ResponseWriter, r *http.Request, p *access.Principal) error {
	e, err := h.entity(r)
	if err != nil {
		return err
	}
	out, err := h.App.Records.Restore(r.Context(), p, e.Name, r.PathValue("id"))
	if err != nil {
		return err
	}
	httpx.JSON(w, http.StatusOK, Record(e, out))
	return nil
}

func (h *API) me(w http.ResponseWriter, r *http.Request, p *access.Principal) error {
	perms := map[string]access.Perm{}
	for _, e := range h.App.DB.Schema().Entities() {
		perms[e.Name] = p.Perm(e.Name)
	}
	httpx.JSON(w, http.StatusOK, map[string]any{
		"id": p.UserID, "name": p.Name, "email": p.Email, "team_id": p.TeamID, "roles": p.RoleCodes(),
		"permissions": perms, "see_contacts": p.SeeContacts(), "pool": p.CanPool(), "assign": p.CanAssign(),
		"admin": p.IsAdmin(), "read_only": p.ReadOnly, "lang": httpx.Lang(r),
	})
	return nil
}
