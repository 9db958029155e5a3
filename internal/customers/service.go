// Package customers runs the customer base: the rules attached to
// customers, contacts, leads and activities (hooks on the generic record
// service), and the processes of pre-sales' first stage — lead conversion,
// the shared pool (claim, release, hand out, automatic return), duplicate
// detection and merge, consent, follow-ups and the customer timeline.
package customers

import (
	"context"
	"encoding/json"
	"fmt"
	"sync"
	"time"

	"closeloop/internal/crm"
	"closeloop/internal/records"
	"closeloop/internal/store"
)

// Service is the customer-base service.
type Service struct {
	R  *records.Service
	DB *store.DB

	mu       sync.Mutex
	rules    []crm.PoolRule
	settings crm.PoolSettings
	loadedAt time.Time
	rulesTTL time.Duration
	nowFunc  func() time.Time
}

// New creates the service and registers its hooks on r.
func New(r *records.Service) *Service {
	s := &Service{R: r, DB: r.DB, rulesTTL: 5 * time.Second, nowFunc: store.Now}
	r.On("customer", records.Hooks{Prepare: s.prepareCustomer, After: s.afterCustomer, ProbeMany: s.probeCustomers})
	r.On("contact", records.Hooks{Prepare: s.prepareContact, After: s.afterContact, VisOwners: s.contactVis})
	r.On("lead", records.Hooks{Prepare: s.prepareLead, After: s.afterLead})
	r.On("activity", records.Hooks{Prepare: s.prepareActivity, After: s.afterActivity})
	r.On("user", records.Hooks{Prepare: s.prepareUser, After: s.afterUser})
	r.On("team", records.Hooks{Prepare: s.prepareTeam, After: s.afterTeam})
	return s
}

// SetClock replaces the clock (tests).
func (s *Service) SetClock(now func() time.Time) { s.nowFunc = now }

func (s *Service) now() time.Time { return s.nowFunc() }

const poolSettingsKey = "pool.settings"

// PoolRules returns the pool rules and settings, cached briefly so that a
// write does not read them every time (and so several servers converge
// within seconds after an admin changes them).
func (s *Service) PoolRules(ctx context.Context, q store.Querier) ([]crm.PoolRule, crm.PoolSettings, error) {
	s.mu.Lock()
	if s.rules != nil && time.Since(s.loadedAt) < s.rulesTTL {
		r, st := s.rules, s.settings
		s.mu.Unlock()
		return r, st, nil
	}
	s.mu.Unlock()
	rows, err := q.QueryContext(ctx, `SELECT entity, level, days, remind_days FROM pool_rules ORDER BY entity, level`)
	if err != nil {
		return nil, crm.PoolSettings{}, fmt.Errorf("customers: pool rules: %w", err)
	}
	var rules []crm.PoolRule
	for rows.Next() {
		var r crm.PoolRule
		if err := rows.Scan(&r.Entity, &r.Level, &r.Days, &r.RemindDays); err != nil {
			rows.Close()
			return nil, crm.PoolSettings{}, err
		}
		rules = append(rules, r)
	}
	rows.Close()
	st := crm.DefaultPoolSettings
	raw, err := s.DB.Setting(ctx, q, poolSettingsKey)
	if err != nil {
		return nil, st, err
	}
	if raw != "" {
		if err := json.Unmarshal([]byte(raw), &st); err != nil {
			return nil, st, fmt.Errorf("customers: pool settings: %w", err)
		}
	}
	if rules == nil {
		rules = []crm.PoolRule{}
	}
	s.mu.Lock()
	s.rules, s.settings, s.loadedAt = rules, st, time.Now()
	s.mu.Unlock()
	return rules, st, nil
}

func (s *Service) forgetRules() {
	s.mu.Lock()
	s.rules = nil
	s.mu.Unlock()
}

// SeedDefaults writes the shipped pool rules and settings when none exist.
func (s *Service) SeedDefaults(ctx context.Context, tx *store.Tx) error {
	var n int
	if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM pool_rules`).Scan(&n); err != nil {
		return err
	}
	if n == 0 {
		for _, r := range crm.DefaultPoolRules {
			if _, err := tx.ExecContext(ctx, `INSERT INTO pool_rules (entity, level, days, remind_days) VALUES ($1, $2, $3, $4)`, r.Entity, r.Level, r.Days, r.RemindDays); err != nil {
				return err
			}
		}
	}
	if v, err := s.DB.Setting(ctx, tx, poolSettingsKey); err != nil {
		return err
	} else if v == "" {
		b, _ := json.Marshal(crm.DefaultPoolSettings)
		if err := s.DB.SetSetting(ctx, tx, poolSettingsKey, string(b)); err != nil {
			return err
		}
	}
	return nil
}
