package crm

import (
	"closeloop/internal/entity"
	"closeloop/internal/i18n"
)

// Opportunity statuses: open until won or lost.
const (
	OppOpen = "open"
	OppWon  = "won"
	OppLost = "lost"
)

// Currencies an amount may be in.
var Currencies = []entity.Option{
	opt("CNY", "人民币", "CNY"), opt("USD", "美元", "USD"), opt("EUR", "欧元", "EUR"),
	opt("HKD", "港币", "HKD"), opt("JPY", "日元", "JPY"),
}

// Gate codes: what a stage may require before it is entered or left. The
// checks live in gates.go; an admin picks them per stage.
const (
	GateNeedsAnalysis     = "needs_analysis"
	GateSolutionSubmitted = "solution_submitted"
	GateSolutionApproved  = "solution_approved"
	GateQuote             = "quote"
	GatePrimaryContact    = "primary_contact"
	GateBid               = "bid"
)

// GateOptions are the gates an admin may put on a stage.
var GateOptions = []entity.Option{
	opt(GateNeedsAnalysis, "已完成需求分析", "Needs analysis done"),
	opt(GateSolutionSubmitted, "方案已提交评审", "Solution submitted for review"),
	opt(GateSolutionApproved, "方案已评审通过", "Solution approved"),
	opt(GateQuote, "已有报价（启用报价后）", "A quote exists (once quotes are in use)"),
	opt(GatePrimaryContact, "已确定主要联系人", "Primary contact named"),
	opt(GateBid, "已登记投标", "Bid recorded"),
}

// Pipeline is an admin-defined sales process: an ordered list of stages.
var Pipeline = (&entity.Entity{
	Name: "pipeline", Resource: "pipelines", Table: "pipelines",
	Label: i18n.T("销售流程", "Pipeline"), Plural: i18n.T("销售流程", "Pipelines"),
	Title: "name", DefaultSort: "position",
	SoftDelete: true,
	Fields: []*entity.Field{
		{Name: "name", Label: i18n.T("名称", "Name"), Kind: entity.Text, Required: true, MaxLen: 100, Flags: std | entity.Listed | entity.NotNull},
		{Name: "name_en", Label: i18n.T("英文名称", "English name"), Kind: entity.Text, MaxLen: 100, Flags: std | entity.Listed},
		{Name: "code", Label: i18n.T("编码", "Code"), Kind: entity.Text, Required: true, MaxLen: 50, Flags: std | entity.Listed | entity.NotNull | entity.Unique},
		{Name: "position", Label: i18n.T("排序", "Position"), Kind: entity.Integer, Default: int64(0), Min: ptr(0), Max: ptr(10000), Flags: std | entity.NotNull},
		{Name: "is_default", Label: i18n.T("默认流程", "Default"), Kind: entity.Bool, Default: false, Flags: std | entity.Listed | entity.NotNull},
		{Name: "active", Label: i18n.T("启用", "Active"), Kind: entity.Bool, Default: true, Flags: std | entity.Listed | entity.NotNull},
		{Name: "description", Label: i18n.T("说明", "Description"), Kind: entity.LongText, Flags: entity.Export | entity.Import},
	},
}).Init()

// PipelineStage is one stage of a pipeline with its probability and gates.
var PipelineStage = (&entity.Entity{
	Name: "pipeline_stage", Resource: "pipeline-stages", Table: "pipeline_stages",
	Label: i18n.T("阶段", "Stage"), Plural: i18n.T("阶段", "Stages"),
	Title: "name", Subtitle: "code", DefaultSort: "position",
	SoftDelete: true,
	Fields: []*entity.Field{
		{Name: "pipeline_id", Label: i18n.T("所属流程", "Pipeline"), Kind: entity.Ref, Ref: "pipeline", Required: true, Flags: f | entity.Export | entity.Import | entity.Listed | entity.NotNull},
		{Name: "name", Label: i18n.T("名称", "Name"), Kind: entity.Text, Required: true, MaxLen: 100, Flags: std | entity.Listed | entity.NotNull},
		{Name: "name_en", Label: i18n.T("英文名称", "English name"), Kind: entity.Text, MaxLen: 100, Flags: std | entity.Listed},
		{Name: "code", Label: i18n.T("编码", "Code"), Kind: entity.Text, Required: true, MaxLen: 50, Flags: std | entity.Listed | entity.NotNull},
		{Name: "position", Label: i18n.T("顺序", "Position"), Kind: entity.Integer, Required: true, Min: ptr(1), Max: ptr(1000), Flags: std | entity.Listed | entity.NotNull},
		{Name: "probability", Label: i18n.T("赢率（%）", "Probability (%)"), Kind: entity.Integer, Required: true, Min: ptr(0), Max: ptr(100), Flags: std | entity.Listed | entity.NotNull},
		{Name: "entry_gates", Label: i18n.T("进入条件", "Required to enter"), Kind: entity.MultiSelect, Options: GateOptions, Flags: f | entity.Export | entity.Import | entity.Listed},
		{Name: "exit_gates", Label: i18n.T("离开条件", "Required to leave"), Kind: entity.MultiSelect, Options: GateOptions, Flags: f | entity.Export | entity.Import | entity.Listed},
		{Name: "entry_fields", Label: i18n.T("进入前必填字段", "Fields required to enter"), Kind: entity.Tags, Flags: f | entity.Export | entity.Import,
			Help: i18n.T("商机字段名，如 amount、expected_close_date", "Opportunity field names, e.g. amount, expected_close_date")},
	},
}).Init()

