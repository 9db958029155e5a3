package api

import (
	"bytes"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"io"
	"mime"
	"mime/multipart"
	"net/http"
	"strconv"

	"closeloop/internal/access"
	"closeloop/internal/attachments"
	"closeloop/internal/errs"
	"closeloop/internal/httpx"
)

// Attachments on any record: upload (multipart), list per record,
// metadata, download with safe headers, delete and restore. The service
// checks the record's visibility with the caller's principal on every
// path, so a record one may not see has no attachments one may see.

func init() {
	areaRoutes = append(areaRoutes, attachmentRoutes)
	areaPaths = append(areaPaths, attachmentPaths)
}

func attachmentRoutes(h *API, m *http.ServeMux) {
	m.HandleFunc("POST /api/v1/attachments", h.authed(h.uploadAttachment))
	m.HandleFunc("GET /api/v1/attachments", h.authed(h.listAttachments))
	m.HandleFunc("GET /api/v1/attachments/{id}", h.authed(h.getAttachment))
	m.HandleFunc("DELETE /api/v1/attachments/{id}", h.authed(h.deleteAttachment))
	m.HandleFunc("POST /api/v1/attachments/{id}/restore", h.authed(h.restoreAttachment))
	m.HandleFunc("GET /api/v1/attachments/{id}/download", h.authed(h.downloadAttachment))
	// Per record, for every resource (those added later too).
	m.HandleFunc("GET /api/v1/{resource}/{id}/attachments", h.authed(h.listRecordAttachments))
	m.HandleFunc("POST /api/v1/{resource}/{id}/attachments", h.authed(h.uploadRecordAttachment))
}

// attachmentJSON is an attachment as the API shows it.
type attachmentJSON struct {
	attachments.Attachment
	DownloadURL string `json:"download_url"`
}

func attachmentOut(a attachments.Attachment) attachmentJSON {
	return attachmentJSON{Attachment: a, DownloadURL: "/api/v1/attachments/" + a.ID + "/download"}
}

// Upload is a multipart upload read by ReadUpload: its form fields and
// its one file.
type Upload struct {
	Fields map[string]string
	Name   string
	Data   []byte
}

// uploadOverhead is what a multipart body may carry besides the file
// (boundaries, part headers, a few small fields).
const uploadOverhead = 64 << 10

// maxField is the longest form field of an upload.
const maxField = 4 << 10

// ReadUpload reads a multipart/form-data body with one file part (named
// "file") and small fields, holding at most max bytes of file. A body
// that is not multipart, or broken, is bad_multipart (400); a file over
// max is file_too_large (422), found while reading — nothing is kept.
// On an error the fields read so far come back too (the web UI returns
// to the record they name). The web UI uses it too.
func ReadUpload(w http.ResponseWriter, r *http.Request, max int64, tooLarge func() error) (*Upload, error) {
	mt, params, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if err != nil || mt != "multipart/form-data" || params["boundary"] == "" {
		return nil, errs.New(errs.Invalid, "bad_multipart")
	}
	if r.ContentLength > max+uploadOverhead {
		return nil, tooLarge()
	}
	r.Body = http.MaxBytesReader(w, r.Body, max+uploadOverhead)
	mr := multipart.NewReader(r.Body, params["boundary"])
	up := &Upload{Fields: map[string]string{}}
	gotFile := false
	for {
		part, err := mr.NextPart()
		if err == io.EOF {
			break
		}
		if err != nil {
			return up, uploadErr(err, tooLarge)
		}
		name := part.FormName()
		if name == "file" || part.FileName() != "" {
			if gotFile {
				part.Close()
				return up, errs.New(errs.Invalid, "bad_multipart")
			}
			gotFile = true
			data, err := io.ReadAll(io.LimitReader(part, max+1))
			if err != nil {
				return up, uploadErr(err, tooLarge)
			}
			if int64(len(data)) > max {
				return up, tooLarge()
			}
			up.Name, up.Data = part.FileName(), data
			if up.Name == "" {
				up.Name = "file"
			}
			continue
		}
		b, err := io.ReadAll(io.LimitReader(part, maxField+1))
		if err != nil {
			return up, uploadErr(err, tooLarge)
		}
		if len(b) > maxField {
			return up, errs.New(errs.Invalid, "bad_multipart")
		}
		if _, dup := up.Fields[name]; !dup {
			up.Fields[name] = string(b)
		}
	}
	if !gotFile {
		return up, errs.Validation([]errs.FieldError{{Field: "file", Code: "file_required"}})
	}
	return up, nil
}

