package crm

// Pure rules of the SLA clock that need no calendar: which policy applies
// to a ticket, the escalation schedule, and the policies shipped on first
// start (internal/sla seeds them; admins change them).

// PolicyTerms are the parts of an SLA policy the match and the clock use.
type PolicyTerms struct {
	ID                   string
	Name                 string
	TicketKind           string // "" matches any
	Priority             string // "" matches any
	CustomerLevel        string // "" matches any
	FirstResponseMinutes int64
	ResolutionMinutes    int64
	WarnPercent          int64
	CalendarID           string
	ReassignOnBreach     bool
	Active               bool
}

// Specificity counts the conditions a policy sets.
func (p PolicyTerms) Specificity() int {
	n := 0
	for _, c := range []string{p.TicketKind, p.Priority, p.CustomerLevel} {
		if c != "" {
			n++
		}
	}
	return n
}

// Matches reports whether the policy applies to a ticket of kind and
// priority for a customer of level (level "" when there is no customer or
// it has no level: only policies without a level condition match).
func (p PolicyTerms) Matches(kind, priority, level string) bool {
	return p.Active && (p.TicketKind == "" || p.TicketKind == kind) &&
		(p.Priority == "" || p.Priority == priority) &&
		(p.CustomerLevel == "" || p.CustomerLevel == level)
}

// MatchPolicy picks the policy of a ticket: among the active policies
// that match, the most specific (most conditions set); between equally
// specific ones the stricter (shorter resolution, then shorter first
// response: the customer gets the better promise), then the smaller id so
// the choice never flips. ok is false when none matches (no SLA clock).
func MatchPolicy(policies []PolicyTerms, kind, priority, level string) (PolicyTerms, bool) {
	var best PolicyTerms
	found := false
	for _, p := range policies {
		if !p.Matches(kind, priority, level) {
			continue
		}
		if !found || better(p, best) {
			best, found = p, true
		}
	}
	return best, found
}

func better(a, b PolicyTerms) bool {
	if a.Specificity() != b.Specificity() {
		return a.Specificity() > b.Specificity()
	}
	if a.ResolutionMinutes != b.ResolutionMinutes {
		return a.ResolutionMinutes < b.ResolutionMinutes
	}
	if a.FirstResponseMinutes != b.FirstResponseMinutes {
		return a.FirstResponseMinutes < b.FirstResponseMinutes
	}
	return a.ID < b.ID
}

// SLA escalation: level 1 when a clock breaches (the assignee and their
// team lead are told); level n ≥ 2 when the resolution clock is
// EscalationStepPercent × (n−1) of its target past due (the manager one
// team further up the tree each time), up to MaxEscalationLevel.
const (
	EscalationStepPercent = 50
	MaxEscalationLevel    = 4
)

// Which clock a warning or breach is about.
const (
	ClockFirstResponse = "first_response"
	ClockResolution    = "resolution"
)

// DefaultCalendarCode is the code of the calendar shipped on first start.
const DefaultCalendarCode = "CN-STD"

// WorkdayMinutes is the length of the shipped calendar's working day
// (09:00–18:00).
const WorkdayMinutes = 9 * 60

// DefaultPolicies are the SLA policies shipped on first start, in business
// minutes on the default calendar: by priority for everyone, faster for
// complaints and for A-level (key) customers, fastest for an A customer's
// complaint.
var DefaultPolicies = []PolicyTerms{
	{Name: "紧急工单", Priority: PriorityUrgent, FirstResponseMinutes: 30, ResolutionMinutes: 4 * 60, WarnPercent: 80},
	{Name: "高优先级工单", Priority: PriorityHigh, FirstResponseMinutes: 60, ResolutionMinutes: 8 * 60, WarnPercent: 80},
	{Name: "普通工单", Priority: PriorityNormal, FirstResponseMinutes: 4 * 60, ResolutionMinutes: 3 * WorkdayMinutes, WarnPercent: 80},
	{Name: "低优先级工单", Priority: PriorityLow, FirstResponseMinutes: 8 * 60, ResolutionMinutes: 5 * WorkdayMinutes, WarnPercent: 80},
	{Name: "客户投诉", TicketKind: TicketComplaint, FirstResponseMinutes: 60, ResolutionMinutes: WorkdayMinutes, WarnPercent: 70},
	{Name: "A 类客户", CustomerLevel: "A", FirstResponseMinutes: 2 * 60, ResolutionMinutes: 2 * WorkdayMinutes, WarnPercent: 75},
	{Name: "A 类客户投诉", TicketKind: TicketComplaint, CustomerLevel: "A", FirstResponseMinutes: 30, ResolutionMinutes: 6 * 60, WarnPercent: 70},
}
