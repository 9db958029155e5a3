package api

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"

	"closeloop/internal/access"
	"closeloop/internal/admin"
	"closeloop/internal/entity"
	"closeloop/internal/errs"
	"closeloop/internal/httpx"
	"closeloop/internal/i18n"
	"closeloop/internal/importer"
	"closeloop/internal/sheet"
	"closeloop/internal/store"
)

func (h *API) listTokens(w http.ResponseWriter, r *http.Request, p *access.Principal) error {
	ts, err := h.App.DB.Tokens(r.Context(), p.UserID)
	if err != nil {
		return err
	}
	if ts == nil {
		ts = []store.Token{}
	}
	httpx.JSON(w, http.StatusOK, map[string]any{"items": ts})
	return nil
}

func (h *API) createToken(w http.ResponseWriter, r *http.Request, p *access.Principal) error {
	var body struct {
		Name    string `json:"name"`
		Scope   string `json:"scope"`
		Expires string `json:"expires"` // a Go duration ("720h") or a number of days ("30d")
	}
	if err := decodeInto(r, &body); err != nil {
		return err
	}
	ttl, err := ParseTTL(body.Expires)
	if err != nil {
		return err
	}
	plain, t, err := h.App.Auth.CreateToken(r.Context(), p, p.UserID, body.Name, body.Scope, ttl)
	if err != nil {
		return err
	}
	httpx.JSON(w, http.StatusCreated, map[string]any{"token": plain, "info": t})
	return nil
}

// ParseTTL reads a token lifetime: "", "90d", "720h", "30m"; empty means
// no expiry.
func ParseTTL(s string) (time.Duration, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return 0, nil
	}
	bad := errs.Validation([]errs.FieldError{{Field: "expires", Code: "invalid_duration"}})
	if d, ok := strings.CutSuffix(s, "d"); ok {
		n, err := strconv.Atoi(d)
		if err != nil || n <= 0 {
			return 0, bad
		}
		return time.Duration(n) * 24 * time.Hour, nil
	}
	dur, err := time.ParseDuration(s)
	if err != nil || dur <= 0 {
		return 0, bad
	}
	return dur, nil
}

