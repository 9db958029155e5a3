package customers

import (
	"context"
	"strings"
	"time"

	"closeloop/internal/access"
	"closeloop/internal/entity"
	"closeloop/internal/errs"
	"closeloop/internal/store"
)

// TimelineItem is one line of the customer report (客户报告).
type TimelineItem struct {
	store.Event
	Actor string `json:"actor,omitempty"`
	// Activity is the current content of an activity event.
	Activity entity.Record `json:"activity,omitempty"`
}

// Timeline returns the story of a customer (or, with entityName "lead", of
// a lead), newest first: activities, changes, conversions, pool moves —
// and whatever later areas add. Seeing the record means seeing its story.
//
// before is the cursor of the previous page (TimelineCursor of its last
// item; a bare RFC 3339 time is accepted too), "" for the first page.
func (s *Service) Timeline(ctx context.Context, p *access.Principal, entityName, id string, before string, limit int) ([]TimelineItem, error) {
	at, beforeID, err := parseTimelineCursor(before)
	if err != nil {
		return nil, err
	}
	if _, err := s.R.Get(ctx, p, entityName, id); err != nil {
		return nil, err
	}
	col := "customer_id"
	if entityName == "lead" {
		col = "lead_id"
	}
	evs, err := s.DB.Events(ctx, col, id, at, beforeID, limit)
	if err != nil {
		return nil, err
	}
	var actIDs, userIDs []string
	for _, ev := range evs {
		if ev.Kind == "activity" {
			actIDs = append(actIDs, ev.RecordID)
		}
		if ev.ActorID != "" {
			userIDs = append(userIDs, ev.ActorID)
		}
	}
	ae := s.R.Schema().Entity("activity")
	acts, err := s.DB.GetMany(ctx, s.DB.R(), ae, actIDs, nil)
	if err != nil {
		return nil, err
	}
	names, err := s.UserNames(ctx, userIDs)
	if err != nil {
		return nil, err
	}
	out := make([]TimelineItem, 0, len(evs))
	for _, ev := range evs {
		it := TimelineItem{Event: ev, Actor: names[ev.ActorID]}
		if ev.Kind == "activity" {
			a, ok := acts[ev.RecordID]
			if !ok {
				continue
			}
			it.Activity = a
		}
		out = append(out, it)
	}
	return out, nil
}

// TimelineCursor is the cursor that continues a timeline after item.
func TimelineCursor(it TimelineItem) string {
	return it.At.UTC().Format(time.RFC3339Nano) + "|" + it.ID
}

func parseTimelineCursor(c string) (time.Time, string, error) {
	if c == "" {
		return time.Time{}, "", nil
	}
	ts, id, _ := strings.Cut(c, "|")
	t, err := time.Parse(time.RFC3339Nano, ts)
	if err != nil || (id != "" && !entity.LooksLikeID(id)) {
		return time.Time{}, "", errs.Validation([]errs.FieldError{{Field: "before", Code: "bad_cursor"}})
	}
	return entity.CanonTime(t), id, nil
}

// UserNames maps user ids to display names. Names are not confidential:
// everyone may see who owns or did what.
func (s *Service) UserNames(ctx context.Context, ids []string) (map[string]string, error) {
	out := map[string]string{}
	ue := s.R.Schema().Entity("user")
	recs, err := s.DB.GetMany(ctx, s.DB.R(), ue, ids, nil)
	if err != nil {
		return nil, err
	}
	for id, r := range recs {
		out[id] = r.Str("name")
	}
	return out, nil
}
