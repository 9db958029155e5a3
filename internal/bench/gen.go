package bench

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"time"

	"closeloop/internal/app"
	"closeloop/internal/entity"
	"closeloop/internal/store"
)

// GenOptions size a generated data set.
type GenOptions struct {
	DataDir string // SQLite data directory (when DB is empty)
	DB      string // postgres://… selects PostgreSQL

	Customers     int
	ContactsPer   int
	ActivitiesPer int
	Leads         int // default: a tenth of the customers
	Reps          int // sales reps (default 200)
	Depts         int // sales departments (default 20)
	Seed          uint64
	Batch         int  // customers per transaction (default 1000)
	Audit         bool // also write the audit entries the services would write

	// Log receives progress lines; nil is silent.
	Log io.Writer

	stopAfter int // tests: stop after this many batches, as if killed
}

func (o *GenOptions) defaults() {
	if o.Leads == 0 {
		o.Leads = o.Customers / 10
	}
	if o.Reps <= 0 {
		o.Reps = 200
	}
	if o.Depts <= 0 {
		o.Depts = 20
	}
	if o.Batch <= 0 {
		o.Batch = 1000
	}
	if o.Seed == 0 {
		o.Seed = 1
	}
}

// GenStats reports a generation run.
type GenStats struct {
	Counts  Counts // rows written by this run
	Elapsed time.Duration
	// Resumed is the number of customers already present when the run began.
	Resumed int
}

// RowsPerSec is the write rate of the run.
func (s GenStats) RowsPerSec() float64 {
	if s.Elapsed <= 0 {
		return 0
	}
	return float64(s.Counts.Rows()) / s.Elapsed.Seconds()
}

// state is the progress marker kept in the settings table, written in the
// same transaction as each batch: a killed run resumes where it stopped.
type state struct {
	Seed          uint64    `json:"seed"`
	Customers     int       `json:"customers"`
	ContactsPer   int       `json:"contacts_per"`
	ActivitiesPer int       `json:"activities_per"`
	Leads         int       `json:"leads"`
	Reps          int       `json:"reps"`
	Depts         int       `json:"depts"`
	Batch         int       `json:"batch"`
	Audit         bool      `json:"audit"`
	Now           time.Time `json:"now"`
	Done          int       `json:"done"` // customers written
	Finished      bool      `json:"finished"`
}

const stateKey = "bench.gen"

var errStopped = errors.New("bench: stopped (test)")

func (s state) sameShape(o GenOptions) error {
	if s.Seed != o.Seed || s.Customers != o.Customers || s.ContactsPer != o.ContactsPer || s.ActivitiesPer != o.ActivitiesPer ||
		s.Leads != o.Leads || s.Reps != o.Reps || s.Depts != o.Depts || s.Batch != o.Batch || s.Audit != o.Audit {
		return fmt.Errorf("bench: this database holds (part of) a data set generated with other options (customers=%d contacts-per=%d activities-per=%d leads=%d users=%d teams=%d seed=%d batch=%d); use the same options to resume, or a fresh --data directory / database",
			s.Customers, s.ContactsPer, s.ActivitiesPer, s.Leads, s.Reps, s.Depts, s.Seed, s.Batch)
	}
	return nil
}

func readState(ctx context.Context, db *store.DB) (*state, error) {
	raw, err := db.Setting(ctx, db.R(), stateKey)
	if err != nil || raw == "" {
		return nil, err
	}
	var s state
	if err := json.Unmarshal([]byte(raw), &s); err != nil {
		return nil, fmt.Errorf("bench: progress marker: %w", err)
	}
	return &s, nil
}

// Info describes a generated data set for the benchmarks.
type Info struct {
	Org   *Org
	State state
}

// Open opens the app on a generated data set and finds its organisation.
func Open(ctx context.Context, cfg app.Config) (*app.App, *Info, error) {
	a, err := app.Open(ctx, cfg)
	if err != nil {
		return nil, nil, err
	}
	st, err := readState(ctx, a.DB)
	if err == nil && st == nil {
		err = errors.New("bench: this database was not made by closeloop-bench gen")
	}
	if err != nil {
		a.Close()
		return nil, nil, err
	}
	org, err := loadOrg(ctx, a, st.Seed, st.Reps, st.Depts)
	if err != nil {
		a.Close()
		return nil, nil, err
	}
	return a, &Info{Org: org, State: *st}, nil
}

