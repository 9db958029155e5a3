package crm

import (
	"slices"

	"closeloop/internal/entity"
	"closeloop/internal/i18n"
)

// After-sales (售后, seeds 000/001/002/004): service tickets from every
// channel with SLA clocks, on-site visits and spare parts, returns, cause
// review, return visits, surveys, care reminders and the opportunities that
// come out of service. This file holds the ticket — the record every other
// after-sales part points at — and the service agents that tickets are
// assigned to; each part declares its own records beside its rules
// (sla.go, fieldservice.go, feedback.go, care.go …) and adds them to the
// area with registerAftersales.

// Ticket kinds (工单类型).
const (
	TicketConsultation = "consultation"
	TicketRepair       = "repair"
	TicketComplaint    = "complaint"
	TicketReturn       = "return"
	TicketSpareParts   = "spare_parts"
	TicketOther        = "other"
)

// TicketKinds label the ticket kinds.
var TicketKinds = []entity.Option{
	opt(TicketConsultation, "咨询", "Consultation"), opt(TicketRepair, "报修", "Repair"),
	opt(TicketComplaint, "投诉", "Complaint"), opt(TicketReturn, "退换货", "Return / exchange"),
	opt(TicketSpareParts, "备件", "Spare parts"), opt(TicketOther, "其他", "Other"),
}

// Ticket channels: how the request reached us.
const (
	ChannelPhone   = "phone"
	ChannelEmail   = "email"
	ChannelWebForm = "web_form"
	ChannelPortal  = "portal"
	ChannelOnSite  = "on_site"
	ChannelAPI     = "api"
	ChannelAccount = "account_manager"
)

// TicketChannels label the channels.
var TicketChannels = []entity.Option{
	opt(ChannelPhone, "电话", "Phone"), opt(ChannelEmail, "邮件", "E-mail"),
	opt(ChannelWebForm, "网页表单", "Web form"), opt(ChannelPortal, "客户门户", "Customer portal"),
	opt(ChannelOnSite, "现场", "On site"), opt(ChannelAPI, "API", "API"),
	opt(ChannelAccount, "客户经理", "Account manager"),
}

// Ticket priorities, lowest first.
const (
	PriorityLow    = "low"
	PriorityNormal = "normal"
	PriorityHigh   = "high"
	PriorityUrgent = "urgent"
)

// TicketPriorities label the priorities.
var TicketPriorities = []entity.Option{
	opt(PriorityLow, "低", "Low"), opt(PriorityNormal, "普通", "Normal"),
	opt(PriorityHigh, "高", "High"), opt(PriorityUrgent, "紧急", "Urgent"),
}

// Ticket statuses. Waiting for the customer pauses the SLA clock; waiting
// for parts does not (the parts are ours to find).
const (
	TicketNew             = "new"
	TicketAssigned        = "assigned"
	TicketInProgress      = "in_progress"
	TicketWaitingCustomer = "waiting_customer"
	TicketWaitingParts    = "waiting_parts"
	TicketResolved        = "resolved"
	TicketClosed          = "closed"
	TicketReopened        = "reopened"
)

// TicketStatuses label the ticket statuses.
var TicketStatuses = []entity.Option{
	opt(TicketNew, "新建", "New"), opt(TicketAssigned, "已分派", "Assigned"),
	opt(TicketInProgress, "处理中", "In progress"), opt(TicketWaitingCustomer, "等待客户", "Waiting for customer"),
	opt(TicketWaitingParts, "等待备件", "Waiting for parts"), opt(TicketResolved, "已解决", "Resolved"),
	opt(TicketClosed, "已关闭", "Closed"), opt(TicketReopened, "已重新打开", "Reopened"),
}

// working are the statuses of a ticket someone is working on.
var working = []string{TicketNew, TicketAssigned, TicketInProgress, TicketWaitingCustomer, TicketWaitingParts, TicketReopened}

