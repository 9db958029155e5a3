package crm

import (
	"fmt"
	"slices"
	"strconv"
	"strings"

	"closeloop/internal/entity"
	"closeloop/internal/errs"
	"closeloop/internal/i18n"
)

// Approvals (审批): one mechanism every area uses. Admins keep rules per
// document type (an entity name: quote, contract …); each rule has one
// condition on a fact of the document (the largest discount in basis
// points, an amount in fen, the customer's level) and an ordered list of
// steps, each waiting for a role or a named user. The rules that match a
// document now give its approval's steps (Evaluate, pure); the approvals
// service runs them.

// Approval statuses.
const (
	ApprovalPending   = "pending"
	ApprovalApproved  = "approved"
	ApprovalRejected  = "rejected"
	ApprovalReturned  = "returned"
	ApprovalCancelled = "cancelled"
)

// Approval step statuses: waiting (not reached yet), pending (awaiting a
// decision), approved, rejected, returned, skipped (the approval ended
// before the step was reached) and cancelled (withdrawn while open).
const (
	StepWaiting   = "waiting"
	StepPending   = "pending"
	StepApproved  = "approved"
	StepRejected  = "rejected"
	StepReturned  = "returned"
	StepSkipped   = "skipped"
	StepCancelled = "cancelled"
)

// Decisions an approver may take.
const (
	DecisionApprove = "approve"
	DecisionReject  = "reject"
	DecisionReturn  = "return"
)

// Condition operators.
const (
	OpGt  = "gt"
	OpGte = "gte"
	OpLt  = "lt"
	OpLte = "lte"
	OpEq  = "eq"
	OpNeq = "neq"
	OpIn  = "in"
)

// ApprovalOps are the operators a rule may use.
var ApprovalOps = []entity.Option{
	opt(OpGt, "大于 >", "greater than >"), opt(OpGte, "大于等于 ≥", "at least ≥"),
	opt(OpLt, "小于 <", "less than <"), opt(OpLte, "小于等于 ≤", "at most ≤"),
	opt(OpEq, "等于 =", "equals ="), opt(OpNeq, "不等于 ≠", "differs from ≠"),
	opt(OpIn, "属于（逗号分隔）", "one of (comma-separated)"),
}

var approvalStatuses = []entity.Option{
	opt(ApprovalPending, "审批中", "Pending"), opt(ApprovalApproved, "已通过", "Approved"),
	opt(ApprovalRejected, "已驳回", "Rejected"), opt(ApprovalReturned, "已退回", "Returned"),
	opt(ApprovalCancelled, "已撤回", "Cancelled"),
}

var stepStatuses = []entity.Option{
	opt(StepWaiting, "未到达", "Not reached"), opt(StepPending, "待审批", "Awaiting decision"),
	opt(StepApproved, "已同意", "Approved"), opt(StepRejected, "已驳回", "Rejected"),
	opt(StepReturned, "已退回", "Returned"), opt(StepSkipped, "未经过", "Skipped"),
	opt(StepCancelled, "已撤回", "Cancelled"),
}

var decisions = []entity.Option{
	opt(DecisionApprove, "同意", "Approve"), opt(DecisionReject, "驳回", "Reject"), opt(DecisionReturn, "退回修改", "Return for changes"),
}