// Opportunity is a deal in a pipeline (商机), with its needs analysis.
var Opportunity = (&entity.Entity{
	Name: "opportunity", Resource: "opportunities", Table: "opportunities",
	Label: i18n.T("商机", "Opportunity"), Plural: i18n.T("商机", "Opportunities"),
	Title: "name", Subtitle: "stage",
	Vis:          entity.Visibility{Owned: true, Grants: true},
	SoftDelete:   true,
	Customizable: true,
	Fields: []*entity.Field{
		{Name: "name", Label: i18n.T("商机名称", "Name"), Kind: entity.Text, Required: true, Flags: std | entity.Listed | entity.Search | entity.NotNull},
		{Name: "customer_id", Label: i18n.T("客户", "Customer"), Kind: entity.Ref, Ref: "customer", Required: true, Flags: f | entity.Export | entity.Import | entity.Listed | entity.NotNull},
		{Name: "amount", Label: i18n.T("预计金额", "Amount"), Kind: entity.Money, Min: ptr(0), Flags: std | entity.Listed},
		{Name: "currency", Label: i18n.T("币种", "Currency"), Kind: entity.Select, Options: Currencies, Default: "CNY", Flags: std | entity.NotNull},
		{Name: "expected_close_date", Label: i18n.T("预计成交日期", "Expected close"), Kind: entity.Date, Flags: std | entity.Listed},
		{Name: "pipeline_id", Label: i18n.T("销售流程", "Pipeline"), Kind: entity.Ref, Ref: "pipeline", Flags: f | entity.Export | entity.Import},
		{Name: "stage_id", Label: i18n.T("阶段", "Stage"), Kind: entity.Ref, Ref: "pipeline_stage", Flags: entity.ReadOnly | f | entity.Export | entity.Listed},
		{Name: "stage", Label: i18n.T("阶段编码", "Stage code"), Kind: entity.Text, MaxLen: 50, Flags: entity.ReadOnly | f | entity.Export | entity.NotNull},
		{Name: "stage_entered_at", Label: i18n.T("进入阶段时间", "In stage since"), Kind: entity.DateTime, Flags: entity.ReadOnly | f | s},
		{Name: "probability_override", Label: i18n.T("赢率（手工）", "Probability (manual)"), Kind: entity.Integer, Min: ptr(0), Max: ptr(100), Flags: std,
			Help: i18n.T("留空则取阶段赢率", "Leave empty to use the stage's probability")},
		{Name: "probability", Label: i18n.T("赢率（%）", "Probability (%)"), Kind: entity.Integer, Flags: entity.ReadOnly | f | s | entity.Export | entity.Listed | entity.NotNull},
		{Name: "status", Label: i18n.T("状态", "Status"), Kind: entity.Select, Default: OppOpen, Flags: entity.ReadOnly | f | entity.Export | entity.Listed | entity.NotNull, Options: []entity.Option{
			opt(OppOpen, "进行中", "Open"), opt(OppWon, "赢单", "Won"), opt(OppLost, "输单", "Lost")}},
		{Name: "source", Label: i18n.T("来源", "Source"), Kind: entity.Select, Picklist: "source", Flags: std},
		{Name: "business_scenario", Label: i18n.T("业务场景", "Business scenario"), Kind: entity.LongText, Flags: entity.Export | entity.Import | f},
		{Name: "pain_points", Label: i18n.T("痛点", "Pain points"), Kind: entity.LongText, Flags: entity.Export | entity.Import | f | entity.Search},
		{Name: "budget_range", Label: i18n.T("预算范围", "Budget range"), Kind: entity.Text, Flags: std},
		{Name: "decision_process", Label: i18n.T("决策流程", "Decision process"), Kind: entity.LongText, Flags: entity.Export | entity.Import},
		{Name: "decision_timeline", Label: i18n.T("决策时间表", "Decision timeline"), Kind: entity.Text, MaxLen: 300, Flags: std},
		{Name: "explicit_needs", Label: i18n.T("显性需求", "Explicit needs"), Kind: entity.LongText, Flags: entity.Export | entity.Import},
		{Name: "latent_needs", Label: i18n.T("隐性需求", "Latent needs"), Kind: entity.LongText, Flags: entity.Export | entity.Import},
		{Name: "next_step", Label: i18n.T("下一步", "Next step"), Kind: entity.Text, MaxLen: 300, Flags: std | entity.Listed},
		{Name: "next_step_due", Label: i18n.T("下一步截止", "Next step due"), Kind: entity.Date, Flags: std},
		{Name: "knowledge_articles", Label: i18n.T("参考知识", "Knowledge articles"), Kind: entity.Refs, Ref: "knowledge_article", Flags: f | entity.Export | entity.Import},
		{Name: "closed_at", Label: i18n.T("关闭时间", "Closed at"), Kind: entity.DateTime, Flags: entity.ReadOnly | f | s | entity.Export},
		{Name: "lost_reason", Label: i18n.T("输单原因", "Loss reason"), Kind: entity.Select, Picklist: "loss_reason", Flags: entity.ReadOnly | f | entity.Export},
		{Name: "lost_to", Label: i18n.T("赢单竞争对手", "Lost to"), Kind: entity.Ref, Ref: "competitor", Flags: entity.ReadOnly | f | entity.Export},
		{Name: "close_note", Label: i18n.T("关闭说明", "Closing note"), Kind: entity.LongText, Flags: entity.ReadOnly | entity.Export},
		{Name: "origin_entity", Label: i18n.T("来源记录类型", "Raised from"), Kind: entity.Select, Options: OpportunityOrigins, Flags: entity.ReadOnly | f | entity.Export},
		{Name: "origin_id", Label: i18n.T("来源记录", "Raised from record"), Kind: entity.Text, MaxLen: 40, Flags: entity.ReadOnly | f | entity.Export},
	},
}).Init()

// OpportunityContact is a person of the buying unit in one opportunity.
var OpportunityContact = (&entity.Entity{
	Name: "opportunity_contact", Resource: "opportunity-contacts", Table: "opportunity_contacts",
	Label: i18n.T("商机联系人", "Opportunity contact"), Plural: i18n.T("商机联系人", "Opportunity contacts"),
	Title:      "contact_name",
	Vis:        entity.Visibility{Parents: []string{"opportunity_id"}},
	SoftDelete: true,
	Fields: []*entity.Field{
		{Name: "opportunity_id", Label: i18n.T("商机", "Opportunity"), Kind: entity.Ref, Ref: "opportunity", Required: true, Flags: f | entity.Export | entity.Import | entity.Listed | entity.NotNull},
		{Name: "contact_id", Label: i18n.T("联系人", "Contact"), Kind: entity.Ref, Ref: "contact", Required: true, Flags: f | entity.Export | entity.Import | entity.Listed | entity.NotNull},
		{Name: "contact_name", Label: i18n.T("姓名", "Name"), Kind: entity.Text, Flags: entity.ReadOnly | f | s | entity.Export | entity.NotNull},
		{Name: "role", Label: i18n.T("决策角色", "Role"), Kind: entity.Select, Options: DecisionRoles, Required: true, Flags: std | entity.Listed | entity.NotNull},
		{Name: "is_primary", Label: i18n.T("主要联系人", "Primary"), Kind: entity.Bool, Default: false, Flags: std | entity.Listed | entity.NotNull},
		{Name: "attitude", Label: i18n.T("态度", "Attitude"), Kind: entity.Select, Flags: std | entity.Listed, Options: []entity.Option{
			opt("supporter", "支持", "Supporter"), opt("neutral", "中立", "Neutral"), opt("opponent", "反对", "Opponent")}},
		{Name: "notes", Label: i18n.T("备注", "Notes"), Kind: entity.LongText, Flags: entity.Export | entity.Import},
	},
}).Init()

