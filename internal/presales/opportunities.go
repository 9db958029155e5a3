package presales

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"time"

	"closeloop/internal/access"
	"closeloop/internal/crm"
	"closeloop/internal/entity"
	"closeloop/internal/errs"
	"closeloop/internal/records"
	"closeloop/internal/store"
)

func (s *Service) registerOpportunities() {
	s.R.On("opportunity", records.Hooks{Prepare: s.prepareOpportunity, After: func(ctx context.Context, tx *store.Tx, p *access.Principal, ch records.Change) error {
		if err := s.afterTotals(ctx, tx, p, ch); err != nil {
			return err
		}
		return s.afterOpportunity(ctx, tx, p, ch)
	}})
	s.R.On("pipeline_stage", records.Hooks{Prepare: s.prepareStage, After: s.afterStage})
	s.R.On("pipeline", records.Hooks{Prepare: s.preparePipeline, After: s.afterPipeline})
	s.R.On("opportunity_contact", records.Hooks{Prepare: s.prepareOppContact})
	s.R.On("opportunity_competitor", records.Hooks{Prepare: s.prepareOppCompetitor})
}

// Stages returns a pipeline's stages in order.
func (s *Service) Stages(ctx context.Context, q store.Querier, pipelineID string) ([]crm.Stage, error) {
	if !entity.LooksLikeID(pipelineID) {
		return nil, nil
	}
	rows, err := q.QueryContext(ctx, `SELECT id, code, name, coalesce(name_en, ''), position, probability, coalesce(entry_gates, ''), coalesce(exit_gates, ''), coalesce(entry_fields, '')
		FROM pipeline_stages WHERE pipeline_id = $1 AND deleted_at IS NULL ORDER BY position, code`, pipelineID)
	if err != nil {
		return nil, fmt.Errorf("presales: stages of %s: %w", pipelineID, err)
	}
	defer rows.Close()
	var out []crm.Stage
	for rows.Next() {
		var st crm.Stage
		var nameEn, entry, exit, fields string
		if err := rows.Scan(&st.ID, &st.Code, &st.Name, &nameEn, &st.Position, &st.Probability, &entry, &exit, &fields); err != nil {
			return nil, err
		}
		st.NameEn = nameEn
		st.EntryGates, st.ExitGates, st.EntryFields = jsonList(entry), jsonList(exit), jsonList(fields)
		out = append(out, st)
	}
	return out, rows.Err()
}

func jsonList(s string) []string {
	if s == "" {
		return nil
	}
	var out []string
	_ = json.Unmarshal([]byte(s), &out)
	return out
}

// DefaultPipeline is the id of the pipeline new opportunities enter when
// none is named: the active one marked default, else the first active.
func (s *Service) DefaultPipeline(ctx context.Context, q store.Querier) (string, error) {
	var id string
	err := q.QueryRowContext(ctx, `SELECT id FROM pipelines WHERE deleted_at IS NULL AND active = TRUE ORDER BY is_default DESC, position, name LIMIT 1`).Scan(&id)
	if err == sql.ErrNoRows {
		return "", nil
	}
	if err != nil {
		return "", fmt.Errorf("presales: default pipeline: %w", err)
	}
	return id, nil
}

func stageByID(stages []crm.Stage, id string) *crm.Stage {
	for i := range stages {
		if stages[i].ID == id {
			return &stages[i]
		}
	}
	return nil
}

// prepareOpportunity places a new opportunity in its pipeline's first
// stage and keeps the shown probability equal to the manual override or
// the stage's. The stage itself changes only through MoveStage.
func (s *Service) prepareOpportunity(ctx context.Context, tx *store.Tx, p *access.Principal, old, rec entity.Record) error {
	if rec["deleted_at"] != nil {
		return nil
	}
	pipelineID := rec.Str("pipeline_id")
	if pipelineID == "" {
		id, err := s.DefaultPipeline(ctx, tx)
		if err != nil {
			return err
		}
		if id == "" {
			return errs.Field("pipeline_id", "no_pipeline")
		}
		pipelineID, rec["pipeline_id"] = id, id
	}
	if old == nil || old.Str("pipeline_id") != pipelineID {
		if old != nil && old.Str("status") != crm.OppOpen {
			return errs.New(errs.Unprocessable, "opportunity_closed")
		}
		var active bool
		err := tx.QueryRowContext(ctx, `SELECT active FROM pipelines WHERE id = $1 AND deleted_at IS NULL`, pipelineID).Scan(&active)
		switch {
		case err == sql.ErrNoRows || !entity.LooksLikeID(pipelineID):
			return errs.Field("pipeline_id", "invalid_ref")
		case err != nil:
			return fmt.Errorf("presales: pipeline %s: %w", pipelineID, err)
		case !active:
			return errs.Field("pipeline_id", "pipeline_inactive")
		}
	}
	stages, err := s.Stages(ctx, tx, pipelineID)
	if err != nil {
		return err
	}
	if len(stages) == 0 {
		return errs.Field("pipeline_id", "pipeline_without_stages")
	}
	if old == nil {
		rec["status"] = crm.OppOpen
	}
	if old == nil || old.Str("pipeline_id") != pipelineID {
		// A new opportunity, or one moved to another pipeline, starts at
		// the first stage; afterOpportunity records the entry.
		first := stages[0]
		rec["stage_id"], rec["stage"], rec["stage_entered_at"] = first.ID, first.Code, s.now()
	}
	st := stageByID(stages, rec.Str("stage_id"))
	switch rec.Str("status") {
	case crm.OppWon:
		rec["probability"] = int64(100)
	case crm.OppLost:
		rec["probability"] = int64(0)
	default:
		var override *int64
		if v, ok := rec["probability_override"].(int64); ok {
			override = &v
		}
		rec["probability"] = crm.StageProbability(override, st)
	}
	return nil
}

