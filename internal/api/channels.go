package api

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"io"
	"net/http"
	"strings"

	"closeloop/internal/access"
	"closeloop/internal/channels"
	"closeloop/internal/crm"
	"closeloop/internal/errs"
	"closeloop/internal/httpx"
	"closeloop/internal/i18n"
)

// The after-sales channels over HTTP. Two endpoints need no token: the
// public service request (POST /api/v1/public/service-requests, the JSON
// twin of the /service/request page; channel "api") and the portal-link
// request (POST /api/v1/public/portal-links, always 202). Both accept only
// their listed fields — any other is a 400 naming it — and are limited
// per client address (429 with Retry-After). Signed-in: a portal link for
// a contact, revoking a customer's links, the service mailbox settings
// (admins).

func init() {
	areaRoutes = append(areaRoutes, func(h *API, m *http.ServeMux) {
		m.HandleFunc("POST /api/v1/public/service-requests", h.public(h.publicServiceRequest))
		m.HandleFunc("POST /api/v1/public/portal-links", h.public(h.publicPortalLink))
		m.HandleFunc("POST /api/v1/contacts/{id}/portal-link", h.authed(h.contactPortalLink))
		m.HandleFunc("POST /api/v1/customers/{id}/portal-links/revoke", h.authed(h.revokePortalLinks))
		m.HandleFunc("GET /api/v1/channels/mail-in", h.authed(h.mailInSettings))
		m.HandleFunc("PUT /api/v1/channels/mail-in", h.authed(h.putMailInSettings))
	})
	areaPaths = append(areaPaths, channelsPaths)
}

// public serves an endpoint that needs no token.
func (h *API) public(fn func(w http.ResponseWriter, r *http.Request) error) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		httpx.NoteRoute(r)
		if err := fn(w, r); err != nil {
			httpx.Problem(w, r, err)
		}
	}
}

// strictObject decodes a JSON object whose every key is allowed; the
// first key that is not is a 400 naming it.
func strictObject(r *http.Request, allowed ...string) (map[string]json.RawMessage, error) {
	var body map[string]json.RawMessage
	if err := httpx.ReadJSON(r, &body); err != nil {
		return nil, err
	}
	if body == nil {
		return nil, errs.New(errs.Invalid, "bad_json")
	}
	for k := range body {
		ok := false
		for _, a := range allowed {
			ok = ok || a == k
		}
		if !ok {
			return nil, errs.New(errs.Invalid, "unknown_field", "field", k)
		}
	}
	return body, nil
}

func strField(body map[string]json.RawMessage, k string) (string, error) {
	raw, ok := body[k]
	if !ok || string(raw) == "null" {
		return "", nil
	}
	var s string
	if err := json.Unmarshal(raw, &s); err != nil {
		return "", errs.Validation([]errs.FieldError{{Field: k, Code: "invalid_text"}})
	}
	return s, nil
}

var serviceRequestFields = []string{"name", "company", "phone", "email", "product_id", "product", "order_no", "kind", "description", "photos"}

func (h *API) publicServiceRequest(w http.ResponseWriter, r *http.Request) error {
	body, err := strictObject(r, serviceRequestFields...)
	if err != nil {
		return err
	}
	req := channels.Request{Channel: crm.ChannelAPI, IP: httpx.ClientIP(r), Lang: httpx.Lang(r)}
	for k, dst := range map[string]*string{"name": &req.Name, "company": &req.Company, "phone": &req.Phone, "email": &req.Email, "product_id": &req.ProductID,
		"product": &req.Product, "order_no": &req.OrderNo, "kind": &req.Kind, "description": &req.Description} {
		if *dst, err = strField(body, k); err != nil {
			return err
		}
	}
	if raw, ok := body["photos"]; ok && string(raw) != "null" {
		var photos []map[string]json.RawMessage
		if err := json.Unmarshal(raw, &photos); err != nil {
			return errs.Validation([]errs.FieldError{{Field: "photos", Code: "invalid_list"}})
		}
		for _, p := range photos {
			for k := range p {
				if k != "name" && k != "content_base64" {
					return errs.New(errs.Invalid, "unknown_field", "field", "photos."+k)
				}
			}
			name, _ := strField(p, "name")
			enc, _ := strField(p, "content_base64")
			data, err := io.ReadAll(base64.NewDecoder(base64.StdEncoding, bytes.NewReader([]byte(strings.TrimSpace(enc)))))
			if err != nil {
				return errs.Validation([]errs.FieldError{{Field: "photos", Code: "invalid_text"}})
			}
			req.Photos = append(req.Photos, channels.Photo{Name: name, Data: data})
		}
	}
	rc, err := h.App.Channels.Submit(r.Context(), req)
	if err != nil {
		return err
	}
	httpx.JSON(w, http.StatusCreated, rc)
	return nil
}

func (h *API) publicPortalLink(w http.ResponseWriter, r *http.Request) error {
	body, err := strictObject(r, "email")
	if err != nil {
		return err
	}
	email, err := strField(body, "email")
	if err != nil {
		return err
	}
	l := httpx.Lang(r)
	if err := h.App.Channels.RequestLink(r.Context(), email, httpx.ClientIP(r), l); err != nil {
		return err
	}
	httpx.JSON(w, http.StatusAccepted, map[string]string{"detail": i18n.Msg(l, "chn.portal.ask_done")})
	return nil
}

func (h *API) contactPortalLink(w http.ResponseWriter, r *http.Request, p *access.Principal) error {
	link, err := h.App.Channels.LinkFor(r.Context(), p, r.PathValue("id"))
	if err != nil {
		return err
	}
	out := map[string]any{"path": link.Path, "expires_at": link.ExpiresAt}
	if base := h.App.Cfg.BaseURL; base != "" {
		out["url"] = strings.TrimRight(base, "/") + link.Path
	}
	httpx.JSON(w, http.StatusCreated, out)
	return nil
}

