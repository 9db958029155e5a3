package bench

import (
	"encoding/binary"
	"encoding/json"
	"strings"
	"time"

	"github.com/google/uuid"

	"closeloop/internal/crm"
	"closeloop/internal/demo/zhdata"
	"closeloop/internal/entity"
	"closeloop/internal/records"
	"closeloop/internal/search"
	"closeloop/internal/store"
)

// table is a batch of rows for one SQL table, values already encoded the
// way the store encodes them (store.Encode), columns in table order.
type table struct {
	name string
	cols []string
	rows [][]any
}

func (t *table) add(row []any) { t.rows = append(t.rows, row) }

// doc is one search document: what records.Service.Reindex would store.
type doc struct {
	entity, id, tokens string
}

// batch is everything generated for a range of customers, written in one
// transaction together with the progress marker.
type batch struct {
	no, start, end int
	tables         []*table // in foreign-key order
	docs           []doc
	counts         Counts
}

// Counts are the rows of a data set by kind.
type Counts struct {
	Customers, Contacts, Leads, Activities, Timeline, SearchDocs, Audit int64
}

// Rows is the total number of rows written (search documents count once).
func (c Counts) Rows() int64 {
	return c.Customers + c.Contacts + c.Leads + c.Activities + c.Timeline + c.SearchDocs + c.Audit
}

func (c *Counts) add(o Counts) {
	c.Customers += o.Customers
	c.Contacts += o.Contacts
	c.Leads += o.Leads
	c.Activities += o.Activities
	c.Timeline += o.Timeline
	c.SearchDocs += o.SearchDocs
	c.Audit += o.Audit
}

// builder turns customer indexes into rows. It is deterministic: batch n
// always gets the same data for the same seed.
type builder struct {
	opt                   GenOptions
	org                   *Org
	now                   time.Time
	rules                 []crm.PoolRule
	cust, cont, lead, act *entity.Entity
}

func entityTable(e *entity.Entity) *table {
	t := &table{name: e.Table}
	for _, f := range e.Columns() {
		t.cols = append(t.cols, f.Col())
	}
	return t
}

// encode lays a record out as a row of its table.
func encodeRow(e *entity.Entity, r entity.Record) []any {
	cols := e.Columns()
	row := make([]any, len(cols))
	for i, f := range cols {
		row[i] = store.Encode(f, r[f.Name])
	}
	return row
}

var timelineCols = []string{"id", "at", "customer_id", "lead_id", "actor_id", "kind", "entity", "record_id", "data"}
var auditCols = []string{"id", "at", "actor_id", "entity", "record_id", "action", "changes", "request_id"}

// idAt makes a UUIDv7 whose timestamp is t, as the product would have made
// when the record was created at t (ids stay ordered by creation).
func idAt(t time.Time, f *zhdata.Faker) string {
	var u uuid.UUID
	ms := uint64(t.UnixMilli())
	u[0], u[1], u[2], u[3], u[4], u[5] = byte(ms>>40), byte(ms>>32), byte(ms>>24), byte(ms>>16), byte(ms>>8), byte(ms)
	binary.BigEndian.PutUint64(u[6:14], f.R.Uint64())
	binary.BigEndian.PutUint16(u[14:16], uint16(f.R.Uint32()))
	u[6] = u[6]&0x0f | 0x70
	u[8] = u[8]&0x3f | 0x80
	return u.String()
}

func nilIf(s string) any {
	if s == "" {
		return nil
	}
	return s
}

// between draws a time uniformly in [a, b] (a when b is before a).
func between(f *zhdata.Faker, a, b time.Time) time.Time {
	if !b.After(a) {
		return entity.CanonTime(a)
	}
	return entity.CanonTime(a.Add(time.Duration(f.R.Int64N(int64(b.Sub(a))))))
}

const day = 24 * time.Hour

type genCustomer struct {
	rec      entity.Record
	owner    User // the owner, or the previous owner when pooled
	pooled   bool
	contacts []entity.Record
	f        *zhdata.Faker
}