// ApprovalRule is an admin's rule (审批规则): for documents of one type,
// when the condition holds, the rule's steps are needed.
var ApprovalRule = (&entity.Entity{
	Name: "approval_rule", Resource: "approval-rules", Table: "approval_rules",
	Label: i18n.T("审批规则", "Approval rule"), Plural: i18n.T("审批规则", "Approval rules"),
	Title: "name", Subtitle: "doc_type", DefaultSort: "position",
	SoftDelete: true,
	Fields: []*entity.Field{
		{Name: "name", Label: i18n.T("规则名称", "Name"), Kind: entity.Text, Required: true, MaxLen: 100, Flags: std | entity.Listed | entity.NotNull},
		{Name: "doc_type", Label: i18n.T("单据类型", "Document type"), Kind: entity.Select, Picklist: "entity", Required: true, Flags: std | entity.Listed | entity.NotNull,
			Help: i18n.T("规则作用于哪类单据，如报价单", "Which documents the rule applies to, e.g. quotes")},
		{Name: "active", Label: i18n.T("启用", "Active"), Kind: entity.Bool, Default: true, Flags: std | entity.Listed | entity.NotNull},
		{Name: "position", Label: i18n.T("排序", "Position"), Kind: entity.Integer, Default: int64(0), Min: ptr(0), Max: ptr(10000), Flags: std | entity.NotNull},
		{Name: "fact", Label: i18n.T("条件字段", "Fact"), Kind: entity.Text, Required: true, MaxLen: 60, Flags: std | entity.Listed | entity.NotNull,
			Help: i18n.T("单据提供的条件名，如 max_discount_bp（最大折扣，基点）、amount_fen（金额，分）、customer_level（客户级别）",
				"A fact the document provides, e.g. max_discount_bp (largest discount, basis points), amount_fen (amount in fen), customer_level")},
		{Name: "op", Label: i18n.T("比较", "Operator"), Kind: entity.Select, Options: ApprovalOps, Required: true, Flags: std | entity.Listed | entity.NotNull},
		{Name: "value", Label: i18n.T("比较值", "Value"), Kind: entity.Text, Required: true, MaxLen: 500, Flags: std | entity.Listed | entity.NotNull,
			Help: i18n.T("整数：百分比用基点（500 = 5%，也可写 5%），金额用分；级别等代码可写多个，逗号分隔（用于“属于”）",
				"Whole numbers: percentages in basis points (500 = 5 %, or write 5%), money in fen; codes such as levels, comma-separated for “one of”")},
		{Name: "level", Label: i18n.T("层级", "Level"), Kind: entity.Integer, Default: int64(1), Min: ptr(1), Max: ptr(100), Flags: std | entity.Listed | entity.NotNull,
			Help: i18n.T("多条规则同时满足时，各规则的步骤按层级从低到高排列，重复的步骤只保留一次",
				"When several rules match, their steps are ordered by level, lowest first; a step asked twice appears once")},
		{Name: "description", Label: i18n.T("说明", "Description"), Kind: entity.LongText, Flags: entity.Export | entity.Import},
	},
}).Init()

// ApprovalRuleStep is one step of a rule: a role (any holder, the
// submitter's own manager for the manager role) or a named user.
var ApprovalRuleStep = (&entity.Entity{
	Name: "approval_rule_step", Resource: "approval-rule-steps", Table: "approval_rule_steps",
	Label: i18n.T("审批步骤", "Approval step"), Plural: i18n.T("审批步骤", "Approval steps"),
	Title: "label", DefaultSort: "position",
	Vis:        entity.Visibility{Parents: []string{"rule_id"}},
	SoftDelete: true,
	Fields: []*entity.Field{
		{Name: "rule_id", Label: i18n.T("审批规则", "Rule"), Kind: entity.Ref, Ref: "approval_rule", Required: true, Flags: f | entity.Export | entity.Import | entity.Listed | entity.NotNull},
		{Name: "position", Label: i18n.T("顺序", "Order"), Kind: entity.Integer, Required: true, Min: ptr(1), Max: ptr(100), Flags: std | entity.Listed | entity.NotNull},
		{Name: "role", Label: i18n.T("审批角色", "Role"), Kind: entity.Select, Picklist: "role", Flags: std | entity.Listed,
			Help: i18n.T("角色与指定人员二选一。经理角色由提交人所在团队或上级团队的经理审批", "A role or a named user. The manager role is decided by a manager of the submitter's team or a team above it")},
		{Name: "user_id", Label: i18n.T("指定审批人", "Named approver"), Kind: entity.User, Flags: std | entity.Listed},
		{Name: "label", Label: i18n.T("审批人", "Approver"), Kind: entity.Text, MaxLen: 200, Flags: entity.ReadOnly | f | s | entity.Export | entity.NotNull},
	},
}).Init()