func (h *API) revokeToken(w http.ResponseWriter, r *http.Request, p *access.Principal) error {
	if err := h.App.Auth.RevokeToken(r.Context(), p, r.PathValue("id")); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (h *API) setPassword(w http.ResponseWriter, r *http.Request, p *access.Principal) error {
	var body struct {
		Password        string `json:"password"`
		CurrentPassword string `json:"current_password"`
	}
	if err := decodeInto(r, &body); err != nil {
		return err
	}
	id := r.PathValue("id")
	var err error
	switch {
	case id == p.UserID && !p.IsAdmin():
		err = h.App.Auth.ChangePassword(r.Context(), id, body.CurrentPassword, body.Password)
	case p.IsAdmin():
		err = h.App.Auth.SetPassword(r.Context(), p, id, body.Password)
	default:
		err = errs.Denied()
	}
	if err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (h *API) listCustomFields(w http.ResponseWriter, r *http.Request, p *access.Principal) error {
	cfs := h.App.Admin.CustomFields()
	if cfs == nil {
		cfs = []admin.CustomField{}
	}
	httpx.JSON(w, http.StatusOK, map[string]any{"items": cfs})
	return nil
}

func (h *API) createCustomField(w http.ResponseWriter, r *http.Request, p *access.Principal) error {
	var cf admin.CustomField
	if err := decodeInto(r, &cf); err != nil {
		return err
	}
	name, err := h.App.Admin.AddCustomField(r.Context(), p, cf)
	if err != nil {
		return err
	}
	cf.Name = name
	httpx.JSON(w, http.StatusCreated, cf)
	return nil
}

func (h *API) deleteCustomField(w http.ResponseWriter, r *http.Request, p *access.Principal) error {
	if r.URL.Query().Get("confirm") != "true" {
		return errs.Validation([]errs.FieldError{{Field: "confirm", Code: "confirm_required"}})
	}
	if err := h.App.Admin.DropCustomField(r.Context(), p, r.PathValue("entity"), r.PathValue("name")); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (h *API) listPicklists(w http.ResponseWriter, r *http.Request, p *access.Principal) error {
	out := map[string]any{}
	for _, name := range h.App.Admin.PicklistNames() {
		items, err := h.App.Admin.Picklist(r.Context(), name)
		if err != nil {
			return err
		}
		if items == nil {
			items = []admin.PicklistItem{}
		}
		out[name] = items
	}
	httpx.JSON(w, http.StatusOK, out)
	return nil
}

func (h *API) putPicklist(w http.ResponseWriter, r *http.Request, p *access.Principal) error {
	var body struct {
		Items []admin.PicklistItem `json:"items"`
	}
	if err := decodeInto(r, &body); err != nil {
		return err
	}
	if err := h.App.Admin.SavePicklist(r.Context(), p, r.PathValue("list"), body.Items); err != nil {
		return err
	}
	items, err := h.App.Admin.Picklist(r.Context(), r.PathValue("list"))
	if err != nil {
		return err
	}
	httpx.JSON(w, http.StatusOK, map[string]any{"items": items})
	return nil
}

func (h *API) listRoles(w http.ResponseWriter, r *http.Request, p *access.Principal) error {
	roles, err := h.App.DB.Roles(r.Context())
	if err != nil {
		return err
	}
	httpx.JSON(w, http.StatusOK, map[string]any{"items": roles})
	return nil
}

func (h *API) putRole(w http.ResponseWriter, r *http.Request, p *access.Principal) error {
	var role access.Role
	if err := decodeInto(r, &role); err != nil {
		return err
	}
	role.Code = r.PathValue("code")
	if err := h.App.Admin.SaveRole(r.Context(), p, role); err != nil {
		return err
	}
	httpx.JSON(w, http.StatusOK, role)
	return nil
}

func (h *API) deleteRole(w http.ResponseWriter, r *http.Request, p *access.Principal) error {
	if err := h.App.Admin.DeleteRole(r.Context(), p, r.PathValue("code")); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (h *API) audit(w http.ResponseWriter, r *http.Request, p *access.Principal) error {
	q := r.URL.Query()
	f := store.AuditFilter{Entity: q.Get("entity"), RecordID: q.Get("record_id"), ActorID: q.Get("actor_id")}
	f.Limit, _ = strconv.Atoi(q.Get("limit"))
	if b := q.Get("before"); b != "" {
		t, err := time.Parse(time.RFC3339Nano, b)
		if err != nil {
			return errs.Validation([]errs.FieldError{{Field: "before", Code: "invalid_datetime"}})
		}
		f.Before = t
	}
	items, err := h.App.Admin.Audit(r.Context(), p, f)
	if err != nil {
		return err
	}
	if items == nil {
		items = []store.AuditEntry{}
	}
	httpx.JSON(w, http.StatusOK, map[string]any{"items": items})
	return nil
}

// export streams the list (same filters as GET /{res}) as CSV or XLSX.
func (h *API) export(w http.ResponseWriter, r *http.Request, p *access.Principal) error {
	e, err := h.entity(r)
	if err != nil {
		return err
	}
	v := r.URL.Query()
	format := sheet.Format(v.Get("format"))
	if format == "" {
		format = sheet.CSV
	}
	if format != sheet.CSV && format != sheet.XLSX {
		return errs.Validation([]errs.FieldError{{Field: "format", Code: "invalid_option", Args: map[string]any{"value": string(format)}}})
	}
	q, err := h.App.DB.Schema().ParseQuery(e, v, "format")
	if err != nil {
		return err
	}
	perm := p.Perm(e.Name)
	if perm.Read == access.None || !perm.Export {
		return errs.Denied()
	}
	lang := httpx.Lang(r)
	// Buffer so that a failure midway is a clean error, not a torn file.
	var buf bytes.Buffer
	if _, err := h.App.Importer.Export(r.Context(), p, e.Name, q, format, lang, &buf); err != nil {
		return err
	}
	WriteDownload(w, fmt.Sprintf("%s-%s.%s", e.Resource, time.Now().In(h.App.Loc).Format("20060102-1504"), format), format, buf.Bytes())
	return nil
}

// WriteDownload sends a file as an attachment with safe headers.
func WriteDownload(w http.ResponseWriter, name string, format sheet.Format, data []byte) {
	ct := "text/csv; charset=utf-8"
	if format == sheet.XLSX {
		ct = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
	}
	w.Header().Set("Content-Type", ct)
	w.Header().Set("Content-Disposition", fmt.Sprintf(`attachment; filename="%s"`, name))
	w.Header().Set("Content-Length", strconv.Itoa(len(data)))
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(data)
}

// importFile starts an import from a multipart upload ("file" plus the
// options as form fields) and answers 202 with the run to poll.
func (h *API) importFile(w http.ResponseWriter, r *http.Request, p *access.Principal) error {
	e, err := h.entity(r)
	if err != nil {
		return err
	}
	r.Body = http.MaxBytesReader(w, r.Body, importer.MaxUpload+1<<20)
	if err := r.ParseMultipartForm(8 << 20); err != nil {
		return errs.Validation([]errs.FieldError{{Field: "file", Code: "file_too_large", Args: map[string]any{"max_mb": importer.MaxUpload >> 20}}})
	}
	f, hdr, err := r.FormFile("file")
	if err != nil {
		return errs.Validation([]errs.FieldError{{Field: "file", Code: "required"}})
	}
	defer f.Close()
	data, err := io.ReadAll(f)
	if err != nil {
		return err
	}
	opt, err := ImportOptions(e, r.MultipartForm.Value, httpx.Lang(r))
	if err != nil {
		return err
	}
	id, err := h.App.Imports.Start(r.Context(), p, hdr.Filename, data, opt)
	if err != nil {
		return err
	}
	w.Header().Set("Location", "/api/v1/imports/"+id)
	httpx.JSON(w, http.StatusAccepted, map[string]any{"id": id, "status": "queued"})
	return nil
}

// ImportOptions reads import options from form values: dry_run, mode,
// key, allow_duplicates, mapping (JSON object header → field).
func ImportOptions(e *entity.Entity, v map[string][]string, lang i18n.Lang) (importer.Options, error) {
	get := func(k string) string {
		if x := v[k]; len(x) > 0 {
			return x[0]
		}
		return ""
	}
	b := func(k string) bool { s := get(k); return s == "1" || s == "true" || s == "on" }
	opt := importer.Options{Entity: e.Name, Key: get("key"), DryRun: b("dry_run"), Mode: importer.Mode(get("mode")), AllowDuplicates: b("allow_duplicates"), Lang: lang}
	if m := get("mapping"); m != "" {
		if err := json.Unmarshal([]byte(m), &opt.Mapping); err != nil {
			return opt, errs.Validation([]errs.FieldError{{Field: "mapping", Code: "bad_json"}})
		}
	}
	return opt, nil
}

func (h *API) getImport(w http.ResponseWriter, r *http.Request, p *access.Principal) error {
	ri, err := h.App.Imports.Get(r.Context(), p, r.PathValue("id"))
	if err != nil {
		return err
	}
	if f := r.URL.Query().Get("report"); f != "" {
		if ri.Report == nil {
			return errs.New(errs.Unprocessable, "import_not_finished")
		}
		format := sheet.Format(f)
		if format != sheet.CSV && format != sheet.XLSX {
			return errs.Validation([]errs.FieldError{{Field: "report", Code: "invalid_option", Args: map[string]any{"value": f}}})
		}
		var buf bytes.Buffer
		if err := importer.WriteReport(ri.Report, format, httpx.Lang(r), &buf); err != nil {
			return err
		}
		WriteDownload(w, "import-report-"+ri.ID[:8]+"."+string(format), format, buf.Bytes())
		return nil
	}
	httpx.JSON(w, http.StatusOK, ri)
	return nil
}
