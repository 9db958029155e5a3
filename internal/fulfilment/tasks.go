package fulfilment

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"

	"closeloop/internal/access"
	"closeloop/internal/crm"
	"closeloop/internal/entity"
	"closeloop/internal/errs"
	"closeloop/internal/i18n"
	"closeloop/internal/records"
	"closeloop/internal/store"
)

// Installation, commissioning and training tasks (安装调试、交付培训): a
// schedule, an engineer, a checklist the engineer ticks, a result, and
// the customer's acceptance through a link. The engineer gets a read
// grant on the task (and so its checklist) whatever their role reads;
// the engineer and those who may change the task take its steps.

func (s *Service) registerTasks() {
	s.R.On("service_task", records.Hooks{Prepare: s.prepareTask, After: s.afterTask})
	s.R.On("task_check_item", records.Hooks{Prepare: s.prepareCheckItem})
}

func (s *Service) prepareTask(ctx context.Context, tx *store.Tx, p *access.Principal, old, rec entity.Record) error {
	if old == nil {
		if !records.IsProcess(ctx) {
			rec["status"] = crm.TaskPlanned
		}
		if rec.Str("number") == "" {
			n, err := s.number(ctx, tx, taskPrefix)
			if err != nil {
				return err
			}
			rec["number"] = n
		}
	} else if !records.IsProcess(ctx) {
		switch old.Str("status") {
		case crm.TaskAccepted, crm.TaskCancelled:
			return errs.New(errs.Unprocessable, "task_closed", labelArgs("status", crm.TaskStatuses, old.Str("status"))...)
		}
	}
	if st, end := rec.Time("scheduled_start"), rec.Time("scheduled_end"); !st.IsZero() && !end.IsZero() && end.Before(st) {
		return errs.Field("scheduled_end", "task_end_before_start")
	}
	changed := func(k string) bool { return old == nil || old.Str(k) != rec.Str(k) }
	if changed("contract_id") && rec.Str("contract_id") != "" && rec.Str("order_id") == "" && rec.Str("delivery_id") == "" {
		var cust string
		if err := tx.QueryRowContext(ctx, `SELECT customer_id FROM contracts WHERE id = $1`, rec.Str("contract_id")).Scan(&cust); err == nil {
			switch c := rec.Str("customer_id"); {
			case c == "":
				rec["customer_id"] = cust
			case c != cust:
				return errs.Field("customer_id", "task_customer_not_of_contract")
			}
		}
	}
	if changed("delivery_id") || changed("order_id") || changed("customer_id") {
		if err := s.deriveCustomer(ctx, tx, rec); err != nil {
			return err
		}
	}
	if old == nil {
		h, err := s.latestHandover(ctx, tx, rec.Str("customer_id"))
		if err != nil {
			return err
		}
		rec["handover_id"] = entity.NilIfEmpty(h)
	}
	return nil
}

func (s *Service) afterTask(ctx context.Context, tx *store.Tx, p *access.Principal, ch records.Change) error {
	rec := ch.New
	switch ch.Action {
	case records.Create:
		if !linesGiven(ctx) {
			lang := i18n.ZH
			for i, text := range crm.DefaultChecklist(rec.Str("kind"), lang) {
				if _, err := s.R.InsertTx(records.AsProcess(ctx), tx, p, "task_check_item", entity.Record{"task_id": rec.ID(), "position": int64(i + 1), "text": text}); err != nil {
					return errs.Wrap(err, "fulfilment: checklist")
				}
			}
		}
		if err := s.grantEngineer(ctx, tx, rec); err != nil {
			return err
		}
		kind := optionLabelOf(crm.TaskKinds, rec.Str("kind"))
		return s.event(ctx, tx, p, rec.Str("customer_id"), "task_planned", "service_task", rec.ID(),
			map[string]any{"title": rec.Str("title"), "kind": kind.Zh, "kind_en": kind.En})
	case records.Update:
		if ch.Has("engineer_id") {
			if err := s.grantEngineer(ctx, tx, rec); err != nil {
				return err
			}
		}
		if ch.Has("status") && rec.Str("status") == crm.TaskDone {
			return s.event(ctx, tx, p, rec.Str("customer_id"), "task_done", "service_task", rec.ID(), map[string]any{"title": rec.Str("title"), "note": rec.Str("result")})
		}
	case records.Delete:
		if _, err := s.DB.Revoke(ctx, tx, rec.ID(), nil); err != nil {
			return err
		}
	case records.Restore:
		return s.grantEngineer(ctx, tx, rec)
	}
	return nil
}

