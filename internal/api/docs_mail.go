package api

import (
	"bytes"
	"net/http"
	"strconv"
	"time"

	"closeloop/internal/access"
	"closeloop/internal/admin"
	"closeloop/internal/errs"
	"closeloop/internal/httpx"
	"closeloop/internal/i18n"
	"closeloop/internal/mail"
	"closeloop/internal/pdfdoc"
)

// Settings for documents and mail (admins): the company letterhead and its
// logo with a PDF preview, the SMTP server (password write-only), a test
// message, and the outbox with resending of failed messages.

func init() {
	areaRoutes = append(areaRoutes, docsMailRoutes)
	areaPaths = append(areaPaths, docsMailPaths)
}

func docsMailRoutes(h *API, m *http.ServeMux) {
	m.HandleFunc("GET /api/v1/settings/company", h.authed(h.getCompany))
	m.HandleFunc("PUT /api/v1/settings/company", h.authed(h.putCompany))
	m.HandleFunc("GET /api/v1/settings/company/logo", h.authed(h.getCompanyLogo))
	m.HandleFunc("POST /api/v1/settings/company/logo", h.authed(h.postCompanyLogo))
	m.HandleFunc("DELETE /api/v1/settings/company/logo", h.authed(h.deleteCompanyLogo))
	m.HandleFunc("GET /api/v1/settings/company/preview", h.authed(h.companyPreview))
	m.HandleFunc("GET /api/v1/settings/smtp", h.authed(h.getSMTP))
	m.HandleFunc("PUT /api/v1/settings/smtp", h.authed(h.putSMTP))
	m.HandleFunc("POST /api/v1/settings/smtp/test", h.authed(h.testSMTP))
	m.HandleFunc("GET /api/v1/outbox", h.authed(h.listOutbox))
	m.HandleFunc("GET /api/v1/outbox/{id}", h.authed(h.getOutbox))
	m.HandleFunc("POST /api/v1/outbox/{id}/resend", h.authed(h.resendOutbox))
}

func (h *API) getCompany(w http.ResponseWriter, r *http.Request, p *access.Principal) error {
	c, err := h.App.Admin.CompanyProfile(r.Context(), p)
	if err != nil {
		return err
	}
	httpx.JSON(w, http.StatusOK, c)
	return nil
}

func (h *API) putCompany(w http.ResponseWriter, r *http.Request, p *access.Principal) error {
	var c pdfdoc.Company
	if err := decodeInto(r, &c); err != nil {
		return err
	}
	if err := h.App.Admin.SaveCompany(r.Context(), p, c); err != nil {
		return h.labelled(w, r, err, "co.field.")
	}
	return h.getCompany(w, r, p)
}

func (h *API) getCompanyLogo(w http.ResponseWriter, r *http.Request, p *access.Principal) error {
	data, info, err := h.App.Admin.CompanyLogo(r.Context(), p)
	if err != nil {
		return err
	}
	w.Header().Set("Content-Type", info.ContentType)
	w.Header().Set("Content-Length", strconv.Itoa(len(data)))
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.Header().Set("Cache-Control", "private, no-cache")
	w.Header().Set("ETag", `"`+info.SHA256+`"`)
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(data)
	return nil
}

func (h *API) postCompanyLogo(w http.ResponseWriter, r *http.Request, p *access.Principal) error {
	if !p.IsAdmin() {
		return errs.Denied()
	}
	up, err := ReadUpload(w, r, admin.MaxLogoSize, func() error {
		return errs.Validation([]errs.FieldError{{Field: "file", Code: "file_too_large", Args: map[string]any{"max_mb": admin.MaxLogoSize >> 20}}})
	})
	if err != nil {
		return h.labelled(w, r, err, "co.field.")
	}
	info, err := h.App.Admin.SetCompanyLogo(r.Context(), p, up.Data)
	if err != nil {
		return h.labelled(w, r, err, "co.field.")
	}
	httpx.JSON(w, http.StatusOK, info)
	return nil
}