func (b *builder) build(no int) *batch {
	start := no * b.opt.Batch
	end := min(start+b.opt.Batch, b.opt.Customers)
	f := zhdata.New(b.opt.Seed, uint64(no)+1)
	bt := &batch{no: no, start: start, end: end}
	ct, cot, lt, at := entityTable(b.cust), entityTable(b.cont), entityTable(b.lead), entityTable(b.act)
	tl := &table{name: "timeline", cols: timelineCols}
	au := &table{name: "audit_log", cols: auditCols}
	bt.tables = []*table{ct, cot, lt, at, tl}
	if b.opt.Audit {
		bt.tables = append(bt.tables, au)
	}
	event := func(at time.Time, cust, lead, actor, kind, ent, rec string, data map[string]any) {
		if data == nil {
			data = map[string]any{}
		}
		js, _ := json.Marshal(data)
		tl.add([]any{idAt(at, f), at, nilIf(cust), nilIf(lead), nilIf(actor), kind, ent, rec, string(js)})
		bt.counts.Timeline++
	}
	audit := func(e *entity.Entity, r entity.Record) {
		if !b.opt.Audit {
			return
		}
		ch := auditChanges(e, r)
		js, _ := json.Marshal(ch)
		t := r.Time("created_at")
		au.add([]any{idAt(t, f), t, nilIf(r.Str("created_by")), e.Name, r.ID(), "create", string(js), nil})
		bt.counts.Audit++
	}
	index := func(e *entity.Entity, r entity.Record, owner, team string, pooled bool) {
		parts := records.SearchParts(e, r)
		if len(parts) == 0 {
			return
		}
		toks := search.Tokens(parts)
		toks = append(toks, store.VisTokens(e.Name, []string{owner}, []string{team}, pooled)...)
		bt.docs = append(bt.docs, doc{entity: e.Name, id: r.ID(), tokens: strings.Join(toks, " ")})
		bt.counts.SearchDocs++
	}

	var made []*genCustomer
	for range end - start {
		gc := b.customer(f)
		made = append(made, gc)
		c := gc.rec
		ct.add(encodeRow(b.cust, c))
		audit(b.cust, c)
		bt.counts.Customers++
		owner, team := c.Str("owner_id"), c.Str("team_id")
		index(b.cust, c, owner, team, gc.pooled)
		event(c.Time("created_at"), c.ID(), "", gc.owner.ID, "created", "customer", c.ID(), map[string]any{"title": c.Str("name")})
		if t := c.Time("claimed_at"); !t.IsZero() {
			event(t, c.ID(), "", gc.owner.ID, "claimed", "customer", c.ID(), nil)
		}
		if gc.pooled {
			actor := gc.owner.ID
			if c.Str("release_reason") == "auto" {
				actor = ""
			}
			event(c.Time("released_at"), c.ID(), "", actor, "released", "customer", c.ID(),
				map[string]any{"reason": c.Str("release_reason"), "previous_owner": gc.owner.ID})
		}
		for _, k := range gc.contacts {
			cot.add(encodeRow(b.cont, k))
			audit(b.cont, k)
			bt.counts.Contacts++
			index(b.cont, k, owner, team, owner == "")
			event(k.Time("created_at"), c.ID(), "", gc.owner.ID, "contact_added", "contact", k.ID(),
				map[string]any{"title": k.Str("name"), "decision_role": k.Str("decision_role")})
		}
		for _, a := range b.activities(f, gc) {
			at.add(encodeRow(b.act, a))
			audit(b.act, a)
			bt.counts.Activities++
			event(a.Time("occurred_at"), c.ID(), "", a.Str("owner_id"), "activity", "activity", a.ID(), nil)
		}
	}
	// Leads: a tenth as many as customers by default, some converted into
	// customers of this batch so their history points at them.
	nLeads := int(int64(b.opt.Leads)*int64(end)/int64(b.opt.Customers) - int64(b.opt.Leads)*int64(start)/int64(b.opt.Customers))
	for range nLeads {
		l, conv := b.leadRow(f, made)
		lt.add(encodeRow(b.lead, l))
		audit(b.lead, l)
		bt.counts.Leads++
		owner := l.Str("owner_id")
		index(b.lead, l, owner, l.Str("team_id"), owner == "")
		actor := l.Str("created_by")
		event(l.Time("created_at"), l.Str("converted_customer_id"), l.ID(), actor, "lead_created", "lead", l.ID(),
			map[string]any{"title": l.Str("name"), "source": l.Str("source")})
		if conv != nil {
			event(l.Time("converted_at"), conv.rec.ID(), l.ID(), actor, "converted", "lead", l.ID(),
				map[string]any{"title": l.Str("name"), "company": l.Str("company"), "created": true, "contact_id": l.Str("converted_contact_id")})
		}
	}
	return bt
}