// PricePositions place a competitor's price against ours.
var PricePositions = []entity.Option{
	opt("higher", "高于我方", "Higher than ours"), opt("similar", "相近", "Similar"), opt("lower", "低于我方", "Lower than ours"),
}

// Competitor is a company we meet in deals, with what we know of it.
var Competitor = (&entity.Entity{
	Name: "competitor", Resource: "competitors", Table: "competitors",
	Label: i18n.T("竞争对手", "Competitor"), Plural: i18n.T("竞争对手", "Competitors"),
	Title: "name", DefaultSort: "name",
	SoftDelete:   true,
	Customizable: true,
	Fields: []*entity.Field{
		{Name: "name", Label: i18n.T("名称", "Name"), Kind: entity.Text, Required: true, Flags: std | entity.Listed | entity.Search | entity.PersonName | entity.NotNull | entity.Unique},
		{Name: "website", Label: i18n.T("网址", "Website"), Kind: entity.Text, Flags: std},
		{Name: "products", Label: i18n.T("主要产品", "Products"), Kind: entity.Text, MaxLen: 500, Flags: std | entity.Listed | entity.Search},
		{Name: "strengths", Label: i18n.T("优势", "Strengths"), Kind: entity.LongText, Flags: entity.Export | entity.Import | f},
		{Name: "weaknesses", Label: i18n.T("劣势", "Weaknesses"), Kind: entity.LongText, Flags: entity.Export | entity.Import | f},
		{Name: "price_position", Label: i18n.T("价格定位", "Price position"), Kind: entity.Select, Options: PricePositions, Flags: std | entity.Listed},
		{Name: "notes", Label: i18n.T("备注", "Notes"), Kind: entity.LongText, Flags: entity.Export | entity.Import},
	},
}).Init()

// OpportunityCompetitor is a competitor met in one opportunity.
var OpportunityCompetitor = (&entity.Entity{
	Name: "opportunity_competitor", Resource: "opportunity-competitors", Table: "opportunity_competitors",
	Label: i18n.T("商机竞争对手", "Competitor in opportunity"), Plural: i18n.T("商机竞争对手", "Competitors in opportunities"),
	Title:      "competitor_name",
	Vis:        entity.Visibility{Parents: []string{"opportunity_id"}},
	SoftDelete: true,
	Fields: []*entity.Field{
		{Name: "opportunity_id", Label: i18n.T("商机", "Opportunity"), Kind: entity.Ref, Ref: "opportunity", Required: true, Flags: f | entity.Export | entity.Import | entity.Listed | entity.NotNull},
		{Name: "competitor_id", Label: i18n.T("竞争对手", "Competitor"), Kind: entity.Ref, Ref: "competitor", Required: true, Flags: f | entity.Export | entity.Import | entity.Listed | entity.NotNull},
		{Name: "competitor_name", Label: i18n.T("名称", "Name"), Kind: entity.Text, Flags: entity.ReadOnly | f | s | entity.Export | entity.NotNull},
		{Name: "strengths", Label: i18n.T("本项目中的优势", "Strengths here"), Kind: entity.LongText, Flags: entity.Export | entity.Import | entity.Listed},
		{Name: "weaknesses", Label: i18n.T("本项目中的劣势", "Weaknesses here"), Kind: entity.LongText, Flags: entity.Export | entity.Import | entity.Listed},
		{Name: "price_position", Label: i18n.T("价格定位", "Price position"), Kind: entity.Select, Options: PricePositions, Flags: std | entity.Listed},
		{Name: "threat", Label: i18n.T("威胁程度", "Threat"), Kind: entity.Select, Flags: std | entity.Listed, Options: []entity.Option{
			opt("high", "高", "High"), opt("medium", "中", "Medium"), opt("low", "低", "Low")}},
	},
}).Init()

// StageChange is one move of an opportunity between stages; written only
// by the stage process, never edited.
var StageChange = (&entity.Entity{
	Name: "stage_change", Resource: "stage-changes", Table: "stage_changes",
	Label: i18n.T("阶段变更", "Stage change"), Plural: i18n.T("阶段变更", "Stage changes"),
	Title: "to_stage", DefaultSort: "-changed_at",
	Vis: entity.Visibility{Parents: []string{"opportunity_id"}},
	Fields: []*entity.Field{
		{Name: "opportunity_id", Label: i18n.T("商机", "Opportunity"), Kind: entity.Ref, Ref: "opportunity", Flags: entity.ReadOnly | f | entity.Export | entity.Listed | entity.NotNull},
		{Name: "from_stage_id", Label: i18n.T("原阶段", "From"), Kind: entity.Ref, Ref: "pipeline_stage", Flags: entity.ReadOnly | f | entity.Export | entity.Listed},
		{Name: "to_stage_id", Label: i18n.T("新阶段", "To"), Kind: entity.Ref, Ref: "pipeline_stage", Flags: entity.ReadOnly | f | entity.Export | entity.Listed},
		{Name: "from_stage", Label: i18n.T("原阶段编码", "From code"), Kind: entity.Text, Flags: entity.ReadOnly | f | entity.Export},
		{Name: "to_stage", Label: i18n.T("新阶段编码", "To code"), Kind: entity.Text, Flags: entity.ReadOnly | f | entity.Export | entity.NotNull},
		{Name: "changed_at", Label: i18n.T("变更时间", "Changed at"), Kind: entity.DateTime, Flags: entity.ReadOnly | f | s | entity.Export | entity.Listed | entity.NotNull},
		{Name: "changed_by", Label: i18n.T("变更人", "Changed by"), Kind: entity.User, Flags: entity.ReadOnly | f | entity.Export | entity.Listed},
		{Name: "seconds_in_stage", Label: i18n.T("原阶段停留（秒）", "Seconds in previous stage"), Kind: entity.Integer, Flags: entity.ReadOnly | f | s | entity.Export},
		{Name: "skipped", Label: i18n.T("跳过阶段", "Skipped stages"), Kind: entity.Bool, Default: false, Flags: entity.ReadOnly | f | entity.Export | entity.Listed | entity.NotNull},
	},
}).Init()

