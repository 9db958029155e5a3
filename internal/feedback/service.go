// Package feedback runs the feedback loop of after-sales (服务—反馈—优化):
// the cause review of resolved tickets and the improvement items it turns
// into (routed to their product or pre-sales owner, linked to the tickets,
// tracked to closure), knowledge articles made from resolved tickets,
// return visits (回访) planned by rules, satisfaction surveys answered by
// the customer through a one-time link, and the recovery task a low score
// opens for the manager.
//
// The rules are pure (crm/feedback.go). This package reads and writes
// through the record service (validation, audit, index, hooks) and reacts
// to ticket status changes through a records hook, whoever makes them.
package feedback

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	"closeloop/internal/access"
	"closeloop/internal/entity"
	"closeloop/internal/mail"
	"closeloop/internal/notify"
	"closeloop/internal/records"
	"closeloop/internal/store"
)

// Mailer queues outgoing mail inside a transaction (mail.Service).
type Mailer interface {
	Enqueue(ctx context.Context, q store.Querier, m mail.Message) (string, error)
}

// Service is the feedback service.
type Service struct {
	R  *records.Service
	DB *store.DB
	// Mail sends the surveys (nil: surveys are only copied as links).
	Mail Mailer
	// BaseURL is the public address the mailed links start with.
	BaseURL string

	nowFunc func() time.Time
}

// Settings.
const (
	// SurveyDelaySetting is how many minutes after a ticket is resolved
	// its survey is mailed (default 60).
	SurveyDelaySetting = "feedback.survey_delay_minutes"
	// SurveyDaysSetting is how many days a survey link stays open (14).
	SurveyDaysSetting = "feedback.survey_days"
	// RecoveryDays is how long the manager has to follow a low score up.
	RecoveryDays = 3
)

// New creates the service and registers its hooks on r.
func New(r *records.Service) *Service {
	s := &Service{R: r, DB: r.DB, nowFunc: store.Now}
	r.On("ticket", records.Hooks{After: s.afterTicket})
	r.On("improvement_item", records.Hooks{Prepare: s.prepareItem, After: s.afterItem})
	r.On("improvement_ticket", records.Hooks{Prepare: s.prepareLink, After: s.afterLink})
	r.On("return_visit", records.Hooks{Prepare: s.prepareVisit, After: s.afterVisit})
	r.On("recovery_task", records.Hooks{Prepare: s.prepareRecovery})
	return s
}

// SetClock replaces the clock (tests).
func (s *Service) SetClock(now func() time.Time) { s.nowFunc = now }

func (s *Service) now() time.Time { return entity.CanonTime(s.nowFunc()) }

func (s *Service) today() string { return s.now().In(s.R.Loc).Format(entity.DateLayout) }

func (s *Service) entity(name string) *entity.Entity { return s.R.Schema().Entity(name) }

func (s *Service) intSetting(ctx context.Context, q store.Querier, key string, def, lo, hi int) int {
	v, err := s.DB.Setting(ctx, q, key)
	if err != nil {
		return def
	}
	n, err := strconv.Atoi(strings.TrimSpace(v))
	if err != nil || n < lo || n > hi {
		return def
	}
	return n
}

func cleanID(id string) string { return strings.ToLower(strings.TrimSpace(id)) }

// event writes a line of the customer's timeline.
func (s *Service) event(ctx context.Context, tx *store.Tx, p *access.Principal, customerID, kind, entityName, id string, data map[string]any) error {
	if customerID == "" {
		return nil
	}
	actor := ""
	if p != nil {
		actor = p.UserID
	}
	if err := s.DB.AddEvent(ctx, tx, store.Event{CustomerID: customerID, ActorID: actor, Kind: kind, Entity: entityName, RecordID: id, Data: data}); err != nil {
		return fmt.Errorf("feedback: timeline %s: %w", kind, err)
	}
	return nil
}

func (s *Service) notify(ctx context.Context, q store.Querier, userID, kind, entityName, id string, data map[string]any) error {
	return notify.Notify(ctx, q, userID, kind, entityName, id, data)
}

func system() *access.Principal { return access.SystemPrincipal() }

// scalar reads one string column ("" for NULL or no row).
func scalar(ctx context.Context, q store.Querier, query string, args ...any) string {
	var v *string
	if err := q.QueryRowContext(ctx, query, args...).Scan(&v); err != nil || v == nil {
		return ""
	}
	return *v
}

// Today is the company's date today (overdue lists).
func (s *Service) Today() string { return s.today() }