// customer draws one customer with its contacts.
func (b *builder) customer(f *zhdata.Faker) *genCustomer {
	now := b.now
	city := f.City()
	industry := f.Industry()
	c := entity.Record{"kind": "company"}
	var co zhdata.Company
	if f.Chance(0.08) {
		p := f.Person()
		c["kind"], c["name"] = "individual", p.Name()
	} else {
		co = f.Company(industry, city)
		c["name"] = co.Name
		if f.Chance(0.7) {
			c["short_name"] = co.Short
		}
		if f.Chance(0.4) {
			c["website"] = "www." + f.Domain(co)
		}
		if f.Chance(0.85) {
			c["phone"] = f.Landline(city)
		}
		c["scale"] = f.Scale()
	}
	c["industry"] = industry
	c["region"] = city.Region()
	if f.Chance(0.8) {
		c["address"] = f.Address(city)
	}
	c["source"] = f.Pick(zhdata.SourceWeights)
	level := f.Pick(zhdata.LevelWeights)
	c["level"] = level
	status := f.Pick(zhdata.StatusWeights)
	c["status"] = status
	if f.Chance(0.7) {
		c["credit"] = f.Credit()
	}
	if f.Chance(0.7) {
		c["demand_level"] = f.Demand()
	}
	if f.Chance(0.6) {
		c["closing_difficulty"] = f.Difficulty()
	}
	if tags := f.TagsFor(); tags != nil {
		c["tags"] = tags
	}
	if f.Chance(0.3) {
		c["notes"] = f.CompanyNote()
	}
	c["name_norm"] = crm.NormalizeCompany(c.Str("name"))

	// History: updated within two years, created up to a year before that.
	updated := between(f, now.Add(-730*day), now)
	created := between(f, updated.Add(-365*day), updated)
	rule, _ := crm.RuleFor(b.rules, "customer", level)
	days := time.Duration(max(rule.Days, 1)) * day
	gc := &genCustomer{owner: b.org.Reps[b.org.pickRep(f)], f: f}
	open := status != crm.StatusWon
	// An open customer nobody followed up in time is back in the pool (公海).
	gc.pooled = open && f.Chance(0.12) && now.Sub(created) > days+day
	var last time.Time
	switch {
	case gc.pooled:
		released := between(f, created.Add(days), now)
		last = released.Add(-days)
		c["released_at"], c["released_by"] = released, gc.owner.ID
		c["release_reason"] = f.Pick([]zhdata.Choice{{Value: "auto", Weight: 60}, {Value: "no_progress", Weight: 15}, {Value: "no_need", Weight: 10}, {Value: "not_my_area", Weight: 8}, {Value: "handover", Weight: 7}})
		if updated.Before(released) {
			updated = released
		}
	case open:
		// Followed up within the level's rule, or it would be in the pool.
		last = between(f, now.Add(-days*9/10), now)
		if f.Chance(0.15) && last.Sub(created) > day {
			c["claimed_at"] = between(f, created, last)
		}
	default:
		last = between(f, now.Add(-180*day), now)
	}
	if last.Before(created) {
		last = between(f, created, now)
	}
	c["id"] = idAt(created, f)
	c["version"] = int64(1)
	c["created_at"], c["updated_at"] = created, updated
	c["created_by"], c["updated_by"] = gc.owner.ID, gc.owner.ID
	c["last_followup_at"] = entity.CanonTime(last)
	if !gc.pooled {
		c["owner_id"], c["team_id"] = gc.owner.ID, gc.owner.Team
		since := c.Time("claimed_at")
		if since.IsZero() {
			since = created
		}
		if open {
			if due, ok := crm.PoolDue(b.rules, "customer", level, last, since); ok {
				c["pool_due_at"] = entity.CanonTime(due)
			}
		}
	}
	gc.rec = c

	domain := ""
	if co.Name != "" {
		domain = f.Domain(co)
	}
	for i := range b.opt.ContactsPer {
		gc.contacts = append(gc.contacts, b.contact(f, gc, i, city, domain))
	}
	return gc
}

