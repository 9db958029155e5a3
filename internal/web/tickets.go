package web

import (
	"context"
	"html"
	"html/template"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"closeloop/internal/access"
	"closeloop/internal/crm"
	"closeloop/internal/entity"
	"closeloop/internal/errs"
	"closeloop/internal/store"
	"closeloop/internal/tickets"
)

// Service tickets in the web UI: the agent's queue (/tickets/queue, in the
// menu after the tickets) sorted by SLA urgency with a live countdown to
// the nearest deadline, and the ticket workspace (/tickets/{id}/work):
// the header with the customer (level, hand-over report), product, order
// and serial; the conversation; the forms of every step. Every form posts
// to the same tickets.Service the API calls; a refused form comes back
// with what was typed and the message next to the field.

func init() {
	areaRoutes = append(areaRoutes, func(s *Server, m *http.ServeMux) {
		m.HandleFunc("GET /tickets/queue", s.page(s.ticketQueue))
		m.HandleFunc("GET /tickets/{id}/work", s.page(s.ticketWork))
		m.HandleFunc("POST /tickets/{id}/work/{step}", s.page(s.ticketWorkStep))
	})
	navAfter["ticket"] = append(navAfter["ticket"], func(c *rc) []navItem {
		if c.p.Perm("ticket").Read == access.None {
			return nil
		}
		return []navItem{{Key: "ticket-queue", Text: c.T("tk.queue"), Href: "/tickets/queue"}}
	})
	onDetail("ticket", (*Server).ticketDetailLink)
	for code, tone := range map[string]string{
		crm.TicketNew: "badge-info", crm.TicketAssigned: "badge-accent", crm.TicketInProgress: "badge-accent",
		crm.TicketWaitingCustomer: "badge-warning", crm.TicketWaitingParts: "badge-warning", crm.TicketResolved: "badge-success",
		crm.TicketClosed: "badge-muted", crm.TicketReopened: "badge-danger",
		crm.PriorityUrgent: "badge-danger", crm.PriorityHigh: "badge-warning",
		crm.SLABreached: "badge-danger", crm.SLAWarning: "badge-warning", crm.SLAPaused: "badge-muted",
	} {
		if _, set := tones[code]; !set {
			tones[code] = tone
		}
	}
}

// ticketDetailLink puts "open the workspace" on the generic ticket page.
func (s *Server) ticketDetailLink(c *rc, rec entity.Record, dp *detailPage) error {
	dp.Actions = append(dp.Actions, template.HTML(`<a class="btn btn-primary" href="/tickets/`+template.HTMLEscapeString(rec.ID())+`/work">`+template.HTMLEscapeString(c.T("tk.open_work"))+`</a>`))
	return nil
}

// countdown is a deadline as the page shows it: the remaining time
// rendered on the server, ticked by tickets.js.
type countdown struct {
	Due      string // RFC 3339, for the script
	Text     string // "剩余 2 小时 5 分" / "已超时 15 分"
	Label    string // which deadline
	Tone     string // "", "warning", "breached", "paused"
	Absolute string
}

// HTML is the countdown's markup (the queue writes it for every row, so
// it is built here rather than by the template engine).
func (cd *countdown) HTML() template.HTML {
	var b strings.Builder
	cd.write(&b)
	return template.HTML(b.String())
}

func (cd *countdown) write(b *strings.Builder) {
	esc := func(s string) { b.WriteString(html.EscapeString(s)) }
	b.WriteString(`<span class="tk-countdown`)
	if cd.Tone != "" {
		b.WriteString(" is-")
		esc(cd.Tone)
	}
	b.WriteString(`" data-due="`)
	esc(cd.Due)
	b.WriteString(`" title="`)
	esc(cd.Label + " " + cd.Absolute)
	b.WriteString(`"><span class="tk-cd-label">`)
	esc(cd.Label)
	b.WriteString(`</span> <span class="tk-cd-text">`)
	esc(cd.Text)
	b.WriteString(`</span></span>`)
}

