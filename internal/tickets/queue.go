package tickets

import (
	"context"
	"encoding/base64"
	"fmt"
	"slices"
	"strings"
	"time"

	"closeloop/internal/access"
	"closeloop/internal/crm"
	"closeloop/internal/entity"
	"closeloop/internal/errs"
	"closeloop/internal/store"
)

// The agent's queue (工单队列): open tickets sorted by SLA urgency — the
// nearest open deadline first, so breached tickets (their deadline passed)
// lead, tickets without a deadline last — in views mine, team (the
// queues of the user's teams), unassigned, all; filtered by kind,
// priority and SLA state; keyset-paged on (deadline, id). Each view reads
// one partial index of migration 0017 in order and stops at the page.

// Queue views.
const (
	ViewMine       = "mine"
	ViewTeam       = "team"
	ViewUnassigned = "unassigned"
	ViewAll        = "all"
)

// QueueViews are the views in menu order.
var QueueViews = []string{ViewMine, ViewTeam, ViewUnassigned, ViewAll}

// QueueFilter asks for one page of a queue.
type QueueFilter struct {
	View     string
	Kind     []string
	Priority []string
	SLAState []string
	After    string // the cursor of the previous page's last row
	Limit    int    // 1..200, default 50
}

// QueueItem is one row of the queue.
type QueueItem struct {
	Ticket        entity.Record
	Due           time.Time // the nearest open deadline (zero: none)
	DueKind       string    // "first_response" or "resolution"
	CustomerName  string
	CustomerLevel string
	AssigneeName  string
	TeamName      string
}

// QueuePage is one page of a queue.
type QueuePage struct {
	Items []QueueItem
	Next  string // cursor of the next page, "" at the end
}

// farFuture sorts tickets without a deadline last (the index's COALESCE).
var farFuture = time.Date(9999, 12, 31, 0, 0, 0, 0, time.UTC)

// queueDue is the sort key, textually the expression of the indexes in
// migration 0017 (the planners match the expression, not its meaning).
func (s *Service) queueDue() string {
	far := "'9999-12-31 00:00:00+00:00'"
	if s.DB.Dialect == store.Postgres {
		far = "TIMESTAMPTZ '9999-12-31 00:00:00+00'"
	}
	return "COALESCE(CASE WHEN first_responded_at IS NULL AND first_response_due_at IS NOT NULL AND (resolution_due_at IS NULL OR first_response_due_at < resolution_due_at) THEN first_response_due_at ELSE resolution_due_at END, " + far + ")"
}