// afterOpportunity writes the customer's timeline and the stage history
// for entries that did not come through MoveStage (creation, a pipeline
// change).
func (s *Service) afterOpportunity(ctx context.Context, tx *store.Tx, p *access.Principal, ch records.Change) error {
	rec := ch.New
	ev := store.Event{CustomerID: rec.Str("customer_id"), ActorID: p.UserID, Entity: "opportunity", RecordID: rec.ID(),
		Data: map[string]any{"title": rec.Str("name")}}
	switch ch.Action {
	case records.Create:
		if err := s.logStage(ctx, tx, p, rec, nil, rec.Str("stage_id"), time.Time{}, false); err != nil {
			return err
		}
		ev.Kind = "opportunity_created"
		if a, ok := rec["amount"].(int64); ok {
			ev.Data["amount"] = entity.FormatMoney(a) + " " + rec.Str("currency")
		}
	case records.Update:
		if records.IsProcess(ctx) || !ch.Has("pipeline_id") {
			return nil
		}
		if err := s.logStage(ctx, tx, p, rec, ch.Old, rec.Str("stage_id"), ch.Old.Time("stage_entered_at"), false); err != nil {
			return err
		}
		return nil
	case records.Delete:
		ev.Kind = "opportunity_deleted"
	default:
		return nil
	}
	return s.DB.AddEvent(ctx, tx, ev)
}

// logStage appends one stage change to the history.
func (s *Service) logStage(ctx context.Context, tx *store.Tx, p *access.Principal, rec, old entity.Record, toID string, enteredAt time.Time, skipped bool) error {
	ch := entity.Record{
		"opportunity_id": rec.ID(), "to_stage_id": toID, "to_stage": rec.Str("stage"),
		"changed_at": s.now(), "changed_by": entity.NilIfEmpty(p.UserID), "skipped": skipped,
	}
	if old != nil {
		ch["from_stage_id"], ch["from_stage"] = entity.NilIfEmpty(old.Str("stage_id")), entity.NilIfEmpty(old.Str("stage"))
		if !enteredAt.IsZero() {
			ch["seconds_in_stage"] = int64(s.now().Sub(enteredAt) / time.Second)
		}
	}
	_, err := s.R.InsertTx(records.AsProcess(ctx), tx, p, "stage_change", ch)
	return err
}

// prepareOppContact keeps the buying unit consistent: the contact belongs
// to the opportunity's customer.
func (s *Service) prepareOppContact(ctx context.Context, tx *store.Tx, p *access.Principal, old, rec entity.Record) error {
	if rec["deleted_at"] != nil {
		return nil
	}
	var oppCustomer, contactCustomer, name string
	if err := tx.QueryRowContext(ctx, `SELECT customer_id FROM opportunities WHERE id = $1`, rec.Str("opportunity_id")).Scan(&oppCustomer); err != nil {
		if err == sql.ErrNoRows || !entity.LooksLikeID(rec.Str("opportunity_id")) {
			return errs.Field("opportunity_id", "invalid_ref")
		}
		return err
	}
	if err := tx.QueryRowContext(ctx, `SELECT customer_id, name FROM contacts WHERE id = $1`, rec.Str("contact_id")).Scan(&contactCustomer, &name); err != nil {
		if err == sql.ErrNoRows || !entity.LooksLikeID(rec.Str("contact_id")) {
			return errs.Field("contact_id", "invalid_ref")
		}
		return err
	}
	if oppCustomer != contactCustomer {
		return errs.Field("contact_id", "contact_of_other_customer")
	}
	rec["contact_name"] = name
	if rec.Bool("is_primary") && (old == nil || !old.Bool("is_primary")) {
		// One primary contact per opportunity.
		if _, err := tx.ExecContext(ctx, `UPDATE opportunity_contacts SET is_primary = FALSE WHERE opportunity_id = $1 AND id <> $2 AND is_primary = TRUE`, rec.Str("opportunity_id"), rec.ID()); err != nil {
			return fmt.Errorf("presales: primary contact: %w", err)
		}
	}
	return nil
}