func uploadErr(err error, tooLarge func() error) error {
	var mbe *http.MaxBytesError
	if errors.As(err, &mbe) {
		return tooLarge()
	}
	return errs.New(errs.Invalid, "bad_multipart").With(err)
}

// field reads an upload's field, or the same name from the query.
func (u *Upload) field(r *http.Request, name string) string {
	if v := u.Fields[name]; v != "" {
		return v
	}
	return r.URL.Query().Get(name)
}

func (h *API) upload(w http.ResponseWriter, r *http.Request, p *access.Principal, entityName, recordID string, fromForm bool) error {
	svc := h.App.Files
	up, err := ReadUpload(w, r, svc.MaxSize, svc.TooLarge)
	if err != nil {
		return err
	}
	if fromForm {
		entityName, recordID = up.field(r, "entity"), up.field(r, "record_id")
		var bad []errs.FieldError
		if entityName == "" {
			bad = append(bad, errs.FieldError{Field: "entity", Code: "required"})
		}
		if recordID == "" {
			bad = append(bad, errs.FieldError{Field: "record_id", Code: "required"})
		}
		if err := errs.Validation(bad); err != nil {
			return err
		}
	}
	a, err := svc.Upload(r.Context(), p, entityName, recordID, up.Name, up.Data)
	if err != nil {
		return err
	}
	w.Header().Set("Location", "/api/v1/attachments/"+a.ID)
	httpx.JSON(w, http.StatusCreated, attachmentOut(a))
	return nil
}

func (h *API) uploadAttachment(w http.ResponseWriter, r *http.Request, p *access.Principal) error {
	return h.upload(w, r, p, "", "", true)
}

func (h *API) uploadRecordAttachment(w http.ResponseWriter, r *http.Request, p *access.Principal) error {
	e := h.App.DB.Schema().ByResource(r.PathValue("resource"))
	if e == nil {
		return errs.New(errs.NotFound, "no_route")
	}
	return h.upload(w, r, p, e.Name, r.PathValue("id"), false)
}

func boolParam(r *http.Request, name string) bool {
	v := r.URL.Query().Get(name)
	return v == "1" || v == "true"
}

func (h *API) writeAttachments(w http.ResponseWriter, r *http.Request, p *access.Principal, entityName, recordID string) error {
	list, err := h.App.Files.List(r.Context(), p, entityName, recordID, boolParam(r, "deleted"))
	if err != nil {
		return err
	}
	items := make([]attachmentJSON, len(list))
	for i, a := range list {
		items[i] = attachmentOut(a)
	}
	httpx.JSON(w, http.StatusOK, map[string]any{"items": items})
	return nil
}

func (h *API) listAttachments(w http.ResponseWriter, r *http.Request, p *access.Principal) error {
	q := r.URL.Query()
	var bad []errs.FieldError
	for _, k := range []string{"entity", "record_id"} {
		if q.Get(k) == "" {
			bad = append(bad, errs.FieldError{Field: k, Code: "required"})
		}
	}
	if err := errs.Validation(bad); err != nil {
		return err
	}
	return h.writeAttachments(w, r, p, q.Get("entity"), q.Get("record_id"))
}

func (h *API) listRecordAttachments(w http.ResponseWriter, r *http.Request, p *access.Principal) error {
	e := h.App.DB.Schema().ByResource(r.PathValue("resource"))
	if e == nil {
		return errs.New(errs.NotFound, "no_route")
	}
	return h.writeAttachments(w, r, p, e.Name, r.PathValue("id"))
}

