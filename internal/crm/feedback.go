package crm

import (
	"fmt"
	"slices"
	"time"

	"closeloop/internal/entity"
	"closeloop/internal/errs"
	"closeloop/internal/i18n"
)

// The feedback loop of after-sales (服务—反馈—优化, seeds 000/001/004):
// resolved tickets reviewed by cause, recurring causes turned into
// improvement items owned by product or pre-sales people; return visits
// (回访) planned by rules; satisfaction surveys answered through a link,
// and a recovery task for the manager when a score is low. The records
// are declared here with their pure rules; internal/feedback runs them.

func init() {
	registerAftersales(ImprovementItem, ImprovementTicket, ReturnVisitRule, ReturnVisit, Survey, RecoveryTask)
}

// Improvement item statuses: open → in progress → done → verified;
// dropped (with a reason) from any status before verified.
const (
	ImprovementOpen       = "open"
	ImprovementInProgress = "in_progress"
	ImprovementDone       = "done"
	ImprovementVerified   = "verified"
	ImprovementDropped    = "dropped"
)

// ImprovementStatuses label the statuses.
var ImprovementStatuses = []entity.Option{
	opt(ImprovementOpen, "待处理", "Open"), opt(ImprovementInProgress, "进行中", "In progress"),
	opt(ImprovementDone, "已完成", "Done"), opt(ImprovementVerified, "已验证", "Verified"),
	opt(ImprovementDropped, "已放弃", "Dropped"),
}

// Improvement steps.
const (
	ImprovementStepStart  = "start"
	ImprovementStepDone   = "done"
	ImprovementStepVerify = "verify"
	ImprovementStepDrop   = "drop"
	ImprovementStepReopen = "reopen"
)

// ImprovementClosed reports whether an item needs no more work (the
// overdue list leaves it out).
func ImprovementClosed(status string) bool {
	return status == ImprovementVerified || status == ImprovementDropped
}

// ImprovementNext is the status a step leads to from status: start an
// open item, finish one in progress, verify a finished one, drop any not
// yet verified (a reason is required), reopen a finished or dropped one.
func ImprovementNext(status, step, reason string) (string, error) {
	bad := func() (string, error) {
		return "", errs.New(errs.Unprocessable, "improvement_step_invalid", "status", status, "step", step)
	}
	switch step {
	case ImprovementStepStart:
		if status == ImprovementOpen {
			return ImprovementInProgress, nil
		}
	case ImprovementStepDone:
		if status == ImprovementOpen || status == ImprovementInProgress {
			return ImprovementDone, nil
		}
	case ImprovementStepVerify:
		if status == ImprovementDone {
			return ImprovementVerified, nil
		}
	case ImprovementStepDrop:
		if ImprovementClosed(status) {
			return bad()
		}
		if reason == "" {
			return "", errs.Validation([]errs.FieldError{{Field: "reason", Code: "required"}})
		}
		return ImprovementDropped, nil
	case ImprovementStepReopen:
		if status == ImprovementDone || status == ImprovementDropped {
			return ImprovementOpen, nil
		}
	default:
		return "", errs.Validation([]errs.FieldError{{Field: "step", Code: "invalid_option", Args: map[string]any{"value": step}}})
	}
	return bad()
}

// ImprovementSteps lists the steps open from status (buttons on the page).
func ImprovementSteps(status string) []string {
	var out []string
	for _, st := range []string{ImprovementStepStart, ImprovementStepDone, ImprovementStepVerify, ImprovementStepReopen, ImprovementStepDrop} {
		if _, err := ImprovementNext(status, st, "x"); err == nil {
			out = append(out, st)
		}
	}
	return out
}

