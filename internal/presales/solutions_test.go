package presales_test

import (
	"testing"

	"closeloop/internal/crm"
	"closeloop/internal/entity"
	"closeloop/internal/errs"
)

func TestSolutionReviewAndVersions(t *testing.T) {
	w := newWorld(t)
	r, ps := w.App.Records, w.App.Presales
	opp := w.opportunity(t, w.Rep1, "无锡物联网小镇", 20000000)
	req := w.request(t, w.Rep1, opp)
	if _, err := ps.Evaluate(ctx, w.Mgr, req.ID(), 0, accept()); err != nil {
		t.Fatal(err)
	}
	if _, err := ps.Assign(ctx, w.Mgr, req.ID(), 0, []string{w.Eng1.UserID}); err != nil {
		t.Fatal(err)
	}
	// The assigned engineer writes the solution on the deal they were given.
	sol, err := r.Create(ctx, w.Eng1, "solution", entity.Record{"title": "物联网小镇总体方案", "opportunity_id": opp.ID(), "request_id": req.ID(),
		"commercial_part": "分三期建设", "value_statements": "运维成本降低20%"})
	if err != nil {
		t.Fatal(err)
	}
	if sol.Str("status") != crm.SolDraft || sol.Int("version_no") != 1 || sol.Str("customer_id") != opp.Str("customer_id") {
		t.Fatalf("new solution %v", sol)
	}
	// A request of another deal is not this solution's.
	other := w.opportunity(t, w.Rep1, "另一个项目", 0)
	otherReq := w.request(t, w.Rep1, other)
	if _, err := r.Update(ctx, w.Rep1, "solution", sol.ID(), 0, entity.Record{"request_id": otherReq.ID()}); code(err) != "request_id:solution_request_elsewhere" {
		t.Errorf("request of another deal: %v", err)
	}

	// Review needs the technical part and reviewers other than the author.
	if _, err := ps.SubmitReview(ctx, w.Eng1, sol.ID(), 0); code(err) != "technical_part:required" {
		t.Errorf("submit without technical part: %v", err)
	}
	sol, err = r.Update(ctx, w.Eng1, "solution", sol.ID(), 0, entity.Record{"technical_part": "感知层、网络层、平台层架构", "reviewers": []string{w.Eng1.UserID}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := ps.SubmitReview(ctx, w.Eng1, sol.ID(), 0); code(err) != "reviewers:solution_self_review" {
		t.Errorf("self review: %v", err)
	}
	sol, err = r.Update(ctx, w.Eng1, "solution", sol.ID(), 0, entity.Record{"reviewers": []string{w.Mgr.UserID, w.Eng2.UserID}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := ps.Send(ctx, w.Eng1, sol.ID(), 0); code(err) != "solution_not_approved" {
		t.Errorf("send a draft: %v", err)
	}
	// The second engineer sees nothing before being asked to review.
	if _, err := r.Get(ctx, w.Eng2, "solution", sol.ID()); errs.KindOf(err) != errs.NotFound {
		t.Errorf("reviewer sees the draft: %v", err)
	}
	sol, err = ps.SubmitReview(ctx, w.Eng1, sol.ID(), sol.Version())
	if err != nil {
		t.Fatal(err)
	}
	if sol.Str("status") != crm.SolInReview || sol.Int("review_round") != 1 || sol.Time("submitted_at").IsZero() {
		t.Fatalf("submitted %v", sol)
	}
	if g, l, s := w.sees(t, w.Eng2, "solution", sol.ID(), "物联网小镇"); !g || !l || !s {
		t.Errorf("reviewer's grant: get %v list %v search %v", g, l, s)
	}
	if _, err := r.Get(ctx, w.Eng2, "opportunity", opp.ID()); errs.KindOf(err) != errs.NotFound {
		t.Errorf("a reviewer is not given the deal: %v", err)
	}
	// Under review the content is locked.
	if _, err := r.Update(ctx, w.Eng1, "solution", sol.ID(), 0, entity.Record{"technical_part": "改"}); code(err) != "solution_locked" {
		t.Errorf("edit in review: %v", err)
	}
	// Only named reviewers give verdicts; others who see it may not.
	if _, err := ps.Review(ctx, w.Rep1, sol.ID(), crm.Review{Verdict: "approve"}); code(err) != "solution_not_reviewer" {
		t.Errorf("owner of the deal reviews: %v", err)
	}
	if _, err := ps.Review(ctx, w.Rep2, sol.ID(), crm.Review{Verdict: "approve"}); errs.KindOf(err) != errs.NotFound {
		t.Errorf("stranger reviews: %v", err)
	}
	if _, err := ps.Review(ctx, w.Mgr, sol.ID(), crm.Review{Verdict: "approve", Comment: "同意"}); err != nil {
		t.Fatal(err)
	}
	if _, err := ps.Review(ctx, w.Mgr, sol.ID(), crm.Review{Verdict: "approve"}); code(err) != "solution_already_reviewed" {
		t.Errorf("review twice: %v", err)
	}
	if got := w.get(t, w.Eng1, "solution", sol.ID()); got.Str("status") != crm.SolInReview {
		t.Errorf("one approval of two: %s", got.Str("status"))
	}
	if _, err := ps.Review(ctx, w.Eng2, sol.ID(), crm.Review{Verdict: "revise"}); code(err) != "comment:solution_revise_comment" {
		t.Errorf("revise without comment: %v", err)
	}
	if _, err := ps.Review(ctx, w.Eng2, sol.ID(), crm.Review{Verdict: "revise", Comment: "缺少实施计划"}); err != nil {
		t.Fatal(err)
	}
	sol = w.get(t, w.Eng1, "solution", sol.ID())
	if sol.Str("status") != crm.SolRevise {
		t.Fatalf("after a revise verdict: %s", sol.Str("status"))
	}
	// Revised in place and reviewed again: a new round, each reviewer once more.
	sol, err = r.Update(ctx, w.Eng1, "solution", sol.ID(), 0, entity.Record{"implementation_part": "分三期实施，每期三个月"})
	if err != nil {
		t.Fatal(err)
	}
	if sol, err = ps.SubmitReview(ctx, w.Eng1, sol.ID(), 0); err != nil || sol.Int("review_round") != 2 {
		t.Fatalf("second round: %v %v", err, sol["review_round"])
	}
	for _, p := range []string{"mgr", "eng2"} {
		rp := w.Mgr
		if p == "eng2" {
			rp = w.Eng2
		}
		if _, err := ps.Review(ctx, rp, sol.ID(), crm.Review{Verdict: "approve"}); err != nil {
			t.Fatalf("%s approves: %v", p, err)
		}
	}
	sol = w.get(t, w.Eng1, "solution", sol.ID())
	if sol.Str("status") != crm.SolApproved || sol.Time("approved_at").IsZero() {
		t.Fatalf("approved %v", sol)
	}
	reviews, err := ps.Reviews(ctx, w.Rep1, sol.ID())
	if err != nil || len(reviews) != 4 {
		t.Fatalf("reviews %d %v", len(reviews), err)
	}
	// Approved content is locked too; a change is a new version.
	if _, err := r.Update(ctx, w.Eng1, "solution", sol.ID(), 0, entity.Record{"title": "新标题"}); code(err) != "solution_locked" {
		t.Errorf("edit approved: %v", err)
	}
	sent, err := ps.Send(ctx, w.Eng1, sol.ID(), 0)
	if err != nil {
		t.Fatal(err)
	}
	if sent.Str("status") != crm.SolSent || sent.Time("sent_at").IsZero() {
		t.Fatalf("sent %v", sent)
	}
	if _, err := ps.Send(ctx, w.Eng1, sol.ID(), 0); code(err) != "solution_not_approved" {
		t.Errorf("send twice: %v", err)
	}
	v2, err := ps.Revise(ctx, w.Eng1, sol.ID())
	if err != nil {
		t.Fatal(err)
	}
	if v2.Int("version_no") != 2 || v2.Str("previous_id") != sol.ID() || v2.Str("status") != crm.SolDraft || v2.Str("technical_part") != "感知层、网络层、平台层架构" || len(v2.List("reviewers")) != 2 {
		t.Fatalf("version 2 %v", v2)
	}
	if _, err := ps.Revise(ctx, w.Eng1, sol.ID()); code(err) != "solution_newer_version" {
		t.Errorf("second successor: %v", err)
	}
	if _, err := ps.Revise(ctx, w.Eng1, v2.ID()); code(err) != "solution_not_revisable" {
		t.Errorf("revise a draft: %v", err)
	}
	if got := w.get(t, w.Eng1, "solution", sol.ID()); got.Str("status") != crm.SolSent || got.Str("technical_part") != "感知层、网络层、平台层架构" {
		t.Errorf("the earlier version changed: %v", got)
	}
	versions, err := ps.Versions(ctx, w.Eng1, v2.ID())
	if err != nil || len(versions) != 2 || versions[0].ID() != sol.ID() || versions[1].ID() != v2.ID() {
		t.Errorf("versions %v %v", versions, err)
	}
	if vs, err := ps.Versions(ctx, w.Eng1, sol.ID()); err != nil || len(vs) != 2 {
		t.Errorf("versions from the first: %d %v", len(vs), err)
	}
	tl, err := w.App.Customers.Timeline(ctx, w.Rep1, "customer", opp.Str("customer_id"), "", 50)
	if err != nil {
		t.Fatal(err)
	}
	kinds := map[string]int{}
	for _, it := range tl {
		kinds[it.Kind]++
	}
	if kinds["solution_submitted"] != 2 || kinds["solution_approved"] != 1 || kinds["solution_sent"] != 1 || kinds["solution_sent_back"] != 1 {
		t.Errorf("timeline %v", kinds)
	}
}
