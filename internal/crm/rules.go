package crm

import (
	"regexp"
	"slices"
	"strings"
	"time"

	"golang.org/x/text/unicode/norm"

	"closeloop/internal/errs"
)

var (
	parenRE = regexp.MustCompile(`[(（\[【][^)）\]】]*[)）\]】]`)
	// Legal-form words removed for duplicate detection, longest first.
	legalForms = []string{
		"股份有限公司", "有限责任公司", "有限公司", "集团公司", "集团", "股份", "公司", "分公司", "总公司",
		"co.,ltd.", "co., ltd.", "co.,ltd", "co. ltd", "co ltd", "company limited", "limited", "ltd.", "ltd",
		"inc.", "inc", "corp.", "corp", "corporation", "llc", "gmbh", "group", "co.",
	}
	nonWord = regexp.MustCompile(`[\s\p{P}\p{S}]+`)
)

// NormalizeCompany reduces a company name to what identifies it for
// duplicate detection: 北京华为技术有限公司, 北京华为技术（有限公司）and
// "北京 华为技术 股份有限公司" all become 北京华为技术. Parenthesised parts,
// legal forms, whitespace, punctuation and letter case are ignored.
func NormalizeCompany(name string) string {
	s := norm.NFKC.String(strings.ToLower(strings.TrimSpace(name)))
	s = parenRE.ReplaceAllString(s, "")
	for changed := true; changed; {
		changed = false
		trimmed := strings.TrimSpace(s)
		for _, lf := range legalForms {
			if strings.HasSuffix(trimmed, lf) && len(trimmed) > len(lf) {
				s = strings.TrimSuffix(trimmed, lf)
				changed = true
				break
			}
		}
	}
	out := nonWord.ReplaceAllString(s, "")
	if out == "" {
		// A name made only of legal words or punctuation still needs a key.
		return nonWord.ReplaceAllString(norm.NFKC.String(strings.ToLower(name)), "")
	}
	return out
}

// leadMoves lists the status changes a person may make by editing a lead.
// Conversion happens only through the conversion process.
var leadMoves = map[string][]string{
	LeadNew:          {LeadContacted, LeadQualified, LeadDisqualified},
	LeadContacted:    {LeadNew, LeadQualified, LeadDisqualified},
	LeadQualified:    {LeadContacted, LeadDisqualified},
	LeadDisqualified: {LeadNew, LeadContacted},
	LeadConverted:    {},
}

// LeadMoves lists the statuses a person may give a lead whose status is
// from by editing it ("" for a new lead: any but converted).
func LeadMoves(from string) []string {
	if from == "" {
		return []string{LeadNew, LeadContacted, LeadQualified, LeadDisqualified}
	}
	return slices.Clone(leadMoves[from])
}

// CheckLeadStatus validates a lead's status change and the reason that a
// disqualification needs.
func CheckLeadStatus(from, to, reason string) error {
	var bad []errs.FieldError
	if from != to && from != "" {
		ok := false
		for _, m := range leadMoves[from] {
			ok = ok || m == to
		}
		if !ok {
			bad = append(bad, errs.FieldError{Field: "status", Code: "lead_status_move", Args: map[string]any{"from": from, "to": to}})
		}
	}
	if from == "" && to == LeadConverted {
		bad = append(bad, errs.FieldError{Field: "status", Code: "lead_status_move", Args: map[string]any{"from": "", "to": to}})
	}
	if to == LeadDisqualified && reason == "" {
		bad = append(bad, errs.FieldError{Field: "disqualify_reason", Code: "required"})
	}
	return errs.Validation(bad)
}

// Convertible reports whether a lead in this status may be converted.
func Convertible(status string) bool {
	return status == LeadNew || status == LeadContacted || status == LeadQualified
}

// PoolRule says how long an owned record may go without a follow-up.
type PoolRule struct {
	Entity     string `json:"entity"`
	Level      string `json:"level"` // "" is the default for records without (or with an unlisted) level
	Days       int    `json:"days"`
	RemindDays int    `json:"remind_days"`
}

// PoolSettings are the pool's global knobs.
type PoolSettings struct {
	// ClaimCap is how many open records (customers not won, leads not
	// converted) a rep may hold; claims beyond it are refused.
	ClaimCap int `json:"claim_cap"`
	// CooldownDays is how long after releasing a record its previous owner
	// may not claim it back.
	CooldownDays int `json:"cooldown_days"`
}

// DefaultPoolSettings ship with the product.
var DefaultPoolSettings = PoolSettings{ClaimCap: 200, CooldownDays: 7}

// DefaultPoolRules ship with the product; admins change them.
var DefaultPoolRules = []PoolRule{
	{Entity: "customer", Level: "A", Days: 90, RemindDays: 7},
	{Entity: "customer", Level: "B", Days: 60, RemindDays: 5},
	{Entity: "customer", Level: "C", Days: 30, RemindDays: 3},
	{Entity: "customer", Level: "D", Days: 15, RemindDays: 3},
	{Entity: "customer", Level: "", Days: 30, RemindDays: 3},
	{Entity: "lead", Level: "", Days: 14, RemindDays: 3},
}

// RuleFor picks the rule of an entity and level, falling back to the
// entity's default; ok is false when no rule applies (never returns).
func RuleFor(rules []PoolRule, entityName, level string) (PoolRule, bool) {
	var def *PoolRule
	for i, r := range rules {
		if r.Entity != entityName {
			continue
		}
		if r.Level == level {
			return r, r.Days > 0
		}
		if r.Level == "" {
			def = &rules[i]
		}
	}
	if def != nil {
		return *def, def.Days > 0
	}
	return PoolRule{}, false
}

// PoolDue is when an owned record returns to the pool: N days after the
// latest of its last follow-up and the moment its owner got it.
func PoolDue(rules []PoolRule, entityName, level string, lastFollowup, ownedSince time.Time) (time.Time, bool) {
	r, ok := RuleFor(rules, entityName, level)
	if !ok {
		return time.Time{}, false
	}
	base := ownedSince
	if lastFollowup.After(base) {
		base = lastFollowup
	}
	return base.AddDate(0, 0, r.Days), true
}

// OpenForCap reports whether a record counts against a rep's claim cap.
func OpenForCap(entityName, status string) bool {
	switch entityName {
	case "customer":
		return status != StatusWon
	case "lead":
		return status != LeadConverted && status != LeadDisqualified
	}
	return false
}