// Approval is one run of approval for one document.
var Approval = (&entity.Entity{
	Name: "approval", Resource: "approvals", Table: "approvals",
	Label: i18n.T("审批", "Approval"), Plural: i18n.T("审批", "Approvals"),
	Title: "record_title", Subtitle: "status", DefaultSort: "-submitted_at",
	Vis: entity.Visibility{Owned: true, Grants: true},
	Fields: []*entity.Field{
		{Name: "record_title", Label: i18n.T("单据", "Document"), Kind: entity.Text, MaxLen: 300, Flags: entity.ReadOnly | f | s | entity.Export | entity.NotNull},
		{Name: "doc_type", Label: i18n.T("单据类型", "Document type"), Kind: entity.Select, Picklist: "entity", Flags: entity.ReadOnly | f | s | entity.Export | entity.Listed | entity.NotNull},
		{Name: "record_id", Label: i18n.T("单据编号", "Document id"), Kind: entity.Text, MaxLen: 40, Flags: entity.ReadOnly | f | entity.Export | entity.Hidden | entity.NotNull},
		{Name: "customer_id", Label: i18n.T("客户", "Customer"), Kind: entity.Ref, Ref: "customer", Flags: entity.ReadOnly | f | entity.Export | entity.Listed},
		{Name: "status", Label: i18n.T("状态", "Status"), Kind: entity.Select, Options: approvalStatuses, Default: ApprovalPending, Flags: entity.ReadOnly | f | s | entity.Export | entity.Listed | entity.NotNull},
		{Name: "current_step", Label: i18n.T("当前步骤", "Current step"), Kind: entity.Integer, Default: int64(1), Flags: entity.ReadOnly | entity.Export | entity.NotNull},
		{Name: "steps_total", Label: i18n.T("步骤数", "Steps"), Kind: entity.Integer, Flags: entity.ReadOnly | entity.Export | entity.NotNull},
		{Name: "awaiting", Label: i18n.T("待审批人", "Awaiting"), Kind: entity.Refs, Ref: "user", Flags: entity.ReadOnly | f | entity.Export | entity.Listed},
		{Name: "submitted_by", Label: i18n.T("提交人", "Submitted by"), Kind: entity.User, Flags: entity.ReadOnly | f | s | entity.Export | entity.Listed | entity.NotNull},
		{Name: "submitted_at", Label: i18n.T("提交时间", "Submitted at"), Kind: entity.DateTime, Flags: entity.ReadOnly | f | s | entity.Export | entity.Listed | entity.NotNull},
		{Name: "reason", Label: i18n.T("申请理由", "Reason"), Kind: entity.LongText, Flags: entity.ReadOnly | entity.Export | entity.NotNull},
		{Name: "facts", Label: i18n.T("提交时的条件", "Facts when submitted"), Kind: entity.LongText, Flags: entity.ReadOnly | entity.Hidden},
		{Name: "decided_at", Label: i18n.T("完成时间", "Decided at"), Kind: entity.DateTime, Flags: entity.ReadOnly | f | s | entity.Export},
		// The submitter owns the approval (visibility: own, team); approvers
		// see it through grants.
		{Name: "owner_id", Label: i18n.T("提交人", "Submitted by"), Kind: entity.User, Flags: entity.ReadOnly | f | entity.Hidden},
	},
}).Init()