// ticketNext lists the moves from each status. Resolving, closing and
// reopening are steps of the ticket process (with their own checks: a
// cause to resolve, the reopen window); the table says only which
// statuses may follow which.
var ticketNext = map[string][]string{
	TicketNew:             {TicketAssigned, TicketInProgress, TicketWaitingCustomer, TicketWaitingParts, TicketResolved, TicketClosed},
	TicketAssigned:        {TicketInProgress, TicketWaitingCustomer, TicketWaitingParts, TicketResolved, TicketClosed},
	TicketInProgress:      {TicketAssigned, TicketWaitingCustomer, TicketWaitingParts, TicketResolved, TicketClosed},
	TicketWaitingCustomer: {TicketAssigned, TicketInProgress, TicketWaitingParts, TicketResolved, TicketClosed},
	TicketWaitingParts:    {TicketAssigned, TicketInProgress, TicketWaitingCustomer, TicketResolved, TicketClosed},
	TicketReopened:        {TicketAssigned, TicketInProgress, TicketWaitingCustomer, TicketWaitingParts, TicketResolved, TicketClosed},
	TicketResolved:        {TicketClosed, TicketReopened},
	TicketClosed:          {TicketReopened},
}

// TicketMoves lists the statuses a ticket at status may move to.
func TicketMoves(status string) []string { return slices.Clone(ticketNext[status]) }

// TicketCanMove reports whether a ticket may go from one status to another.
func TicketCanMove(from, to string) bool { return slices.Contains(ticketNext[from], to) }

// TicketOpen reports whether a ticket is still being worked on (it counts
// against its assignee's limit and its SLA clock runs or is paused).
func TicketOpen(status string) bool { return slices.Contains(working, status) }

// OpenTicketStatuses are the statuses of open tickets (queues, limits,
// SLA sweeps).
func OpenTicketStatuses() []string { return slices.Clone(working) }

// SLA states of a ticket (the API's sla_state).
const (
	SLAOk       = "ok"
	SLAWarning  = "warning"
	SLABreached = "breached"
	SLAPaused   = "paused"
)

// SLAStates label the SLA states.
var SLAStates = []entity.Option{
	opt(SLAOk, "正常", "On track"), opt(SLAWarning, "即将超时", "At risk"),
	opt(SLABreached, "已超时", "Breached"), opt(SLAPaused, "已暂停", "Paused"),
}

// Ticket message kinds: a public reply goes to the customer, an internal
// note does not, a customer message came from them (mail, portal, form),
// a system line records what the process did.
const (
	MessageReply    = "reply"
	MessageNote     = "note"
	MessageCustomer = "customer"
	MessageSystem   = "system"
)

// MessageKinds label the message kinds.
var MessageKinds = []entity.Option{
	opt(MessageReply, "回复客户", "Reply to customer"), opt(MessageNote, "内部备注", "Internal note"),
	opt(MessageCustomer, "客户来信", "From the customer"), opt(MessageSystem, "系统记录", "System"),
}

// TicketNumberPrefix starts ticket numbers: GD-202612-00001.
const TicketNumberPrefix = "GD"

// TicketNumberDigits is the width of a ticket number's sequence.
const TicketNumberDigits = 5