func (b *builder) contact(f *zhdata.Faker, gc *genCustomer, i int, city zhdata.City, domain string) entity.Record {
	c := gc.rec
	p := f.Person()
	if c.Str("kind") == "individual" && i == 0 {
		n := []rune(c.Str("name"))
		p = zhdata.Person{Surname: string(n[0]), Given: string(n[1:])}
	}
	job := f.Job(i == 0)
	k := entity.Record{"customer_id": c.ID(), "name": p.Name(), "title": job.Title, "department": job.Department,
		"decision_role": job.Role, "is_primary": i == 0, "marketing_consent": crm.ConsentUnknown, "do_not_contact": false}
	if f.Chance(0.95) {
		k["phone"] = f.Mobile()
	}
	if f.Chance(0.25) {
		k["office_phone"] = f.Landline(city)
	}
	if f.Chance(0.7) {
		if domain != "" {
			k["email"] = f.Email(p, domain)
		} else {
			k["email"] = f.PersonalEmail(p)
		}
	}
	if f.Chance(0.5) {
		k["wechat"] = f.WeChat(p)
	}
	if f.Chance(0.35) {
		d, lunar := f.Birthday()
		k["birthday"], k["birthday_calendar"] = d, "solar"
		if lunar {
			k["birthday_calendar"] = "lunar"
		}
	}
	if f.Chance(0.15) {
		k["preferences"] = f.Preference()
	}
	switch x := f.R.IntN(100); {
	case x < 3:
		k["marketing_consent"], k["do_not_contact"] = crm.ConsentWithdrawn, true
	case x < 28:
		k["marketing_consent"] = crm.ConsentGranted
	}
	created := between(f, c.Time("created_at"), c.Time("created_at").Add(30*day))
	if created.After(b.now) {
		created = c.Time("created_at")
	}
	k["id"] = idAt(created, f)
	k["version"] = int64(1)
	k["created_at"], k["updated_at"] = created, between(f, created, b.now)
	k["created_by"], k["updated_by"] = gc.owner.ID, gc.owner.ID
	return k
}

// activities draws the customer's follow-ups: the first when it was
// created, the last at its last follow-up, the rest in between.
func (b *builder) activities(f *zhdata.Faker, gc *genCustomer) []entity.Record {
	c := gc.rec
	n := b.opt.ActivitiesPer
	if n == 0 {
		return nil
	}
	created, last := c.Time("created_at"), c.Time("last_followup_at")
	times := make([]time.Time, n)
	for i := range times {
		switch i {
		case 0:
			times[i] = between(f, created, created.Add(2*time.Hour))
		case n - 1:
			times[i] = last
		default:
			times[i] = between(f, created, last)
		}
		if times[i].After(last) {
			times[i] = last
		}
	}
	sortTimes(times)
	today := b.now.In(shanghai)
	out := make([]entity.Record, 0, n)
	for i, t := range times {
		kind := f.Kind()
		var contact entity.Record
		if len(gc.contacts) > 0 && f.Chance(0.85) {
			contact = zhdata.One(f, gc.contacts)
		}
		subject, summary, next := f.Activity(kind, contact.Str("name"))
		a := entity.Record{"kind": kind, "subject": subject, "occurred_at": t, "customer_id": c.ID(), "summary": summary,
			"next_step_done": false, "owner_id": gc.owner.ID, "team_id": gc.owner.Team}
		if contact != nil {
			a["contact_id"] = contact.ID()
		}
		if d := f.Duration(kind); d > 0 {
			a["duration_minutes"] = d
		}
		if (kind == "visit" || kind == "meeting" || kind == "demo") && len(gc.contacts) > 1 && f.Chance(0.4) {
			a["participant_contacts"] = []string{gc.contacts[0].ID(), gc.contacts[1].ID()}
		}
		if (kind == "visit" || kind == "demo") && f.Chance(0.3) {
			a["participant_users"] = []string{zhdata.One(f, b.org.Presales).ID}
		}
		latest := i == n-1 && !gc.pooled && c.Str("status") != crm.StatusWon
		if latest || f.Chance(0.55) {
			a["next_step"] = next
			due := t.In(shanghai).AddDate(0, 0, 1+f.R.IntN(14))
			if latest {
				// The open next step of a live customer: some overdue,
				// some today, most ahead.
				due = today.AddDate(0, 0, f.R.IntN(25)-10)
			}
			a["next_step_due"] = due.Format(entity.DateLayout)
			a["next_step_done"] = !latest && due.Before(today)
		}
		createdAt := between(f, t, t.Add(2*time.Hour))
		if createdAt.After(b.now) {
			createdAt = t
		}
		a["id"] = idAt(createdAt, f)
		a["version"] = int64(1)
		a["created_at"], a["updated_at"] = createdAt, createdAt
		a["created_by"], a["updated_by"] = gc.owner.ID, gc.owner.ID
		out = append(out, a)
	}
	return out
}