// ImprovementItem is a change that a recurring cause calls for (a design
// fix, a manual, a training): owned by the product or pre-sales person
// it is routed to, with a due date, tracked to closure.
var ImprovementItem = (&entity.Entity{
	Name: "improvement_item", Resource: "improvement-items", Table: "improvement_items",
	Label: i18n.T("改进项", "Improvement item"), Plural: i18n.T("改进项", "Improvement items"),
	Title: "title", Subtitle: "cause", DefaultSort: "due_date",
	Vis:        entity.Visibility{Owned: true},
	SoftDelete: true,
	Fields: []*entity.Field{
		{Name: "title", Label: i18n.T("标题", "Title"), Kind: entity.Text, Required: true, MaxLen: 200, Flags: std | entity.Listed | entity.Search | entity.NotNull},
		{Name: "description", Label: i18n.T("说明", "Description"), Kind: entity.LongText, Flags: entity.Export | entity.Import | entity.Search},
		{Name: "cause", Label: i18n.T("原因分类", "Cause"), Kind: entity.Select, Picklist: "ticket_cause", Flags: std | entity.Listed},
		{Name: "product_id", Label: i18n.T("产品", "Product"), Kind: entity.Ref, Ref: "product", Flags: f | entity.Export | entity.Import | entity.Listed},
		{Name: "due_date", Label: i18n.T("完成期限", "Due date"), Kind: entity.Date, Flags: std | entity.Listed},
		{Name: "status", Label: i18n.T("状态", "Status"), Kind: entity.Select, Options: ImprovementStatuses, Default: ImprovementOpen, Flags: entity.ReadOnly | f | s | entity.Export | entity.Listed | entity.NotNull},
		{Name: "drop_reason", Label: i18n.T("放弃原因", "Reason dropped"), Kind: entity.LongText, Flags: entity.ReadOnly | entity.Export},
		{Name: "ticket_count", Label: i18n.T("关联工单数", "Linked tickets"), Kind: entity.Integer, Default: int64(0), Flags: entity.ReadOnly | f | s | entity.Export | entity.Listed | entity.NotNull},
		{Name: "done_at", Label: i18n.T("完成时间", "Done at"), Kind: entity.DateTime, Flags: entity.ReadOnly | f | s | entity.Export},
		{Name: "verified_at", Label: i18n.T("验证时间", "Verified at"), Kind: entity.DateTime, Flags: entity.ReadOnly | f | s | entity.Export},
	},
}).Init()

// ImprovementTicket links an improvement item to a ticket whose cause led
// to it.
var ImprovementTicket = (&entity.Entity{
	Name: "improvement_ticket", Resource: "improvement-tickets", Table: "improvement_tickets",
	Label: i18n.T("改进项关联工单", "Improvement ticket"), Plural: i18n.T("改进项关联工单", "Improvement tickets"),
	Title: "ticket_id", DefaultSort: "created_at",
	Vis: entity.Visibility{Parents: []string{"item_id"}},
	Fields: []*entity.Field{
		{Name: "item_id", Label: i18n.T("改进项", "Improvement item"), Kind: entity.Ref, Ref: "improvement_item", Required: true, Flags: f | entity.Export | entity.Import | entity.Listed | entity.NotNull},
		{Name: "ticket_id", Label: i18n.T("工单", "Ticket"), Kind: entity.Ref, Ref: "ticket", Required: true, Flags: f | entity.Export | entity.Import | entity.Listed | entity.NotNull},
	},
}).Init()

// Return-visit triggers.
const (
	TriggerAfterAcceptance = "after_acceptance"
	TriggerAfterResolved   = "after_resolved"
	TriggerPeriodicByLevel = "periodic_by_level"
)

// VisitTriggers label the triggers.
var VisitTriggers = []entity.Option{
	opt(TriggerAfterAcceptance, "签收/验收后 N 天", "N days after acceptance"),
	opt(TriggerAfterResolved, "工单解决后 N 天", "N days after a ticket is resolved"),
	opt(TriggerPeriodicByLevel, "按客户级别每 N 个月", "Every N months by customer level"),
}