// Work kinds a pre-sales request may ask for (售前工作需求/评估表).
var PresalesWork = []entity.Option{
	opt("onsite_exchange", "现场交流", "On-site exchange"),
	opt("ppt", "PPT 讲解", "Presentation"),
	opt("solution_writing", "方案编写", "Solution writing"),
	opt("demo", "演示", "Demo"),
	opt("trial", "测试/试用", "Test / trial"),
	opt("bid_support", "投标支持", "Bid support"),
	opt("other", "其他", "Other"),
}

// Pre-sales request statuses and outcomes.
const (
	ReqSubmitted = "submitted" // raised, waiting for evaluation
	ReqAccepted  = "accepted"  // evaluated and accepted; engineers may be assigned
	ReqAssigned  = "assigned"  // engineers at work
	ReqClosed    = "closed"    // ended with an outcome

	OutcomeWon     = "won"
	OutcomeLost    = "lost"
	OutcomeStopped = "stopped"
	OutcomeMerged  = "merged"
)

// Importance levels of a request (重要程度).
var ImportanceLevels = []entity.Option{
	opt("single", "单项目", "Single project"),
	opt("city", "地市级推广", "City-level rollout"),
	opt("province", "省级推广", "Province-level rollout"),
	opt("national", "全国推广", "National rollout"),
	opt("political", "政治意义项目", "Politically significant"),
}

// PresalesRequest asks the pre-sales team for support on an opportunity
// (售前工作需求表), with its evaluation (售前工作评估表), the engineers
// assigned and the outcome it ended with.
var PresalesRequest = (&entity.Entity{
	Name: "presales_request", Resource: "presales-requests", Table: "presales_requests",
	Label: i18n.T("售前支持申请", "Pre-sales request"), Plural: i18n.T("售前支持申请", "Pre-sales requests"),
	Title: "name", Subtitle: "status",
	Vis:          entity.Visibility{Owned: true, Grants: true},
	SoftDelete:   true,
	Customizable: true,
	Fields: []*entity.Field{
		{Name: "name", Label: i18n.T("项目名称", "Project name"), Kind: entity.Text, Required: true, Flags: std | entity.Listed | entity.Search | entity.NotNull},
		{Name: "opportunity_id", Label: i18n.T("商机", "Opportunity"), Kind: entity.Ref, Ref: "opportunity", Required: true, Flags: f | entity.Export | entity.Import | entity.Listed | entity.NotNull},
		{Name: "customer_id", Label: i18n.T("客户", "Customer"), Kind: entity.Ref, Ref: "customer", Flags: entity.ReadOnly | f | entity.Export},
		{Name: "estimated_value", Label: i18n.T("预计合同额", "Estimated contract value"), Kind: entity.Money, Min: ptr(0), Flags: std | entity.Listed},
		{Name: "work_needed", Label: i18n.T("需要的支持", "Support needed"), Kind: entity.MultiSelect, Options: PresalesWork, Required: true, Flags: f | entity.Export | entity.Import},
		{Name: "description", Label: i18n.T("需求说明", "What is needed"), Kind: entity.LongText, Required: true, Flags: entity.Export | entity.Import | f | entity.Search},
		{Name: "needed_by", Label: i18n.T("需要完成日期", "Needed by"), Kind: entity.Date, Required: true, Flags: std | entity.Listed},
		{Name: "status", Label: i18n.T("状态", "Status"), Kind: entity.Select, Default: ReqSubmitted, Flags: entity.ReadOnly | f | s | entity.Export | entity.Listed | entity.NotNull, Options: []entity.Option{
			opt(ReqSubmitted, "待评估", "Awaiting evaluation"), opt(ReqAccepted, "已受理", "Accepted"), opt(ReqAssigned, "支持中", "In progress"), opt(ReqClosed, "已关闭", "Closed")}},
		// Evaluation (售前工作评估表), written by the evaluation process.
		{Name: "eval_products", Label: i18n.T("涉及产品", "Products involved"), Kind: entity.Text, MaxLen: 500, Flags: entity.ReadOnly | f | entity.Export},
		{Name: "eval_directions", Label: i18n.T("技术方向", "Technical directions"), Kind: entity.Text, MaxLen: 500, Flags: entity.ReadOnly | f | entity.Export},
		{Name: "eval_work", Label: i18n.T("需要的工作", "Work needed"), Kind: entity.MultiSelect, Options: PresalesWork, Flags: entity.ReadOnly | f | entity.Export},
		{Name: "eval_people", Label: i18n.T("需要人数", "People needed"), Kind: entity.Integer, Flags: entity.ReadOnly | entity.Export},
		{Name: "eval_difficulty", Label: i18n.T("难度", "Difficulty"), Kind: entity.Select, Flags: entity.ReadOnly | f | entity.Export, Options: []entity.Option{
			opt("low", "低", "Low"), opt("medium", "中", "Medium"), opt("high", "高", "High")}},
		{Name: "eval_key_points", Label: i18n.T("工作要点", "Key points"), Kind: entity.LongText, Flags: entity.ReadOnly | entity.Export},
		{Name: "eval_key_dates", Label: i18n.T("关键时间点", "Key dates"), Kind: entity.Text, MaxLen: 500, Flags: entity.ReadOnly | entity.Export},
		{Name: "importance", Label: i18n.T("重要程度", "Importance"), Kind: entity.Select, Options: ImportanceLevels, Flags: entity.ReadOnly | f | entity.Export | entity.Listed},
		{Name: "eval_conclusion", Label: i18n.T("评估结论", "Conclusion"), Kind: entity.Select, Flags: entity.ReadOnly | f | entity.Export, Options: []entity.Option{
			opt("accept", "受理", "Accept"), opt("stop", "终止", "Stop")}},
		{Name: "eval_stop_reason", Label: i18n.T("终止原因", "Reason for stopping"), Kind: entity.LongText, Flags: entity.ReadOnly | entity.Export},
		{Name: "evaluated_by", Label: i18n.T("评估人", "Evaluated by"), Kind: entity.User, Flags: entity.ReadOnly | f | entity.Export},
		{Name: "evaluated_at", Label: i18n.T("评估时间", "Evaluated at"), Kind: entity.DateTime, Flags: entity.ReadOnly | f | s | entity.Export},
		{Name: "engineers", Label: i18n.T("售前工程师", "Engineers"), Kind: entity.Refs, Ref: "user", Flags: entity.ReadOnly | f | entity.Export | entity.Listed},
		{Name: "assigned_at", Label: i18n.T("分派时间", "Assigned at"), Kind: entity.DateTime, Flags: entity.ReadOnly | f | s | entity.Export},
		{Name: "hours_total", Label: i18n.T("累计工时", "Hours logged"), Kind: entity.Number, Default: float64(0), Flags: entity.ReadOnly | f | s | entity.Export | entity.NotNull},
		{Name: "outcome", Label: i18n.T("结果", "Outcome"), Kind: entity.Select, Flags: entity.ReadOnly | f | entity.Export | entity.Listed, Options: []entity.Option{
			opt(OutcomeWon, "赢单", "Won"), opt(OutcomeLost, "输单", "Lost"), opt(OutcomeStopped, "终止", "Stopped"), opt(OutcomeMerged, "合并", "Merged")}},
		{Name: "merged_into", Label: i18n.T("合并到", "Merged into"), Kind: entity.Ref, Ref: "presales_request", Flags: entity.ReadOnly | f | entity.Export},
		{Name: "closed_at", Label: i18n.T("关闭时间", "Closed at"), Kind: entity.DateTime, Flags: entity.ReadOnly | f | s | entity.Export},
		{Name: "close_note", Label: i18n.T("关闭说明", "Closing note"), Kind: entity.LongText, Flags: entity.ReadOnly | entity.Export},
	},
}).Init()