func (h *API) deleteCompanyLogo(w http.ResponseWriter, r *http.Request, p *access.Principal) error {
	if err := h.App.Admin.DeleteCompanyLogo(r.Context(), p); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// companyPreview renders the sample document on the saved letterhead
// (?lang=en for the English one).
func (h *API) companyPreview(w http.ResponseWriter, r *http.Request, p *access.Principal) error {
	lang := httpx.Lang(r)
	if l := r.URL.Query().Get("lang"); l == string(i18n.EN) || l == string(i18n.ZH) {
		lang = i18n.Lang(l)
	}
	var buf bytes.Buffer
	if err := h.App.Admin.LetterheadPreview(r.Context(), p, lang, time.Now().In(h.App.Loc), &buf); err != nil {
		return err
	}
	WritePDF(w, "letterhead-preview.pdf", buf.Bytes(), true)
	return nil
}

func (h *API) getSMTP(w http.ResponseWriter, r *http.Request, p *access.Principal) error {
	c, err := h.App.Mail.Settings(r.Context(), p)
	if err != nil {
		return err
	}
	httpx.JSON(w, http.StatusOK, c)
	return nil
}

func (h *API) putSMTP(w http.ResponseWriter, r *http.Request, p *access.Principal) error {
	var u mail.SMTPUpdate
	if err := decodeInto(r, &u); err != nil {
		return err
	}
	c, err := h.App.Mail.SaveSettings(r.Context(), p, u)
	if err != nil {
		return h.labelled(w, r, err, "smtp.field.")
	}
	httpx.JSON(w, http.StatusOK, c)
	return nil
}

func (h *API) testSMTP(w http.ResponseWriter, r *http.Request, p *access.Principal) error {
	var body struct {
		To string `json:"to"`
	}
	if err := decodeInto(r, &body); err != nil {
		return err
	}
	if body.To == "" {
		body.To = p.Email
	}
	l := httpx.Lang(r)
	it, err := h.App.Mail.SendTest(r.Context(), p, body.To, i18n.Msg(l, "smtp.test_subject"), i18n.Msg(l, "smtp.test_body"))
	if err != nil {
		return h.labelled(w, r, err, "smtp.field.")
	}
	httpx.JSON(w, http.StatusOK, it)
	return nil
}

func (h *API) listOutbox(w http.ResponseWriter, r *http.Request, p *access.Principal) error {
	q := r.URL.Query()
	f := mail.Filter{Status: q.Get("status"), Entity: q.Get("entity"), RecordID: q.Get("record_id"), Cursor: q.Get("cursor")}
	if v := q.Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > 200 {
			return errs.Validation([]errs.FieldError{{Field: "limit", Code: "out_of_range", Args: map[string]any{"min": 1, "max": 200}}})
		}
		f.Limit = n
	}
	page, err := h.App.Mail.List(r.Context(), p, f)
	if err != nil {
		return err
	}
	httpx.JSON(w, http.StatusOK, page)
	return nil
}

func (h *API) getOutbox(w http.ResponseWriter, r *http.Request, p *access.Principal) error {
	d, err := h.App.Mail.Get(r.Context(), p, r.PathValue("id"))
	if err != nil {
		return err
	}
	httpx.JSON(w, http.StatusOK, d)
	return nil
}

func (h *API) resendOutbox(w http.ResponseWriter, r *http.Request, p *access.Principal) error {
	id := r.PathValue("id")
	if err := h.App.Mail.Resend(r.Context(), p, id); err != nil {
		return err
	}
	return h.getOutbox(w, r, p)
}