// Generate builds (or resumes building) a data set. Rows are written
// directly, in large transactions, with exactly the columns the services
// would write: derived columns (name_norm, pool deadlines), search
// documents (records.SearchParts + search.Tokens + store.VisTokens, stored
// as store.IndexDoc stores them) and timeline events. Users and teams go
// through the services.
func Generate(ctx context.Context, opt GenOptions) (GenStats, error) {
	opt.defaults()
	if opt.Customers < 0 {
		return GenStats{}, errors.New("bench: --customers must not be negative")
	}
	log := opt.Log
	if log == nil {
		log = io.Discard
	}
	start := time.Now()
	// Synchronous OFF: a crash loses at most the last batches, which the
	// progress marker (written in the same transactions) then redoes.
	a, err := app.Open(ctx, app.Config{DataDir: opt.DataDir, DB: opt.DB, Synchronous: "OFF", NoJobs: true, TimeZone: "Asia/Shanghai"})
	if err != nil {
		return GenStats{}, err
	}
	defer a.Close()
	st, err := readState(ctx, a.DB)
	if err != nil {
		return GenStats{}, err
	}
	var org *Org
	if st == nil {
		if n, err := a.DB.CountUsers(ctx); err != nil {
			return GenStats{}, err
		} else if n > 0 {
			return GenStats{}, errors.New("bench: the database already has users but no generation marker; use a fresh --data directory or database")
		}
		st = &state{Seed: opt.Seed, Customers: opt.Customers, ContactsPer: opt.ContactsPer, ActivitiesPer: opt.ActivitiesPer,
			Leads: opt.Leads, Reps: opt.Reps, Depts: opt.Depts, Batch: opt.Batch, Audit: opt.Audit, Now: entity.CanonTime(time.Now()),
			Finished: opt.Customers == 0} // zero customers: the organisation only
		err := a.DB.WriteAlone(ctx, func(tx *store.Tx) error {
			var err error
			if org, err = createOrg(ctx, a, tx, opt.Seed, opt.Reps, opt.Depts); err != nil {
				return err
			}
			return saveState(ctx, a.DB, tx, *st)
		})
		if err != nil {
			return GenStats{}, err
		}
		fmt.Fprintf(log, "organisation: %d teams, %d users\n", 1+len(org.Regions)+len(org.Depts), 1+len(org.RegionManagers)+len(org.DeptManagers)+len(org.Reps)+13)
	} else {
		if err := st.sameShape(opt); err != nil {
			return GenStats{}, err
		}
		if org, err = loadOrg(ctx, a, st.Seed, st.Reps, st.Depts); err != nil {
			return GenStats{}, err
		}
	}
	stats := GenStats{Resumed: st.Done}
	if st.Finished {
		fmt.Fprintln(log, "data set already complete")
		return stats, nil
	}
	if st.Done > 0 {
		fmt.Fprintf(log, "resuming after %d customers\n", st.Done)
	}
	rules, _, err := a.Customers.PoolRules(ctx, a.DB.R())
	if err != nil {
		return stats, err
	}
	s := a.DB.Schema()
	b := &builder{opt: opt, org: org, now: st.Now, rules: rules,
		cust: s.Entity("customer"), cont: s.Entity("contact"), lead: s.Entity("lead"), act: s.Entity("activity")}
	sk, err := newSink(ctx, a)
	if err != nil {
		return stats, err
	}
	defer sk.close()

	// Build batches on one goroutine while the database writes the previous.
	first := st.Done / opt.Batch
	last := (opt.Customers + opt.Batch - 1) / opt.Batch
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	ch := make(chan *batch, 2)
	go func() {
		defer close(ch)
		for no := first; no < last; no++ {
			select {
			case ch <- b.build(no):
			case <-ctx.Done():
				return
			}
		}
	}()
	t0, lastLog := time.Now(), time.Now()
	written := 0
	for bt := range ch {
		if opt.stopAfter > 0 && written == opt.stopAfter {
			return stats, errStopped
		}
		written++
		next := *st
		next.Done = bt.end
		next.Finished = bt.end >= opt.Customers
		if err := sk.write(ctx, bt, next); err != nil {
			return stats, fmt.Errorf("bench: batch %d (customers %d–%d): %w", bt.no, bt.start, bt.end, err)
		}
		*st = next
		stats.Counts.add(bt.counts)
		if time.Since(lastLog) > 5*time.Second || next.Finished {
			lastLog = time.Now()
			el := time.Since(t0)
			rate := float64(stats.Counts.Rows()) / el.Seconds()
			left := time.Duration(float64(el) * float64(opt.Customers-bt.end) / float64(max(1, bt.end-stats.Resumed)))
			fmt.Fprintf(log, "customers %d/%d  rows %d  %.0f rows/s  elapsed %s  left ~%s\n",
				bt.end, opt.Customers, stats.Counts.Rows(), rate, el.Round(time.Second), left.Round(time.Second))
		}
	}
	if err := ctx.Err(); err != nil {
		return stats, err
	}
	fmt.Fprintln(log, "finishing (checkpoint / analyze) …")
	if err := sk.finish(ctx); err != nil {
		return stats, err
	}
	stats.Elapsed = time.Since(start)
	return stats, nil
}

func saveState(ctx context.Context, db *store.DB, q store.Querier, st state) error {
	b, _ := json.Marshal(st)
	return db.SetSetting(ctx, q, stateKey, string(b))
}