// PresalesWorkRecord is one piece of pre-sales work (售前工作记录表).
var PresalesWorkRecord = (&entity.Entity{
	Name: "presales_work_record", Resource: "presales-work-records", Table: "presales_work_records",
	Label: i18n.T("售前工作记录", "Pre-sales work record"), Plural: i18n.T("售前工作记录", "Pre-sales work records"),
	Title: "summary", DefaultSort: "-work_date",
	Vis:        entity.Visibility{Parents: []string{"request_id"}},
	SoftDelete: true,
	Fields: []*entity.Field{
		{Name: "request_id", Label: i18n.T("售前申请", "Request"), Kind: entity.Ref, Ref: "presales_request", Required: true, Flags: f | entity.Export | entity.Import | entity.Listed | entity.NotNull},
		{Name: "engineer_id", Label: i18n.T("工程师", "Engineer"), Kind: entity.User, Flags: f | entity.Export | entity.Import | entity.Listed | entity.NotNull},
		{Name: "kind", Label: i18n.T("工作类型", "Type of work"), Kind: entity.Select, Options: PresalesWork, Required: true, Flags: std | entity.Listed | entity.NotNull},
		{Name: "work_date", Label: i18n.T("日期", "Date"), Kind: entity.Date, Required: true, Flags: std | entity.Listed | entity.NotNull},
		{Name: "hours", Label: i18n.T("工时（小时）", "Hours"), Kind: entity.Number, Required: true, Min: ptr(0.25), Max: ptr(24), Flags: std | entity.Listed | entity.NotNull},
		{Name: "summary", Label: i18n.T("工作内容", "Summary"), Kind: entity.Text, Required: true, MaxLen: 500, Flags: std | entity.Listed | entity.NotNull},
		{Name: "outputs", Label: i18n.T("输出成果", "Outputs"), Kind: entity.LongText, Flags: entity.Export | entity.Import,
			Help: i18n.T("方案文档、备忘录、测试结果等；文件作为附件上传", "Solution documents, memos, test results; upload the files as attachments")},
	},
}).Init()

// PresalesScore is one party's score of a closed request (评分).
var PresalesScore = (&entity.Entity{
	Name: "presales_score", Resource: "presales-scores", Table: "presales_scores",
	Label: i18n.T("售前评分", "Pre-sales score"), Plural: i18n.T("售前评分", "Pre-sales scores"),
	Title: "scorer_role", DefaultSort: "-scored_at",
	Vis: entity.Visibility{Parents: []string{"request_id"}},
	Fields: []*entity.Field{
		{Name: "request_id", Label: i18n.T("售前申请", "Request"), Kind: entity.Ref, Ref: "presales_request", Flags: entity.ReadOnly | f | entity.Export | entity.Listed | entity.NotNull},
		{Name: "scorer_id", Label: i18n.T("评分人", "Scored by"), Kind: entity.User, Flags: entity.ReadOnly | f | entity.Export | entity.Listed | entity.NotNull},
		{Name: "scorer_role", Label: i18n.T("评分方", "Scored as"), Kind: entity.Select, Flags: entity.ReadOnly | f | entity.Export | entity.Listed | entity.NotNull, Options: []entity.Option{
			opt("sales", "业务负责人", "Requesting sales rep"), opt("manager", "售前经理", "Pre-sales manager")}},
		{Name: "quality", Label: i18n.T("质量", "Quality"), Kind: entity.Integer, Min: ptr(1), Max: ptr(5), Flags: entity.ReadOnly | f | entity.Export | entity.Listed | entity.NotNull},
		{Name: "timeliness", Label: i18n.T("及时性", "Timeliness"), Kind: entity.Integer, Min: ptr(1), Max: ptr(5), Flags: entity.ReadOnly | f | entity.Export | entity.Listed | entity.NotNull},
		{Name: "contribution", Label: i18n.T("贡献", "Contribution"), Kind: entity.Integer, Min: ptr(1), Max: ptr(5), Flags: entity.ReadOnly | f | entity.Export | entity.Listed | entity.NotNull},
		{Name: "comment", Label: i18n.T("评语", "Comment"), Kind: entity.LongText, Flags: entity.ReadOnly | entity.Export},
		{Name: "scored_at", Label: i18n.T("评分时间", "Scored at"), Kind: entity.DateTime, Flags: entity.ReadOnly | f | s | entity.Export | entity.NotNull},
	},
}).Init()

// Solution statuses.
const (
	SolDraft    = "draft"
	SolInReview = "in_review"
	SolApproved = "approved"
	SolRevise   = "revise"
	SolSent     = "sent"
)

