package web

import (
	"fmt"
	"net/url"
	"sort"
	"strings"
	"time"

	"closeloop/internal/customers"
	"closeloop/internal/entity"
	"closeloop/internal/errs"
	"closeloop/internal/i18n"
)

// timelineView is the customer report (客户报告): activities, changes,
// conversions and pool moves, newest first, loaded page by page.
type timelineView struct {
	Items []tlItem
	More  string // URL of the next page, for htmx "load more"
}

type tlItem struct {
	Class, Icon   string
	ISO, Time     string
	Actor         string
	Title         string
	TitleHref     string
	Body          string
	Meta          []string
	Changes       []tlChange
	Done          bool
	ActivityTitle string
}

type tlChange struct {
	Label    string
	Old, New cell
}

const timelinePage = 20

// timeline loads one page of a customer's or lead's story.
func (s *Server) timeline(c *rc, entityName, id string, before string) (*timelineView, error) {
	items, err := s.app.Customers.Timeline(c.ctx(), c.p, entityName, id, before, timelinePage)
	if err != nil {
		return nil, err
	}
	tv := &timelineView{Items: c.timelineItems(items)}
	if len(items) == timelinePage {
		e := c.schema.Entity(entityName)
		tv.More = basePath(e) + "/" + id + "/timeline?before=" + url.QueryEscape(customers.TimelineCursor(items[len(items)-1]))
	}
	return tv, nil
}

// timelineMore answers the "load more" button with the next items.
func (s *Server) timelineMore(c *rc) error {
	e, err := c.entityOf()
	if err != nil {
		return err
	}
	id := strings.ToLower(c.r.PathValue("id"))
	if !entity.LooksLikeID(id) {
		return errs.NotFoundf(e.Name)
	}
	before := c.r.URL.Query().Get("before")
	tv, err := s.timeline(c, e.Name, id, before)
	if err != nil {
		return err
	}
	type frag struct {
		*base
		Timeline *timelineView
	}
	return c.fragment(200, "detail", "timeline_items", frag{base: c.newBase("", ""), Timeline: tv})
}

var activityIcons = map[string]bool{"call": true, "visit": true, "email": true, "meeting": true, "demo": true, "note": true}

