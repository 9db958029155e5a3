package api

import (
	"net/http"
	"strconv"

	"closeloop/internal/access"
	"closeloop/internal/errs"
	"closeloop/internal/httpx"
	"closeloop/internal/notify"
)

// The caller's notifications: newest first, mark one or all read.

func init() {
	areaRoutes = append(areaRoutes, func(h *API, m *http.ServeMux) {
		m.HandleFunc("GET /api/v1/notifications", h.authed(h.listNotifications))
		m.HandleFunc("POST /api/v1/notifications/read-all", h.authed(h.readAllNotifications))
		m.HandleFunc("POST /api/v1/notifications/{id}/read", h.authed(h.readNotification))
	})
	areaPaths = append(areaPaths, notificationPaths)
}

func (h *API) listNotifications(w http.ResponseWriter, r *http.Request, p *access.Principal) error {
	v := r.URL.Query()
	unread := false
	if s := v.Get("unread"); s != "" {
		b, err := strconv.ParseBool(s)
		if err != nil {
			return errs.Validation([]errs.FieldError{{Field: "unread", Code: "invalid_bool"}})
		}
		unread = b
	}
	limit := 0
	if s := v.Get("limit"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 || n > notify.MaxLimit {
			return errs.Validation([]errs.FieldError{{Field: "limit", Code: "out_of_range", Args: map[string]any{"min": 1, "max": notify.MaxLimit}}})
		}
		limit = n
	}
	page, err := h.App.Notify.List(r.Context(), p, unread, v.Get("cursor"), limit)
	if err != nil {
		return err
	}
	httpx.JSON(w, http.StatusOK, page)
	return nil
}

func (h *API) readNotification(w http.ResponseWriter, r *http.Request, p *access.Principal) error {
	n, err := h.App.Notify.MarkRead(r.Context(), p, r.PathValue("id"))
	if err != nil {
		return err
	}
	httpx.JSON(w, http.StatusOK, n)
	return nil
}

func (h *API) readAllNotifications(w http.ResponseWriter, r *http.Request, p *access.Principal) error {
	n, err := h.App.Notify.MarkAllRead(r.Context(), p)
	if err != nil {
		return err
	}
	httpx.JSON(w, http.StatusOK, map[string]int{"marked": n, "unread": 0})
	return nil
}

func notificationPaths(paths obj) {
	tag := []string{"notifications"}
	str := obj{"type": "string"}
	one := obj{"type": "object", "required": []string{"id", "at", "kind", "data"}, "properties": obj{
		"id": str, "at": obj{"type": "string", "format": "date-time"},
		"kind":   obj{"type": "string", "description": "what happened: approval_pending, approval_approved, approval_rejected, approval_returned, approval_cancelled, pool_warning, pool_returned …"},
		"entity": obj{"type": "string", "description": "the record it is about"}, "record_id": str,
		"data":    obj{"type": "object", "description": "the message's arguments (title, names, note)"},
		"read_at": obj{"type": "string", "format": "date-time"}}}
	paths["/api/v1/notifications"] = obj{"get": obj{"tags": tag, "summary": "My notifications, newest first", "operationId": "listNotifications",
		"parameters": []obj{
			{"name": "unread", "in": "query", "description": "true: unread only", "schema": obj{"type": "boolean"}},
			{"name": "limit", "in": "query", "schema": obj{"type": "integer", "minimum": 1, "maximum": notify.MaxLimit, "default": 20}},
			{"$ref": "#/components/parameters/cursor"}},
		"responses": withResponses(obj{"200": obj{"description": "a page", "content": jsonContent(obj{"type": "object", "required": []string{"items", "unread"}, "properties": obj{
			"items": obj{"type": "array", "items": one}, "next_cursor": str, "unread": obj{"type": "integer", "description": "my unread count"}}})}}, "401", "422")}}
	paths["/api/v1/notifications/{id}/read"] = obj{"parameters": []obj{idParam}, "post": obj{"tags": tag, "summary": "Mark one of my notifications read (again is no error)", "operationId": "readNotification",
		"responses": withResponses(obj{"200": obj{"description": "the notification", "content": jsonContent(one)}}, "401", "404")}}
	paths["/api/v1/notifications/read-all"] = obj{"post": obj{"tags": tag, "summary": "Mark all my notifications read", "operationId": "readAllNotifications",
		"responses": withResponses(obj{"200": obj{"description": "how many were marked", "content": jsonContent(obj{"type": "object", "properties": obj{
			"marked": obj{"type": "integer"}, "unread": obj{"type": "integer"}}})}}, "401")}}
}
