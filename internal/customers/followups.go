package customers

import (
	"context"
	"time"

	"closeloop/internal/access"
	"closeloop/internal/entity"
)

// FollowUps is a rep's list of next steps: due today and overdue.
type FollowUps struct {
	Overdue []entity.Record `json:"overdue"`
	Today   []entity.Record `json:"today"`
}

// DueFollowUps lists the principal's open next steps due on or before the
// given day (in the company time zone), oldest first.
func (s *Service) DueFollowUps(ctx context.Context, p *access.Principal, today time.Time, limit int) (FollowUps, error) {
	var out FollowUps
	e := s.R.Schema().Entity("activity")
	day := today.In(s.R.Loc).Format(entity.DateLayout)
	q := entity.Query{Sort: e.Field("next_step_due"), Limit: limit, Conds: []entity.Cond{
		{Field: e.Field("owner_id"), Op: entity.Eq, Values: []any{p.UserID}},
		{Field: e.Field("next_step_done"), Op: entity.Eq, Values: []any{false}},
		{Field: e.Field("next_step_due"), Op: entity.Lte, Values: []any{day}},
	}}
	page, err := s.R.List(ctx, p, "activity", q)
	if err != nil {
		return out, err
	}
	for _, r := range page.Items {
		if r.Str("next_step_due") < day {
			out.Overdue = append(out.Overdue, r)
		} else {
			out.Today = append(out.Today, r)
		}
	}
	return out, nil
}