// Solution is a solution document for an opportunity (解决方案), reviewed
// internally before it may go to the customer. A revision is a new version.
var Solution = (&entity.Entity{
	Name: "solution", Resource: "solutions", Table: "solutions",
	Label: i18n.T("解决方案", "Solution"), Plural: i18n.T("解决方案", "Solutions"),
	Title: "title", Subtitle: "status",
	Vis:          entity.Visibility{Owned: true, Grants: true, Parents: []string{"opportunity_id"}},
	SoftDelete:   true,
	Customizable: true,
	Fields: []*entity.Field{
		{Name: "title", Label: i18n.T("方案名称", "Title"), Kind: entity.Text, Required: true, Flags: std | entity.Listed | entity.Search | entity.NotNull},
		{Name: "opportunity_id", Label: i18n.T("商机", "Opportunity"), Kind: entity.Ref, Ref: "opportunity", Required: true, Flags: f | entity.Export | entity.Import | entity.Listed | entity.NotNull},
		{Name: "customer_id", Label: i18n.T("客户", "Customer"), Kind: entity.Ref, Ref: "customer", Flags: entity.ReadOnly | f | entity.Export},
		{Name: "request_id", Label: i18n.T("售前申请", "Pre-sales request"), Kind: entity.Ref, Ref: "presales_request", Flags: f | entity.Export | entity.Import},
		{Name: "version_no", Label: i18n.T("版本号", "Version"), Kind: entity.Integer, Default: int64(1), Flags: entity.ReadOnly | f | s | entity.Export | entity.Listed | entity.NotNull},
		{Name: "previous_id", Label: i18n.T("上一版本", "Previous version"), Kind: entity.Ref, Ref: "solution", Flags: entity.ReadOnly | f | entity.Export},
		{Name: "status", Label: i18n.T("状态", "Status"), Kind: entity.Select, Default: SolDraft, Flags: entity.ReadOnly | f | entity.Export | entity.Listed | entity.NotNull, Options: []entity.Option{
			opt(SolDraft, "草稿", "Draft"), opt(SolInReview, "评审中", "In review"), opt(SolApproved, "评审通过", "Approved"),
			opt(SolRevise, "需修改", "Needs revision"), opt(SolSent, "已发送客户", "Sent to customer")}},
		{Name: "technical_part", Label: i18n.T("技术方案", "Technical part"), Kind: entity.LongText, Flags: entity.Export | entity.Import | f | entity.Search},
		{Name: "commercial_part", Label: i18n.T("商务方案", "Commercial part"), Kind: entity.LongText, Flags: entity.Export | entity.Import},
		{Name: "implementation_part", Label: i18n.T("实施方案", "Implementation part"), Kind: entity.LongText, Flags: entity.Export | entity.Import},
		{Name: "value_statements", Label: i18n.T("量化价值", "Quantified value"), Kind: entity.LongText, Flags: entity.Export | entity.Import,
			Help: i18n.T("如：运维成本降低20%", "e.g. operating cost down 20%")},
		{Name: "reviewers", Label: i18n.T("评审人", "Reviewers"), Kind: entity.Refs, Ref: "user", Flags: f | entity.Export | entity.Import | entity.Listed},
		{Name: "submitted_at", Label: i18n.T("提交评审时间", "Submitted for review"), Kind: entity.DateTime, Flags: entity.ReadOnly | f | s | entity.Export},
		{Name: "approved_at", Label: i18n.T("评审通过时间", "Approved at"), Kind: entity.DateTime, Flags: entity.ReadOnly | f | s | entity.Export},
		{Name: "sent_at", Label: i18n.T("发送客户时间", "Sent at"), Kind: entity.DateTime, Flags: entity.ReadOnly | f | s | entity.Export},
		{Name: "review_round", Label: i18n.T("评审轮次", "Review round"), Kind: entity.Integer, Default: int64(0), Flags: entity.ReadOnly | entity.Export | entity.NotNull},
	},
}).Init()

// SolutionReview is one reviewer's verdict on a solution version.
var SolutionReview = (&entity.Entity{
	Name: "solution_review", Resource: "solution-reviews", Table: "solution_reviews",
	Label: i18n.T("方案评审", "Solution review"), Plural: i18n.T("方案评审", "Solution reviews"),
	Title: "verdict", DefaultSort: "-reviewed_at",
	Vis: entity.Visibility{Parents: []string{"solution_id"}},
	Fields: []*entity.Field{
		{Name: "solution_id", Label: i18n.T("方案", "Solution"), Kind: entity.Ref, Ref: "solution", Flags: entity.ReadOnly | f | entity.Export | entity.Listed | entity.NotNull},
		{Name: "reviewer_id", Label: i18n.T("评审人", "Reviewer"), Kind: entity.User, Flags: entity.ReadOnly | f | entity.Export | entity.Listed | entity.NotNull},
		{Name: "verdict", Label: i18n.T("结论", "Verdict"), Kind: entity.Select, Flags: entity.ReadOnly | f | entity.Export | entity.Listed | entity.NotNull, Options: []entity.Option{
			opt("approve", "通过", "Approve"), opt("revise", "需修改", "Revise")}},
		{Name: "comment", Label: i18n.T("评审意见", "Comments"), Kind: entity.LongText, Flags: entity.ReadOnly | entity.Export | entity.Listed},
		{Name: "reviewed_at", Label: i18n.T("评审时间", "Reviewed at"), Kind: entity.DateTime, Flags: entity.ReadOnly | f | s | entity.Export | entity.Listed | entity.NotNull},
		{Name: "round", Label: i18n.T("评审轮次", "Review round"), Kind: entity.Integer, Default: int64(1), Flags: entity.ReadOnly | f | entity.Export | entity.NotNull},
	},
}).Init()