// Who a planned visit goes to.
const (
	AssignAccountOwner = "account_owner"
	AssignTicketAgent  = "ticket_agent"
)

// VisitAssignees label the assignee choices.
var VisitAssignees = []entity.Option{
	opt(AssignAccountOwner, "客户负责人", "Account owner"), opt(AssignTicketAgent, "工单处理人", "The ticket's agent"),
}

// ReturnVisitRule plans return visits automatically.
var ReturnVisitRule = (&entity.Entity{
	Name: "return_visit_rule", Resource: "return-visit-rules", Table: "return_visit_rules",
	Label: i18n.T("回访规则", "Return-visit rule"), Plural: i18n.T("回访规则", "Return-visit rules"),
	Title: "name", Subtitle: "trigger", DefaultSort: "name",
	SoftDelete: true,
	Fields: []*entity.Field{
		{Name: "name", Label: i18n.T("名称", "Name"), Kind: entity.Text, Required: true, MaxLen: 100, Flags: std | entity.Listed | entity.Search | entity.NotNull},
		{Name: "trigger", Label: i18n.T("触发条件", "Trigger"), Kind: entity.Select, Options: VisitTriggers, Required: true, Flags: std | entity.Listed | entity.NotNull},
		{Name: "days", Label: i18n.T("天数 N", "Days (N)"), Kind: entity.Integer, Default: int64(7), Min: ptr(0), Max: ptr(365), Flags: std | entity.Listed | entity.NotNull},
		{Name: "customer_level", Label: i18n.T("客户级别", "Customer level"), Kind: entity.Select, Picklist: "customer_level", Flags: std | entity.Listed},
		{Name: "months", Label: i18n.T("周期（月）", "Every (months)"), Kind: entity.Integer, Default: int64(3), Min: ptr(1), Max: ptr(24), Flags: std | entity.Listed | entity.NotNull},
		{Name: "assignee", Label: i18n.T("回访人", "Assign to"), Kind: entity.Select, Options: VisitAssignees, Required: true, Default: AssignAccountOwner, Flags: std | entity.Listed | entity.NotNull},
		{Name: "active", Label: i18n.T("启用", "Active"), Kind: entity.Bool, Default: true, Flags: std | entity.Listed | entity.NotNull},
	},
}).Init()

// Return-visit statuses.
const (
	ReturnVisitPlanned   = "planned"
	ReturnVisitDone      = "done"
	ReturnVisitCancelled = "cancelled"
)

// ReturnVisitStatuses label the statuses.
var ReturnVisitStatuses = []entity.Option{
	opt(ReturnVisitPlanned, "待回访", "Planned"), opt(ReturnVisitDone, "已回访", "Done"), opt(ReturnVisitCancelled, "已取消", "Cancelled"),
}

// Whether the customer was reached.
const (
	Reached    = "reached"
	NotReached = "not_reached"
)

// ReachOptions label the outcome of the call.
var ReachOptions = []entity.Option{opt(Reached, "已联系上", "Reached"), opt(NotReached, "未联系上", "Not reached")}

