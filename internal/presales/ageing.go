package presales

import (
	"context"
	"time"

	"closeloop/internal/access"
	"closeloop/internal/crm"
	"closeloop/internal/entity"
	"closeloop/internal/errs"
)

// OpenRequest is an open request with how long it has waited.
type OpenRequest struct {
	Record   entity.Record `json:"-"`
	ID       string        `json:"id"`
	Name     string        `json:"name"`
	Status   string        `json:"status"`
	OwnerID  string        `json:"owner_id"`
	Opened   time.Time     `json:"opened_at"`
	NeededBy string        `json:"needed_by,omitempty"`
	DaysOpen int           `json:"days_open"`
	Overdue  bool          `json:"overdue"` // past its needed-by date
}

// AgeGroup is the open requests of one age band, oldest first.
type AgeGroup struct {
	Key      string        `json:"key"`
	Min      int           `json:"min_days"`
	Max      int           `json:"max_days"` // -1: no upper bound
	Count    int           `json:"count"`
	Requests []OpenRequest `json:"requests"`
}

// Ageing is every open request p can see, by age band (crm.AgeBuckets).
type Ageing struct {
	At     time.Time  `json:"at"`
	Open   int        `json:"open"`
	Groups []AgeGroup `json:"groups"`
}

// openStatuses are the statuses of a request not yet closed.
var openStatuses = []any{crm.ReqSubmitted, crm.ReqAccepted, crm.ReqAssigned}

// OpenRequests lists the open requests p can see, oldest first, with the
// days each has been open (in the company's time zone).
func (s *Service) OpenRequests(ctx context.Context, p *access.Principal, now time.Time) ([]OpenRequest, error) {
	e := s.requestEntity()
	if p.Perm(e.Name).Read == access.None {
		return nil, errs.Denied()
	}
	today := now.In(s.R.Loc).Format(entity.DateLayout)
	q := entity.Query{Sort: e.Field("created_at"), Conds: []entity.Cond{{Field: e.Field("status"), Op: entity.In, Values: openStatuses}}}
	var out []OpenRequest
	err := s.DB.Each(ctx, e, q, s.R.ReadPred(e, p), func(r entity.Record) error {
		r = s.R.Present(p, e, r)
		o := OpenRequest{Record: r, ID: r.ID(), Name: r.Str("name"), Status: r.Str("status"), OwnerID: r.Str("owner_id"),
			Opened: r.Time("created_at"), NeededBy: r.Str("needed_by")}
		o.DaysOpen = crm.DaysOpen(o.Opened, time.Time{}, now, s.R.Loc)
		o.Overdue = o.NeededBy != "" && o.NeededBy < today
		out = append(out, o)
		return nil
	})
	if err != nil {
		return nil, errs.Wrap(err, "presales: open requests")
	}
	return out, nil
}

// Ageing groups the open requests p can see by how long they have waited.
func (s *Service) Ageing(ctx context.Context, p *access.Principal, now time.Time) (Ageing, error) {
	open, err := s.OpenRequests(ctx, p, now)
	if err != nil {
		return Ageing{}, err
	}
	a := Ageing{At: now, Open: len(open)}
	for _, b := range crm.AgeBuckets {
		a.Groups = append(a.Groups, AgeGroup{Key: b.Key, Min: b.Min, Max: b.Max, Requests: []OpenRequest{}})
	}
	for _, o := range open {
		g := &a.Groups[crm.BucketOf(o.DaysOpen)]
		g.Requests = append(g.Requests, o)
		g.Count++
	}
	return a, nil
}
