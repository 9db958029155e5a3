// Package crm holds the customer base's domain: the declarations of
// customers, contacts, leads and activities (and of users and teams), their
// option lists, and the rules that need no database — name normalisation for
// duplicates, lead status transitions, pool deadlines, lead conversion.
package crm

import (
	"closeloop/internal/entity"
	"closeloop/internal/i18n"
)

func opt(code, zh, en string) entity.Option {
	return entity.Option{Code: code, Label: i18n.T(zh, en)}
}

// Customer statuses (潜在、意向、成交、流失).
const (
	StatusProspect = "prospect"
	StatusIntent   = "intent"
	StatusWon      = "won"
	StatusLost     = "lost"
)

// Lead statuses.
const (
	LeadNew          = "new"
	LeadContacted    = "contacted"
	LeadQualified    = "qualified"
	LeadConverted    = "converted"
	LeadDisqualified = "disqualified"
)

// Decision roles in the buying unit (识别决策单元).
var DecisionRoles = []entity.Option{
	opt("decision_maker", "决策者", "Decision maker"),
	opt("technical_lead", "技术负责人", "Technical lead"),
	opt("influencer", "影响者", "Influencer"),
	opt("user", "使用者", "User"),
	opt("purchaser", "采购", "Purchaser"),
}

// Activity kinds.
var ActivityKinds = []entity.Option{
	opt("call", "电话", "Call"),
	opt("visit", "拜访", "Visit"),
	opt("email", "邮件", "E-mail"),
	opt("meeting", "会议", "Meeting"),
	opt("demo", "演示", "Demo"),
	opt("note", "备注", "Note"),
}

// Marketing consent states.
const (
	ConsentUnknown   = "unknown"
	ConsentGranted   = "granted"
	ConsentWithdrawn = "withdrawn"
)

var (
	f = entity.Filter
	s = entity.Sort
	// std is filterable, sortable, exported and imported.
	std = entity.Std
)

