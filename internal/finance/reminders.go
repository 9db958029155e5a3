package finance

import (
	"context"
	"strconv"
	"time"

	"closeloop/internal/access"
	"closeloop/internal/crm"
	"closeloop/internal/entity"
	"closeloop/internal/errs"
	"closeloop/internal/notify"
	"closeloop/internal/store"
)

// Reminders (回款提醒): the owner of a contract hears about each unpaid
// instalment N days before it falls due (a setting, 7 by default) and
// again once it is overdue — once each, marked on the instalment
// (reminded_at, overdue_notified_at) in the transaction that writes the
// notification, so two servers sweeping at once cannot both send it.

// RemindDaysKey is the setting holding the days of warning.
const RemindDaysKey = "finance.remind_days"

// RemindDays reads the days of warning before an instalment falls due.
func (s *Service) RemindDays(ctx context.Context, q store.Querier) (int, error) {
	v, err := s.DB.Setting(ctx, q, RemindDaysKey)
	if err != nil {
		return 0, errs.Wrap(err, "finance: remind days")
	}
	if n, err := strconv.Atoi(v); err == nil && n >= 0 {
		return n, nil
	}
	return crm.DefaultRemindDays, nil
}

// SetRemindDays changes the days of warning (administrators), audited.
func (s *Service) SetRemindDays(ctx context.Context, p *access.Principal, days int) error {
	if !p.IsAdmin() {
		return errs.Denied()
	}
	if days < 0 || days > 90 {
		return errs.Validation([]errs.FieldError{{Field: "remind_days", Code: "out_of_range", Args: map[string]any{"min": 0, "max": 90}}})
	}
	return s.DB.Write(ctx, func(tx *store.Tx) error {
		old, err := s.RemindDays(ctx, tx)
		if err != nil {
			return err
		}
		if err := s.DB.SetSetting(ctx, tx, RemindDaysKey, strconv.Itoa(days)); err != nil {
			return err
		}
		return s.DB.Audit(ctx, tx, store.AuditEntry{ActorID: p.UserID, Entity: "setting", RecordID: RemindDaysKey, Action: "update",
			Changes: map[string]store.Change{"remind_days": {Old: old, New: days}}})
	})
}

// RemindResult counts what a sweep sent.
type RemindResult struct {
	DueSoon, Overdue int
}

// SendReminders notifies contract owners about instalments falling due
// within the warning days or overdue as of now, at most limit of them.
func (s *Service) SendReminders(ctx context.Context, now time.Time, limit int) (RemindResult, error) {
	var res RemindResult
	days, err := s.RemindDays(ctx, s.DB.R())
	if err != nil {
		return res, err
	}
	today := now.In(s.R.Loc).Format(entity.DateLayout)
	horizon := now.In(s.R.Loc).AddDate(0, 0, days).Format(entity.DateLayout)
	type due struct {
		id, contract, owner, label, due, cur string
		left                                 int64
		reminded, overdue                    bool
	}
	var todo []due
	// The literal condition is that of the partial index of reminders.
	rows, err := s.DB.R().QueryContext(ctx, `SELECT i.id, i.contract_id, i.owner_id, i.position, i.label, i.kind, i.due_date,
			i.amount - i.paid_amount, COALESCE(i.currency, 'CNY'), i.reminded_at IS NOT NULL, i.overdue_notified_at IS NOT NULL
		FROM payment_instalments i
		WHERE i.status <> 'paid' AND i.deleted_at IS NULL AND i.receivable = TRUE AND (i.reminded_at IS NULL OR i.overdue_notified_at IS NULL)
			AND i.due_date <= $1 AND i.owner_id IS NOT NULL
		ORDER BY i.due_date, i.id LIMIT $2`, horizon, limit)
	if err != nil {
		return res, errs.Wrap(err, "finance: instalments to remind")
	}
	for rows.Next() {
		var d due
		var pos int64
		var label, kind string
		var dd any
		if err := rows.Scan(&d.id, &d.contract, &d.owner, &pos, &label, &kind, &dd, &d.left, &d.cur, &d.reminded, &d.overdue); err != nil {
			rows.Close()
			return res, errs.Wrap(err, "finance: instalments to remind")
		}
		d.due, d.label = dateText(dd), instalmentLabel(pos, label, kind)
		todo = append(todo, d)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return res, err
	}
	for _, d := range todo {
		kind := crm.ReminderDue(d.due, today, days, d.reminded, d.overdue)
		if kind == "" {
			continue
		}
		sent := false
		err := s.DB.Write(ctx, func(tx *store.Tx) error {
			sent = false
			// Mark first, re-checking the marker: another server may have
			// sent it since the list was read.
			// An overdue notice also settles the warning before (never sent
			// if the instalment was overdue when first seen).
			mark := `UPDATE payment_instalments SET reminded_at = $1 WHERE id = $2 AND reminded_at IS NULL AND status <> 'paid'`
			if kind == crm.RemindOverdue {
				mark = `UPDATE payment_instalments SET overdue_notified_at = $1, reminded_at = COALESCE(reminded_at, $1)
					WHERE id = $2 AND overdue_notified_at IS NULL AND status <> 'paid'`
			}
			r, err := tx.ExecContext(ctx, mark, entity.CanonTime(now), d.id)
			if err != nil {
				return err
			}
			if n, _ := r.RowsAffected(); n == 0 {
				return nil
			}
			var number, title string
			if err := tx.QueryRowContext(ctx, `SELECT number, title FROM contracts WHERE id = $1`, d.contract).Scan(&number, &title); err != nil {
				return err
			}
			sent = true
			// The notification opens the contract, whose page shows the plan.
			return notify.Notify(ctx, tx, d.owner, kind, "contract", d.contract, map[string]any{
				"contract": number, "title": title, "instalment": d.label, "due_date": d.due,
				"amount": moneyLabel(d.cur, d.left), "instalment_id": d.id})
		})
		if err != nil {
			return res, errs.Wrap(err, "finance: remind %s", d.id)
		}
		if sent && kind == crm.RemindOverdue {
			res.Overdue++
		} else if sent {
			res.DueSoon++
		}
	}
	return res, nil
}