func (c *rc) countdownOf(due time.Time, kind, slaState string, now time.Time) *countdown {
	if due.IsZero() {
		return nil
	}
	cd := &countdown{Due: due.UTC().Format(time.RFC3339), Absolute: c.fmtTime(due), Label: c.T("tk.due_" + kind)}
	left := due.Sub(now)
	switch {
	case slaState == crm.SLAPaused:
		cd.Tone = "paused"
	case left < 0 || slaState == crm.SLABreached:
		cd.Tone = "breached"
	case slaState == crm.SLAWarning:
		cd.Tone = "warning"
	}
	if left < 0 {
		cd.Text = c.T("tk.overdue", "d", c.duration(-left))
	} else {
		cd.Text = c.T("tk.left", "d", c.duration(left))
	}
	return cd
}

// duration writes a span for people: days and hours, hours and minutes,
// or minutes.
func (c *rc) duration(d time.Duration) string {
	m := int(d.Minutes())
	switch {
	case m >= 24*60:
		return c.T("tk.dur_dh", "d", m/(24*60), "h", (m%(24*60))/60)
	case m >= 60:
		return c.T("tk.dur_hm", "h", m/60, "m", m%60)
	}
	return c.T("tk.dur_m", "m", m)
}

type queueRow struct {
	ID, Href, Number, Subject     string
	Kind, Channel, Priority       cell
	Status, SLA                   cell
	Customer, CustomerHref, Level string
	Assignee, Team                string
	Countdown                     *countdown
	Take                          string
}

type queueTab struct {
	Text, Href string
	Current    bool
}

type queuePage struct {
	*base
	Tabs                         []queueTab
	View                         string
	Kinds, Priorities, SLAStates []option
	Rows                         []queueRow
	Next, First                  string
	Empty                        string
}

// RowsHTML renders the queue's rows. Like the generic list's rows they
// are written in Go: through the template engine, escaping 50 rows of
// about twenty values each cost more than reading them (see
// docs/performance.md).
func (qp *queuePage) RowsHTML() template.HTML {
	var b strings.Builder
	b.Grow(len(qp.Rows) * 1500)
	esc := func(s string) { b.WriteString(html.EscapeString(s)) }
	td := func(label, class string) {
		b.WriteString(`<td data-label="`)
		esc(label)
		if class != "" {
			b.WriteString(`" class="`)
			b.WriteString(class)
		}
		b.WriteString(`">`)
	}
	muted := func(s string) {
		b.WriteString(`<span class="muted">`)
		esc(s)
		b.WriteString(`</span>`)
	}
	hDue, hTicket, hCustomer, hKind, hPriority, hStatus, hAssignee, hActions := qp.T("tk.h_due"), qp.T("tk.h_ticket"), qp.T("tk.h_customer"),
		qp.T("tk.h_kind"), qp.T("tk.h_priority"), qp.T("tk.h_status"), qp.T("tk.h_assignee"), qp.T("tk.h_actions")
	level, noCustomer, unassigned, take := qp.T("tk.level"), qp.T("tk.no_customer"), qp.T("tk.unassigned"), qp.T("tk.take")
	for _, r := range qp.Rows {
		b.WriteString("<tr>\n")
		td(hDue, "")
		if r.Countdown != nil {
			r.Countdown.write(&b)
		} else {
			muted("—")
		}
		b.WriteString("</td>\n")
		td(hTicket, "")
		b.WriteString(`<a href="`)
		esc(r.Href)
		b.WriteString(`"><strong>`)
		esc(r.Number)
		b.WriteString(`</strong></a><div>`)
		esc(r.Subject)
		b.WriteString(`</div><div class="small muted">`)
		esc(r.Channel.Text)
		b.WriteString("</div></td>\n")
		td(hCustomer, "")
		if r.Level != "" {
			b.WriteString(`<span class="badge badge-level badge-accent" title="`)
			esc(level)
			b.WriteString(`">`)
			esc(r.Level)
			b.WriteString(`</span> `)
		}
		if r.CustomerHref != "" {
			b.WriteString(`<a href="`)
			esc(r.CustomerHref)
			b.WriteString(`">`)
			esc(r.Customer)
			b.WriteString(`</a>`)
		} else {
			muted(noCustomer)
		}
		b.WriteString("</td>\n")
		td(hKind, "nowrap")
		esc(r.Kind.Text)
		b.WriteString("</td>\n")
		td(hPriority, "")
		r.Priority.write(&b)
		b.WriteString("</td>\n")
		td(hStatus, "")
		r.Status.write(&b)
		b.WriteString("</td>\n")
		td(hAssignee, "")
		if r.Assignee != "" {
			esc(r.Assignee)
		} else {
			muted(unassigned)
		}
		if r.Team != "" {
			b.WriteString(`<div class="small muted">`)
			esc(r.Team)
			b.WriteString(`</div>`)
		}
		b.WriteString("</td>\n")
		td(hActions, "")
		if r.Take != "" {
			writePostButton(&b, r.Take, take)
		}
		b.WriteString("</td>\n</tr>\n")
	}
	return template.HTML(b.String())
}