// ReturnVisit is a planned call or visit to a customer after a delivery,
// a resolved ticket, or periodically; done when its outcome is recorded.
var ReturnVisit = (&entity.Entity{
	Name: "return_visit", Resource: "return-visits", Table: "return_visits",
	Label: i18n.T("回访", "Return visit"), Plural: i18n.T("回访", "Return visits"),
	Title: "subject", Subtitle: "due_date", DefaultSort: "due_date",
	Vis:        entity.Visibility{Owned: true, Parents: []string{"customer_id"}},
	SoftDelete: true,
	Fields: []*entity.Field{
		{Name: "subject", Label: i18n.T("回访事由", "Subject"), Kind: entity.Text, Required: true, MaxLen: 200, Flags: std | entity.Listed | entity.Search | entity.NotNull},
		{Name: "customer_id", Label: i18n.T("客户", "Customer"), Kind: entity.Ref, Ref: "customer", Required: true, Flags: f | entity.Export | entity.Import | entity.Listed | entity.NotNull},
		{Name: "contact_id", Label: i18n.T("联系人", "Contact"), Kind: entity.Ref, Ref: "contact", Flags: f | entity.Export | entity.Import},
		{Name: "due_date", Label: i18n.T("回访日期", "Due date"), Kind: entity.Date, Required: true, Flags: std | entity.Listed | entity.NotNull},
		{Name: "status", Label: i18n.T("状态", "Status"), Kind: entity.Select, Options: ReturnVisitStatuses, Default: ReturnVisitPlanned, Flags: std | entity.Listed | entity.NotNull},
		{Name: "reach", Label: i18n.T("是否联系上", "Reached"), Kind: entity.Select, Options: ReachOptions, Flags: std | entity.Listed},
		{Name: "satisfaction", Label: i18n.T("满意度（1–5）", "Satisfaction (1–5)"), Kind: entity.Integer, Min: ptr(1), Max: ptr(5), Flags: std | entity.Listed},
		{Name: "new_needs", Label: i18n.T("新需求", "New needs"), Kind: entity.LongText, Flags: entity.Export | entity.Import | entity.Search},
		{Name: "notes", Label: i18n.T("回访记录", "Notes"), Kind: entity.LongText, Flags: entity.Export | entity.Import | entity.Search},
		{Name: "done_at", Label: i18n.T("回访时间", "Done at"), Kind: entity.DateTime, Flags: entity.ReadOnly | f | s | entity.Export},
		{Name: "trigger", Label: i18n.T("来源", "Planned by"), Kind: entity.Select, Options: VisitTriggers, Flags: entity.ReadOnly | f | entity.Export | entity.Listed},
		{Name: "rule_id", Label: i18n.T("回访规则", "Rule"), Kind: entity.Ref, Ref: "return_visit_rule", Flags: entity.ReadOnly | f | entity.Export},
		{Name: "ticket_id", Label: i18n.T("工单", "Ticket"), Kind: entity.Ref, Ref: "ticket", Flags: entity.ReadOnly | f | entity.Export},
		{Name: "source_entity", Label: i18n.T("来源记录类型", "Source record"), Kind: entity.Text, MaxLen: 40, Flags: entity.ReadOnly | entity.Export},
		{Name: "source_id", Label: i18n.T("来源记录", "Source id"), Kind: entity.Text, MaxLen: 40, Flags: entity.ReadOnly | entity.Export},
		{Name: "plan_key", Label: i18n.T("计划键", "Plan key"), Kind: entity.Text, MaxLen: 200, Flags: entity.ReadOnly | entity.Hidden},
		{Name: "opportunity_id", Label: i18n.T("由此产生的商机", "Opportunity raised"), Kind: entity.Ref, Ref: "opportunity", Flags: entity.ReadOnly | f | entity.Export},
	},
}).Init()

// Survey statuses: pending until sent (after the delay), sent, answered;
// not_sent when there is no address or the contact asked not to be
// contacted (the link can still be copied); expired after its lifetime.
const (
	SurveyPending  = "pending"
	SurveySent     = "sent"
	SurveyAnswered = "answered"
	SurveyNotSent  = "not_sent"
	SurveyExpired  = "expired"
)

// SurveyStatuses label the statuses.
var SurveyStatuses = []entity.Option{
	opt(SurveyPending, "待发送", "Pending"), opt(SurveySent, "已发送", "Sent"), opt(SurveyAnswered, "已回答", "Answered"),
	opt(SurveyNotSent, "未发送", "Not sent"), opt(SurveyExpired, "已过期", "Expired"),
}

