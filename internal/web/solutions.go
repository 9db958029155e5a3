package web

import (
	"net/http"
	"slices"
	"strconv"
	"strings"

	"closeloop/internal/access"
	"closeloop/internal/crm"
	"closeloop/internal/entity"
	"closeloop/internal/errs"
	"closeloop/internal/presales"
)

// The solution's page: submit for review, the reviewers' verdicts, new
// versions and sending to the customer, on the same service as the API.

func init() {
	areaRoutes = append(areaRoutes, func(s *Server, m *http.ServeMux) {
		m.HandleFunc("POST /solutions/{id}/submit-review", s.page(s.submitSolution))
		m.HandleFunc("POST /solutions/{id}/review", s.page(s.reviewSolution))
		m.HandleFunc("POST /solutions/{id}/revise", s.page(s.reviseSolution))
		m.HandleFunc("POST /solutions/{id}/send", s.page(s.sendSolution))
	})
	onDetail("solution", (*Server).extendSolution)
	for code, tone := range map[string]string{"draft": "badge-muted", "in_review": "badge-info", "approved": "badge-success",
		"revise": "badge-warning", "sent": "badge-success", "approve": "badge-success"} {
		tones[code] = tone
	}
}

const dlgReview = "dlg-sol-review"

// solutionView is what the solution's partials show.
type solutionView struct {
	T        func(string, ...any) string
	ID       string
	Version  int64
	Submit   bool
	Revise   bool
	Send     bool
	Locked   string // why the content cannot be edited
	Newer    string // the next version's page
	Review   *dialogForm
	Rounds   []reviewRound
	Versions []versionRow
	Pending  []string // reviewers yet to give a verdict this round
}

type reviewRound struct {
	Round   string
	Current bool
	Reviews []reviewRow
}

type reviewRow struct {
	Reviewer, At, Comment string
	Verdict               cell
}

type versionRow struct {
	Label, Href string
	Status      cell
	Current     bool
}

// extendSolution adds the review steps, verdicts and versions.
func (s *Server) extendSolution(c *rc, rec entity.Record, dp *detailPage) error {
	e := c.schema.Entity("solution")
	status := rec.Str("status")
	write := c.p.Perm(e.Name).Write != access.None && !c.p.ReadOnly
	v := &solutionView{T: c.T, ID: rec.ID(), Version: rec.Version()}
	versions, err := s.app.Presales.Versions(c.ctx(), c.p, rec.ID())
	if err != nil {
		return err
	}
	for i, r := range versions {
		row := versionRow{Label: c.T("sol.version", "n", r.Int("version_no")), Href: "/solutions/" + r.ID(), Status: c.cell(e.Field("status"), r["status"], &refs{}),
			Current: r.ID() == rec.ID()}
		v.Versions = append(v.Versions, row)
		if row.Current && i+1 < len(versions) {
			v.Newer = "/solutions/" + versions[i+1].ID()
		}
	}
	if !crm.CanSolution(status, crm.SolStepEdit) {
		dp.EditHref = ""
		v.Locked = c.T("sol.locked_" + status)
	}
	v.Submit = write && crm.CanSolution(status, crm.SolStepSubmit)
	v.Send = write && crm.CanSolution(status, crm.SolStepSend)
	v.Revise = write && crm.CanSolution(status, crm.SolStepRevise) && v.Newer == "" && c.p.Perm(e.Name).Create
	reviews, err := s.app.Presales.Reviews(c.ctx(), c.p, rec.ID())
	if err != nil {
		return err
	}
	re := c.schema.Entity("solution_review")
	rf := c.collectRefs([]*entity.Field{re.Field("reviewer_id"), e.Field("reviewers")}, append(reviews, rec)...)
	round := rec.Int("review_round")
	reviewed := map[string]bool{}
	byRound := map[int64]*reviewRound{}
	var order []int64
	for _, r := range reviews {
		n := r.Int("round")
		if byRound[n] == nil {
			byRound[n] = &reviewRound{Round: c.T("sol.round", "n", n), Current: n == round}
			order = append(order, n)
		}
		row := reviewRow{At: c.fmtTime(r.Time("reviewed_at")), Comment: r.Str("comment"), Verdict: c.cell(re.Field("verdict"), r["verdict"], rf)}
		row.Reviewer, _ = rf.title("user", r.Str("reviewer_id"))
		byRound[n].Reviews = append(byRound[n].Reviews, row)
		if n == round {
			reviewed[r.Str("reviewer_id")] = true
		}
	}
	slices.Sort(order)
	for i := len(order) - 1; i >= 0; i-- {
		v.Rounds = append(v.Rounds, *byRound[order[i]])
	}
	if status == crm.SolInReview {
		for _, id := range rec.List("reviewers") {
			if !reviewed[id] {
				n, _ := rf.title("user", id)
				v.Pending = append(v.Pending, n)
			}
		}
	}
	if status == crm.SolInReview && slices.Contains(rec.List("reviewers"), c.p.UserID) && !reviewed[c.p.UserID] && !c.p.ReadOnly {
		verdict := formField{ID: "rv-verdict", Name: "verdict", Label: re.Field("verdict").Label.In(c.L), Kind: "select", Required: true,
			Options: append([]option{{Value: "", Label: c.T("form.choose")}}, c.selectOptions(re.Field("verdict"))...)}
		comment := formField{ID: "rv-comment", Name: "comment", Label: re.Field("comment").Label.In(c.L), Kind: "textarea", Wide: true, MaxLen: 20000, Hint: c.T("sol.comment_hint")}
		v.Review = &dialogForm{ID: dlgReview, Title: c.T("sol.review"), Button: c.T("sol.review"), Action: "/solutions/" + rec.ID() + "/review",
			Submit: c.T("sol.review_submit"), Hint: c.T("sol.review_hint"), Fields: []formField{verdict, comment}}
		v.Review.apply(c.formStateOf(dlgReview))
	}
	actions, err := c.partial("sol_actions", v)
	if err != nil {
		return err
	}
	panels, err := c.partial("sol_panels", v)
	if err != nil {
		return err
	}
	dp.Actions = append(dp.Actions, actions)
	dp.Top = append(dp.Top, panels)
	return nil
}