// ticketQueue serves the agent's queue.
func (s *Server) ticketQueue(c *rc) error {
	q := c.r.URL.Query()
	view := q.Get("view")
	agent := s.isAgent(c)
	if view == "" {
		// Agents start with their own tickets; managers with everything.
		view = tickets.ViewMine
		if !agent {
			view = tickets.ViewAll
		}
	}
	f := tickets.QueueFilter{View: view, Kind: tkValues(q["kind"]), Priority: tkValues(q["priority"]), SLAState: tkValues(q["sla_state"]), After: q.Get("after")}
	pg, err := s.app.Tickets.Queue(c.ctx(), c.p, f)
	if err != nil {
		return err
	}
	te := c.schema.Entity("ticket")
	qp := &queuePage{base: c.newBase(c.T("tk.queue"), "ticket-queue"), View: view,
		Kinds: c.selectOptions(te.Field("kind"), f.Kind...), Priorities: c.selectOptions(te.Field("priority"), f.Priority...),
		SLAStates: c.selectOptions(te.Field("sla_state"), f.SLAState...), Empty: c.T("tk.queue_empty_" + view)}
	for _, v := range tickets.QueueViews {
		qq := url.Values{"view": {v}}
		for _, k := range []string{"kind", "priority", "sla_state"} {
			for _, x := range tkValues(q[k]) {
				qq.Add(k, x)
			}
		}
		qp.Tabs = append(qp.Tabs, queueTab{Text: c.T("tk.view_" + v), Href: "/tickets/queue?" + qq.Encode(), Current: v == view})
	}
	now := time.Now()
	for _, it := range pg.Items {
		t := it.Ticket
		row := queueRow{ID: t.ID(), Href: "/tickets/" + t.ID() + "/work", Number: t.Str("number"), Subject: t.Str("subject"),
			Kind: c.cell(te.Field("kind"), t["kind"], nil), Channel: c.cell(te.Field("channel"), t["channel"], nil),
			Priority: c.cell(te.Field("priority"), t["priority"], nil), Status: c.cell(te.Field("status"), t["status"], nil),
			SLA: c.cell(te.Field("sla_state"), t["sla_state"], nil), Customer: it.CustomerName, Level: it.CustomerLevel,
			Assignee: it.AssigneeName, Team: it.TeamName, Countdown: c.countdownOf(it.Due, it.DueKind, t.Str("sla_state"), now)}
		if id := t.Str("customer_id"); id != "" {
			row.CustomerHref = "/customers/" + id
		}
		if agent && t.Str("owner_id") == "" && !c.p.ReadOnly {
			row.Take = "/tickets/" + t.ID() + "/work/take"
		}
		qp.Rows = append(qp.Rows, row)
	}
	if pg.Next != "" {
		qq := c.r.URL.Query()
		qq.Set("view", view)
		qq.Set("after", pg.Next)
		qp.Next = "/tickets/queue?" + qq.Encode()
	}
	if f.After != "" {
		qq := c.r.URL.Query()
		qq.Del("after")
		qp.First = "/tickets/queue?" + qq.Encode()
	}
	return c.render(http.StatusOK, "tickets_queue", qp)
}

func tkValues(in []string) []string {
	var out []string
	for _, v := range in {
		if v = strings.TrimSpace(v); v != "" {
			out = append(out, v)
		}
	}
	return out
}