// Survey is the satisfaction survey of a resolved ticket, answered by the
// customer through a one-time link. Its owner is the ticket's agent (the
// results are theirs), its team the ticket's team.
var Survey = (&entity.Entity{
	Name: "survey", Resource: "surveys", Table: "surveys",
	Label: i18n.T("满意度调查", "Survey"), Plural: i18n.T("满意度调查", "Surveys"),
	Title: "subject", Subtitle: "status", DefaultSort: "-created_at",
	Vis: entity.Visibility{Owned: true, Parents: []string{"customer_id"}},
	Fields: []*entity.Field{
		{Name: "subject", Label: i18n.T("主题", "Subject"), Kind: entity.Text, MaxLen: 300, Flags: entity.ReadOnly | f | s | entity.Export | entity.Listed | entity.Search | entity.NotNull},
		{Name: "ticket_id", Label: i18n.T("工单", "Ticket"), Kind: entity.Ref, Ref: "ticket", Flags: entity.ReadOnly | f | entity.Export | entity.Listed},
		{Name: "customer_id", Label: i18n.T("客户", "Customer"), Kind: entity.Ref, Ref: "customer", Flags: entity.ReadOnly | f | entity.Export | entity.Listed},
		{Name: "contact_id", Label: i18n.T("联系人", "Contact"), Kind: entity.Ref, Ref: "contact", Flags: entity.ReadOnly | f | entity.Export},
		{Name: "product_id", Label: i18n.T("产品", "Product"), Kind: entity.Ref, Ref: "product", Flags: entity.ReadOnly | f | entity.Export},
		{Name: "ticket_kind", Label: i18n.T("工单类型", "Ticket kind"), Kind: entity.Select, Options: TicketKinds, Flags: entity.ReadOnly | f | entity.Export},
		{Name: "status", Label: i18n.T("状态", "Status"), Kind: entity.Select, Options: SurveyStatuses, Default: SurveyPending, Flags: entity.ReadOnly | f | s | entity.Export | entity.Listed | entity.NotNull},
		{Name: "send_after", Label: i18n.T("计划发送时间", "Send after"), Kind: entity.DateTime, Flags: entity.ReadOnly | f | s | entity.Export},
		{Name: "sent_at", Label: i18n.T("发送时间", "Sent at"), Kind: entity.DateTime, Flags: entity.ReadOnly | f | s | entity.Export},
		{Name: "sent_to", Label: i18n.T("发送至", "Sent to"), Kind: entity.Email, Flags: entity.ReadOnly | entity.Contact | entity.Export},
		{Name: "expires_at", Label: i18n.T("链接有效期至", "Link expires"), Kind: entity.DateTime, Flags: entity.ReadOnly | f | s | entity.Export},
		{Name: "answered_at", Label: i18n.T("回答时间", "Answered at"), Kind: entity.DateTime, Flags: entity.ReadOnly | f | s | entity.Export | entity.Listed},
		{Name: "satisfaction", Label: i18n.T("满意度（1–5）", "Satisfaction (1–5)"), Kind: entity.Integer, Min: ptr(1), Max: ptr(5), Flags: entity.ReadOnly | f | s | entity.Export | entity.Listed},
		{Name: "nps", Label: i18n.T("推荐意愿（0–10）", "NPS (0–10)"), Kind: entity.Integer, Min: ptr(0), Max: ptr(10), Flags: entity.ReadOnly | f | s | entity.Export | entity.Listed},
		{Name: "comment", Label: i18n.T("意见建议", "Comment"), Kind: entity.LongText, Flags: entity.ReadOnly | entity.Export | entity.Search},
		{Name: "low_score", Label: i18n.T("低分", "Low score"), Kind: entity.Bool, Default: false, Flags: entity.ReadOnly | f | entity.Export | entity.NotNull},
		{Name: "complaint_low", Label: i18n.T("投诉低分", "Complaint with a low score"), Kind: entity.Bool, Default: false, Flags: entity.ReadOnly | f | entity.Export | entity.Listed | entity.NotNull},
		{Name: "note", Label: i18n.T("说明", "Note"), Kind: entity.Text, MaxLen: 300, Flags: entity.ReadOnly | entity.Export},
		{Name: "opportunity_id", Label: i18n.T("由此产生的商机", "Opportunity raised"), Kind: entity.Ref, Ref: "opportunity", Flags: entity.ReadOnly | f | entity.Export},
	},
}).Init()