func (s *Server) submitSolution(c *rc) error {
	_ = c.r.ParseForm()
	id := strings.ToLower(c.r.PathValue("id"))
	out, err := s.app.Presales.SubmitReview(c.ctx(), c.p, id, formVersion(c.r.PostForm))
	if err != nil {
		return c.solutionFailed(err, id)
	}
	return c.processDone(c.T("sol.submitted", "title", out.Str("title")), "/solutions/"+id)
}

// solutionFailed says why a step was refused, naming the fields it needs.
func (c *rc) solutionFailed(err error, id string) error {
	if e := errs.As(err); e != nil && e.Code == "validation" {
		se := c.schema.Entity("solution")
		var msgs []string
		for _, fe := range e.Fields {
			msgs = append(msgs, c.fieldText(se, fe))
		}
		c.flash("error", strings.Join(msgs, c.T("ui.sep")))
		return c.redirect("/solutions/" + id)
	}
	return c.processFailed(err, "/solutions/"+id)
}

func (s *Server) reviewSolution(c *rc) error {
	if err := c.r.ParseForm(); err != nil {
		return errs.New(errs.Invalid, "validation")
	}
	id := strings.ToLower(c.r.PathValue("id"))
	r := crm.Review{Verdict: c.r.PostForm.Get("verdict"), Comment: c.r.PostForm.Get("comment")}
	out, err := s.app.Presales.Review(c.ctx(), c.p, id, r)
	if err != nil {
		st, ok := c.refusedForm(err, dlgReview, c.r.PostForm, []string{"verdict", "comment"}, func(key string) string { return presales.ReviewInputs.Label(key, c.L) }, nil)
		if !ok || errs.KindOf(err) == errs.Conflict || errs.CodeOf(err) != "validation" {
			return c.processFailed(err, "/solutions/"+id)
		}
		c.withFormState(st)
		return s.showDetail(c, c.schema.Entity("solution"), id, httpStatus(err), nil)
	}
	key := "sol.reviewed_approve"
	if out.Str("verdict") == crm.VerdictRevise {
		key = "sol.reviewed_revise"
	}
	return c.processDone(c.T(key), "/solutions/"+id)
}

func (s *Server) reviseSolution(c *rc) error {
	id := strings.ToLower(c.r.PathValue("id"))
	out, err := s.app.Presales.Revise(c.ctx(), c.p, id)
	if err != nil {
		return c.solutionFailed(err, id)
	}
	return c.processDone(c.T("sol.revised", "n", strconv.FormatInt(out.Int("version_no"), 10)), "/solutions/"+out.ID())
}

func (s *Server) sendSolution(c *rc) error {
	_ = c.r.ParseForm()
	id := strings.ToLower(c.r.PathValue("id"))
	out, err := s.app.Presales.Send(c.ctx(), c.p, id, formVersion(c.r.PostForm))
	if err != nil {
		return c.solutionFailed(err, id)
	}
	return c.processDone(c.T("sol.sent", "title", out.Str("title")), "/solutions/"+id)
}