// isAgent reports whether the user has a service profile.
func (s *Server) isAgent(c *rc) bool {
	if c.p.UserID == "" {
		return false
	}
	var n int
	err := s.app.DB.R().QueryRowContext(c.ctx(), `SELECT count(*) FROM service_agents WHERE user_id = $1 AND deleted_at IS NULL`, c.p.UserID).Scan(&n)
	return err == nil && n > 0
}

type msgView struct {
	Kind, KindLabel, Author, At, Body, Channel string
	Merged                                     string // the duplicate's number it came from
}

type infoItem struct {
	Label, Text, Href string
	Level             bool
}

type workPage struct {
	*base
	ID, Number, Subject, Description string
	Version                          int64
	Status, Priority, Kind, SLA      cell
	Channel                          cell
	Info                             []infoItem
	Countdowns                       []*countdown
	Messages                         []msgView
	Attachments                      template.HTML
	Detail                           string

	Open, Writable, CanTake, Waiting bool
	CanReopen, CanClose, Merged      bool
	MergedInto, MergedHref           string
	Cause, Resolution                string

	Agents, Teams, Causes []option
	MergeChoices          []option
	Errors                map[string]string
	Form                  map[string]string
	FormError             string
	Active                string // the form to show open after a refusal
}

// ticketWork serves the workspace.
func (s *Server) ticketWork(c *rc) error {
	return s.showWork(c, c.r.PathValue("id"), http.StatusOK, nil)
}