// grantEngineer gives the task's engineer (only) a read grant on it and
// keeps the search index in step.
func (s *Service) grantEngineer(ctx context.Context, tx *store.Tx, t entity.Record) error {
	var keep []string
	if e := t.Str("engineer_id"); e != "" {
		keep = []string{e}
		if err := s.DB.Grant(ctx, tx, "service_task", t.ID(), e, t.ID()); err != nil {
			return err
		}
	}
	if _, err := s.DB.Revoke(ctx, tx, t.ID(), keep); err != nil {
		return err
	}
	return s.R.Reindex(ctx, tx, s.entity("service_task"), t)
}

func (s *Service) prepareCheckItem(ctx context.Context, tx *store.Tx, p *access.Principal, old, rec entity.Record) error {
	taskID := rec.Str("task_id")
	if old != nil && old.Str("task_id") != taskID {
		return errs.Field("task_id", "check_item_task_fixed")
	}
	if !entity.LooksLikeID(taskID) {
		return nil
	}
	var status string
	err := tx.QueryRowContext(ctx, `SELECT status FROM service_tasks WHERE id = $1`, taskID).Scan(&status)
	if errors.Is(err, sql.ErrNoRows) {
		return nil
	}
	if err != nil {
		return err
	}
	if !records.IsProcess(ctx) && !taskWorkable(status) {
		return errs.New(errs.Unprocessable, "task_locked", labelArgs("status", crm.TaskStatuses, status)...)
	}
	if rec.Int("position") == 0 {
		var pos int64
		if err := tx.QueryRowContext(ctx, `SELECT coalesce(max(position), 0) FROM task_check_items WHERE task_id = $1 AND deleted_at IS NULL`, taskID).Scan(&pos); err != nil {
			return err
		}
		rec["position"] = pos + 1
	}
	return nil
}

// taskWorkable says whether a task's checklist may still change.
func taskWorkable(status string) bool {
	return status == crm.TaskPlanned || status == crm.TaskInProgress || status == crm.TaskRejected
}

// IsEngineer reports whether p is the engineer of a task.
func IsEngineer(p *access.Principal, t entity.Record) bool {
	return p.UserID != "" && t.Str("engineer_id") == p.UserID
}

// loadTaskForStep reads a task for one of its steps: its engineer may take
// them, as may whoever may change the task (NotFound when p sees it not,
// Forbidden when p sees it but may do neither).
func (s *Service) loadTaskForStep(ctx context.Context, tx *store.Tx, p *access.Principal, id string) (entity.Record, error) {
	te := s.entity("service_task")
	id = cleanID(id)
	t, err := s.DB.Get(ctx, tx, te, id, s.R.ReadPred(te, p), false)
	if err != nil {
		return nil, err
	}
	if IsEngineer(p, t) && !p.ReadOnly {
		return t, nil
	}
	return s.R.LoadForWrite(ctx, tx, p, te, id, p.Perm(te.Name).Write, false)
}

// TaskStepInput is a step asked of a task with what it needs.
type TaskStepInput struct {
	Step    string `json:"step"`
	Result  string `json:"result"`
	Version int64  `json:"version"`
}