// ApprovalStep is one step of an approval with its decision.
var ApprovalStep = (&entity.Entity{
	Name: "approval_step", Resource: "approval-steps", Table: "approval_steps",
	Label: i18n.T("审批记录", "Approval step"), Plural: i18n.T("审批记录", "Approval steps"),
	Title: "label", DefaultSort: "position",
	Vis: entity.Visibility{Parents: []string{"approval_id"}},
	Fields: []*entity.Field{
		{Name: "approval_id", Label: i18n.T("审批", "Approval"), Kind: entity.Ref, Ref: "approval", Flags: entity.ReadOnly | f | entity.Export | entity.Listed | entity.NotNull},
		{Name: "position", Label: i18n.T("顺序", "Order"), Kind: entity.Integer, Flags: entity.ReadOnly | f | s | entity.Export | entity.Listed | entity.NotNull},
		{Name: "label", Label: i18n.T("审批人", "Approver"), Kind: entity.Text, MaxLen: 200, Flags: entity.ReadOnly | entity.Export | entity.NotNull},
		{Name: "role", Label: i18n.T("审批角色", "Role"), Kind: entity.Select, Picklist: "role", Flags: entity.ReadOnly | f | entity.Export},
		{Name: "user_id", Label: i18n.T("指定审批人", "Named approver"), Kind: entity.User, Flags: entity.ReadOnly | f | entity.Export},
		{Name: "level", Label: i18n.T("层级", "Level"), Kind: entity.Integer, Flags: entity.ReadOnly | entity.Export | entity.NotNull},
		{Name: "rule_name", Label: i18n.T("依据规则", "Rule"), Kind: entity.Text, MaxLen: 100, Flags: entity.ReadOnly | entity.Export},
		{Name: "approvers", Label: i18n.T("可审批人", "May decide"), Kind: entity.Refs, Ref: "user", Flags: entity.ReadOnly | entity.Export},
		{Name: "fallback", Label: i18n.T("转管理员", "Fell to admins"), Kind: entity.Bool, Default: false, Flags: entity.ReadOnly | entity.Export | entity.NotNull},
		{Name: "status", Label: i18n.T("状态", "Status"), Kind: entity.Select, Options: stepStatuses, Default: StepWaiting, Flags: entity.ReadOnly | f | entity.Export | entity.Listed | entity.NotNull},
		{Name: "decision", Label: i18n.T("审批意见", "Decision"), Kind: entity.Select, Options: decisions, Flags: entity.ReadOnly | f | entity.Export | entity.Listed},
		{Name: "decided_by", Label: i18n.T("审批人", "Decided by"), Kind: entity.User, Flags: entity.ReadOnly | f | entity.Export | entity.Listed},
		{Name: "comment", Label: i18n.T("意见说明", "Comment"), Kind: entity.LongText, Flags: entity.ReadOnly | entity.Export},
		{Name: "decided_at", Label: i18n.T("审批时间", "Decided at"), Kind: entity.DateTime, Flags: entity.ReadOnly | f | s | entity.Export | entity.Listed},
	},
}).Init()

// ApprovalEntities lists the approval declarations.
func ApprovalEntities() []*entity.Entity {
	return []*entity.Entity{Approval, ApprovalStep, ApprovalRule, ApprovalRuleStep}
}

// ApprovalFacts are a document's condition inputs: int64 for numbers
// (percentages in basis points, 500 = 5.00 %; money in fen), string for
// codes (customer level A/B/C/D). Floats are refused.
type ApprovalFacts map[string]any

// Condition is a rule's test on one fact.
type Condition struct {
	Fact  string `json:"fact"`
	Op    string `json:"op"`
	Value string `json:"value"`
}

// RuleStep is who a step of a rule waits for: a role or a named user.
type RuleStep struct {
	Role   string `json:"role,omitempty"`
	UserID string `json:"user_id,omitempty"`
}

// Key identifies a step's approver (duplicates are removed by it).
func (s RuleStep) Key() string {
	if s.UserID != "" {
		return "user:" + s.UserID
	}
	return "role:" + s.Role
}

// Rule is an active rule as evaluation sees it.
type Rule struct {
	ID       string
	Name     string
	Level    int64
	Position int64
	Cond     Condition
	Steps    []RuleStep // in order
}

