// Package presales runs pre-sales (售前): the rules attached to
// opportunities, pre-sales requests, solutions, bids and samples (hooks on
// the generic record service), and the processes — stage changes through
// gates, winning and losing, request evaluation, assignment and closing,
// solution review, sample trials — with the reports built on them (board,
// funnel, forecast, monthly pre-sales summary).
package presales

import (
	"time"

	"closeloop/internal/records"
	"closeloop/internal/store"
)

// Service is the pre-sales service.
type Service struct {
	R  *records.Service
	DB *store.DB

	nowFunc func() time.Time
}

// New creates the service and registers its hooks on r.
func New(r *records.Service) *Service {
	s := &Service{R: r, DB: r.DB, nowFunc: store.Now}
	s.registerOpportunities()
	s.registerSamples()
	s.registerBids()
	s.registerAppointments()
	s.registerRequests()
	s.registerSolutions()
	return s
}

// SetClock replaces the clock (tests).
func (s *Service) SetClock(now func() time.Time) { s.nowFunc = now }

func (s *Service) now() time.Time { return s.nowFunc() }