func (s *Server) showWork(c *rc, id string, status int, adjust func(*workPage)) error {
	t, msgs, err := s.app.Tickets.Thread(c.ctx(), c.p, id)
	if err != nil {
		return err
	}
	te, me := c.schema.Entity("ticket"), c.schema.Entity("ticket_message")
	title := t.Str("number") + " " + t.Str("subject")
	wp := &workPage{base: c.newBase(title, "tickets"), ID: t.ID(), Number: t.Str("number"), Subject: t.Str("subject"),
		Description: t.Str("description"), Version: t.Version(),
		Status: c.cell(te.Field("status"), t["status"], nil), Priority: c.cell(te.Field("priority"), t["priority"], nil),
		Kind: c.cell(te.Field("kind"), t["kind"], nil), SLA: c.cell(te.Field("sla_state"), t["sla_state"], nil),
		Channel: c.cell(te.Field("channel"), t["channel"], nil), Detail: "/tickets/" + t.ID(),
		Cause: c.cell(te.Field("cause"), t["cause"], nil).Text, Resolution: t.Str("resolution"),
		Errors: map[string]string{}, Form: map[string]string{}}
	wp.Crumbs = []link{{Text: te.Plural.In(c.L), Href: "/tickets"}, {Text: c.T("tk.queue"), Href: "/tickets/queue"}, {Text: t.Str("number")}}
	st := t.Str("status")
	wp.Open = crm.TicketOpen(st)
	wp.Waiting = st == crm.TicketWaitingCustomer || st == crm.TicketWaitingParts
	wp.Merged = t.Str("merged_into_id") != ""
	wp.Writable = c.writable("ticket", t.ID()) && !c.p.ReadOnly
	wp.CanTake = wp.Open && !wp.Merged && !c.p.ReadOnly && t.Str("owner_id") != c.p.UserID && s.isAgent(c)
	wp.CanClose = wp.Writable && !wp.Merged && crm.TicketCanMove(st, crm.TicketClosed)
	wp.CanReopen = wp.Writable && !wp.Merged && crm.TicketCanMove(st, crm.TicketReopened)
	now := time.Now()
	if wp.Open {
		if !t.Time("first_response_due_at").IsZero() && t.Time("first_responded_at").IsZero() {
			wp.Countdowns = append(wp.Countdowns, c.countdownOf(t.Time("first_response_due_at"), "first_response", t.Str("sla_state"), now))
		}
		if !t.Time("resolution_due_at").IsZero() {
			wp.Countdowns = append(wp.Countdowns, c.countdownOf(t.Time("resolution_due_at"), "resolution", t.Str("sla_state"), now))
		}
	}
	refFields := []*entity.Field{te.Field("customer_id"), te.Field("contact_id"), te.Field("product_id"), te.Field("order_id"), te.Field("delivery_id"),
		te.Field("owner_id"), te.Field("team_id"), te.Field("merged_into_id")}
	rf := c.collectRefs(refFields, t)
	add := func(name string) {
		f := te.Field(name)
		if f == nil || entity.IsEmpty(t[name]) {
			return
		}
		cl := c.cell(f, t[name], rf)
		wp.Info = append(wp.Info, infoItem{Label: f.Label.In(c.L), Text: cl.Text, Href: string(cl.Href)})
	}
	add("customer_id")
	if cid := t.Str("customer_id"); cid != "" {
		var level *string
		_ = s.app.DB.R().QueryRowContext(c.ctx(), `SELECT level FROM customers WHERE id = $1`, cid).Scan(&level)
		if level != nil && *level != "" {
			cf := c.schema.Entity("customer").Field("level")
			wp.Info = append(wp.Info, infoItem{Label: cf.Label.In(c.L), Text: c.cell(cf, *level, nil).Text, Level: true})
		}
		if h, err := s.app.Contracts.LatestHandover(c.ctx(), s.app.DB.R(), cid); err == nil && h != nil {
			wp.Info = append(wp.Info, infoItem{Label: c.T("tk.handover"), Text: h.Str("title"), Href: "/handovers/" + h.ID()})
			if wp.Info[len(wp.Info)-1].Text == "" {
				wp.Info[len(wp.Info)-1].Text = c.T("tk.handover_open")
			}
		}
	}
	for _, n := range []string{"contact_id", "requester_name", "requester_company", "requester_phone", "requester_email", "product_id", "order_id", "delivery_id", "serial_no", "region", "skill", "owner_id", "team_id"} {
		add(n)
	}
	if wp.Merged {
		cl := c.cell(te.Field("merged_into_id"), t["merged_into_id"], rf)
		wp.MergedInto, wp.MergedHref = cl.Text, "/tickets/"+t.Str("merged_into_id")+"/work"
	}
	mrf := c.collectRefs([]*entity.Field{me.Field("author_id")}, msgs...)
	numbers := map[string]string{}
	for _, m := range msgs {
		if m.Str("ticket_id") != t.ID() && numbers[m.Str("ticket_id")] == "" {
			var n string
			_ = s.app.DB.R().QueryRowContext(c.ctx(), `SELECT number FROM tickets WHERE id = $1`, m.Str("ticket_id")).Scan(&n)
			numbers[m.Str("ticket_id")] = n
		}
		mv := msgView{Kind: m.Str("kind"), KindLabel: c.cell(me.Field("kind"), m["kind"], nil).Text, At: c.fmtTime(m.Time("created_at")), Body: m.Str("body"),
			Merged: numbers[m.Str("ticket_id")]}
		if a, ok := mrf.title("user", m.Str("author_id")); ok {
			mv.Author = a
		} else if n := m.Str("from_name"); n != "" {
			mv.Author = n
		} else if e := m.Str("from_email"); e != "" {
			mv.Author = e
		}
		if ch := m.Str("channel"); ch != "" {
			mv.Channel = c.cell(me.Field("channel"), ch, nil).Text
		}
		wp.Messages = append(wp.Messages, mv)
	}
	if wp.Writable || wp.CanTake {
		wp.Agents, wp.Teams = s.agentOptions(c.ctx(), t.Str("owner_id")), s.serviceTeams(c.ctx(), t.Str("team_id"))
		wp.Causes = c.selectOptions(te.Field("cause"), t.Str("cause"))
		wp.MergeChoices = s.mergeChoices(c.ctx(), t)
	}
	dp := detailPage{base: wp.base, Entity: "ticket", ID: t.ID()}
	if err := attachmentsCard(s, c, t, &dp); err == nil && len(dp.Panels) > 0 {
		wp.Attachments = dp.Panels[0]
	}
	if adjust != nil {
		adjust(wp)
	}
	return c.render(status, "tickets_work", wp)
}