// StepTask starts, finishes or cancels a task. Done needs the result and
// every checklist item ticked (task_result_required, task_checklist_open).
func (s *Service) StepTask(ctx context.Context, p *access.Principal, id string, in TaskStepInput) (entity.Record, error) {
	te := s.entity("service_task")
	in.Result = strings.TrimSpace(in.Result)
	var bad []errs.FieldError
	checkText(&bad, "result", in.Result, 20000)
	if err := errs.Validation(bad); err != nil {
		return nil, err
	}
	var out entity.Record
	err := s.DB.Write(ctx, func(tx *store.Tx) error {
		t, err := s.loadTaskForStep(ctx, tx, p, id)
		if err != nil {
			return err
		}
		if err := entity.CheckVersion(t, in.Version); err != nil {
			return err
		}
		var open int
		if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM task_check_items WHERE task_id = $1 AND deleted_at IS NULL AND done = FALSE`, t.ID()).Scan(&open); err != nil {
			return err
		}
		to, err := crm.TaskNext(t.Str("status"), crm.TaskInput{Step: in.Step, Result: in.Result, OpenItems: open})
		if err != nil {
			return err
		}
		now := s.now()
		set := entity.Record{"status": to}
		switch in.Step {
		case crm.TaskStepStart:
			if t.Time("started_at").IsZero() {
				set["started_at"] = now
			}
		case crm.TaskStepDone:
			set["result"], set["done_at"] = in.Result, now
			if t.Time("started_at").IsZero() {
				set["started_at"] = now
			}
		}
		out, err = s.R.SetTx(records.AsProcess(ctx), tx, p, te, t, set)
		return err
	})
	if err != nil {
		return nil, err
	}
	return s.R.Present(p, te, out), nil
}

// CheckItem ticks (or unticks) an item of a task's checklist, for its
// engineer or whoever may change the task, while the task is worked on.
func (s *Service) CheckItem(ctx context.Context, p *access.Principal, taskID, itemID string, done bool) (entity.Record, error) {
	ie := s.entity("task_check_item")
	var out entity.Record
	err := s.DB.Write(ctx, func(tx *store.Tx) error {
		t, err := s.loadTaskForStep(ctx, tx, p, taskID)
		if err != nil {
			return err
		}
		if !taskWorkable(t.Str("status")) {
			return errs.New(errs.Unprocessable, "task_locked", labelArgs("status", crm.TaskStatuses, t.Str("status"))...)
		}
		it, err := s.DB.Get(ctx, tx, ie, cleanID(itemID), nil, false)
		if err != nil || it.Str("task_id") != t.ID() {
			return errs.NotFoundf(ie.Name)
		}
		set := entity.Record{"done": done, "done_by": nil, "done_at": nil}
		if done {
			set["done_by"], set["done_at"] = entity.NilIfEmpty(p.UserID), s.now()
		}
		out, err = s.R.SetTx(records.AsProcess(ctx), tx, p, ie, it, set)
		return err
	})
	return out, err
}

func (s *Service) checkItems(ctx context.Context, q store.Querier, taskID string) ([]entity.Record, error) {
	items, err := s.DB.SelectWhere(ctx, q, s.entity("task_check_item"), "t.task_id = $1 AND t.deleted_at IS NULL", []any{taskID}, "t.position, t.id", 1000)
	if err != nil {
		return nil, fmt.Errorf("fulfilment: checklist: %w", err)
	}
	return items, nil
}

// Task reads a task p may see with its checklist.
func (s *Service) Task(ctx context.Context, p *access.Principal, id string) (entity.Record, []entity.Record, error) {
	t, err := s.R.Get(ctx, p, "service_task", cleanID(id))
	if err != nil {
		return nil, nil, err
	}
	items, err := s.checkItems(ctx, s.DB.R(), t.ID())
	if err != nil {
		return nil, nil, err
	}
	return t, items, nil
}

// MyTasks lists the tasks p is the engineer of that are not finished,
// soonest first, then the last ones finished.
func (s *Service) MyTasks(ctx context.Context, p *access.Principal, limit int) ([]entity.Record, error) {
	if p.UserID == "" {
		return nil, nil
	}
	if limit <= 0 || limit > 200 {
		limit = 50
	}
	te := s.entity("service_task")
	var a store.Args
	where, err := s.DB.ListSQL(te, entity.Query{Conds: []entity.Cond{{Field: te.Field("engineer_id"), Op: entity.Eq, Values: []any{p.UserID}}}}, s.R.ReadPred(te, p), &a)
	if err != nil {
		return nil, err
	}
	open := where + " AND t.status IN (" + a.Add(crm.TaskPlanned) + ", " + a.Add(crm.TaskInProgress) + ", " + a.Add(crm.TaskRejected) + ", " + a.Add(crm.TaskDone) + ")"
	return s.DB.ListWhere(ctx, te, open, a.V, "t.scheduled_start, t.id", limit)
}
