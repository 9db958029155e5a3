// Package demo builds a realistic Chinese demo data set so that a newcomer
// starting `closeloop serve --demo` sees a living system: a sales
// organisation, about 300 customers with their decision makers, leads from
// every source (some converted, some disqualified, some in the pool), and
// six months of visits, calls and next steps — some due today.
//
// Everything goes through the services (record service, conversion, pool,
// consent, sign-in), so hooks, audit, the search index and the timeline
// are real. Only the creation times are moved into the past afterwards
// (see backdate), since a service always stamps "now".
package demo

import (
	"context"
	"errors"
	"fmt"
	"time"

	"closeloop/internal/app"
)

// Password is the demo users' password.
const Password = "demo-closeloop"

// Seed makes the demo set the same on every machine.
const Seed = 20260101

// Options size the demo set.
type Options struct {
	// Customers is about how many customers are created (default 300).
	Customers int
}

// Info reports what was loaded.
type Info struct {
	Customers, Contacts, Leads, Activities int
	// Emails are the demo users' sign-in names, the administrator first.
	Emails []string
}

// Load fills an empty database with the demo set.
func Load(ctx context.Context, a *app.App, opt Options) (Info, error) {
	if opt.Customers <= 0 {
		opt.Customers = 300
	}
	if n, err := a.DB.CountUsers(ctx); err != nil {
		return Info{}, err
	} else if n > 0 {
		return Info{}, errors.New("demo: the database is not empty")
	}
	o, err := createOrg(ctx, a)
	if err != nil {
		return Info{}, fmt.Errorf("demo: organisation: %w", err)
	}
	l, err := newLoader(ctx, a, o)
	if err != nil {
		return Info{}, err
	}
	steps := []struct {
		name string
		fn   func(context.Context, int) error
	}{
		{"customers", l.customers},
		{"leads", l.leads},
		{"consent", l.consents},
		{"pool", l.releases},
		{"knowledge", l.knowledge},
		{"presales", l.presales},
		{"quotes", l.quotes},
		{"contracts", l.contracts},
		{"fulfilment", l.fulfilment},
		{"tickets", l.tickets}, // service agents and tickets in every status
		{"finance", l.finance}, // after the contracts it invoices and collects
		{"channels", l.channels},
		{"feedback", l.feedbackLoop}, // resolved tickets with causes, surveys, improvement items, return visits
		{"care", l.care},             // care rules, birthdays in the coming days, the day's care list
		{"fieldservice", l.fieldservice},
		{"history", l.backdate},
		{"sla", l.sla}, // last: the sweep sees every ticket opened before
	}
	for _, s := range steps {
		if err := s.fn(ctx, opt.Customers); err != nil {
			return Info{}, fmt.Errorf("demo: %s: %w", s.name, err)
		}
	}
	return l.info(ctx)
}

func (l *loader) info(ctx context.Context) (Info, error) {
	var in Info
	for _, c := range []struct {
		table string
		dst   *int
	}{{"customers", &in.Customers}, {"contacts", &in.Contacts}, {"leads", &in.Leads}, {"activities", &in.Activities}} {
		if err := l.a.DB.R().QueryRowContext(ctx, `SELECT count(*) FROM `+c.table+` WHERE deleted_at IS NULL`).Scan(c.dst); err != nil {
			return in, err
		}
	}
	for _, u := range l.o.all {
		in.Emails = append(in.Emails, u.email)
	}
	return in, nil
}

// daysAgo is a time d days (fractional) before now.
func (l *loader) daysAgo(d float64) time.Time {
	return l.now.Add(-time.Duration(d * float64(24*time.Hour)))
}

// rnd draws a float in [a, b).
func (l *loader) rnd(a, b float64) float64 { return a + l.f.R.Float64()*(b-a) }