func docsMailPaths(paths obj) {
	str := func(max int, desc string) obj { return obj{"type": "string", "maxLength": max, "description": desc} }
	company := obj{"type": "object", "additionalProperties": false, "required": []string{"name"}, "properties": obj{
		"name": str(200, "公司名称, on every document"), "name_en": str(200, "English name"), "address": str(300, ""),
		"phone": str(50, ""), "email": obj{"type": "string", "format": "email", "maxLength": 254}, "website": str(200, ""),
		"tax_number": str(50, "纳税人识别号"), "bank_name": str(200, "开户行"), "bank_account": str(50, "账号")}}
	logo := obj{"type": "object", "properties": obj{
		"content_type": obj{"type": "string", "enum": []any{"image/png", "image/jpeg"}}, "size": obj{"type": "integer"},
		"sha256": obj{"type": "string"}, "width": obj{"type": "integer"}, "height": obj{"type": "integer"},
		"updated_at": obj{"type": "string", "format": "date-time"}}}
	profile := obj{"type": "object", "properties": obj{}}
	for k, v := range company["properties"].(obj) {
		profile["properties"].(obj)[k] = v
	}
	profile["properties"].(obj)["logo"] = obj{"oneOf": []any{logo, obj{"type": "null"}}}
	sec := obj{"type": "string", "enum": []any{string(mail.SecuritySTARTTLS), string(mail.SecurityTLS), string(mail.SecurityNone)},
		"description": "starttls: upgrade required (usually port 587); tls: TLS from the first byte (465); none: plain, for a relay on a trusted network"}
	smtpOut := obj{"type": "object", "properties": obj{
		"host": obj{"type": "string"}, "port": obj{"type": "integer"}, "username": obj{"type": "string"},
		"password_set": obj{"type": "boolean", "description": "whether a password is stored; the password itself is never returned"},
		"from_address": obj{"type": "string", "format": "email"}, "from_name": obj{"type": "string"}, "security": sec}}
	smtpIn := obj{"type": "object", "additionalProperties": false, "required": []string{"host", "from_address"}, "properties": obj{
		"host": str(253, "server name or address"), "port": obj{"type": "integer", "minimum": 1, "maximum": 65535, "description": "default by security: 587, 465 or 25"},
		"username":     str(254, "sign in as (empty: no sign-in)"),
		"password":     obj{"type": []any{"string", "null"}, "maxLength": 1000, "description": "write-only; omit or null to keep the stored one, \"\" to clear it"},
		"from_address": obj{"type": "string", "format": "email"}, "from_name": str(100, "sender name, e.g. 闭环软件 销售部"), "security": sec}}
	uuid := obj{"type": "string", "format": "uuid"}
	att := obj{"type": "object", "properties": obj{"name": obj{"type": "string"}, "content_type": obj{"type": "string"}, "size": obj{"type": "integer"}}}
	item := obj{"type": "object", "properties": obj{
		"id": uuid, "status": obj{"type": "string", "enum": []any{mail.Queued, mail.Sent, mail.Failed}},
		"to": obj{"type": "array", "items": obj{"type": "string"}}, "cc": obj{"type": "array", "items": obj{"type": "string"}},
		"reply_to": obj{"type": "string"}, "subject": obj{"type": "string"},
		"entity": obj{"type": "string", "description": "what the message is about (quote …); smtp_test for test messages"}, "record_id": uuid,
		"attempts": obj{"type": "integer"}, "last_error": obj{"type": "string", "description": "the server's answer to the last attempt"},
		"message_id": obj{"type": "string"}, "created_at": obj{"type": "string", "format": "date-time"}, "created_by": uuid,
		"updated_at": obj{"type": "string", "format": "date-time"}, "sent_at": obj{"type": "string", "format": "date-time"},
		"attachments": obj{"type": "array", "items": att}}}
	detail := obj{"allOf": []any{item, obj{"type": "object", "properties": obj{"text": obj{"type": "string"}, "html": obj{"type": "string"}}}}}
	ok := func(desc string, schema obj) obj {
		return obj{"200": obj{"description": desc, "content": jsonContent(schema)}}
	}
	jsonBody := func(schema obj) obj { return obj{"required": true, "content": jsonContent(schema)} }
	tag := []string{"settings"}
	paths["/api/v1/settings/company"] = obj{
		"get": obj{"tags": tag, "summary": "The company letterhead printed on documents (admins)", "operationId": "getCompany",
			"responses": withResponses(ok("the letterhead", profile), "401", "403")},
		"put": obj{"tags": tag, "summary": "Replace the letterhead's fields (admins; audited). The logo has its own endpoint.", "operationId": "putCompany",
			"requestBody": jsonBody(company), "responses": withResponses(ok("saved", profile), "400", "401", "403", "422")},
	}
	paths["/api/v1/settings/company/logo"] = obj{
		"get": obj{"tags": tag, "summary": "The logo image", "operationId": "getCompanyLogo",
			"responses": withResponses(obj{"200": obj{"description": "PNG or JPEG", "content": obj{"image/png": obj{"schema": obj{"type": "string", "contentEncoding": "binary"}},
				"image/jpeg": obj{"schema": obj{"type": "string", "contentEncoding": "binary"}}}}}, "401", "403", "404")},
		"post": obj{"tags": tag, "summary": "Upload the logo (admins; audited): PNG or JPEG by its bytes, at most 1 MiB and 4096 px a side (file_too_large, logo_type, logo_dimensions, logo_unreadable)",
			"operationId": "uploadCompanyLogo",
			"requestBody": obj{"required": true, "content": obj{"multipart/form-data": obj{"schema": obj{"type": "object", "required": []string{"file"},
				"properties": obj{"file": obj{"type": "string", "contentEncoding": "binary"}}}}}},
			"responses": withResponses(ok("stored", logo), "400", "401", "403", "422")},
		"delete": obj{"tags": tag, "summary": "Remove the logo (admins; audited)", "operationId": "deleteCompanyLogo",
			"responses": withResponses(obj{"204": obj{"description": "removed"}}, "401", "403")},
	}
	paths["/api/v1/settings/company/preview"] = obj{
		"get": obj{"tags": tag, "summary": "A sample quote on the saved letterhead, as PDF (admins)", "operationId": "previewLetterhead",
			"parameters": []obj{{"name": "lang", "in": "query", "schema": obj{"type": "string", "enum": []any{"zh-CN", "en"}}}},
			"responses":  withResponses(obj{"200": obj{"description": "the PDF", "content": obj{"application/pdf": obj{"schema": obj{"type": "string", "contentEncoding": "binary"}}}}}, "401", "403")},
	}
	paths["/api/v1/settings/smtp"] = obj{
		"get": obj{"tags": tag, "summary": "The outgoing mail server (admins); the password is never returned", "operationId": "getSMTP",
			"responses": withResponses(ok("the settings", smtpOut), "401", "403")},
		"put": obj{"tags": tag, "summary": "Set the outgoing mail server (admins; audited, the password as changed only)", "operationId": "putSMTP",
			"requestBody": jsonBody(smtpIn), "responses": withResponses(ok("saved", smtpOut), "400", "401", "403", "422")},
	}
	paths["/api/v1/settings/smtp/test"] = obj{
		"post": obj{"tags": tag, "summary": "Send a test message now with the saved settings; the answer is the outbox row, status sent or failed with the server's error (admins)",
			"operationId": "testSMTP",
			"requestBody": jsonBody(obj{"type": "object", "additionalProperties": false, "properties": obj{"to": obj{"type": "string", "format": "email", "description": "default: your own address"}}}),
			"responses":   withResponses(ok("the attempt", item), "400", "401", "403", "422")},
	}
	otag := []string{"outbox"}
	paths["/api/v1/outbox"] = obj{
		"get": obj{"tags": otag, "summary": "Outgoing mail, newest first (admins)", "operationId": "listOutbox",
			"parameters": []obj{
				{"name": "status", "in": "query", "schema": obj{"type": "string", "enum": []any{mail.Queued, mail.Sent, mail.Failed}}},
				{"name": "entity", "in": "query", "schema": obj{"type": "string"}}, {"name": "record_id", "in": "query", "schema": uuid},
				{"name": "limit", "in": "query", "schema": obj{"type": "integer", "minimum": 1, "maximum": 200, "default": 50}},
				{"name": "cursor", "in": "query", "schema": obj{"type": "string"}}},
			"responses": withResponses(ok("a page", obj{"type": "object", "properties": obj{"items": obj{"type": "array", "items": item}, "next_cursor": obj{"type": "string"}}}), "400", "401", "403")},
	}
	paths["/api/v1/outbox/{id}"] = obj{"parameters": []obj{idParam},
		"get": obj{"tags": otag, "summary": "A message with its bodies (admins)", "operationId": "getOutbox", "responses": withResponses(ok("the message", detail), "401", "403", "404")}}
	paths["/api/v1/outbox/{id}/resend"] = obj{"parameters": []obj{idParam},
		"post": obj{"tags": otag, "summary": "Queue a failed message again (admins; audited). Only failed ones: mail_not_failed otherwise", "operationId": "resendOutbox",
			"responses": withResponses(ok("queued again", detail), "401", "403", "404", "409", "422")}}
}
