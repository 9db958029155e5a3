package web_test

import (
	"regexp"
	"testing"

	"closeloop/internal/crm"
)

// A lead's edit form offers only the statuses it may move to from where
// it stands (and never "converted": conversion is its own step).
func TestLeadFormOffersOnlyTheAllowedStatuses(t *testing.T) {
	e := newEnv(t)
	b := e.as(t, e.Rep1)
	opts := func(path string) map[string]bool {
		t.Helper()
		r := b.get(path)
		if r.status != 200 {
			t.Fatalf("GET %s: %d", path, r.status)
		}
		sel := regexp.MustCompile(`(?s)<select[^>]*name="status".*?</select>`).FindString(r.body)
		got := map[string]bool{}
		for _, m := range regexp.MustCompile(`<option value="([^"]*)"`).FindAllStringSubmatch(sel, -1) {
			got[m[1]] = true
		}
		return got
	}
	if got := opts("/leads/new"); got[crm.LeadConverted] || !got[crm.LeadNew] || !got[crm.LeadQualified] {
		t.Errorf("new lead: %v", got)
	}
	lead, err := e.App.Records.Create(ctx(), e.Rep1, "lead", map[string]any{"name": "状态测试", "source": "web", "status": crm.LeadQualified})
	if err != nil {
		t.Fatal(err)
	}
	got := opts("/leads/" + lead.ID() + "/edit")
	for _, want := range []string{crm.LeadQualified, crm.LeadContacted, crm.LeadDisqualified} {
		if !got[want] {
			t.Errorf("qualified lead: %s missing from %v", want, got)
		}
	}
	if got[crm.LeadNew] || got[crm.LeadConverted] {
		t.Errorf("qualified lead offers a move it may not make: %v", got)
	}
}