// PlannedStep is a step an approval needs, with the rule that asked first.
type PlannedStep struct {
	RuleStep
	Level int64  `json:"level"`
	Rule  string `json:"rule"`
}

// Evaluate returns the steps the matching rules need, in order: every
// rule whose condition holds contributes its steps; rules are taken by
// level, then position, then name; a step waiting for an approver already
// asked for by an earlier rule (or earlier in the same rule) is left out.
// No match gives nil. A rule whose value does not suit the fact's type (a
// number compared with a code, a float) is an error naming the rule, so a
// broken rule is never silently ignored; a fact the document does not
// provide makes its rules not match.
func Evaluate(rules []Rule, facts ApprovalFacts) ([]PlannedStep, error) {
	sorted := slices.Clone(rules)
	slices.SortStableFunc(sorted, func(a, b Rule) int {
		switch {
		case a.Level != b.Level:
			return cmpInt(a.Level, b.Level)
		case a.Position != b.Position:
			return cmpInt(a.Position, b.Position)
		}
		return strings.Compare(a.Name, b.Name)
	})
	var out []PlannedStep
	seen := map[string]bool{}
	for _, r := range sorted {
		ok, err := r.Cond.Holds(facts)
		if err != nil {
			return nil, errs.New(errs.Unprocessable, "approval_rule_broken", "rule", r.Name).With(err)
		}
		if !ok {
			continue
		}
		for _, st := range r.Steps {
			if st.Role == "" && st.UserID == "" {
				continue
			}
			if seen[st.Key()] {
				continue
			}
			seen[st.Key()] = true
			out = append(out, PlannedStep{RuleStep: st, Level: r.Level, Rule: r.Name})
		}
	}
	return out, nil
}