// agentOptions lists the active service agents with their load.
func (s *Server) agentOptions(ctx context.Context, current string) []option {
	rows, err := s.app.DB.R().QueryContext(ctx, `SELECT a.user_id, u.name, t.name, a.max_open,
		(SELECT count(*) FROM tickets k WHERE k.owner_id = a.user_id AND k.status IN ('new', 'assigned', 'in_progress', 'waiting_customer', 'waiting_parts', 'reopened') AND k.deleted_at IS NULL)
		FROM service_agents a JOIN users u ON u.id = a.user_id LEFT JOIN teams t ON t.id = a.team_id
		WHERE a.deleted_at IS NULL AND a.active AND u.active ORDER BY t.name, u.name`)
	if err != nil {
		return nil
	}
	defer rows.Close()
	var out []option
	for rows.Next() {
		var id, name string
		var team *string
		var max, open int
		if rows.Scan(&id, &name, &team, &max, &open) != nil {
			return out
		}
		label := name
		if team != nil {
			label += " · " + *team
		}
		label += " (" + tkItoa(open) + "/" + tkItoa(max) + ")"
		out = append(out, option{Value: id, Label: label, Selected: id == current})
	}
	return out
}

// serviceTeams lists the teams that have service agents.
func (s *Server) serviceTeams(ctx context.Context, current string) []option {
	rows, err := s.app.DB.R().QueryContext(ctx, `SELECT t.id, t.name FROM teams t WHERE EXISTS (SELECT 1 FROM service_agents a WHERE a.team_id = t.id AND a.deleted_at IS NULL) ORDER BY t.name`)
	if err != nil {
		return nil
	}
	defer rows.Close()
	var out []option
	for rows.Next() {
		var id, name string
		if rows.Scan(&id, &name) != nil {
			return out
		}
		out = append(out, option{Value: id, Label: name, Selected: id == current})
	}
	return out
}

// mergeChoices suggests the tickets a duplicate may go into: the same
// customer's other tickets not closed nor merged, newest first.
func (s *Server) mergeChoices(ctx context.Context, t entity.Record) []option {
	if t.Str("customer_id") == "" {
		return nil
	}
	rows, err := s.app.DB.R().QueryContext(ctx, `SELECT number, subject FROM tickets WHERE customer_id = $1 AND id <> $2 AND status <> 'closed'
		AND merged_into_id IS NULL AND deleted_at IS NULL ORDER BY created_at DESC LIMIT 20`, t.Str("customer_id"), t.ID())
	if err != nil {
		return nil
	}
	defer rows.Close()
	var out []option
	for rows.Next() {
		var n, subj string
		if rows.Scan(&n, &subj) != nil {
			return out
		}
		out = append(out, option{Value: n, Label: n + " " + subj})
	}
	return out
}

func tkItoa(n int) string { return formatInt(n) }

// ticketStepForms name the fields each step's form shows (to keep what
// was typed and to place a refusal next to its field).
var ticketStepForms = map[string][]string{
	"reply": {"body", "wait"}, "note": {"body"}, "assign": {"user_id", "team_id", "body"}, "take": {},
	"wait_customer": {"body"}, "wait_parts": {"body"}, "resume": {"body"},
	"resolve": {"cause", "resolution"}, "close": {"body"}, "reopen": {"body"}, "merge": {"target", "body"},
}