// Bid is a tender we answer (招投标).
var Bid = (&entity.Entity{
	Name: "bid", Resource: "bids", Table: "bids",
	Label: i18n.T("投标", "Bid"), Plural: i18n.T("投标", "Bids"),
	Title: "title", Subtitle: "tender_no",
	Vis:          entity.Visibility{Owned: true, Parents: []string{"opportunity_id"}},
	SoftDelete:   true,
	Customizable: true,
	Fields: []*entity.Field{
		{Name: "title", Label: i18n.T("招标项目", "Tender"), Kind: entity.Text, Required: true, Flags: std | entity.Listed | entity.Search | entity.NotNull},
		{Name: "opportunity_id", Label: i18n.T("商机", "Opportunity"), Kind: entity.Ref, Ref: "opportunity", Required: true, Flags: f | entity.Export | entity.Import | entity.Listed | entity.NotNull},
		{Name: "customer_id", Label: i18n.T("客户", "Customer"), Kind: entity.Ref, Ref: "customer", Flags: entity.ReadOnly | f | entity.Export},
		{Name: "tender_no", Label: i18n.T("招标编号", "Tender number"), Kind: entity.Text, MaxLen: 100, Flags: std | entity.Listed | entity.Search},
		{Name: "issuer", Label: i18n.T("招标方", "Issuing party"), Kind: entity.Text, Flags: std | entity.Listed | entity.Search},
		{Name: "deadline", Label: i18n.T("投标截止", "Deadline"), Kind: entity.DateTime, Required: true, Flags: std | entity.Listed | entity.NotNull},
		{Name: "bond", Label: i18n.T("投标保证金", "Bid bond"), Kind: entity.Money, Min: ptr(0), Flags: std},
		{Name: "bond_returned", Label: i18n.T("保证金已退回", "Bond returned"), Kind: entity.Bool, Default: false, Flags: std | entity.NotNull},
		{Name: "qualifications", Label: i18n.T("资质要求", "Qualification requirements"), Kind: entity.LongText, Flags: entity.Export | entity.Import},
		{Name: "bid_price", Label: i18n.T("我方报价", "Our bid price"), Kind: entity.Money, Min: ptr(0), Flags: std | entity.Listed},
		{Name: "documents_required", Label: i18n.T("所需文件", "Documents required"), Kind: entity.MultiSelect, Picklist: "bid_document", Flags: f | entity.Export | entity.Import},
		{Name: "documents_ready", Label: i18n.T("已备齐文件", "Documents ready"), Kind: entity.MultiSelect, Picklist: "bid_document", Flags: f | entity.Export | entity.Import},
		{Name: "review_status", Label: i18n.T("内部评审", "Internal review"), Kind: entity.Select, Default: "pending", Flags: std | entity.Listed | entity.NotNull, Options: []entity.Option{
			opt("pending", "待评审", "Pending"), opt("passed", "已通过", "Passed"), opt("failed", "未通过", "Not passed")}},
		{Name: "review_note", Label: i18n.T("评审意见", "Review notes"), Kind: entity.LongText, Flags: entity.Export | entity.Import},
		{Name: "result", Label: i18n.T("投标结果", "Result"), Kind: entity.Select, Default: "pending", Flags: std | entity.Listed | entity.NotNull, Options: []entity.Option{
			opt("pending", "待开标", "Pending"), opt("won", "中标", "Won"), opt("lost", "未中标", "Lost"), opt("abandoned", "放弃", "Abandoned"), opt("void", "流标", "Void")}},
		{Name: "winner", Label: i18n.T("中标单位", "Winning bidder"), Kind: entity.Text, Flags: std},
		{Name: "result_note", Label: i18n.T("结果说明", "Result notes"), Kind: entity.LongText, Flags: entity.Export | entity.Import},
	},
}).Init()

// Sample stages: sent, then small trial → pilot (中试) → regular purchase.
const (
	SampleSent     = "sent"
	SampleSmall    = "small_trial"
	SamplePilot    = "pilot"
	SamplePurchase = "regular_purchase"
	SampleFailed   = "failed"
)

// SampleStages are the stages of a sample, in order.
var SampleStages = []entity.Option{
	opt(SampleSent, "已送样", "Sent"), opt(SampleSmall, "小试", "Small trial"), opt(SamplePilot, "中试", "Pilot"),
	opt(SamplePurchase, "批量采购", "Regular purchase"), opt(SampleFailed, "未通过", "Failed"),
}

// Sample is a sample sent to a customer and followed through trial (送样、试样).
var Sample = (&entity.Entity{
	Name: "sample", Resource: "samples", Table: "samples",
	Label: i18n.T("送样", "Sample"), Plural: i18n.T("送样", "Samples"),
	Title: "product", Subtitle: "stage", DefaultSort: "-sent_on",
	Vis:          entity.Visibility{Owned: true, Parents: []string{"opportunity_id"}},
	SoftDelete:   true,
	Customizable: true,
	Fields: []*entity.Field{
		{Name: "product", Label: i18n.T("产品", "Product"), Kind: entity.Text, Required: true, Flags: std | entity.Listed | entity.Search | entity.NotNull},
		{Name: "opportunity_id", Label: i18n.T("商机", "Opportunity"), Kind: entity.Ref, Ref: "opportunity", Flags: f | entity.Export | entity.Import | entity.Listed},
		{Name: "customer_id", Label: i18n.T("客户", "Customer"), Kind: entity.Ref, Ref: "customer", Required: true, Flags: f | entity.Export | entity.Import | entity.Listed | entity.NotNull},
		{Name: "quantity", Label: i18n.T("数量", "Quantity"), Kind: entity.Number, Required: true, Min: ptr(0), Flags: std | entity.Listed | entity.NotNull},
		{Name: "unit", Label: i18n.T("单位", "Unit"), Kind: entity.Text, MaxLen: 20, Flags: std},
		{Name: "batch", Label: i18n.T("批号", "Batch"), Kind: entity.Text, MaxLen: 100, Flags: std | entity.Search},
		{Name: "documents", Label: i18n.T("随附资料", "Documents included"), Kind: entity.MultiSelect, Flags: f | entity.Export | entity.Import, Options: []entity.Option{
			opt("manual", "使用说明书", "Manual"), opt("msds", "MSDS", "MSDS"), opt("notes", "注意事项", "Notes"), opt("coa", "检测报告", "Certificate of analysis"), opt("spec", "规格书", "Specification")}},
		{Name: "sent_on", Label: i18n.T("送样日期", "Sent on"), Kind: entity.Date, Required: true, Flags: std | entity.Listed | entity.NotNull},
		{Name: "carrier", Label: i18n.T("承运方", "Carrier"), Kind: entity.Text, MaxLen: 100, Flags: std},
		{Name: "tracking_no", Label: i18n.T("运单号", "Tracking number"), Kind: entity.Text, MaxLen: 100, Flags: std | entity.Search},
		{Name: "stage", Label: i18n.T("阶段", "Stage"), Kind: entity.Select, Options: SampleStages, Default: SampleSent, Flags: entity.ReadOnly | f | s | entity.Export | entity.Listed | entity.NotNull},
		{Name: "small_trial_on", Label: i18n.T("小试日期", "Small trial on"), Kind: entity.Date, Flags: entity.ReadOnly | f | entity.Export},
		{Name: "small_trial_result", Label: i18n.T("小试结果", "Small trial result"), Kind: entity.LongText, Flags: entity.ReadOnly | entity.Export},
		{Name: "pilot_on", Label: i18n.T("中试日期", "Pilot on"), Kind: entity.Date, Flags: entity.ReadOnly | f | entity.Export},
		{Name: "pilot_result", Label: i18n.T("中试结果", "Pilot result"), Kind: entity.LongText, Flags: entity.ReadOnly | entity.Export},
		{Name: "purchase_on", Label: i18n.T("批量采购日期", "Regular purchase from"), Kind: entity.Date, Flags: entity.ReadOnly | f | entity.Export},
		{Name: "purchase_result", Label: i18n.T("采购说明", "Purchase notes"), Kind: entity.LongText, Flags: entity.ReadOnly | entity.Export},
		{Name: "failed_on", Label: i18n.T("未通过日期", "Failed on"), Kind: entity.Date, Flags: entity.ReadOnly | f | entity.Export},
		{Name: "failed_reason", Label: i18n.T("未通过原因", "Why it failed"), Kind: entity.LongText, Flags: entity.ReadOnly | entity.Export},
	},
}).Init()