// Customer is the customer declaration (company or individual).
var Customer = (&entity.Entity{
	Name: "customer", Resource: "customers", Table: "customers",
	Label: i18n.T("客户", "Customer"), Plural: i18n.T("客户", "Customers"),
	Title: "name", Subtitle: "short_name",
	Vis:          entity.Visibility{Owned: true, Pool: true},
	SoftDelete:   true,
	Customizable: true,
	AuditReads:   true,
	Fields: []*entity.Field{
		{Name: "name", Label: i18n.T("客户名称", "Name"), Kind: entity.Text, Required: true, Flags: std | entity.Listed | entity.Search | entity.PersonName | entity.NotNull | entity.Unique},
		{Name: "short_name", Label: i18n.T("简称", "Short name"), Kind: entity.Text, Flags: std | entity.Search | entity.PersonName},
		{Name: "kind", Label: i18n.T("客户类型", "Type"), Kind: entity.Select, Required: true, Default: "company", Flags: std | entity.NotNull, Options: []entity.Option{
			opt("company", "企业", "Company"), opt("individual", "个人", "Individual")}},
		{Name: "level", Label: i18n.T("客户级别", "Level"), Kind: entity.Select, Picklist: "customer_level", Flags: std | entity.Listed},
		{Name: "status", Label: i18n.T("客户状态", "Status"), Kind: entity.Select, Required: true, Default: StatusProspect, Flags: std | entity.Listed | entity.NotNull, Options: []entity.Option{
			opt(StatusProspect, "潜在", "Prospect"), opt(StatusIntent, "意向", "Intent"), opt(StatusWon, "成交", "Won"), opt(StatusLost, "流失", "Lost")}},
		{Name: "industry", Label: i18n.T("行业", "Industry"), Kind: entity.Select, Picklist: "industry", Flags: std | entity.Listed},
		{Name: "source", Label: i18n.T("客户来源", "Source"), Kind: entity.Select, Picklist: "source", Flags: std},
		{Name: "scale", Label: i18n.T("规模", "Scale"), Kind: entity.Select, Picklist: "customer_scale", Flags: std},
		{Name: "region", Label: i18n.T("地区", "Region"), Kind: entity.Text, Flags: std | entity.Listed | entity.Search},
		{Name: "address", Label: i18n.T("地址", "Address"), Kind: entity.Text, MaxLen: 300, Flags: std | entity.Search},
		{Name: "phone", Label: i18n.T("总机电话", "Phone"), Kind: entity.Phone, Flags: std | entity.Contact | entity.Search | entity.Unique},
		{Name: "website", Label: i18n.T("网址", "Website"), Kind: entity.Text, Flags: std},
		{Name: "credit", Label: i18n.T("资信", "Credit"), Kind: entity.Select, Picklist: "credit", Flags: std},
		{Name: "demand_level", Label: i18n.T("需求档次", "Demand"), Kind: entity.Select, Picklist: "demand_level", Flags: std},
		{Name: "closing_difficulty", Label: i18n.T("成交难度", "Closing difficulty"), Kind: entity.Select, Picklist: "closing_difficulty", Flags: std},
		{Name: "tags", Label: i18n.T("标签", "Tags"), Kind: entity.Tags, Flags: f | entity.Export | entity.Import | entity.Search},
		{Name: "notes", Label: i18n.T("备注", "Notes"), Kind: entity.LongText, Flags: entity.Export | entity.Import | f},
		{Name: "name_norm", Label: i18n.T("规范名称", "Normalised name"), Kind: entity.Text, Flags: entity.ReadOnly | entity.Hidden | entity.NotNull},
		{Name: "last_followup_at", Label: i18n.T("最近跟进", "Last follow-up"), Kind: entity.DateTime, Flags: entity.ReadOnly | f | s | entity.Listed | entity.Export},
		{Name: "pool_due_at", Label: i18n.T("回收公海时间", "Returns to pool"), Kind: entity.DateTime, Flags: entity.ReadOnly | f | s | entity.Export},
		{Name: "pool_reminded_at", Label: i18n.T("回收提醒时间", "Pool reminder sent"), Kind: entity.DateTime, Flags: entity.ReadOnly | entity.Hidden},
		{Name: "claimed_at", Label: i18n.T("领取时间", "Claimed at"), Kind: entity.DateTime, Flags: entity.ReadOnly | f | s},
		{Name: "released_at", Label: i18n.T("退回公海时间", "Released at"), Kind: entity.DateTime, Flags: entity.ReadOnly | f | s},
		{Name: "released_by", Label: i18n.T("前负责人", "Previous owner"), Kind: entity.User, Flags: entity.ReadOnly | f},
		{Name: "release_reason", Label: i18n.T("退回原因", "Release reason"), Kind: entity.Select, Picklist: "release_reason", Flags: entity.ReadOnly | f},
		{Name: "merged_into", Label: i18n.T("合并到", "Merged into"), Kind: entity.Ref, Ref: "customer", Flags: entity.ReadOnly | entity.Hidden},
	},
}).Init()

// Contact is a person at a customer, with their role in the buying unit.
var Contact = (&entity.Entity{
	Name: "contact", Resource: "contacts", Table: "contacts",
	Label: i18n.T("联系人", "Contact"), Plural: i18n.T("联系人", "Contacts"),
	Title: "name", Subtitle: "title",
	Vis:          entity.Visibility{Parents: []string{"customer_id"}},
	SoftDelete:   true,
	Customizable: true,
	AuditReads:   true,
	Fields: []*entity.Field{
		{Name: "name", Label: i18n.T("姓名", "Name"), Kind: entity.Text, Required: true, Flags: std | entity.Listed | entity.Search | entity.PersonName | entity.NotNull},
		{Name: "customer_id", Label: i18n.T("所属客户", "Customer"), Kind: entity.Ref, Ref: "customer", Required: true, Flags: f | entity.Export | entity.Import | entity.Listed | entity.NotNull},
		{Name: "title", Label: i18n.T("职务", "Title"), Kind: entity.Text, Flags: std | entity.Listed | entity.Search},
		{Name: "department", Label: i18n.T("部门", "Department"), Kind: entity.Text, Flags: std},
		{Name: "decision_role", Label: i18n.T("决策角色", "Decision role"), Kind: entity.Select, Options: DecisionRoles, Flags: std | entity.Listed},
		{Name: "is_primary", Label: i18n.T("主要联系人", "Primary contact"), Kind: entity.Bool, Default: false, Flags: std | entity.NotNull},
		{Name: "phone", Label: i18n.T("手机", "Mobile"), Kind: entity.Phone, Flags: std | entity.Contact | entity.Search | entity.Listed | entity.Unique},
		{Name: "office_phone", Label: i18n.T("办公电话", "Office phone"), Kind: entity.Phone, Flags: std | entity.Contact | entity.Search},
		{Name: "email", Label: i18n.T("邮箱", "E-mail"), Kind: entity.Email, Flags: std | entity.Contact | entity.Search | entity.Unique},
		{Name: "wechat", Label: i18n.T("微信", "WeChat"), Kind: entity.Text, MaxLen: 64, Flags: std | entity.Contact | entity.Search},
		{Name: "birthday", Label: i18n.T("生日", "Birthday"), Kind: entity.Date, Flags: std},
		{Name: "birthday_calendar", Label: i18n.T("生日历法", "Birthday calendar"), Kind: entity.Select, Flags: std, Options: []entity.Option{
			opt("solar", "公历", "Gregorian"), opt("lunar", "农历", "Lunar")}},
		{Name: "preferences", Label: i18n.T("喜好", "Preferences"), Kind: entity.LongText, Flags: entity.Export | entity.Import},
		{Name: "marketing_consent", Label: i18n.T("营销许可", "Marketing consent"), Kind: entity.Select, Default: ConsentUnknown, Flags: entity.ReadOnly | f | entity.Export | entity.NotNull, Options: []entity.Option{
			opt(ConsentUnknown, "未确认", "Unknown"), opt(ConsentGranted, "已同意", "Granted"), opt(ConsentWithdrawn, "已拒绝", "Withdrawn")}},
		{Name: "do_not_contact", Label: i18n.T("勿扰", "Do not contact"), Kind: entity.Bool, Default: false, Flags: entity.ReadOnly | f | entity.Export | entity.NotNull},
		{Name: "notes", Label: i18n.T("备注", "Notes"), Kind: entity.LongText, Flags: entity.Export | entity.Import},
	},
}).Init()

