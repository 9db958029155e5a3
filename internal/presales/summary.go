package presales

import (
	"context"
	"slices"
	"sort"
	"strings"
	"time"

	"closeloop/internal/access"
	"closeloop/internal/crm"
	"closeloop/internal/entity"
	"closeloop/internal/errs"
)

// The monthly pre-sales summary (评分汇总), the basis of incentives: per
// engineer or per team, for one calendar month in the company's time zone,
//
//   - hours: the hours of work records dated in the month;
//   - requests: the requests the engineer logged work on in the month or
//     that closed in the month with the engineer assigned;
//   - closed and outcomes: requests closed in the month with the engineer
//     assigned, by outcome;
//   - average score: the mean mark (quality, timeliness, contribution) of
//     every score given to those closed requests;
//   - won value: the estimated contract value of those won.
//
// A team's figures count each request once, however many of its engineers
// worked on it. Only requests p can see are counted, through the same
// visibility predicate as every other read.

// GroupEngineer groups the summary by engineer; GroupTeam (shared with the
// sample report) by the engineers' teams.
const GroupEngineer = "engineer"

// SummaryRow is the figures of one engineer or team.
type SummaryRow struct {
	Key      string  `json:"key"` // user or team id; "" for engineers without a team
	Name     string  `json:"name"`
	Requests int     `json:"requests"`
	Hours    float64 `json:"hours"`
	Closed   int     `json:"closed"`
	Won      int     `json:"won"`
	Lost     int     `json:"lost"`
	Stopped  int     `json:"stopped"`
	Merged   int     `json:"merged"`
	Scores   int     `json:"scores"`
	AvgScore float64 `json:"avg_score"` // 0 when nothing was scored
	WonValue int64   `json:"won_value"` // minor units (分)
}

// Summary is the monthly summary.
type Summary struct {
	Month string       `json:"month"` // 2026-11
	Group string       `json:"group"`
	From  time.Time    `json:"from"`
	To    time.Time    `json:"to"` // exclusive
	Rows  []SummaryRow `json:"rows"`
	Total SummaryRow   `json:"total"`
}

// ParseMonth reads "2026-11" as the month's first instant in loc and the
// next month's.
func ParseMonth(month string, loc *time.Location) (time.Time, time.Time, error) {
	t, err := time.ParseInLocation("2006-01", strings.TrimSpace(month), loc)
	if err != nil || t.Year() < 2000 || t.Year() > 2999 {
		return time.Time{}, time.Time{}, errs.Validation([]errs.FieldError{{Field: "month", Code: "presales_bad_month", Args: map[string]any{"value": month}}})
	}
	return t, t.AddDate(0, 1, 0), nil
}

// tally collects what a row is made of; figures are computed at the end so
// a team counts a request once.
type tally struct {
	hours  float64
	worked map[string]bool
	closed map[string]bool
}

func newTally() *tally { return &tally{worked: map[string]bool{}, closed: map[string]bool{}} }

