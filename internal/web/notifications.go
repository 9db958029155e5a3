package web

import (
	"net/http"
	"net/url"
	"strings"

	"closeloop/internal/errs"
	"closeloop/internal/i18n"
	"closeloop/internal/notify"
)

// The user's notifications: newest first, each rendered from its kind's
// catalogue entry ("notify.<kind>") and opening its record; mark one read
// (opening it does) or all.

func init() {
	areaRoutes = append(areaRoutes, func(s *Server, m *http.ServeMux) {
		m.HandleFunc("GET /notifications", s.page(s.notifications))
		m.HandleFunc("POST /notifications/read-all", s.page(s.notificationsReadAll))
		m.HandleFunc("POST /notifications/{id}/read", s.page(s.notificationRead))
	})
}

type notifRow struct {
	ID, Text, Note, Href, At string
	Unread                   bool
}

type notifPage struct {
	*base
	Rows       []notifRow
	UnreadOnly bool
	AllHref    string
	UnreadHref string
	Next       string
	First      string
}

func (s *Server) notifications(c *rc) error {
	q := c.r.URL.Query()
	unread := q.Get("unread") == "1" || q.Get("unread") == "true"
	page, err := s.app.Notify.List(c.ctx(), c.p, unread, q.Get("cursor"), 30)
	if err != nil {
		return err
	}
	np := &notifPage{base: c.newBase(c.T("notify.title"), "notifications"), UnreadOnly: unread, AllHref: "/notifications", UnreadHref: "/notifications?unread=1"}
	np.Unread = page.Unread
	for _, n := range page.Items {
		np.Rows = append(np.Rows, c.notifRow(n))
	}
	if page.Next != "" {
		v := url.Values{"cursor": {page.Next}}
		if unread {
			v.Set("unread", "1")
		}
		np.Next = "/notifications?" + v.Encode()
	}
	if q.Get("cursor") != "" {
		np.First = "/notifications"
		if unread {
			np.First += "?unread=1"
		}
	}
	return c.render(http.StatusOK, "notifications", np)
}

// notifRow renders a notification in the reader's language: string data
// are the message's arguments, a "note" its second line.
func (c *rc) notifRow(n notify.Notification) notifRow {
	args := map[string]any{}
	for k, v := range n.Data {
		if str, ok := v.(string); ok {
			args[k] = str
		}
	}
	row := notifRow{ID: n.ID, At: c.fmtTime(n.At), Unread: n.ReadAt == nil, Href: string(c.recordHref(n.Entity, n.RecordID))}
	if i18n.Has(c.L, "notify."+n.Kind) {
		row.Text = i18n.MsgMap(c.L, "notify."+n.Kind, c.localArgs(args))
	} else {
		row.Text = c.T("notify.other", "kind", n.Kind)
	}
	if note, _ := n.Data["note"].(string); note != "" {
		row.Note = note
	}
	return row
}

// notificationRead marks one read and goes on to next (its record, when
// opened from the list) or back to the list.
func (s *Server) notificationRead(c *rc) error {
	_ = c.r.ParseForm()
	if _, err := s.app.Notify.MarkRead(c.ctx(), c.p, strings.ToLower(c.r.PathValue("id"))); err != nil {
		if errs.KindOf(err) == errs.NotFound {
			return err
		}
		return c.processFailed(err, "/notifications")
	}
	return c.back("/notifications")
}

func (s *Server) notificationsReadAll(c *rc) error {
	_ = c.r.ParseForm()
	n, err := s.app.Notify.MarkAllRead(c.ctx(), c.p)
	if err != nil {
		return c.processFailed(err, "/notifications")
	}
	c.flash("success", c.T("notify.marked_all", "n", n))
	return c.back("/notifications")
}