// Lead is a prospect as captured, before qualification and conversion.
var Lead = (&entity.Entity{
	Name: "lead", Resource: "leads", Table: "leads",
	Label: i18n.T("线索", "Lead"), Plural: i18n.T("线索", "Leads"),
	Title: "name", Subtitle: "company",
	Vis:          entity.Visibility{Owned: true, Pool: true},
	SoftDelete:   true,
	Customizable: true,
	Fields: []*entity.Field{
		{Name: "name", Label: i18n.T("姓名", "Name"), Kind: entity.Text, Required: true, Flags: std | entity.Listed | entity.Search | entity.PersonName | entity.NotNull},
		{Name: "company", Label: i18n.T("公司", "Company"), Kind: entity.Text, Flags: std | entity.Listed | entity.Search | entity.PersonName},
		{Name: "title", Label: i18n.T("职务", "Title"), Kind: entity.Text, Flags: std},
		{Name: "phone", Label: i18n.T("电话", "Phone"), Kind: entity.Phone, Flags: std | entity.Contact | entity.Search | entity.Listed | entity.Unique},
		{Name: "email", Label: i18n.T("邮箱", "E-mail"), Kind: entity.Email, Flags: std | entity.Contact | entity.Search | entity.Unique},
		{Name: "wechat", Label: i18n.T("微信", "WeChat"), Kind: entity.Text, MaxLen: 64, Flags: std | entity.Contact | entity.Search},
		{Name: "source", Label: i18n.T("线索来源", "Source"), Kind: entity.Select, Picklist: "source", Required: true, Flags: std | entity.Listed | entity.NotNull},
		{Name: "status", Label: i18n.T("状态", "Status"), Kind: entity.Select, Required: true, Default: LeadNew, Moves: LeadMoves, Flags: std | entity.Listed | entity.NotNull, Options: []entity.Option{
			opt(LeadNew, "新线索", "New"), opt(LeadContacted, "已联系", "Contacted"), opt(LeadQualified, "已确认", "Qualified"),
			opt(LeadConverted, "已转化", "Converted"), opt(LeadDisqualified, "无效", "Disqualified")}},
		{Name: "disqualify_reason", Label: i18n.T("无效原因", "Disqualification reason"), Kind: entity.Select, Picklist: "disqualify_reason", Flags: std},
		{Name: "industry", Label: i18n.T("行业", "Industry"), Kind: entity.Select, Picklist: "industry", Flags: std},
		{Name: "region", Label: i18n.T("地区", "Region"), Kind: entity.Text, Flags: std | entity.Search},
		{Name: "address", Label: i18n.T("地址", "Address"), Kind: entity.Text, MaxLen: 300, Flags: std},
		{Name: "notes", Label: i18n.T("备注", "Notes"), Kind: entity.LongText, Flags: entity.Export | entity.Import},
		{Name: "company_norm", Label: i18n.T("规范公司名", "Normalised company"), Kind: entity.Text, Flags: entity.ReadOnly | entity.Hidden},
		{Name: "converted_customer_id", Label: i18n.T("转化客户", "Converted customer"), Kind: entity.Ref, Ref: "customer", Flags: entity.ReadOnly | f | entity.Export},
		{Name: "converted_contact_id", Label: i18n.T("转化联系人", "Converted contact"), Kind: entity.Ref, Ref: "contact", Flags: entity.ReadOnly | entity.Export},
		{Name: "converted_at", Label: i18n.T("转化时间", "Converted at"), Kind: entity.DateTime, Flags: entity.ReadOnly | f | s | entity.Export},
		{Name: "last_followup_at", Label: i18n.T("最近跟进", "Last follow-up"), Kind: entity.DateTime, Flags: entity.ReadOnly | f | s | entity.Listed | entity.Export},
		{Name: "pool_due_at", Label: i18n.T("回收公海时间", "Returns to pool"), Kind: entity.DateTime, Flags: entity.ReadOnly | f | s | entity.Export},
		{Name: "pool_reminded_at", Label: i18n.T("回收提醒时间", "Pool reminder sent"), Kind: entity.DateTime, Flags: entity.ReadOnly | entity.Hidden},
		{Name: "claimed_at", Label: i18n.T("领取时间", "Claimed at"), Kind: entity.DateTime, Flags: entity.ReadOnly | f | s},
		{Name: "released_at", Label: i18n.T("退回公海时间", "Released at"), Kind: entity.DateTime, Flags: entity.ReadOnly | f | s},
		{Name: "released_by", Label: i18n.T("前负责人", "Previous owner"), Kind: entity.User, Flags: entity.ReadOnly | f},
		{Name: "release_reason", Label: i18n.T("退回原因", "Release reason"), Kind: entity.Select, Picklist: "release_reason", Flags: entity.ReadOnly | f},
	},
}).Init()