// Appointment is a demo, test drive, trial or certification visit (演示、试用、试车、认证).
var Appointment = (&entity.Entity{
	Name: "appointment", Resource: "appointments", Table: "appointments",
	Label: i18n.T("演示/试用预约", "Demo or trial"), Plural: i18n.T("演示/试用预约", "Demos and trials"),
	Title: "subject", DefaultSort: "-scheduled_at",
	Vis:          entity.Visibility{Owned: true, Parents: []string{"opportunity_id"}},
	SoftDelete:   true,
	Customizable: true,
	Fields: []*entity.Field{
		{Name: "subject", Label: i18n.T("主题", "Subject"), Kind: entity.Text, Required: true, Flags: std | entity.Listed | entity.Search | entity.NotNull},
		{Name: "kind", Label: i18n.T("类型", "Type"), Kind: entity.Select, Required: true, Flags: std | entity.Listed | entity.NotNull, Options: []entity.Option{
			opt("demo", "演示", "Demo"), opt("trial", "试用", "Trial"), opt("test_drive", "试车", "Test drive"), opt("certification", "认证", "Certification")}},
		{Name: "opportunity_id", Label: i18n.T("商机", "Opportunity"), Kind: entity.Ref, Ref: "opportunity", Flags: f | entity.Export | entity.Import | entity.Listed},
		{Name: "customer_id", Label: i18n.T("客户", "Customer"), Kind: entity.Ref, Ref: "customer", Required: true, Flags: f | entity.Export | entity.Import | entity.Listed | entity.NotNull},
		{Name: "scheduled_at", Label: i18n.T("时间", "When"), Kind: entity.DateTime, Required: true, Flags: std | entity.Listed | entity.NotNull},
		{Name: "place", Label: i18n.T("地点", "Place"), Kind: entity.Text, MaxLen: 300, Flags: std | entity.Listed},
		{Name: "engineer_id", Label: i18n.T("负责工程师", "Engineer"), Kind: entity.User, Flags: f | entity.Export | entity.Import},
		{Name: "attendees", Label: i18n.T("客户参与人", "Customer attendees"), Kind: entity.Refs, Ref: "contact", Flags: f | entity.Export | entity.Import},
		{Name: "status", Label: i18n.T("状态", "Status"), Kind: entity.Select, Default: "planned", Flags: std | entity.Listed | entity.NotNull, Options: []entity.Option{
			opt("planned", "已预约", "Planned"), opt("done", "已完成", "Done"), opt("cancelled", "已取消", "Cancelled")}},
		{Name: "result", Label: i18n.T("结果", "Result"), Kind: entity.LongText, Flags: entity.Export | entity.Import},
	},
}).Init()

// KnowledgeArticle is a pre-sales knowledge base entry (售前知识库).
var KnowledgeArticle = (&entity.Entity{
	Name: "knowledge_article", Resource: "knowledge-articles", Table: "knowledge_articles",
	Label: i18n.T("知识文章", "Knowledge article"), Plural: i18n.T("知识库", "Knowledge base"),
	Title: "title", Subtitle: "category",
	SoftDelete:   true,
	Customizable: true,
	Fields: []*entity.Field{
		{Name: "title", Label: i18n.T("标题", "Title"), Kind: entity.Text, Required: true, Flags: std | entity.Listed | entity.Search | entity.NotNull},
		{Name: "category", Label: i18n.T("分类", "Category"), Kind: entity.Select, Picklist: "kb_category", Required: true, Flags: std | entity.Listed | entity.NotNull},
		{Name: "tags", Label: i18n.T("标签", "Tags"), Kind: entity.Tags, Flags: f | entity.Export | entity.Import | entity.Search | entity.Listed},
		{Name: "product", Label: i18n.T("产品", "Product"), Kind: entity.Text, Flags: std | entity.Search},
		{Name: "competitor_id", Label: i18n.T("相关竞争对手", "Competitor"), Kind: entity.Ref, Ref: "competitor", Flags: f | entity.Export | entity.Import},
		{Name: "audience", Label: i18n.T("可见范围", "Audience"), Kind: entity.Select, Default: "internal", Flags: std | entity.Listed | entity.NotNull, Options: []entity.Option{
			opt("internal", "内部", "Internal"), opt("public", "公开（客户可见）", "Public (customers)")}},
		{Name: "summary", Label: i18n.T("摘要", "Summary"), Kind: entity.Text, MaxLen: 500, Flags: std | entity.Search},
		{Name: "body", Label: i18n.T("正文", "Body"), Kind: entity.LongText, Required: true, Flags: entity.Export | entity.Import | entity.Search},
	},
}).Init()

// PresalesEntities lists the pre-sales declarations, in menu order.
func PresalesEntities() []*entity.Entity {
	return []*entity.Entity{Opportunity, PresalesRequest, Solution, Bid, Sample, Appointment, Competitor, KnowledgeArticle,
		OpportunityContact, OpportunityCompetitor, StageChange, PresalesWorkRecord, PresalesScore, SolutionReview, Pipeline, PipelineStage}
}