// Ticket is a service request (服务工单): one per problem, from any channel.
// Its owner is the assignee and its team the queue it waits in; it is also
// visible to whoever sees its customer (the account owner reads the
// service history of their customers). The SLA columns are kept by the SLA
// rules, never typed in.
var Ticket = (&entity.Entity{
	Name: "ticket", Resource: "tickets", Table: "tickets",
	Label: i18n.T("服务工单", "Ticket"), Plural: i18n.T("服务工单", "Tickets"),
	Title: "number", Subtitle: "subject", DefaultSort: "-created_at",
	Vis:        entity.Visibility{Owned: true, Grants: true, Parents: []string{"customer_id"}},
	SoftDelete: true, Customizable: true,
	Fields: []*entity.Field{
		{Name: "number", Label: i18n.T("工单号", "Number"), Kind: entity.Text, MaxLen: 40, Flags: entity.ReadOnly | f | s | entity.Listed | entity.Search | entity.Export | entity.NotNull},
		{Name: "subject", Label: i18n.T("主题", "Subject"), Kind: entity.Text, Required: true, MaxLen: 300, Flags: std | entity.Listed | entity.Search | entity.NotNull},
		{Name: "kind", Label: i18n.T("工单类型", "Kind"), Kind: entity.Select, Options: TicketKinds, Required: true, Default: TicketRepair, Flags: std | entity.Listed | entity.NotNull},
		{Name: "channel", Label: i18n.T("来源渠道", "Channel"), Kind: entity.Select, Options: TicketChannels, Required: true, Default: ChannelPhone, Flags: std | entity.Listed | entity.NotNull},
		{Name: "priority", Label: i18n.T("优先级", "Priority"), Kind: entity.Select, Options: TicketPriorities, Required: true, Default: PriorityNormal, Flags: std | entity.Listed | entity.NotNull},
		{Name: "status", Label: i18n.T("状态", "Status"), Kind: entity.Select, Options: TicketStatuses, Default: TicketNew, Flags: entity.ReadOnly | f | s | entity.Export | entity.Listed | entity.NotNull},
		{Name: "customer_id", Label: i18n.T("客户", "Customer"), Kind: entity.Ref, Ref: "customer", Flags: f | entity.Export | entity.Import | entity.Listed},
		{Name: "contact_id", Label: i18n.T("联系人", "Contact"), Kind: entity.Ref, Ref: "contact", Flags: f | entity.Export | entity.Import},
		{Name: "requester_name", Label: i18n.T("报告人", "Reported by"), Kind: entity.Text, MaxLen: 100, Flags: std | entity.Search | entity.PersonName},
		{Name: "requester_company", Label: i18n.T("报告人单位", "Reporter's company"), Kind: entity.Text, MaxLen: 200, Flags: std | entity.Search},
		{Name: "requester_phone", Label: i18n.T("报告人电话", "Reporter's phone"), Kind: entity.Phone, Flags: std | entity.Contact | entity.Search},
		{Name: "requester_email", Label: i18n.T("报告人邮箱", "Reporter's e-mail"), Kind: entity.Email, Flags: std | entity.Contact | entity.Search},
		{Name: "product_id", Label: i18n.T("产品", "Product"), Kind: entity.Ref, Ref: "product", Flags: f | entity.Export | entity.Import | entity.Listed},
		{Name: "order_id", Label: i18n.T("订单", "Order"), Kind: entity.Ref, Ref: "sales_order", Flags: f | entity.Export | entity.Import},
		{Name: "delivery_id", Label: i18n.T("发货单", "Delivery"), Kind: entity.Ref, Ref: "delivery", Flags: f | entity.Export | entity.Import},
		{Name: "serial_no", Label: i18n.T("序列号", "Serial number"), Kind: entity.Text, MaxLen: 100, Flags: std | entity.Search},
		{Name: "region", Label: i18n.T("区域", "Region"), Kind: entity.Select, Picklist: "service_region", Flags: std},
		{Name: "skill", Label: i18n.T("所需技能", "Skill needed"), Kind: entity.Select, Picklist: "service_skill", Flags: std},
		{Name: "description", Label: i18n.T("问题描述", "Description"), Kind: entity.LongText, Required: true, Flags: entity.Export | entity.Import | entity.Search},
		{Name: "cause", Label: i18n.T("原因分类", "Cause"), Kind: entity.Select, Picklist: "ticket_cause", Flags: entity.ReadOnly | f | s | entity.Export | entity.Listed},
		{Name: "resolution", Label: i18n.T("解决方案", "Resolution"), Kind: entity.LongText, Flags: entity.ReadOnly | entity.Export | entity.Search},
		{Name: "sla_policy_id", Label: i18n.T("服务级别", "SLA policy"), Kind: entity.Ref, Ref: "sla_policy", Flags: entity.ReadOnly | f | entity.Export},
		{Name: "sla_state", Label: i18n.T("时效状态", "SLA state"), Kind: entity.Select, Options: SLAStates, Default: SLAOk, Flags: entity.ReadOnly | f | s | entity.Export | entity.Listed | entity.NotNull},
		{Name: "first_response_due_at", Label: i18n.T("首次响应期限", "First response due"), Kind: entity.DateTime, Flags: entity.ReadOnly | f | s | entity.Export},
		{Name: "resolution_due_at", Label: i18n.T("解决期限", "Resolution due"), Kind: entity.DateTime, Flags: entity.ReadOnly | f | s | entity.Export | entity.Listed},
		{Name: "first_responded_at", Label: i18n.T("首次响应时间", "First responded at"), Kind: entity.DateTime, Flags: entity.ReadOnly | f | s | entity.Export},
		{Name: "sla_paused_at", Label: i18n.T("计时暂停于", "Clock paused at"), Kind: entity.DateTime, Flags: entity.ReadOnly | entity.Export},
		{Name: "sla_warned_at", Label: i18n.T("超时预警时间", "Warned at"), Kind: entity.DateTime, Flags: entity.ReadOnly | f | entity.Export},
		{Name: "sla_breached_at", Label: i18n.T("超时时间", "Breached at"), Kind: entity.DateTime, Flags: entity.ReadOnly | f | s | entity.Export},
		{Name: "escalation_level", Label: i18n.T("升级级别", "Escalation level"), Kind: entity.Integer, Default: int64(0), Flags: entity.ReadOnly | f | s | entity.Export | entity.NotNull},
		{Name: "assigned_at", Label: i18n.T("分派时间", "Assigned at"), Kind: entity.DateTime, Flags: entity.ReadOnly | f | s | entity.Export},
		{Name: "resolved_at", Label: i18n.T("解决时间", "Resolved at"), Kind: entity.DateTime, Flags: entity.ReadOnly | f | s | entity.Export},
		{Name: "closed_at", Label: i18n.T("关闭时间", "Closed at"), Kind: entity.DateTime, Flags: entity.ReadOnly | f | s | entity.Export},
		{Name: "reopen_count", Label: i18n.T("重开次数", "Times reopened"), Kind: entity.Integer, Default: int64(0), Flags: entity.ReadOnly | f | s | entity.Export | entity.NotNull},
		{Name: "merged_into_id", Label: i18n.T("合并到", "Merged into"), Kind: entity.Ref, Ref: "ticket", Flags: entity.ReadOnly | f | entity.Export},
		{Name: "opportunity_id", Label: i18n.T("由此产生的商机", "Opportunity raised"), Kind: entity.Ref, Ref: "opportunity", Flags: entity.ReadOnly | f | entity.Export},
	},
}).Init()

