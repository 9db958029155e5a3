package bench

import (
	"context"
	"fmt"
	"math/rand/v2"
	"strconv"
	"sync/atomic"
	"time"

	"closeloop/internal/crm"
	"closeloop/internal/demo/zhdata"
	"closeloop/internal/entity"
	"closeloop/internal/records"
	"closeloop/internal/search"
	"closeloop/internal/store"
)

// CreateReport compares creating customers through the API with the raw
// database doing (part of) the same work.
type CreateReport struct {
	API Result
	// RawRow is the customer row alone: the INSERT the product issues for
	// it, one autocommit statement per customer, on the product's pool.
	RawRow Result
	// RawAll is every row the product writes for a new customer — the
	// customer, its audit entry, its search document, its timeline event —
	// in one transaction per customer, without any of the product's
	// reads, checks, HTTP or JSON.
	RawAll Result
}

// createInput draws the fields a person types into the new-customer form.
// Names and switchboard numbers are unique per run (a run prefix and a
// counter), so duplicate detection runs but never refuses.
type createInput struct {
	run    uint64
	n      atomic.Int64
	fakers []*zhdata.Faker
}

func newCreateInput(conns int) *createInput {
	ci := &createInput{run: rand.Uint64()}
	for i := range conns {
		ci.fakers = append(ci.fakers, zhdata.New(ci.run, uint64(i)))
	}
	return ci
}

func (ci *createInput) record(w int) entity.Record {
	f := ci.fakers[w]
	city := f.City()
	ind := f.Industry()
	co := f.Company(ind, city)
	n := int(ci.n.Add(1))
	unique := strconv.FormatUint(ci.run%100000, 10) + strconv.Itoa(n)
	r := entity.Record{
		"name":       co.Name + "第" + unique + "分公司",
		"short_name": co.Short, "kind": "company", "industry": ind, "level": f.Pick(zhdata.LevelWeights),
		"status": "prospect", "source": f.Pick(zhdata.SourceWeights), "region": city.Region(), "address": f.Address(city),
		"phone": city.Area + "9" + fmt.Sprintf("%07d", (int(ci.run%9000000)+n)%10000000), "scale": f.Scale(),
	}
	if tags := f.TagsFor(); tags != nil {
		r["tags"] = tags
	}
	return r
}

func jsonBody(r entity.Record) map[string]any {
	out := map[string]any{}
	for k, v := range r {
		out[k] = v
	}
	return out
}

// BenchCreate creates customers as a sales rep through POST
// /api/v1/customers, then inserts comparable rows into the raw database.
func (e *Env) BenchCreate(ctx context.Context, l Load) (CreateReport, error) {
	var rep CreateReport
	u := e.Info.Org.Reps[0]
	tok, err := e.Token(ctx, u)
	if err != nil {
		return rep, err
	}
	in := newCreateInput(l.Conns)
	rep.API = Run(ctx, "create customer (API)", l, func(ctx context.Context, w, i int) error {
		_, err := e.do(ctx, "POST", "/api/v1/customers", cred{token: tok}, jsonBody(in.record(w)), 201, false)
		return err
	})
	db := e.App.DB
	ce := db.Schema().Entity("customer")
	rules, _, err := e.App.Customers.PoolRules(ctx, db.R())
	if err != nil {
		return rep, err
	}
	row := func(w int) entity.Record {
		r := in.record(w)
		now := store.Now()
		r["id"], r["version"] = store.NewID(), int64(1)
		r["created_at"], r["updated_at"], r["created_by"], r["updated_by"] = now, now, u.ID, u.ID
		r["owner_id"], r["team_id"] = u.ID, u.Team
		r["name_norm"] = crm.NormalizeCompany(r.Str("name"))
		if due, ok := crm.PoolDue(rules, "customer", r.Str("level"), time.Time{}, now); ok {
			r["pool_due_at"] = entity.CanonTime(due)
		}
		return r
	}
	rep.RawRow = Run(ctx, "create customer (raw row)", l, func(ctx context.Context, w, i int) error {
		return db.Insert(ctx, db.W(), ce, row(w))
	})
	rep.RawAll = Run(ctx, "create customer (raw, all rows)", l, func(ctx context.Context, w, i int) error {
		r := row(w)
		return db.WriteAlone(ctx, func(tx *store.Tx) error {
			if err := db.Insert(ctx, tx, ce, r); err != nil {
				return err
			}
			if err := db.Audit(ctx, tx, store.AuditEntry{ActorID: u.ID, Entity: "customer", RecordID: r.ID(), Action: "create", Changes: auditChanges(ce, r)}); err != nil {
				return err
			}
			toks := append(search.Tokens(records.SearchParts(ce, r)), store.VisTokens("customer", []string{u.ID}, []string{u.Team}, false)...)
			if err := db.IndexDoc(ctx, tx, "customer", r.ID(), toks); err != nil {
				return err
			}
			return db.AddEvent(ctx, tx, store.Event{CustomerID: r.ID(), ActorID: u.ID, Kind: "created", Entity: "customer", RecordID: r.ID(),
				Data: map[string]any{"title": r.Str("name")}})
		})
	})
	return rep, nil
}

func auditChanges(e *entity.Entity, r entity.Record) map[string]store.Change {
	ch := map[string]store.Change{}
	for _, f := range e.Columns() {
		switch f.Name {
		case "version", "updated_at", "updated_by", "created_at", "created_by", "id":
			continue
		}
		if !entity.Equal(nil, r[f.Name]) {
			ch[f.Name] = store.Change{New: r[f.Name]}
		}
	}
	return ch
}