// ticketWorkStep runs a step from the workspace (or the queue's take).
func (s *Server) ticketWorkStep(c *rc) error {
	id := strings.ToLower(c.r.PathValue("id"))
	step := c.r.PathValue("step")
	fields, ok := ticketStepForms[step]
	if !ok {
		return errs.NotFoundf("step")
	}
	if err := c.r.ParseForm(); err != nil {
		return errs.New(errs.Invalid, "validation")
	}
	f := c.r.PostForm
	in := tickets.StepInput{Version: formVersion(f), Body: f.Get("body"), Wait: f.Get("wait") == "1", Cause: f.Get("cause"), Resolution: f.Get("resolution")}
	if f.Get("note_only") == "1" && step == "reply" {
		step = crm.TicketStepNote
	}
	switch step {
	case "assign":
		switch f.Get("mode") {
		case "auto":
			in.Auto = true
			in.TeamID = f.Get("team_id")
		case "team":
			in.TeamID = f.Get("team_id")
			if in.TeamID == "" {
				return s.workFailed(c, id, step, errs.Validation([]errs.FieldError{{Field: "team_id", Code: "required"}}), fields)
			}
		default:
			in.UserID = f.Get("user_id")
		}
	case "merge":
		target := strings.TrimSpace(f.Get("target"))
		if target != "" {
			tid, err := s.ticketByNumber(c, target)
			if err != nil {
				return s.workFailed(c, id, step, err, fields)
			}
			in.TargetID = tid
		} else {
			return s.workFailed(c, id, step, errs.Validation([]errs.FieldError{{Field: "target", Code: "required"}}), fields)
		}
	}
	out, err := s.app.Tickets.Step(c.ctx(), c.p, id, step, in)
	if err != nil {
		return s.workFailed(c, id, step, err, fields)
	}
	back := "/tickets/" + out.ID() + "/work"
	if step == crm.TicketStepTake && strings.Contains(c.r.Referer(), "/tickets/queue") {
		back = c.refererPath()
	}
	return c.processDone(c.T("tk.done_"+step, "number", out.Str("number")), back)
}

// ticketByNumber finds a visible ticket by its number (or id) for merge.
func (s *Server) ticketByNumber(c *rc, v string) (string, error) {
	v = strings.TrimSpace(strings.SplitN(v, " ", 2)[0])
	if entity.LooksLikeID(strings.ToLower(v)) {
		return strings.ToLower(v), nil
	}
	te := c.schema.Entity("ticket")
	a := &store.Args{}
	recs, err := s.app.DB.ListWhere(c.ctx(), te, "t.number = "+a.Add(strings.ToUpper(v))+" AND t.deleted_at IS NULL", a.V, "t.id", 1)
	if err != nil {
		return "", err
	}
	if len(recs) == 0 {
		return "", errs.Validation([]errs.FieldError{{Field: "target", Code: "ticket_not_found", Args: map[string]any{"number": v}}})
	}
	return recs[0].ID(), nil
}

// workFailed shows the workspace again with the refused form open, what
// was typed kept and the message beside its field; errors that are not
// about the input answer like any other failure.
func (s *Server) workFailed(c *rc, id, step string, err error, fields []string) error {
	k := errs.KindOf(err)
	if k == errs.NotFound || k == errs.Internal || k == errs.Forbidden {
		return err
	}
	form := "reply"
	switch step {
	case crm.TicketStepNote:
		form = "reply"
	case crm.TicketStepAssign, crm.TicketStepTake:
		form = "assign"
	case crm.TicketStepResolve:
		form = "resolve"
	case crm.TicketStepMerge:
		form = "merge"
	case crm.TicketStepReply:
	default:
		form = "more"
	}
	te := c.schema.Entity("ticket")
	return s.showWork(c, id, httpStatus(err), func(wp *workPage) {
		wp.Active = form
		for _, n := range fields {
			wp.Form[n] = c.r.PostForm.Get(n)
		}
		wp.Form["mode"] = c.r.PostForm.Get("mode")
		if e := errs.As(err); e != nil && e.Code == "validation" {
			for _, fe := range e.Fields {
				name := fe.Field
				if name == "target_id" {
					name = "target"
				}
				if te.Field(fe.Field) == nil {
					fe.Field = "tk_" + name // labelled by field.tk_* of tickets.json
				}
				if slices.Contains(fields, name) || name == "user_id" || name == "team_id" {
					if _, set := wp.Errors[name]; !set {
						wp.Errors[name] = c.fieldText(te, fe)
					}
					continue
				}
				wp.FormError = c.fieldText(te, fe)
			}
			if len(wp.Errors) == 0 && wp.FormError == "" {
				wp.FormError = c.errText(err)
			}
		} else {
			wp.FormError = c.errText(err)
		}
		for i, o := range wp.Causes {
			wp.Causes[i].Selected = o.Value == wp.Form["cause"]
		}
		for i, o := range wp.Agents {
			wp.Agents[i].Selected = o.Value == wp.Form["user_id"]
		}
	})
}