// Activity is a call, visit, e-mail, meeting, demo or note, with a next step.
var Activity = (&entity.Entity{
	Name: "activity", Resource: "activities", Table: "activities",
	Label: i18n.T("跟进记录", "Activity"), Plural: i18n.T("跟进记录", "Activities"),
	Title: "subject", DefaultSort: "-occurred_at",
	Vis:          entity.Visibility{Owned: true, Parents: []string{"customer_id", "lead_id"}},
	SoftDelete:   true,
	Customizable: true,
	Fields: []*entity.Field{
		{Name: "kind", Label: i18n.T("类型", "Type"), Kind: entity.Select, Options: ActivityKinds, Required: true, Flags: std | entity.Listed | entity.NotNull},
		{Name: "subject", Label: i18n.T("主题", "Subject"), Kind: entity.Text, Required: true, Flags: std | entity.Listed | entity.NotNull},
		{Name: "occurred_at", Label: i18n.T("时间", "When"), Kind: entity.DateTime, Flags: std | entity.Listed | entity.NotNull},
		{Name: "duration_minutes", Label: i18n.T("时长（分钟）", "Duration (min)"), Kind: entity.Integer, Min: ptr(0), Max: ptr(24 * 60), Flags: std},
		{Name: "customer_id", Label: i18n.T("客户", "Customer"), Kind: entity.Ref, Ref: "customer", Flags: f | entity.Export | entity.Import | entity.Listed},
		{Name: "contact_id", Label: i18n.T("联系人", "Contact"), Kind: entity.Ref, Ref: "contact", Flags: f | entity.Export | entity.Import},
		{Name: "lead_id", Label: i18n.T("线索", "Lead"), Kind: entity.Ref, Ref: "lead", Flags: f | entity.Export | entity.Import},
		{Name: "participant_contacts", Label: i18n.T("参与联系人", "Contacts present"), Kind: entity.Refs, Ref: "contact", Flags: f | entity.Export | entity.Import},
		{Name: "participant_users", Label: i18n.T("参与同事", "Colleagues present"), Kind: entity.Refs, Ref: "user", Flags: f | entity.Export | entity.Import},
		{Name: "summary", Label: i18n.T("内容纪要", "Summary"), Kind: entity.LongText, Flags: entity.Export | entity.Import | f},
		{Name: "next_step", Label: i18n.T("下一步", "Next step"), Kind: entity.Text, MaxLen: 300, Flags: std | entity.Listed},
		{Name: "next_step_due", Label: i18n.T("下一步截止", "Next step due"), Kind: entity.Date, Flags: std | entity.Listed},
		{Name: "next_step_done", Label: i18n.T("下一步已完成", "Next step done"), Kind: entity.Bool, Default: false, Flags: std | entity.NotNull},
	},
}).Init()

