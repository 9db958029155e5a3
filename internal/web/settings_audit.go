package web

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"sort"
	"strings"
	"time"

	"closeloop/internal/errs"
	"closeloop/internal/store"
)

// auditPage is the audit log: who did what to which record, old → new,
// newest first, filtered by entity, record and user.
type auditPage struct {
	*base
	Entity, Record, Actor string
	Entities              []option
	Users                 []option
	Rows                  []auditRow
	Older                 string
	Errors                []string
}

type auditRow struct {
	Time, Actor, Entity, Action string
	Record                      cell
	Changes                     []auditChange
}

type auditChange struct {
	Field, Old, New string
}

const auditPageSize = 100

func (s *Server) auditPage(c *rc) error {
	q := c.r.URL.Query()
	ap := &auditPage{base: c.settingsBase(c.T("set.audit"), "audit"), Entity: q.Get("entity"), Record: strings.TrimSpace(q.Get("record_id")), Actor: q.Get("actor_id")}
	f := store.AuditFilter{Entity: ap.Entity, RecordID: ap.Record, ActorID: ap.Actor, Limit: auditPageSize}
	if b := q.Get("before"); b != "" {
		t, err := time.Parse(time.RFC3339Nano, b)
		if err != nil {
			return errs.Validation([]errs.FieldError{{Field: "before", Code: "invalid_datetime"}})
		}
		f.Before = t
	}
	ap.Entities = []option{{Value: "", Label: c.T("filter.any")}}
	seen := map[string]bool{}
	for _, e := range c.schema.Entities() {
		seen[e.Name] = true
		ap.Entities = append(ap.Entities, option{Value: e.Name, Label: e.Label.In(c.L), Selected: e.Name == ap.Entity})
	}
	for _, other := range []string{"role", "picklist", "custom_field", "settings", "api_token", "mail"} {
		ap.Entities = append(ap.Entities, option{Value: other, Label: c.T("audit.entity." + other), Selected: other == ap.Entity})
	}
	ap.Users = append([]option{{Value: "", Label: c.T("filter.any")}}, c.activeUsers()...)
	for i := range ap.Users {
		ap.Users[i].Selected = ap.Users[i].Value == ap.Actor && ap.Actor != ""
	}
	entries, err := s.app.Admin.Audit(c.ctx(), c.p, f)
	if err != nil {
		return err
	}
	var actors []string
	want := map[string][]string{}
	for _, en := range entries {
		actors = append(actors, en.ActorID)
		if seen[en.Entity] {
			want[en.Entity] = append(want[en.Entity], en.RecordID)
		}
	}
	rf := c.resolve(want, actors)
	for _, en := range entries {
		row := auditRow{Time: c.fmtTime(en.At), Action: c.T("audit.action." + en.Action)}
		if !hasKey(c.L, "audit.action."+en.Action) {
			row.Action = en.Action
		}
		row.Actor, _ = rf.title("user", en.ActorID)
		if row.Actor == "" {
			row.Actor = c.T("tl.system")
		}
		e := c.schema.Entity(en.Entity)
		if e != nil {
			row.Entity = e.Label.In(c.L)
			if t, ok := rf.title(en.Entity, en.RecordID); ok && t != "" {
				row.Record = cell{Text: t, Href: c.recordHref(en.Entity, en.RecordID)}
			}
		} else {
			row.Entity = c.T("audit.entity." + en.Entity)
			if !hasKey(c.L, "audit.entity."+en.Entity) {
				row.Entity = en.Entity
			}
		}
		if row.Record.Empty() {
			row.Record = cell{Text: en.RecordID, Muted: true}
		}
		names := make([]string, 0, len(en.Changes))
		for k := range en.Changes {
			names = append(names, k)
		}
		sort.Strings(names)
		for _, k := range names {
			ch := en.Changes[k]
			ac := auditChange{Field: k, Old: auditValue(ch.Old), New: auditValue(ch.New)}
			if e != nil {
				if fd := e.Field(k); fd != nil {
					ac.Field = fd.Label.In(c.L)
					if v, fe := c.schema.ParseJSON(fd, ch.Old); fe == nil && v != nil {
						ac.Old = c.plain(fd, v)
					}
					if v, fe := c.schema.ParseJSON(fd, ch.New); fe == nil && v != nil {
						ac.New = c.plain(fd, v)
					}
				}
			}
			row.Changes = append(row.Changes, ac)
		}
		ap.Rows = append(ap.Rows, row)
	}
	if len(entries) == auditPageSize {
		v := url.Values{}
		for k, x := range map[string]string{"entity": ap.Entity, "record_id": ap.Record, "actor_id": ap.Actor} {
			if x != "" {
				v.Set(k, x)
			}
		}
		v.Set("before", entries[len(entries)-1].At.UTC().Format(time.RFC3339Nano))
		ap.Older = "/settings/audit?" + v.Encode()
	}
	return c.render(http.StatusOK, "audit", ap)
}

// auditValue shows a raw audited value compactly.
func auditValue(v any) string {
	switch x := v.(type) {
	case nil:
		return "—"
	case string:
		if x == "" {
			return "—"
		}
		return x
	case []any:
		parts := make([]string, len(x))
		for i, p := range x {
			parts[i] = fmt.Sprint(p)
		}
		return strings.Join(parts, ", ")
	}
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Sprint(v)
	}
	s := string(b)
	if len(s) > 300 {
		s = s[:300] + "…"
	}
	return s
}