// prepareOppCompetitor copies the competitor's name (the record's title).
func (s *Service) prepareOppCompetitor(ctx context.Context, tx *store.Tx, p *access.Principal, old, rec entity.Record) error {
	if rec["deleted_at"] != nil {
		return nil
	}
	var name string
	if err := tx.QueryRowContext(ctx, `SELECT name FROM competitors WHERE id = $1 AND deleted_at IS NULL`, rec.Str("competitor_id")).Scan(&name); err != nil {
		if err == sql.ErrNoRows || !entity.LooksLikeID(rec.Str("competitor_id")) {
			return errs.Field("competitor_id", "invalid_ref")
		}
		return err
	}
	rec["competitor_name"] = name
	return nil
}

// preparePipeline keeps one default pipeline.
func (s *Service) preparePipeline(ctx context.Context, tx *store.Tx, p *access.Principal, old, rec entity.Record) error {
	if rec.Bool("is_default") && (old == nil || !old.Bool("is_default")) {
		if _, err := tx.ExecContext(ctx, `UPDATE pipelines SET is_default = FALSE WHERE is_default = TRUE AND id <> $1`, rec.ID()); err != nil {
			return fmt.Errorf("presales: default pipeline: %w", err)
		}
	}
	return nil
}

// afterPipeline refuses deleting a pipeline that open opportunities use.
func (s *Service) afterPipeline(ctx context.Context, tx *store.Tx, p *access.Principal, ch records.Change) error {
	if ch.Action != records.Delete {
		return nil
	}
	var n int
	if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM opportunities WHERE pipeline_id = $1 AND deleted_at IS NULL AND status = 'open'`, ch.New.ID()).Scan(&n); err != nil {
		return err
	}
	if n > 0 {
		return errs.New(errs.Unprocessable, "pipeline_in_use", "count", n)
	}
	return nil
}

// prepareStage checks a stage's required fields name opportunity fields.
func (s *Service) prepareStage(ctx context.Context, tx *store.Tx, p *access.Principal, old, rec entity.Record) error {
	oe := s.R.Schema().Entity("opportunity")
	for _, name := range rec.List("entry_fields") {
		if f := oe.Field(name); f == nil || f.Has(entity.Hidden) {
			return errs.Validation([]errs.FieldError{{Field: "entry_fields", Code: "unknown_field", Args: map[string]any{"field": name}}})
		}
	}
	return nil
}

// afterStage refuses deleting a stage that opportunities are in.
func (s *Service) afterStage(ctx context.Context, tx *store.Tx, p *access.Principal, ch records.Change) error {
	if ch.Action != records.Delete {
		return nil
	}
	var n int
	if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM opportunities WHERE stage_id = $1 AND deleted_at IS NULL`, ch.New.ID()).Scan(&n); err != nil {
		return err
	}
	if n > 0 {
		return errs.New(errs.Unprocessable, "stage_in_use", "count", n)
	}
	return nil
}

// SeedDefaults installs the shipped pipelines when there is none.
func (s *Service) SeedDefaults(ctx context.Context, tx *store.Tx) error {
	var n int
	if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM pipelines`).Scan(&n); err != nil {
		return fmt.Errorf("presales: seed: %w", err)
	}
	if n > 0 {
		return nil
	}
	sys := access.SystemPrincipal()
	ctx = records.AsProcess(ctx)
	for i, sp := range crm.ShippedPipelines {
		pl, err := s.R.InsertTx(ctx, tx, sys, "pipeline", entity.Record{"name": sp.Name, "name_en": sp.NameEn, "code": sp.Key, "position": int64(i + 1), "is_default": sp.Default, "active": true})
		if err != nil {
			return fmt.Errorf("presales: seed pipeline %s: %w", sp.Key, err)
		}
		for j, st := range sp.Stages {
			rec := entity.Record{"pipeline_id": pl.ID(), "name": st.Name, "name_en": st.NameEn, "code": st.Key, "position": int64(j + 1), "probability": int64(st.Probability)}
			if len(st.EntryGates) > 0 {
				rec["entry_gates"] = st.EntryGates
			}
			if len(st.ExitGates) > 0 {
				rec["exit_gates"] = st.ExitGates
			}
			if _, err := s.R.InsertTx(ctx, tx, sys, "pipeline_stage", rec); err != nil {
				return fmt.Errorf("presales: seed stage %s: %w", st.Key, err)
			}
		}
	}
	return nil
}
