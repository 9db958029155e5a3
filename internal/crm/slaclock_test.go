package crm

import "testing"

func TestMatchPolicy(t *testing.T) {
	ps := make([]PolicyTerms, len(DefaultPolicies))
	for i, p := range DefaultPolicies {
		p.ID = string(rune('a' + i))
		p.Active = true
		ps[i] = p
	}
	ps = append(ps, PolicyTerms{ID: "z", Name: "停用", Priority: PriorityLow, FirstResponseMinutes: 1, ResolutionMinutes: 1, Active: false})
	for _, c := range []struct {
		kind, priority, level string
		want                  string
	}{
		{TicketRepair, PriorityUrgent, "", "紧急工单"},
		{TicketRepair, PriorityNormal, "C", "普通工单"},
		{TicketRepair, PriorityLow, "", "低优先级工单"},      // the inactive stricter one is ignored
		{TicketComplaint, PriorityNormal, "", "客户投诉"},  // equally specific: the stricter
		{TicketComplaint, PriorityUrgent, "B", "紧急工单"}, // urgent 4 h beats complaint 1 day
		{TicketRepair, PriorityNormal, "A", "A 类客户"},
		{TicketRepair, PriorityUrgent, "A", "紧急工单"},
		{TicketComplaint, PriorityLow, "A", "A 类客户投诉"}, // two conditions beat one
	} {
		got, ok := MatchPolicy(ps, c.kind, c.priority, c.level)
		if !ok || got.Name != c.want {
			t.Errorf("%s/%s/%s: %q (%v), want %q", c.kind, c.priority, c.level, got.Name, ok, c.want)
		}
	}
	if _, ok := MatchPolicy(ps[:0], TicketRepair, PriorityLow, ""); ok {
		t.Error("matched with no policies")
	}
	only := []PolicyTerms{{ID: "1", CustomerLevel: "A", Active: true, ResolutionMinutes: 10}}
	if _, ok := MatchPolicy(only, TicketRepair, PriorityLow, ""); ok {
		t.Error("a level policy matched a ticket without customer level")
	}
}