func cmpInt(a, b int64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// Holds reports whether the condition holds for the facts.
func (c Condition) Holds(facts ApprovalFacts) (bool, error) {
	raw, ok := facts[c.Fact]
	if !ok || raw == nil {
		return false, nil
	}
	switch v := raw.(type) {
	case int64:
		return c.holdsInt(v)
	case int:
		return c.holdsInt(int64(v))
	case int32:
		return c.holdsInt(int64(v))
	case string:
		return c.holdsString(v)
	}
	return false, fmt.Errorf("fact %s: %T is not a whole number or a code", c.Fact, raw)
}

func (c Condition) holdsInt(v int64) (bool, error) {
	if c.Op == OpIn {
		for _, part := range splitList(c.Value) {
			n, err := strconv.ParseInt(part, 10, 64)
			if err != nil {
				return false, fmt.Errorf("value %q is not a whole number", part)
			}
			if n == v {
				return true, nil
			}
		}
		return false, nil
	}
	n, err := strconv.ParseInt(strings.TrimSpace(c.Value), 10, 64)
	if err != nil {
		return false, fmt.Errorf("value %q is not a whole number", c.Value)
	}
	switch c.Op {
	case OpGt:
		return v > n, nil
	case OpGte:
		return v >= n, nil
	case OpLt:
		return v < n, nil
	case OpLte:
		return v <= n, nil
	case OpEq:
		return v == n, nil
	case OpNeq:
		return v != n, nil
	}
	return false, fmt.Errorf("unknown operator %q", c.Op)
}

func (c Condition) holdsString(v string) (bool, error) {
	switch c.Op {
	case OpEq:
		return v == strings.TrimSpace(c.Value), nil
	case OpNeq:
		return v != strings.TrimSpace(c.Value), nil
	case OpIn:
		return slices.Contains(splitList(c.Value), v), nil
	case OpGt, OpGte, OpLt, OpLte:
		return false, fmt.Errorf("operator %s compares numbers; fact is the code %q", c.Op, v)
	}
	return false, fmt.Errorf("unknown operator %q", c.Op)
}

// splitList splits "A, B，C" (either comma) into trimmed, non-empty parts.
func splitList(s string) []string {
	var out []string
	for _, p := range strings.FieldsFunc(s, func(r rune) bool { return r == ',' || r == '，' }) {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}

// NormalizeRuleValue checks a rule's value as an admin typed it and
// returns it as stored: a percentage written "5%" or "5.5%" becomes basis
// points ("500", "550") for facts named *_bp; a value compared by size
// must be a whole number; a list is written with commas. Problems are
// field errors on "value".
func NormalizeRuleValue(fact, op, value string) (string, error) {
	value = strings.TrimSpace(value)
	bad := func(code string) error {
		return errs.Validation([]errs.FieldError{{Field: "value", Code: code}})
	}
	if value == "" {
		return "", bad("required")
	}
	conv := func(part string) (string, bool) {
		if strings.HasSuffix(fact, "_bp") && strings.HasSuffix(part, "%") {
			bp, ok := percentToBP(strings.TrimSpace(strings.TrimSuffix(part, "%")))
			return strconv.FormatInt(bp, 10), ok
		}
		return part, true
	}
	if op == OpIn {
		parts := splitList(value)
		if len(parts) == 0 {
			return "", bad("required")
		}
		for i, p := range parts {
			v, ok := conv(p)
			if !ok {
				return "", bad("approval_value_percent")
			}
			parts[i] = v
		}
		return strings.Join(parts, ","), nil
	}
	v, ok := conv(value)
	if !ok {
		return "", bad("approval_value_percent")
	}
	switch op {
	case OpGt, OpGte, OpLt, OpLte:
		if _, err := strconv.ParseInt(v, 10, 64); err != nil {
			return "", bad("approval_value_number")
		}
	}
	return v, nil
}

// percentToBP reads "5", "5.5", "5.25" (percent, at most two decimals) as
// basis points without floating point.
func percentToBP(s string) (int64, bool) {
	whole, frac, _ := strings.Cut(s, ".")
	if whole == "" || len(frac) > 2 {
		return 0, false
	}
	w, err := strconv.ParseInt(whole, 10, 64)
	if err != nil || w < 0 || w > 1_000_000 {
		return 0, false
	}
	for len(frac) < 2 {
		frac += "0"
	}
	f, err := strconv.ParseInt(frac, 10, 64)
	if err != nil || f < 0 {
		return 0, false
	}
	return w*100 + f, true
}

// FormatBP writes basis points as a percentage: 550 → "5.50%".
func FormatBP(bp int64) string {
	sign := ""
	if bp < 0 {
		sign, bp = "-", -bp
	}
	return fmt.Sprintf("%s%d.%02d%%", sign, bp/100, bp%100)
}

// ShippedRule is a rule installed at first start.
type ShippedRule struct {
	Name, NameEn string
	DocType      string
	Cond         Condition
	Level        int64
	Steps        []RuleStep
}

// ShippedApprovalRules are the defaults (admins change them): on quotes a
// sales rep may give up to 5 % discount without approval; above 5 % the
// rep's manager approves; above 15 % the manager and then an admin.
// Because a step within the submitter's own authority is left out, a
// manager may give up to 15 % alone, and beyond that an admin decides.
var ShippedApprovalRules = []ShippedRule{
	{Name: "报价折扣超过5%需经理审批", NameEn: "Quote discount over 5 %: manager", DocType: "quote",
		Cond: Condition{Fact: "max_discount_bp", Op: OpGt, Value: "500"}, Level: 1, Steps: []RuleStep{{Role: "manager"}}},
	{Name: "报价折扣超过15%需管理员审批", NameEn: "Quote discount over 15 %: manager, then admin", DocType: "quote",
		Cond: Condition{Fact: "max_discount_bp", Op: OpGt, Value: "1500"}, Level: 2, Steps: []RuleStep{{Role: "manager"}, {Role: "admin"}}},
}
