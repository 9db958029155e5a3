package demo

import (
	"context"
	"fmt"
	"time"

	"closeloop/internal/access"
	"closeloop/internal/crm"
	"closeloop/internal/entity"
)

// The SLA part of the demo: the standard calendar and policies are seeded
// on first start; here the admin corrects the calendar for the company's
// annual meeting (a day off the official table does not know), and the
// sweep runs once so every ticket the demo opened shows its state
// (warnings and breaches with their escalations) from the first page.
func (l *loader) sla(ctx context.Context, _ int) error {
	var calID string
	if err := l.a.DB.R().QueryRowContext(ctx, `SELECT id FROM business_calendars WHERE code = $1`, crm.DefaultCalendarCode).Scan(&calID); err != nil {
		return fmt.Errorf("standard calendar: %w", err)
	}
	if _, err := l.a.Records.Create(ctx, access.SystemPrincipal(), "calendar_day", entity.Record{
		"calendar_id": calID, "date": "2027-01-29", "kind": crm.DayHoliday, "name": "公司年会"}); err != nil {
		return fmt.Errorf("calendar correction: %w", err)
	}
	if _, err := l.a.SLA.Sweep(ctx, time.Now()); err != nil {
		return fmt.Errorf("sweep: %w", err)
	}
	return nil
}