// Recovery task statuses.
const (
	RecoveryOpen = "open"
	RecoveryDone = "done"
)

// RecoveryStatuses label the statuses.
var RecoveryStatuses = []entity.Option{opt(RecoveryOpen, "待处理", "Open"), opt(RecoveryDone, "已完成", "Done")}

// RecoveryTask is the manager's follow-up of a low survey score (客户挽回):
// call the customer, put it right, write down the outcome.
var RecoveryTask = (&entity.Entity{
	Name: "recovery_task", Resource: "recovery-tasks", Table: "recovery_tasks",
	Label: i18n.T("挽回任务", "Recovery task"), Plural: i18n.T("挽回任务", "Recovery tasks"),
	Title: "title", Subtitle: "status", DefaultSort: "due_date",
	Vis:        entity.Visibility{Owned: true, Parents: []string{"customer_id"}},
	SoftDelete: true,
	Fields: []*entity.Field{
		{Name: "title", Label: i18n.T("标题", "Title"), Kind: entity.Text, Required: true, MaxLen: 300, Flags: std | entity.Listed | entity.Search | entity.NotNull},
		{Name: "customer_id", Label: i18n.T("客户", "Customer"), Kind: entity.Ref, Ref: "customer", Flags: entity.ReadOnly | f | entity.Export | entity.Listed},
		{Name: "survey_id", Label: i18n.T("满意度调查", "Survey"), Kind: entity.Ref, Ref: "survey", Flags: entity.ReadOnly | f | entity.Export},
		{Name: "ticket_id", Label: i18n.T("工单", "Ticket"), Kind: entity.Ref, Ref: "ticket", Flags: entity.ReadOnly | f | entity.Export | entity.Listed},
		{Name: "complaint", Label: i18n.T("投诉", "Complaint"), Kind: entity.Bool, Default: false, Flags: entity.ReadOnly | f | entity.Export | entity.Listed | entity.NotNull},
		{Name: "due_date", Label: i18n.T("完成期限", "Due date"), Kind: entity.Date, Flags: std | entity.Listed},
		{Name: "status", Label: i18n.T("状态", "Status"), Kind: entity.Select, Options: RecoveryStatuses, Default: RecoveryOpen, Flags: std | entity.Listed | entity.NotNull},
		{Name: "outcome", Label: i18n.T("处理结果", "Outcome"), Kind: entity.LongText, Flags: entity.Export | entity.Import | entity.Search},
		{Name: "done_at", Label: i18n.T("完成时间", "Done at"), Kind: entity.DateTime, Flags: entity.ReadOnly | f | s | entity.Export},
	},
}).Init()

// Survey scores.
const (
	SatisfactionMin = 1
	SatisfactionMax = 5
	NPSMin          = 0
	NPSMax          = 10
	// LowScore and below opens a recovery task.
	LowScore = 2
	// MaxSurveyComment bounds the free text.
	MaxSurveyComment = 2000
)

// SurveyAnswer is what the customer gives on the survey page.
type SurveyAnswer struct {
	Satisfaction int
	NPS          int
	Comment      string
}

