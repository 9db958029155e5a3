package crm

import (
	"closeloop/internal/entity"
	"closeloop/internal/i18n"
)

// Service levels (SLA): policies by ticket kind × priority × customer level
// with first-response and resolution targets counted in business minutes
// on a business calendar (working hours, working weekdays, the official
// public holidays and 调休 working days, corrected per day by an admin).

func init() { registerAftersales(BusinessCalendar, CalendarDay, SLAPolicy) }

// Weekdays label the days of the week (time.Weekday numbers as codes).
var Weekdays = []entity.Option{
	opt("1", "星期一", "Monday"), opt("2", "星期二", "Tuesday"), opt("3", "星期三", "Wednesday"),
	opt("4", "星期四", "Thursday"), opt("5", "星期五", "Friday"), opt("6", "星期六", "Saturday"),
	opt("0", "星期日", "Sunday"),
}

// Calendar day kinds: a holiday is a day off on a working weekday; a
// working day is worked on a weekend (调休).
const (
	DayHoliday = "holiday"
	DayWorkday = "workday"
)

// CalendarDayKinds label the day kinds.
var CalendarDayKinds = []entity.Option{
	opt(DayHoliday, "休息日（节假日）", "Day off (holiday)"), opt(DayWorkday, "工作日（调休上班）", "Working day (make-up day)"),
}

// BusinessCalendar is the company's working time for SLA clocks.
var BusinessCalendar = (&entity.Entity{
	Name: "business_calendar", Resource: "calendars", Table: "business_calendars",
	Label: i18n.T("工作日历", "Business calendar"), Plural: i18n.T("工作日历", "Business calendars"),
	Title: "name", Subtitle: "code", DefaultSort: "name",
	SoftDelete: true,
	Fields: []*entity.Field{
		{Name: "name", Label: i18n.T("名称", "Name"), Kind: entity.Text, Required: true, MaxLen: 100, Flags: std | entity.Listed | entity.Search | entity.NotNull},
		{Name: "code", Label: i18n.T("编码", "Code"), Kind: entity.Text, Required: true, MaxLen: 50, Flags: std | entity.Listed | entity.NotNull | entity.Unique},
		{Name: "time_zone", Label: i18n.T("时区", "Time zone"), Kind: entity.Text, Required: true, MaxLen: 64, Default: "Asia/Shanghai", Flags: std | entity.Listed | entity.NotNull},
		{Name: "work_start", Label: i18n.T("上班时间", "Work starts"), Kind: entity.Text, Required: true, MaxLen: 5, Default: "09:00", Flags: std | entity.Listed | entity.NotNull},
		{Name: "work_end", Label: i18n.T("下班时间", "Work ends"), Kind: entity.Text, Required: true, MaxLen: 5, Default: "18:00", Flags: std | entity.Listed | entity.NotNull},
		{Name: "work_days", Label: i18n.T("每周工作日", "Working weekdays"), Kind: entity.MultiSelect, Options: Weekdays, Default: []string{"1", "2", "3", "4", "5"}, Flags: f | entity.Export | entity.Import | entity.Listed},
		{Name: "official_holidays", Label: i18n.T("采用国家法定节假日", "Use official holidays"), Kind: entity.Bool, Default: true, Flags: std | entity.Listed | entity.NotNull},
		{Name: "is_default", Label: i18n.T("默认日历", "Default"), Kind: entity.Bool, Default: false, Flags: std | entity.Listed | entity.NotNull},
	},
}).Init()

// CalendarDay corrects one date of a calendar: a day off or a working day
// beyond the official table (or against it, when the table is wrong).
var CalendarDay = (&entity.Entity{
	Name: "calendar_day", Resource: "calendar-days", Table: "calendar_days",
	Label: i18n.T("日历调整", "Calendar day"), Plural: i18n.T("日历调整", "Calendar days"),
	Title: "date", Subtitle: "name", DefaultSort: "date",
	Fields: []*entity.Field{
		{Name: "calendar_id", Label: i18n.T("工作日历", "Calendar"), Kind: entity.Ref, Ref: "business_calendar", Required: true, Flags: f | entity.Export | entity.Import | entity.Listed | entity.NotNull},
		{Name: "date", Label: i18n.T("日期", "Date"), Kind: entity.Date, Required: true, Flags: std | entity.Listed | entity.NotNull},
		{Name: "kind", Label: i18n.T("类型", "Kind"), Kind: entity.Select, Options: CalendarDayKinds, Required: true, Flags: std | entity.Listed | entity.NotNull},
		{Name: "name", Label: i18n.T("说明", "Name"), Kind: entity.Text, MaxLen: 100, Flags: std | entity.Listed},
	},
}).Init()

// SLAPolicy sets the targets for tickets of a kind, priority and customer
// level (an empty condition matches any); the most specific active policy
// applies.
var SLAPolicy = (&entity.Entity{
	Name: "sla_policy", Resource: "sla-policies", Table: "sla_policies",
	Label: i18n.T("服务级别", "SLA policy"), Plural: i18n.T("服务级别", "SLA policies"),
	Title: "name", DefaultSort: "name",
	SoftDelete: true,
	Fields: []*entity.Field{
		{Name: "name", Label: i18n.T("名称", "Name"), Kind: entity.Text, Required: true, MaxLen: 100, Flags: std | entity.Listed | entity.Search | entity.NotNull},
		{Name: "ticket_kind", Label: i18n.T("工单类型", "Ticket kind"), Kind: entity.Select, Options: TicketKinds, Flags: std | entity.Listed},
		{Name: "priority", Label: i18n.T("优先级", "Priority"), Kind: entity.Select, Options: TicketPriorities, Flags: std | entity.Listed},
		{Name: "customer_level", Label: i18n.T("客户级别", "Customer level"), Kind: entity.Select, Picklist: "customer_level", Flags: std | entity.Listed},
		{Name: "first_response_minutes", Label: i18n.T("首次响应时限（工作分钟）", "First response (business minutes)"), Kind: entity.Integer, Required: true, Min: ptr(1), Flags: std | entity.Listed | entity.NotNull},
		{Name: "resolution_minutes", Label: i18n.T("解决时限（工作分钟）", "Resolution (business minutes)"), Kind: entity.Integer, Required: true, Min: ptr(1), Flags: std | entity.Listed | entity.NotNull},
		{Name: "warn_percent", Label: i18n.T("预警比例（%）", "Warn at (%)"), Kind: entity.Integer, Default: int64(80), Min: ptr(1), Max: ptr(99), Flags: std | entity.Listed | entity.NotNull},
		{Name: "calendar_id", Label: i18n.T("工作日历", "Calendar"), Kind: entity.Ref, Ref: "business_calendar", Flags: f | entity.Export | entity.Import | entity.Listed},
		{Name: "reassign_on_breach", Label: i18n.T("超时后改派", "Reassign on breach"), Kind: entity.Bool, Default: false, Flags: std | entity.NotNull},
		{Name: "active", Label: i18n.T("启用", "Active"), Kind: entity.Bool, Default: true, Flags: std | entity.Listed | entity.NotNull},
	},
}).Init()