// timelineItems turns events into lines people read; references in
// changes are resolved in one batch.
func (c *rc) timelineItems(items []customers.TimelineItem) []tlItem {
	// Collect references of changed fields and activity contacts.
	want := map[string][]string{}
	var users []string
	for _, it := range items {
		if it.Activity != nil {
			if id := it.Activity.Str("contact_id"); id != "" {
				want["contact"] = append(want["contact"], id)
			}
		}
		e := c.schema.Entity(it.Entity)
		fields, _ := it.Data["fields"].(map[string]any)
		for name, pair := range fields {
			f := e.Field(name)
			vals, _ := pair.([]any)
			if f == nil || len(vals) != 2 {
				continue
			}
			for _, v := range vals {
				id, _ := v.(string)
				if id == "" {
					continue
				}
				switch f.Kind {
				case entity.User:
					users = append(users, id)
				case entity.Ref:
					want[f.Ref] = append(want[f.Ref], id)
				}
			}
		}
		for _, k := range []string{"from", "to", "previous_owner"} {
			if id, ok := it.Data[k].(string); ok && id != "" {
				users = append(users, id)
			}
		}
	}
	rf := c.resolve(want, users)
	ae := c.schema.Entity("activity")
	out := make([]tlItem, 0, len(items))
	for _, it := range items {
		ti := tlItem{ISO: it.At.UTC().Format(time.RFC3339), Time: c.fmtTime(it.At), Actor: it.Actor, Class: "tl-system", Icon: c.T("tl.icon.system")}
		if ti.Actor == "" {
			ti.Actor = c.T("tl.system")
		}
		title, _ := it.Data["title"].(string)
		switch it.Kind {
		case "activity":
			a := it.Activity
			kind := a.Str("kind")
			if activityIcons[kind] {
				ti.Class, ti.Icon = "tl-"+kind, c.T("tl.icon."+kind)
			}
			kindLabel := c.schema.OptionLabel(ae.Field("kind"), kind, c.L)
			ti.Title = kindLabel + " · " + a.Str("subject")
			ti.TitleHref = "/activities/" + a.ID()
			ti.Body = a.Str("summary")
			if cid := a.Str("contact_id"); cid != "" {
				if name, ok := rf.title("contact", cid); ok {
					ti.Meta = append(ti.Meta, c.T("tl.with_contact", "name", name))
				}
			}
			if step := a.Str("next_step"); step != "" {
				m := c.T("tl.next_step", "step", step)
				if due := a.Str("next_step_due"); due != "" {
					m += c.T("tl.due", "date", due)
				}
				if a.Bool("next_step_done") {
					m += c.T("tl.done_mark")
				}
				ti.Meta = append(ti.Meta, m)
			}
		case "changed", "contact_changed":
			ti.Class, ti.Icon = "tl-change", c.T("tl.icon.change")
			key := "tl.changed"
			if it.Kind == "contact_changed" {
				key = "tl.contact_changed"
			}
			ti.Title = c.T(key, "title", title)
			ti.Changes = c.changes(it.Entity, it.Data, rf)
		case "created":
			ti.Title = c.T("tl.created", "title", title)
		case "deleted":
			ti.Title = c.T("tl.deleted")
		case "restored":
			ti.Title = c.T("tl.restored")
		case "contact_added":
			ti.Title = c.T("tl.contact_added", "title", title)
			if role, _ := it.Data["decision_role"].(string); role != "" {
				ti.Title += c.T("ui.paren", "x", c.schema.OptionLabel(c.schema.Entity("contact").Field("decision_role"), role, c.L))
			}
			ti.TitleHref = "/contacts/" + it.RecordID
		case "contact_deleted":
			ti.Title = c.T("tl.contact_deleted", "title", title)
		case "contact_restored":
			ti.Title = c.T("tl.contact_restored", "title", title)
		case "lead_created":
			src, _ := it.Data["source"].(string)
			ti.Title = c.T("tl.lead_created", "title", title, "source", c.schema.OptionLabel(c.schema.Entity("lead").Field("source"), src, c.L))
			ti.TitleHref = "/leads/" + it.RecordID
		case "converted":
			ti.Class, ti.Icon = "tl-change", c.T("tl.icon.convert")
			key := "tl.converted_new"
			if created, _ := it.Data["created"].(bool); !created {
				key = "tl.converted_linked"
			}
			ti.Title = c.T(key, "title", title)
			ti.TitleHref = "/leads/" + it.RecordID
		case "claimed":
			ti.Title = c.T("tl.claimed", "name", it.Actor)
		case "released":
			reason, _ := it.Data["reason"].(string)
			f := c.schema.Entity("customer").Field("release_reason")
			ti.Title = c.T("tl.released", "reason", c.schema.OptionLabel(f, reason, c.L))
			if prev, _ := it.Data["previous_owner"].(string); prev != "" {
				if n, ok := rf.title("user", prev); ok {
					ti.Meta = append(ti.Meta, c.T("tl.previous_owner", "name", n))
				}
			}
		case "assigned":
			from, _ := it.Data["from"].(string)
			to, _ := it.Data["to"].(string)
			toName, _ := rf.title("user", to)
			ti.Title = c.T("tl.assigned", "name", toName)
			if from != "" {
				if n, ok := rf.title("user", from); ok {
					ti.Meta = append(ti.Meta, c.T("tl.previous_owner", "name", n))
				}
			} else {
				ti.Meta = append(ti.Meta, c.T("tl.from_pool"))
			}
		case "merged":
			ti.Class, ti.Icon = "tl-change", c.T("tl.icon.change")
			ti.Title = c.T("tl.merged", "title", title)
			if moved, ok := it.Data["moved"].(map[string]any); ok && len(moved) > 0 {
				ti.Meta = append(ti.Meta, c.movedText(moved))
			}
		case "consent":
			ti.Title = c.T("tl.consent", "title", title)
			ce := c.schema.Entity("contact")
			if mc, _ := it.Data["marketing_consent"].(string); mc != "" {
				ti.Meta = append(ti.Meta, ce.Field("marketing_consent").Label.In(c.L)+c.T("ui.colon")+c.schema.OptionLabel(ce.Field("marketing_consent"), mc, c.L))
			}
			if dnc, ok := it.Data["do_not_contact"].(bool); ok && dnc {
				ti.Meta = append(ti.Meta, ce.Field("do_not_contact").Label.In(c.L))
			}
			if m, _ := it.Data["method"].(string); m != "" {
				ti.Meta = append(ti.Meta, c.T("consent.method")+c.T("ui.colon")+c.T("consent.method."+m))
			}
			if n, _ := it.Data["note"].(string); n != "" {
				ti.Body = n
			}
			ti.TitleHref = "/contacts/" + it.RecordID
		default:
			c.genericEvent(it, &ti)
		}
		out = append(out, ti)
	}
	return out
}