func (h *API) revokePortalLinks(w http.ResponseWriter, r *http.Request, p *access.Principal) error {
	n, err := h.App.Channels.Revoke(r.Context(), p, r.PathValue("id"))
	if err != nil {
		return err
	}
	httpx.JSON(w, http.StatusOK, map[string]any{"revoked": n})
	return nil
}

func (h *API) mailInSettings(w http.ResponseWriter, r *http.Request, p *access.Principal) error {
	c, err := h.App.Channels.IMAPSettings(r.Context(), p)
	if err != nil {
		return err
	}
	httpx.JSON(w, http.StatusOK, c)
	return nil
}

func (h *API) putMailInSettings(w http.ResponseWriter, r *http.Request, p *access.Principal) error {
	var u channels.IMAPUpdate
	if err := decodeInto(r, &u); err != nil {
		return err
	}
	c, err := h.App.Channels.SaveIMAPSettings(r.Context(), p, u)
	if err != nil {
		return err
	}
	httpx.JSON(w, http.StatusOK, c)
	return nil
}

func channelsPaths(paths obj) {
	str := obj{"type": "string"}
	none := []obj{{}}
	reqBody := obj{"type": "object", "additionalProperties": false, "required": []string{"name", "description"}, "properties": obj{
		"name": str, "company": str, "phone": obj{"type": "string", "description": "phone or email: at least one"}, "email": obj{"type": "string", "format": "email"},
		"product_id": obj{"type": "string", "format": "uuid", "description": "an active product"}, "product": obj{"type": "string", "description": "the product in the customer's words"},
		"order_no": str, "kind": obj{"type": "string", "enum": []string{crm.TicketConsultation, crm.TicketRepair, crm.TicketComplaint, crm.TicketReturn, crm.TicketSpareParts, crm.TicketOther}},
		"description": str,
		"photos": obj{"type": "array", "maxItems": channels.MaxPhotos, "items": obj{"type": "object", "additionalProperties": false, "properties": obj{
			"name": str, "content_base64": obj{"type": "string", "contentEncoding": "base64", "description": "JPEG, PNG, GIF, WebP or PDF, within the upload limit"}}}}}}
	paths["/api/v1/public/service-requests"] = obj{"post": obj{"tags": []string{"public"}, "operationId": "publicServiceRequest", "security": none,
		"summary":     "A customer's service request, without a token: opens a ticket (channel api) and answers its number at once; an acknowledgement with a portal link is mailed. Unknown fields 400 unknown_field; 5 per client address per 10 minutes (429 with Retry-After)",
		"requestBody": obj{"required": true, "content": jsonContent(reqBody)},
		"responses": withResponses(obj{"201": obj{"description": "the ticket's number", "content": jsonContent(obj{"type": "object", "properties": obj{
			"number": str, "status": str, "portal_hint": obj{"type": "string", "description": "where updates go (never who we matched)"}}})}}, "400", "422", "429")}}
	paths["/api/v1/public/portal-links"] = obj{"post": obj{"tags": []string{"public"}, "operationId": "publicPortalLink", "security": none,
		"summary":     "Ask for a portal link by e-mail: always 202 whether the address is known or not; a link is mailed only to a known contact",
		"requestBody": obj{"required": true, "content": jsonContent(obj{"type": "object", "additionalProperties": false, "required": []string{"email"}, "properties": obj{"email": str}})},
		"responses":   withResponses(obj{"202": obj{"description": "the same answer for every address"}}, "400", "422", "429")}}
	paths["/api/v1/contacts/{id}/portal-link"] = obj{"parameters": []obj{idParam}, "post": obj{"tags": []string{"contacts"}, "operationId": "contactPortalLink",
		"summary":   "Make a portal link (7 days) for a contact to send by hand; the token is shown once",
		"responses": withResponses(obj{"201": obj{"description": "the link", "content": jsonContent(obj{"type": "object", "properties": obj{"path": str, "url": str, "expires_at": obj{"type": "string", "format": "date-time"}}})}}, "401", "403", "404")}}
	paths["/api/v1/customers/{id}/portal-links/revoke"] = obj{"parameters": []obj{idParam}, "post": obj{"tags": []string{"customers"}, "operationId": "revokePortalLinks",
		"summary":   "Revoke every portal link of a customer",
		"responses": withResponses(obj{"200": obj{"description": "how many were revoked", "content": jsonContent(obj{"type": "object", "properties": obj{"revoked": obj{"type": "integer"}}})}}, "401", "403", "404")}}
	imapSchema := obj{"type": "object", "properties": obj{"enabled": obj{"type": "boolean"}, "host": str, "port": obj{"type": "integer"},
		"security": obj{"type": "string", "enum": []string{"none", "starttls", "tls"}}, "username": str, "password": obj{"type": "string", "writeOnly": true, "description": "omit to keep"},
		"password_set": obj{"type": "boolean", "readOnly": true}, "folder": str}}
	paths["/api/v1/channels/mail-in"] = obj{
		"get": obj{"tags": []string{"settings"}, "operationId": "mailInSettings", "summary": "The service mailbox (IMAP) read by service.mail_in (admins)",
			"responses": withResponses(obj{"200": obj{"description": "the settings, without the password", "content": jsonContent(imapSchema)}}, "401", "403")},
		"put": obj{"tags": []string{"settings"}, "operationId": "putMailInSettings", "summary": "Change the service mailbox (admins; audited)",
			"requestBody": obj{"required": true, "content": jsonContent(imapSchema)},
			"responses":   withResponses(obj{"200": obj{"description": "the settings", "content": jsonContent(imapSchema)}}, "400", "401", "403", "422")}}
}