// Queue reads one page of the agent's queue as p sees it.
func (s *Service) Queue(ctx context.Context, p *access.Principal, f QueueFilter) (QueuePage, error) {
	te, err := s.R.Entity("ticket")
	if err != nil {
		return QueuePage{}, err
	}
	if p.Perm(te.Name).Read == access.None {
		return QueuePage{}, errs.Denied()
	}
	if f.View == "" {
		f.View = ViewMine
	}
	if !slices.Contains(QueueViews, f.View) {
		return QueuePage{}, errs.Field("view", "invalid_option")
	}
	if f.Limit <= 0 {
		f.Limit = 50
	}
	if f.Limit > 200 {
		f.Limit = 200
	}
	var bad []errs.FieldError
	check := func(name string, vals []string, opts []entity.Option) {
		for _, v := range vals {
			if !slices.ContainsFunc(opts, func(o entity.Option) bool { return o.Code == v }) {
				bad = append(bad, errs.FieldError{Field: name, Code: "invalid_option"})
				return
			}
		}
	}
	check("kind", f.Kind, crm.TicketKinds)
	check("priority", f.Priority, crm.TicketPriorities)
	check("sla_state", f.SLAState, crm.SLAStates)
	if err := errs.Validation(bad); err != nil {
		return QueuePage{}, err
	}
	a := &store.Args{}
	due := s.queueDue()
	wheres := []string{openPred("")}
	switch f.View {
	case ViewMine:
		if p.UserID == "" {
			return QueuePage{}, nil
		}
		wheres = append(wheres, "owner_id = "+a.Add(p.UserID))
	case ViewUnassigned:
		wheres = append(wheres, "owner_id IS NULL")
	case ViewTeam:
		teams := slices.Clone(p.Teams)
		if ag, err := s.agentByUser(ctx, s.DB.R(), p.UserID); err == nil && ag != nil && !slices.Contains(teams, ag.TeamID) {
			teams = append(teams, ag.TeamID)
		}
		if len(teams) == 0 {
			return QueuePage{}, nil
		}
		vals := make([]any, len(teams))
		for i, t := range teams {
			vals[i] = t
		}
		wheres = append(wheres, "team_id IN "+a.List(vals))
	}
	in := func(col string, vals []string) {
		if len(vals) == 0 {
			return
		}
		list := make([]any, len(vals))
		for i, v := range vals {
			list[i] = v
		}
		wheres = append(wheres, col+" IN "+a.List(list))
	}
	in("kind", f.Kind)
	in("priority", f.Priority)
	in("sla_state", f.SLAState)
	if f.After != "" {
		at, id, ok := decodeCursor(f.After)
		if !ok {
			return QueuePage{}, errs.Field("after", "invalid_cursor")
		}
		wheres = append(wheres, "("+due+" > "+a.Add(at)+" OR ("+due+" = "+a.Add(at)+" AND id > "+a.Add(id)+"))")
	}
	if vis := s.R.ReadPred(te, p); p.Perm(te.Name).Read != access.All {
		wheres = append(wheres, vis(a))
	}
	// ListWhere reads "FROM tickets t": the unqualified columns are t's.
	recs, err := s.DB.ListWhere(ctx, te, strings.Join(wheres, " AND "), a.V, due+", id", f.Limit+1)
	if err != nil {
		return QueuePage{}, fmt.Errorf("tickets: queue: %w", err)
	}
	var page QueuePage
	if len(recs) > f.Limit {
		recs = recs[:f.Limit]
		last := recs[len(recs)-1]
		page.Next = encodeCursor(dueOf(last), last.ID())
	}
	page.Items, err = s.describe(ctx, p, recs)
	return page, err
}

// NextDue is a ticket's nearest open deadline (crm.NextDeadline of its
// columns; zero when it has none).
func NextDue(t entity.Record) time.Time {
	return crm.NextDeadline(t.Time("first_response_due_at"), t.Time("resolution_due_at"), t.Time("first_responded_at"))
}

// dueOf is a ticket's queue key as the index computes it.
func dueOf(t entity.Record) time.Time {
	d := crm.NextDeadline(t.Time("first_response_due_at"), t.Time("resolution_due_at"), t.Time("first_responded_at"))
	if d.IsZero() {
		return farFuture
	}
	return d
}