func sortTimes(ts []time.Time) {
	for i := 1; i < len(ts); i++ {
		for j := i; j > 0 && ts[j].Before(ts[j-1]); j-- {
			ts[j], ts[j-1] = ts[j-1], ts[j]
		}
	}
}

var shanghai = func() *time.Location {
	l, err := time.LoadLocation("Asia/Shanghai")
	if err != nil {
		return time.FixedZone("CST", 8*3600)
	}
	return l
}()

var leadStatus = []zhdata.Choice{{Value: "new", Weight: 30}, {Value: "contacted", Weight: 25}, {Value: "qualified", Weight: 10},
	{Value: "converted", Weight: 20}, {Value: "disqualified", Weight: 15}}

var disqualifyReasons = []zhdata.Choice{{Value: "no_need", Weight: 30}, {Value: "no_budget", Weight: 20}, {Value: "unreachable", Weight: 20},
	{Value: "competitor", Weight: 12}, {Value: "duplicate", Weight: 8}, {Value: "invalid", Weight: 6}, {Value: "other", Weight: 4}}

// leadRow draws a lead; converted leads point at a customer of the batch.
func (b *builder) leadRow(f *zhdata.Faker, made []*genCustomer) (entity.Record, *genCustomer) {
	status := f.Pick(leadStatus)
	p := f.Person()
	job := f.Job(false)
	l := entity.Record{"name": p.Name(), "title": job.Title, "status": status, "source": f.Pick(zhdata.SourceWeights)}
	city := f.City()
	industry := f.Industry()
	var conv *genCustomer
	if status == crm.LeadConverted && len(made) > 0 {
		conv = zhdata.One(f, made)
		c := conv.rec
		l["company"], l["source"], l["industry"], l["region"] = c.Str("name"), c["source"], c["industry"], c["region"]
		if c.Str("kind") == "individual" {
			delete(l, "company")
		}
		if len(conv.contacts) > 0 {
			k := conv.contacts[0]
			l["name"], l["title"], l["phone"], l["email"] = k.Str("name"), k["title"], k["phone"], k["email"]
			l["converted_contact_id"] = k.ID()
		}
		l["converted_customer_id"] = c.ID()
		l["converted_at"] = c.Time("created_at")
	} else {
		if f.Chance(0.9) {
			co := f.Company(industry, city)
			l["company"] = co.Name
			if f.Chance(0.5) {
				l["email"] = f.Email(p, f.Domain(co))
			}
		}
		l["phone"] = f.Mobile()
		l["industry"], l["region"] = industry, city.Region()
		if f.Chance(0.4) {
			l["address"] = f.Address(city)
		}
	}
	if f.Chance(0.3) {
		l["wechat"] = f.WeChat(p)
	}
	if f.Chance(0.5) {
		l["notes"] = f.LeadNote()
	}
	if c := l.Str("company"); c != "" {
		l["company_norm"] = crm.NormalizeCompany(c)
	}
	rep := b.org.Reps[b.org.pickRep(f)]
	if conv != nil {
		rep = conv.owner
	}
	open := crm.OpenForCap("lead", status)
	var created time.Time
	switch {
	case conv != nil:
		created = between(f, l.Time("converted_at").Add(-60*day), l.Time("converted_at"))
	case open:
		// An open lead untouched for two weeks falls back to the pool, so the
		// owned ones are recent; older ones lie in the pool.
		created = between(f, b.now.Add(-12*day), b.now)
	default:
		created = between(f, b.now.Add(-730*day), b.now)
	}
	pooled := open && f.Chance(0.15)
	if pooled {
		created = between(f, b.now.Add(-365*day), b.now)
		l["released_at"], l["released_by"], l["release_reason"] = between(f, created, b.now), rep.ID, "auto"
	} else {
		l["owner_id"], l["team_id"] = rep.ID, rep.Team
	}
	if status == crm.LeadDisqualified {
		l["disqualify_reason"] = f.Pick(disqualifyReasons)
	}
	l["id"] = idAt(created, f)
	l["version"] = int64(1)
	l["created_at"], l["created_by"] = created, rep.ID
	updated := between(f, created, b.now)
	if t := l.Time("converted_at"); !t.IsZero() {
		updated = t
	}
	l["updated_at"], l["updated_by"] = updated, rep.ID
	if !pooled && open {
		if due, ok := crm.PoolDue(b.rules, "lead", "", time.Time{}, created); ok {
			l["pool_due_at"] = entity.CanonTime(due)
		}
	}
	return l, conv
}