// TicketMessage is one line of a ticket's conversation: a public reply, an
// internal note, the customer's own message, or a system record. Seen by
// whoever sees the ticket; internal notes never leave the company (the
// portal and outgoing mail show replies and customer messages only).
var TicketMessage = (&entity.Entity{
	Name: "ticket_message", Resource: "ticket-messages", Table: "ticket_messages",
	Label: i18n.T("工单沟通记录", "Ticket message"), Plural: i18n.T("工单沟通记录", "Ticket messages"),
	Title: "kind", DefaultSort: "created_at",
	Vis: entity.Visibility{Parents: []string{"ticket_id"}},
	Fields: []*entity.Field{
		{Name: "ticket_id", Label: i18n.T("工单", "Ticket"), Kind: entity.Ref, Ref: "ticket", Required: true, Flags: f | entity.Export | entity.Import | entity.Listed | entity.NotNull},
		{Name: "kind", Label: i18n.T("类型", "Kind"), Kind: entity.Select, Options: MessageKinds, Required: true, Flags: std | entity.Listed | entity.NotNull},
		{Name: "author_id", Label: i18n.T("撰写人", "Written by"), Kind: entity.User, Flags: entity.ReadOnly | f | entity.Export | entity.Listed},
		{Name: "from_name", Label: i18n.T("发件人", "From"), Kind: entity.Text, MaxLen: 200, Flags: std},
		{Name: "from_email", Label: i18n.T("发件邮箱", "From e-mail"), Kind: entity.Email, Flags: std | entity.Contact},
		{Name: "channel", Label: i18n.T("渠道", "Channel"), Kind: entity.Select, Options: TicketChannels, Flags: std | entity.Listed},
		{Name: "body", Label: i18n.T("内容", "Text"), Kind: entity.LongText, Required: true, Flags: entity.Export | entity.Import | entity.Search},
		{Name: "mail_message_id", Label: i18n.T("邮件 Message-ID", "Mail Message-ID"), Kind: entity.Text, MaxLen: 500, Flags: entity.ReadOnly | f | entity.Export},
	},
}).Init()