// changes renders "field: old → new" with labels and formatted values.
func (c *rc) changes(entityName string, data map[string]any, rf *refs) []tlChange {
	e := c.schema.Entity(entityName)
	fields, _ := data["fields"].(map[string]any)
	if e == nil || len(fields) == 0 {
		return nil
	}
	var out []tlChange
	for _, f := range e.Fields { // declaration order, not map order
		pair, ok := fields[f.Name].([]any)
		if !ok || len(pair) != 2 || f.Has(entity.Hidden) {
			continue
		}
		out = append(out, tlChange{Label: f.Label.In(c.L), Old: c.jsonCell(f, pair[0], rf), New: c.jsonCell(f, pair[1], rf)})
	}
	// Fields no longer declared (a dropped custom field) still show by name.
	var extra []string
	for name := range fields {
		if e.Field(name) == nil {
			extra = append(extra, name)
		}
	}
	sort.Strings(extra)
	for _, name := range extra {
		pair, _ := fields[name].([]any)
		if len(pair) == 2 {
			out = append(out, tlChange{Label: name, Old: cell{Text: fmt.Sprint(pair[0])}, New: cell{Text: fmt.Sprint(pair[1])}})
		}
	}
	return out
}

// jsonCell formats a value that went through the timeline's JSON.
func (c *rc) jsonCell(f *entity.Field, v any, rf *refs) cell {
	if v == nil {
		return cell{Text: "—", Muted: true}
	}
	if f.Kind == entity.DateTime {
		if s, ok := v.(string); ok {
			if t, err := time.Parse(time.RFC3339Nano, s); err == nil {
				return cell{Text: c.fmtTime(t)}
			}
		}
	}
	val, fe := c.schema.ParseJSON(f, v)
	if fe != nil {
		return cell{Text: fmt.Sprint(v)}
	}
	out := c.cell(f, val, rf)
	if out.Empty() {
		return cell{Text: "—", Muted: true}
	}
	return out
}

// movedText says what a merge moved ("联系人 3、跟进记录 12").
func (c *rc) movedText(moved map[string]any) string {
	var parts []string
	for _, e := range c.schema.Entities() {
		if n, ok := moved[e.Name]; ok {
			parts = append(parts, fmt.Sprintf("%s %v", e.Plural.In(c.L), n))
		}
	}
	return c.T("merge.moved", "what", strings.Join(parts, c.T("ui.sep")))
}

// tlGroup gives the events of an area's records their own icon and
// colour on the timeline (the after-sales records: tickets, visits,
// surveys, care …); Icon is a catalogue key.
type tlGroup struct{ Class, Icon string }

// tlGroups are keyed by entity name, or "kind:<event kind>"; areas fill
// them from init in their own file.
var tlGroups = map[string]tlGroup{}

// genericEvent renders the events of later areas without code here: the
// message is the catalogue entry "tl.<kind>" with the event's string data
// as arguments (title, stage, reason …), the link goes to the record, and
// a "note" in the data becomes the body.
func (c *rc) genericEvent(it customers.TimelineItem, ti *tlItem) {
	if !i18n.Has(c.L, "tl."+it.Kind) {
		ti.Title = c.T("tl.other", "kind", it.Kind)
		return
	}
	var args []any
	for k, v := range it.Data {
		if s, ok := v.(string); ok {
			args = append(args, k, s)
		}
	}
	ti.Class, ti.Icon = "tl-change", c.T("tl.icon.change")
	if g, ok := tlGroups["kind:"+it.Kind]; ok {
		ti.Class, ti.Icon = g.Class, c.T(g.Icon)
	} else if g, ok := tlGroups[it.Entity]; ok {
		ti.Class, ti.Icon = g.Class, c.T(g.Icon)
	}
	ti.Title = c.T("tl."+it.Kind, args...)
	if e := c.schema.Entity(it.Entity); e != nil && it.RecordID != "" {
		ti.TitleHref = basePath(e) + "/" + it.RecordID
	}
	if n, _ := it.Data["note"].(string); n != "" {
		ti.Body = n
	}
}