func ptr(x float64) *float64 { return &x }

// User is a person who signs in. Passwords, second factors and sessions are
// not fields: they change only through the sign-in processes.
var User = (&entity.Entity{
	Name: "user", Resource: "users", Table: "users",
	Label: i18n.T("用户", "User"), Plural: i18n.T("用户", "Users"),
	Title: "name", Subtitle: "email", DefaultSort: "name",
	SoftDelete: true,
	Fields: []*entity.Field{
		{Name: "name", Label: i18n.T("姓名", "Name"), Kind: entity.Text, Required: true, MaxLen: 100, Flags: std | entity.Listed | entity.NotNull},
		{Name: "email", Label: i18n.T("邮箱", "E-mail"), Kind: entity.Email, Required: true, Flags: std | entity.Listed | entity.NotNull | entity.Unique},
		{Name: "phone", Label: i18n.T("手机", "Mobile"), Kind: entity.Phone, Flags: std},
		{Name: "roles", Label: i18n.T("角色", "Roles"), Kind: entity.MultiSelect, Picklist: "role", Required: true, Flags: f | entity.Export | entity.Import | entity.Listed},
		{Name: "team_id", Label: i18n.T("团队", "Team"), Kind: entity.Ref, Ref: "team", Flags: f | entity.Export | entity.Import | entity.Listed},
		{Name: "lang", Label: i18n.T("界面语言", "Language"), Kind: entity.Select, Flags: std, Options: []entity.Option{
			opt("zh-CN", "简体中文", "Chinese (Simplified)"), opt("en", "English", "English")}},
		{Name: "active", Label: i18n.T("启用", "Active"), Kind: entity.Bool, Default: true, Flags: std | entity.Listed | entity.NotNull},
		{Name: "last_login_at", Label: i18n.T("最近登录", "Last sign-in"), Kind: entity.DateTime, Flags: entity.ReadOnly | f | s | entity.Listed},
		{Name: "totp_enabled", Label: i18n.T("两步验证", "Two-factor"), Kind: entity.Bool, Default: false, Flags: entity.ReadOnly | f | entity.Listed | entity.NotNull},
	},
}).Init()

// Team is a node of the organisation tree: company → region → department.
var Team = (&entity.Entity{
	Name: "team", Resource: "teams", Table: "teams",
	Label: i18n.T("团队", "Team"), Plural: i18n.T("团队", "Teams"),
	Title: "name", DefaultSort: "path",
	SoftDelete: true,
	Fields: []*entity.Field{
		{Name: "name", Label: i18n.T("名称", "Name"), Kind: entity.Text, Required: true, MaxLen: 100, Flags: std | entity.Listed | entity.NotNull},
		{Name: "code", Label: i18n.T("编码", "Code"), Kind: entity.Text, MaxLen: 50, Flags: std | entity.Listed | entity.Unique},
		{Name: "parent_id", Label: i18n.T("上级团队", "Parent team"), Kind: entity.Ref, Ref: "team", Flags: f | entity.Export | entity.Import | entity.Listed},
		{Name: "manager_id", Label: i18n.T("负责人", "Manager"), Kind: entity.User, Flags: f | entity.Export | entity.Import | entity.Listed},
		{Name: "path", Label: i18n.T("路径", "Path"), Kind: entity.Text, MaxLen: 2000, Flags: entity.ReadOnly | entity.Hidden | s | entity.NotNull},
	},
}).Init()

// Entities lists every declaration of the customer base, in menu order.
func Entities() []*entity.Entity {
	return []*entity.Entity{Customer, Contact, Lead, Activity, User, Team}
}

// All is every declared entity of every area, the list the store opens
// with. An area adds its list here.
func All() []*entity.Entity {
	var all []*entity.Entity
	for _, area := range [][]*entity.Entity{Entities(), PresalesEntities(), InsalesEntities(), ApprovalEntities(), ContractEntities(), FulfilmentEntities(), FinanceEntities(), AftersalesEntities()} {
		all = append(all, area...)
	}
	return all
}