func (h *API) getAttachment(w http.ResponseWriter, r *http.Request, p *access.Principal) error {
	a, err := h.App.Files.Get(r.Context(), p, r.PathValue("id"))
	if err != nil {
		return err
	}
	httpx.JSON(w, http.StatusOK, attachmentOut(a))
	return nil
}

func (h *API) deleteAttachment(w http.ResponseWriter, r *http.Request, p *access.Principal) error {
	if err := h.App.Files.Delete(r.Context(), p, r.PathValue("id")); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (h *API) restoreAttachment(w http.ResponseWriter, r *http.Request, p *access.Principal) error {
	a, err := h.App.Files.Restore(r.Context(), p, r.PathValue("id"))
	if err != nil {
		return err
	}
	httpx.JSON(w, http.StatusOK, attachmentOut(a))
	return nil
}

func (h *API) downloadAttachment(w http.ResponseWriter, r *http.Request, p *access.Principal) error {
	return ServeAttachment(h.App.Files, w, r, p, r.PathValue("id"))
}

// ServeAttachment answers a download (the API's and the web UI's): the
// record's visibility checked by the service, the download audited, and
// headers that keep a file from running as part of the site — always a
// download (inline only for raster images, when asked with inline=1),
// the name exact in filename*= (Chinese names survive), no sniffing, a
// sandbox CSP, no caching. HEAD answers the headers without reading the
// file or auditing; ranges are served (large PDFs, videos).
func ServeAttachment(svc *attachments.Service, w http.ResponseWriter, r *http.Request, p *access.Principal, id string) error {
	var a attachments.Attachment
	var data []byte
	var err error
	if r.Method == http.MethodHead {
		a, err = svc.Get(r.Context(), p, id)
		if err == nil && a.Deleted() {
			err = errs.NotFoundf("attachment")
		}
	} else {
		a, data, err = svc.Open(r.Context(), p, id)
	}
	if err != nil {
		return err
	}
	kind := "attachment"
	if boolParam(r, "inline") && attachments.Inline(a.ContentType) {
		kind = "inline"
	}
	hd := w.Header()
	hd.Set("Content-Type", a.ContentType)
	hd.Set("Content-Disposition", attachments.ContentDisposition(kind, a.Name))
	hd.Set("X-Content-Type-Options", "nosniff")
	hd.Set("Content-Security-Policy", "sandbox")
	hd.Set("Cross-Origin-Resource-Policy", "same-origin")
	hd.Set("Cache-Control", "private, no-store")
	if sum, err := hex.DecodeString(a.SHA256); err == nil {
		hd.Set("Repr-Digest", "sha-256=:"+base64.StdEncoding.EncodeToString(sum)+":")
	}
	if r.Method == http.MethodHead {
		hd.Set("Content-Length", strconv.FormatInt(a.Size, 10))
		hd.Set("Accept-Ranges", "bytes")
		w.WriteHeader(http.StatusOK)
		return nil
	}
	http.ServeContent(w, r, "", a.CreatedAt, bytes.NewReader(data))
	return nil
}

func attachmentPaths(paths obj) {
	uuid := obj{"type": "string", "format": "uuid"}
	att := obj{"type": "object", "title": "Attachment", "description": "附件: a file attached to a record",
		"required": []string{"id", "entity", "record_id", "name", "content_type", "size", "sha256", "created_at", "download_url"},
		"properties": obj{
			"id": uuid, "entity": obj{"type": "string", "description": "entity name of the record (customer, opportunity …)"}, "record_id": uuid,
			"name":         obj{"type": "string", "description": "sanitised file name"},
			"content_type": obj{"type": "string", "description": "decided from the bytes, not from what the uploader declared"},
			"size":         obj{"type": "integer", "format": "int64"}, "sha256": obj{"type": "string", "description": "hex SHA-256 of the bytes"},
			"created_at": obj{"type": "string", "format": "date-time"}, "created_by": uuid,
			"deleted_at": obj{"type": "string", "format": "date-time"}, "deleted_by": uuid,
			"download_url": obj{"type": "string"},
		}}
	list := obj{"type": "object", "required": []string{"items"}, "properties": obj{"items": obj{"type": "array", "items": att}}}
	ok := func(desc string, schema obj) obj {
		return obj{"200": obj{"description": desc, "content": jsonContent(schema)}}
	}
	created := obj{"201": obj{"description": "attached; Location names the attachment", "content": jsonContent(att)}}
	tag := []string{"attachments"}
	upload := func(withRecord bool) obj {
		props := obj{"file": obj{"type": "string", "contentEncoding": "binary", "description": "the file; its name is sanitised, programs, scripts and web pages are refused (file_type_refused), over the limit is file_too_large"}}
		req := []string{"file"}
		if withRecord {
			props["entity"] = obj{"type": "string", "description": "entity name or resource (customer or customers)"}
			props["record_id"] = uuid
			req = append(req, "entity", "record_id")
		}
		return obj{"required": true, "content": obj{"multipart/form-data": obj{"schema": obj{"type": "object", "required": req, "properties": props}}}}
	}
	deletedParam := obj{"name": "deleted", "in": "query", "description": "list the deleted attachments instead (needs the right to change the record)", "schema": obj{"type": "boolean"}}
	idOnly := []obj{idParam}
	paths["/api/v1/attachments"] = obj{
		"get": obj{"tags": tag, "summary": "A record's attachments, newest first (404 when the record is not visible)", "operationId": "listAttachments",
			"parameters": []obj{{"name": "entity", "in": "query", "required": true, "schema": obj{"type": "string"}}, {"name": "record_id", "in": "query", "required": true, "schema": uuid}, deletedParam},
			"responses":  withResponses(ok("the attachments", list), "401", "403", "404", "422")},
		"post": obj{"tags": tag, "summary": "Attach a file to a record (needs the right to change the record)", "operationId": "uploadAttachment",
			"requestBody": upload(true), "responses": withResponses(created, "400", "401", "403", "404", "422")},
	}
	paths["/api/v1/attachments/{id}"] = obj{"parameters": idOnly,
		"get": obj{"tags": tag, "summary": "An attachment's metadata", "operationId": "getAttachment", "responses": withResponses(ok("the attachment", att), "401", "404")},
		"delete": obj{"tags": tag, "summary": "Delete an attachment (restorable; audited)", "operationId": "deleteAttachment",
			"responses": withResponses(obj{"204": obj{"description": "deleted"}}, "401", "403", "404")},
	}
	paths["/api/v1/attachments/{id}/restore"] = obj{"parameters": idOnly,
		"post": obj{"tags": tag, "summary": "Restore a deleted attachment", "operationId": "restoreAttachment", "responses": withResponses(ok("restored", att), "401", "403", "404", "422")}}
	paths["/api/v1/attachments/{id}/download"] = obj{"parameters": idOnly,
		"get": obj{"tags": tag, "summary": "Download the file (audited). Content-Disposition: attachment with the exact name in filename*=; nosniff; CSP sandbox; ranges supported", "operationId": "downloadAttachment",
			"parameters": []obj{{"name": "inline", "in": "query", "description": "show PNG, JPEG, GIF and WebP images inline; other types are always downloads", "schema": obj{"type": "boolean"}}},
			"responses":  withResponses(obj{"200": obj{"description": "the file", "content": obj{"*/*": obj{"schema": obj{"type": "string", "contentEncoding": "binary"}}}}}, "401", "404")}}
	resParams := []obj{{"name": "resource", "in": "path", "required": true, "description": "any resource: customers, opportunities, knowledge-articles …", "schema": obj{"type": "string"}}, idParam}
	paths["/api/v1/{resource}/{id}/attachments"] = obj{"parameters": resParams,
		"get": obj{"tags": tag, "summary": "A record's attachments (as GET /api/v1/attachments)", "operationId": "listRecordAttachments",
			"parameters": []obj{deletedParam}, "responses": withResponses(ok("the attachments", list), "401", "403", "404")},
		"post": obj{"tags": tag, "summary": "Attach a file to this record", "operationId": "uploadRecordAttachment",
			"requestBody": upload(false), "responses": withResponses(created, "400", "401", "403", "404", "422")},
	}
}
