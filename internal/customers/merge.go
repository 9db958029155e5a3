package customers

import (
	"context"
	"fmt"

	"closeloop/internal/access"
	"closeloop/internal/entity"
	"closeloop/internal/errs"
	"closeloop/internal/records"
	"closeloop/internal/store"
)

// MergeResult reports what a merge moved.
type MergeResult struct {
	KeptID   string         `json:"kept_id"`
	MergedID string         `json:"merged_id"`
	Moved    map[string]int `json:"moved"`  // rows re-pointed per entity
	Filled   []string       `json:"filled"` // empty fields of the kept record filled from the other
}

// Merge folds customer otherID into keepID: every record that points at the
// other customer — found through the declarations, so entities added later
// are moved too — is re-pointed, empty fields of the kept customer are
// filled from the other, the timeline is joined, and the other is deleted
// with merged_into set. Both sides are audited.
func (s *Service) Merge(ctx context.Context, p *access.Principal, keepID, otherID string) (MergeResult, error) {
	res := MergeResult{KeptID: keepID, MergedID: otherID, Moved: map[string]int{}}
	if keepID == otherID {
		return res, errs.Validation([]errs.FieldError{{Field: "other_id", Code: "merge_same"}})
	}
	ce := s.R.Schema().Entity("customer")
	perm := p.Perm("customer")
	err := s.DB.Write(ctx, func(tx *store.Tx) error {
		res.Moved, res.Filled = map[string]int{}, nil
		keep, err := s.R.LoadForWrite(ctx, tx, p, ce, keepID, perm.Write, false)
		if err != nil {
			return err
		}
		other, err := s.R.LoadForWrite(ctx, tx, p, ce, otherID, perm.Delete, false)
		if err != nil {
			if errs.KindOf(err) == errs.NotFound {
				return errs.Validation([]errs.FieldError{{Field: "other_id", Code: "invalid_ref"}})
			}
			return err
		}
		pctx := records.AsProcess(ctx)
		// Re-point every reference to the other customer.
		for _, e := range s.R.Schema().Entities() {
			for _, f := range e.Columns() {
				if f.Kind != entity.Ref || f.Ref != "customer" || f.Name == "merged_into" {
					continue
				}
				if e.Name == "customer" {
					continue
				}
				n, err := s.DB.UpdateWhere(ctx, tx, e, entity.Record{f.Name: keepID}, f.Col()+" = $1", otherID)
				if err != nil {
					return err
				}
				if n > 0 {
					res.Moved[e.Name] += int(n)
				}
			}
		}
		// Files attached to the other customer follow it (attachments are
		// not a declared entity, so the loop above does not see them).
		res2, err := tx.ExecContext(ctx, `UPDATE attachments SET record_id = $1 WHERE entity = 'customer' AND record_id = $2`, keepID, otherID)
		if err != nil {
			return fmt.Errorf("move attachments: %w", err)
		}
		if n, _ := res2.RowsAffected(); n > 0 {
			res.Moved["attachment"] += int(n)
		}
		if err := s.DB.LinkEvents(ctx, tx, "customer_id", otherID, keepID); err != nil {
			return err
		}
		// Fill what the kept record lacks.
		fill := entity.Record{}
		for _, f := range ce.Fields {
			if !f.Writable() || f.Has(entity.Hidden) {
				continue
			}
			if entity.IsEmpty(keep[f.Name]) && !entity.IsEmpty(other[f.Name]) {
				fill[f.Name] = other[f.Name]
				res.Filled = append(res.Filled, f.Name)
			}
		}
		if tags := mergeTags(keep.List("tags"), other.List("tags")); len(tags) > len(keep.List("tags")) {
			fill["tags"] = tags
		}
		if len(fill) > 0 {
			if keep, err = s.R.SetTx(pctx, tx, p, ce, keep, fill); err != nil {
				return err
			}
		}
		now := store.Now()
		if _, err := s.DB.Update(ctx, tx, ce, otherID, other.Version(), entity.Record{"merged_into": keepID, "deleted_at": now, "updated_at": now, "updated_by": nilIf(p.UserID)}); err != nil {
			return err
		}
		if err := s.DB.UnindexDoc(ctx, tx, otherID); err != nil {
			return err
		}
		if err := s.reindexContacts(ctx, tx, keepID); err != nil {
			return err
		}
		if err := s.refreshFollowup(ctx, tx, "customer", keepID); err != nil {
			return err
		}
		moved := map[string]store.Change{"merged_into": {New: keepID}}
		for k, v := range res.Moved {
			moved["moved_"+k] = store.Change{New: v}
		}
		if err := s.DB.Audit(ctx, tx, store.AuditEntry{ActorID: p.UserID, Entity: "customer", RecordID: otherID, Action: "merge", Changes: moved, RequestID: records.RequestID(ctx)}); err != nil {
			return err
		}
		if err := s.DB.Audit(ctx, tx, store.AuditEntry{ActorID: p.UserID, Entity: "customer", RecordID: keepID, Action: "merge",
			Changes: map[string]store.Change{"merged_from": {New: otherID}}, RequestID: records.RequestID(ctx)}); err != nil {
			return err
		}
		return s.DB.AddEvent(ctx, tx, store.Event{CustomerID: keepID, ActorID: p.UserID, Kind: "merged", Entity: "customer", RecordID: otherID,
			Data: map[string]any{"title": other.Str("name"), "moved": res.Moved, "filled": res.Filled}})
	})
	return res, err
}

func mergeTags(a, b []string) []string {
	out := append([]string(nil), a...)
	for _, t := range b {
		found := false
		for _, x := range out {
			found = found || x == t
		}
		if !found {
			out = append(out, t)
		}
	}
	return out
}