// Summary computes the summary of month ("2026-11") grouped by engineer
// or team.
func (s *Service) Summary(ctx context.Context, p *access.Principal, month, group string) (Summary, error) {
	if group == "" {
		group = GroupEngineer
	}
	if group != GroupEngineer && group != GroupTeam {
		return Summary{}, errs.Validation([]errs.FieldError{{Field: "group", Code: "invalid_option", Args: map[string]any{"value": group}}})
	}
	from, to, err := ParseMonth(month, s.R.Loc)
	if err != nil {
		return Summary{}, err
	}
	re := s.requestEntity()
	if p.Perm(re.Name).Read == access.None {
		return Summary{}, errs.Denied()
	}
	sum := Summary{Month: from.Format("2006-01"), Group: group, From: from.UTC(), To: to.UTC(), Rows: []SummaryRow{}}
	byEngineer := map[string]*tally{}
	get := func(id string) *tally {
		if byEngineer[id] == nil {
			byEngineer[id] = newTally()
		}
		return byEngineer[id]
	}
	// Work dated in the month, on requests p can see.
	we := s.R.Schema().Entity("presales_work_record")
	wq := entity.Query{Sort: we.Field("work_date"), Conds: []entity.Cond{
		{Field: we.Field("work_date"), Op: entity.Gte, Values: []any{from.Format(entity.DateLayout)}},
		{Field: we.Field("work_date"), Op: entity.Lt, Values: []any{to.Format(entity.DateLayout)}},
	}}
	err = s.DB.Each(ctx, we, wq, s.DB.Visible(we, p, p.Perm(re.Name).Read), func(r entity.Record) error {
		t := get(r.Str("engineer_id"))
		h, _ := r["hours"].(float64)
		t.hours += h
		t.worked[r.Str("request_id")] = true
		return nil
	})
	if err != nil {
		return Summary{}, errs.Wrap(err, "presales: summary work")
	}
	// Requests closed in the month.
	closed := map[string]entity.Record{}
	rq := entity.Query{Sort: re.Field("closed_at"), Conds: []entity.Cond{
		{Field: re.Field("closed_at"), Op: entity.Gte, Values: []any{entity.CanonTime(from)}},
		{Field: re.Field("closed_at"), Op: entity.Lt, Values: []any{entity.CanonTime(to)}},
	}}
	err = s.DB.Each(ctx, re, rq, s.R.ReadPred(re, p), func(r entity.Record) error {
		closed[r.ID()] = r
		for _, eng := range r.List("engineers") {
			t := get(eng)
			t.worked[r.ID()] = true
			t.closed[r.ID()] = true
		}
		return nil
	})
	if err != nil {
		return Summary{}, errs.Wrap(err, "presales: summary requests")
	}
	marks, err := s.scoreMarks(ctx, closed)
	if err != nil {
		return Summary{}, err
	}
	groups := byEngineer
	var names map[string]string
	var ids []string
	for id := range byEngineer {
		ids = append(ids, id)
	}
	users, err := s.DB.GetMany(ctx, s.DB.R(), s.R.Schema().Entity("user"), ids, nil)
	if err != nil {
		return Summary{}, errs.Wrap(err, "presales: summary users")
	}
	if group == GroupTeam {
		groups = map[string]*tally{}
		var teams []string
		for id, t := range byEngineer {
			team := ""
			if u, ok := users[id]; ok {
				team = u.Str("team_id")
			}
			g := groups[team]
			if g == nil {
				g = newTally()
				groups[team] = g
				teams = append(teams, team)
			}
			g.hours += t.hours
			for r := range t.worked {
				g.worked[r] = true
			}
			for r := range t.closed {
				g.closed[r] = true
			}
		}
		recs, err := s.DB.GetMany(ctx, s.DB.R(), s.R.Schema().Entity("team"), teams, nil)
		if err != nil {
			return Summary{}, errs.Wrap(err, "presales: summary teams")
		}
		names = map[string]string{}
		for id, t := range recs {
			names[id] = t.Str("name")
		}
	} else {
		names = map[string]string{}
		for id, u := range users {
			names[id] = u.Str("name")
		}
	}
	total := newTally()
	for key, t := range groups {
		row := figures(t, closed, marks)
		row.Key, row.Name = key, names[key]
		sum.Rows = append(sum.Rows, row)
		total.hours += t.hours
		for r := range t.worked {
			total.worked[r] = true
		}
		for r := range t.closed {
			total.closed[r] = true
		}
	}
	sort.Slice(sum.Rows, func(i, j int) bool {
		a, b := sum.Rows[i], sum.Rows[j]
		if a.Hours != b.Hours {
			return a.Hours > b.Hours
		}
		return a.Name < b.Name
	})
	sum.Total = figures(total, closed, marks)
	return sum, nil
}

// scoreMarks lists, per closed request, the average marks of its scores.
func (s *Service) scoreMarks(ctx context.Context, closed map[string]entity.Record) (map[string][]float64, error) {
	out := map[string][]float64{}
	ids := make([]any, 0, len(closed))
	for id := range closed {
		ids = append(ids, id)
	}
	slices.SortFunc(ids, func(a, b any) int { return strings.Compare(a.(string), b.(string)) })
	se := s.R.Schema().Entity("presales_score")
	for start := 0; start < len(ids); start += 500 {
		q := entity.Query{Sort: se.Field("scored_at"), Conds: []entity.Cond{{Field: se.Field("request_id"), Op: entity.In, Values: ids[start:min(start+500, len(ids))]}}}
		err := s.DB.Each(ctx, se, q, nil, func(r entity.Record) error {
			sc := crm.Score{Quality: r.Int("quality"), Timeliness: r.Int("timeliness"), Contribution: r.Int("contribution")}
			out[r.Str("request_id")] = append(out[r.Str("request_id")], sc.Average())
			return nil
		})
		if err != nil {
			return nil, errs.Wrap(err, "presales: summary scores")
		}
	}
	return out, nil
}

// figures turns a tally into a row.
func figures(t *tally, closed map[string]entity.Record, marks map[string][]float64) SummaryRow {
	row := SummaryRow{Requests: len(t.worked), Hours: t.hours, Closed: len(t.closed)}
	var sum float64
	for id := range t.closed {
		r := closed[id]
		switch r.Str("outcome") {
		case crm.OutcomeWon:
			row.Won++
			row.WonValue += r.Int("estimated_value")
		case crm.OutcomeLost:
			row.Lost++
		case crm.OutcomeStopped:
			row.Stopped++
		case crm.OutcomeMerged:
			row.Merged++
		}
		for _, m := range marks[id] {
			sum += m
			row.Scores++
		}
	}
	if row.Scores > 0 {
		row.AvgScore = float64(int(sum/float64(row.Scores)*100+0.5)) / 100
	}
	row.Hours = float64(int(row.Hours*100+0.5)) / 100
	return row
}