// describe adds the names a queue row shows: customer (with level),
// assignee and team, read in one statement per kind.
func (s *Service) describe(ctx context.Context, p *access.Principal, recs []entity.Record) ([]QueueItem, error) {
	te, _ := s.R.Entity("ticket")
	items := make([]QueueItem, len(recs))
	var custs, users, teams []any
	for i, r := range recs {
		r = s.R.Present(p, te, r)
		items[i].Ticket = r
		if d := dueOf(r); !d.Equal(farFuture) {
			items[i].Due = d
			items[i].DueKind = "resolution"
			if r.Time("first_responded_at").IsZero() && d.Equal(r.Time("first_response_due_at")) {
				items[i].DueKind = "first_response"
			}
		}
		if c := r.Str("customer_id"); c != "" {
			custs = append(custs, c)
		}
		if u := r.Str("owner_id"); u != "" {
			users = append(users, u)
		}
		if t := r.Str("team_id"); t != "" {
			teams = append(teams, t)
		}
	}
	names := func(query string, ids []any) (map[string][2]string, error) {
		out := map[string][2]string{}
		if len(ids) == 0 {
			return out, nil
		}
		a := &store.Args{}
		rows, err := s.DB.R().QueryContext(ctx, fmt.Sprintf(query, a.List(ids)), a.V...)
		if err != nil {
			return nil, fmt.Errorf("tickets: queue names: %w", err)
		}
		defer rows.Close()
		for rows.Next() {
			var id, name string
			var extra *string
			if err := rows.Scan(&id, &name, &extra); err != nil {
				return nil, err
			}
			v := [2]string{name}
			if extra != nil {
				v[1] = *extra
			}
			out[id] = v
		}
		return out, rows.Err()
	}
	cm, err := names(`SELECT id, name, level FROM customers WHERE id IN %s`, custs)
	if err != nil {
		return nil, err
	}
	um, err := names(`SELECT id, name, NULL FROM users WHERE id IN %s`, users)
	if err != nil {
		return nil, err
	}
	tm, err := names(`SELECT id, name, NULL FROM teams WHERE id IN %s`, teams)
	if err != nil {
		return nil, err
	}
	for i := range items {
		r := items[i].Ticket
		c := cm[r.Str("customer_id")]
		items[i].CustomerName, items[i].CustomerLevel = c[0], c[1]
		items[i].AssigneeName = um[r.Str("owner_id")][0]
		items[i].TeamName = tm[r.Str("team_id")][0]
	}
	return items, nil
}

func encodeCursor(at time.Time, id string) string {
	return base64.RawURLEncoding.EncodeToString([]byte(at.UTC().Format(time.RFC3339Nano) + "|" + id))
}

func decodeCursor(c string) (time.Time, string, bool) {
	b, err := base64.RawURLEncoding.DecodeString(c)
	if err != nil {
		return time.Time{}, "", false
	}
	ts, id, ok := strings.Cut(string(b), "|")
	if !ok || !entity.LooksLikeID(id) {
		return time.Time{}, "", false
	}
	at, err := time.Parse(time.RFC3339Nano, ts)
	if err != nil {
		return time.Time{}, "", false
	}
	return entity.CanonTime(at), id, true
}

// Thread is a ticket with its conversation: its own messages and those of
// the duplicates merged into it, oldest first. Internal notes are shown
// only to those who work tickets (may create them); read-only readers see
// replies, customer messages and system lines.
func (s *Service) Thread(ctx context.Context, p *access.Principal, id string) (entity.Record, []entity.Record, error) {
	t, err := s.R.Get(ctx, p, "ticket", cleanID(id))
	if err != nil {
		return nil, nil, err
	}
	me, err := s.R.Entity("ticket_message")
	if err != nil {
		return nil, nil, err
	}
	ids, err := store.Strings(ctx, s.DB.R(), `SELECT id FROM tickets WHERE merged_into_id = $1`, t.ID())
	if err != nil {
		return nil, nil, fmt.Errorf("tickets: merged: %w", err)
	}
	a := &store.Args{}
	all := []any{t.ID()}
	for _, x := range ids {
		all = append(all, x)
	}
	where := "ticket_id IN " + a.List(all)
	if !StaffSeesNotes(p) {
		where += " AND kind <> " + a.Add(crm.MessageNote)
	}
	msgs, err := s.DB.ListWhere(ctx, me, where, a.V, "created_at, id", 5000)
	if err != nil {
		return nil, nil, fmt.Errorf("tickets: messages: %w", err)
	}
	for i, m := range msgs {
		msgs[i] = s.R.Present(p, me, m)
	}
	return t, msgs, nil
}

// StaffSeesNotes reports whether p sees internal notes: those whose roles
// create tickets (service, sales, managers, admins), also through a
// read-only token.
func StaffSeesNotes(p *access.Principal) bool {
	return p.System || slices.ContainsFunc(p.Roles, func(r access.Role) bool { return r.Admin || r.Perms["ticket"].Create })
}