// CheckSurveyAnswer validates an answer: satisfaction 1–5 and NPS 0–10
// both required, the comment bounded.
func CheckSurveyAnswer(a SurveyAnswer, satGiven, npsGiven bool) error {
	var bad []errs.FieldError
	if !satGiven {
		bad = append(bad, errs.FieldError{Field: "satisfaction", Code: "required"})
	} else if a.Satisfaction < SatisfactionMin || a.Satisfaction > SatisfactionMax {
		bad = append(bad, errs.FieldError{Field: "satisfaction", Code: "out_of_range", Args: map[string]any{"min": SatisfactionMin, "max": SatisfactionMax}})
	}
	if !npsGiven {
		bad = append(bad, errs.FieldError{Field: "nps", Code: "required"})
	} else if a.NPS < NPSMin || a.NPS > NPSMax {
		bad = append(bad, errs.FieldError{Field: "nps", Code: "out_of_range", Args: map[string]any{"min": NPSMin, "max": NPSMax}})
	}
	if len([]rune(a.Comment)) > MaxSurveyComment {
		bad = append(bad, errs.FieldError{Field: "comment", Code: "too_long", Args: map[string]any{"max": MaxSurveyComment}})
	}
	return errs.Validation(bad)
}

// NeedsRecovery reports whether a satisfaction score calls for a
// recovery task.
func NeedsRecovery(satisfaction int) bool {
	return satisfaction >= SatisfactionMin && satisfaction <= LowScore
}

// NPSBucket is promoter (9–10), passive (7–8) or detractor (0–6).
func NPSBucket(score int) string {
	switch {
	case score >= 9:
		return "promoter"
	case score >= 7:
		return "passive"
	}
	return "detractor"
}

// NPS is the net promoter score of a set of answers: the percentage of
// promoters minus that of detractors, rounded to one decimal (0 with no
// answers).
func NPS(promoters, detractors, answers int) float64 {
	if answers == 0 {
		return 0
	}
	return round1(float64(promoters-detractors) * 100 / float64(answers))
}

// Percent is part of whole in percent, one decimal (0 when whole is 0).
func Percent(part, whole int) float64 {
	if whole == 0 {
		return 0
	}
	return round1(float64(part) * 100 / float64(whole))
}

func round1(x float64) float64 {
	if x < 0 {
		return -float64(int64(-x*10+0.5)) / 10
	}
	return float64(int64(x*10+0.5)) / 10
}

// RecoveryOwner picks who follows a low score up: the ticket team's
// manager, else the agent's team manager, else the first service manager
// (in the order given); "" when there is nobody.
func RecoveryOwner(ticketTeamManager, agentTeamManager string, serviceManagers []string) string {
	for _, c := range []string{ticketTeamManager, agentTeamManager} {
		if c != "" {
			return c
		}
	}
	if len(serviceManagers) > 0 {
		return serviceManagers[0]
	}
	return ""
}

// VisitDue is the due date of a visit planned N days after an event on
// day (the company's calendar date of the event).
func VisitDue(day time.Time, days int) time.Time { return day.AddDate(0, 0, days) }

// VisitPeriod is the period of a periodic visit that date falls in, for
// a rule of every months months: its index (unique per period, the plan
// key) and its last day (the due date). Periods are aligned to January
// of year 0, so every quarterly rule shares quarters.
func VisitPeriod(date time.Time, months int) (key string, due time.Time) {
	if months < 1 {
		months = 1
	}
	m := date.Year()*12 + int(date.Month()) - 1
	idx := m / months
	start := idx * months
	first := time.Date(start/12, time.Month(start%12+1), 1, 0, 0, 0, 0, date.Location())
	return fmt.Sprintf("%d", idx), first.AddDate(0, months, -1)
}

// VisitPlanKey is the unique key of a planned visit: one per rule and
// source (a delivery, a task, a ticket, or a customer and a period).
func VisitPlanKey(ruleID, sourceEntity, sourceID, period string) string {
	k := ruleID + ":" + sourceEntity + ":" + sourceID
	if period != "" {
		k += ":" + period
	}
	return k
}

// CauseGroups are the groupings of the cause review.
var CauseGroups = []string{"cause", "product", "customer"}

// SurveyGroups are the groupings of the survey results.
var SurveyGroups = []string{"agent", "team", "product", "month"}

// ValidGroup reports whether g is one of groups.
func ValidGroup(g string, groups []string) bool { return slices.Contains(groups, g) }