// ServiceAgent is a user's service profile: the team whose queue they work,
// their skills and regions (assignment by skill and region), and how many
// open tickets they may hold at once. last_assigned_at drives round-robin.
var ServiceAgent = (&entity.Entity{
	Name: "service_agent", Resource: "service-agents", Table: "service_agents",
	Label: i18n.T("服务人员", "Service agent"), Plural: i18n.T("服务人员", "Service agents"),
	Title: "user_id", DefaultSort: "user_id",
	SoftDelete: true,
	Fields: []*entity.Field{
		{Name: "user_id", Label: i18n.T("用户", "User"), Kind: entity.User, Required: true, Flags: std | entity.Listed | entity.NotNull | entity.Unique},
		{Name: "team_id", Label: i18n.T("服务团队", "Service team"), Kind: entity.Ref, Ref: "team", Required: true, Flags: f | entity.Export | entity.Import | entity.Listed | entity.NotNull},
		{Name: "skills", Label: i18n.T("技能", "Skills"), Kind: entity.MultiSelect, Picklist: "service_skill", Flags: f | entity.Export | entity.Import | entity.Listed},
		{Name: "regions", Label: i18n.T("负责区域", "Regions"), Kind: entity.MultiSelect, Picklist: "service_region", Flags: f | entity.Export | entity.Import | entity.Listed},
		{Name: "max_open", Label: i18n.T("在办工单上限", "Open ticket limit"), Kind: entity.Integer, Default: int64(20), Min: ptr(1), Max: ptr(1000), Flags: std | entity.Listed | entity.NotNull},
		{Name: "field_engineer", Label: i18n.T("上门工程师", "Field engineer"), Kind: entity.Bool, Default: false, Flags: std | entity.Listed | entity.NotNull},
		{Name: "active", Label: i18n.T("接单中", "Taking tickets"), Kind: entity.Bool, Default: true, Flags: std | entity.Listed | entity.NotNull},
		{Name: "last_assigned_at", Label: i18n.T("最近分派时间", "Last assigned at"), Kind: entity.DateTime, Flags: entity.ReadOnly | f | s | entity.Export},
	},
}).Init()

// aftersalesMore collects the declarations of the after-sales parts beyond
// the ticket, each part adding its own from an init in its file.
var aftersalesMore []*entity.Entity

// registerAftersales adds a part's declarations to the area (called from
// the init of the part's file).
func registerAftersales(es ...*entity.Entity) { aftersalesMore = append(aftersalesMore, es...) }

// AftersalesEntities are the after-sales declarations: the ticket and its
// messages and agents first, then each part's records.
func AftersalesEntities() []*entity.Entity {
	return append([]*entity.Entity{Ticket, TicketMessage, ServiceAgent}, aftersalesMore...)
}

// OpportunityOrigins name the after-sales records an opportunity may be
// raised from (售后即下一次售前): its origin_entity, with origin_id the
// record's id; the record links back through its opportunity_id.
var OpportunityOrigins = []entity.Option{
	opt("ticket", "服务工单", "Ticket"), opt("service_visit", "上门服务", "On-site visit"),
	opt("return_visit", "回访", "Return visit"), opt("survey", "满意度调查", "Survey"),
	opt("care_reminder", "关怀提醒", "Care reminder"),
}
