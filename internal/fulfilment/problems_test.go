package fulfilment_test

import (
	"testing"
	"time"

	"closeloop/internal/crm"
	"closeloop/internal/entity"
	"closeloop/internal/errs"
	"closeloop/internal/fulfilment"
)

func TestSupplyProblemToResolution(t *testing.T) {
	e := newEnv(t)
	o, d := e.shipped(t)
	// Logged by hand against the delivery: its order and customer follow.
	sp, err := e.App.Records.Create(ctx, e.Coord, "supply_problem", entity.Record{"title": "第二批传感器读数漂移", "kind": crm.ProblemQuality, "delivery_id": d.ID(), "description": "客户品管反馈零点漂移 0.3%"})
	if err != nil {
		t.Fatal(err)
	}
	if sp.Str("order_id") != o.ID() || sp.Str("customer_id") != e.Customer.ID() || sp.Str("status") != crm.ProblemOpen || !numberRE("WT").MatchString(sp.Str("number")) || sp.Str("occurred_on") == "" {
		t.Errorf("problem %v", sp)
	}
	other := e.typedOrder(t, [3]any{e.Sensor, int64(1), int64(1)})
	if _, err := e.App.Records.Create(ctx, e.Coord, "supply_problem", entity.Record{"title": "x", "kind": crm.ProblemOther, "delivery_id": d.ID(), "order_id": other.ID()}); fieldCode(err) != "delivery_id:delivery_not_of_order" {
		t.Errorf("delivery of another order: %v", err)
	}
	if _, err := e.App.Records.Create(ctx, e.Coord, "supply_problem", entity.Record{"title": "x", "kind": crm.ProblemOther}); fieldCode(err) != "customer_id:required" {
		t.Errorf("no customer: %v", err)
	}
	// Status is the process's.
	if _, err := e.App.Records.Update(ctx, e.Coord, "supply_problem", sp.ID(), sp.Version(), entity.Record{"status": crm.ProblemClosed}); fieldCode(err) != "status:read_only" {
		t.Errorf("status by edit: %v", err)
	}
	step := func(in fulfilment.ProblemInput) (entity.Record, error) {
		return e.F.StepProblem(ctx, e.Coord, sp.ID(), in)
	}
	if _, err := step(fulfilment.ProblemInput{Step: crm.ProblemStepResolve}); errs.CodeOf(err) != "supply_problem_resolution_required" || errs.KindOf(err) != errs.Unprocessable {
		t.Errorf("resolve without resolution: %v", err)
	}
	if _, err := step(fulfilment.ProblemInput{Step: crm.ProblemStepStart, Version: sp.Version() + 5}); errs.CodeOf(err) != "stale_version" {
		t.Errorf("stale: %v", err)
	}
	if sp, err = step(fulfilment.ProblemInput{Step: crm.ProblemStepStart}); err != nil || sp.Str("status") != crm.ProblemInProgress {
		t.Fatalf("start: %v %v", sp, err)
	}
	sp, err = step(fulfilment.ProblemInput{Step: crm.ProblemStepResolve, Resolution: "更换 2 台并现场重新标定", RootCause: "customer_application", RootCauseNote: "客户未按说明预热 30 分钟", Version: sp.Version()})
	if err != nil || sp.Str("status") != crm.ProblemResolved || sp.Str("root_cause") != "customer_application" || sp.Time("resolved_at").IsZero() {
		t.Fatalf("resolve: %v %v", sp, err)
	}
	if sp, err = step(fulfilment.ProblemInput{Step: crm.ProblemStepClose}); err != nil || sp.Str("status") != crm.ProblemClosed || sp.Str("resolution") != "更换 2 台并现场重新标定" {
		t.Fatalf("close keeps the resolution: %v %v", sp, err)
	}
	if _, err := e.App.Records.Update(ctx, e.Coord, "supply_problem", sp.ID(), sp.Version(), entity.Record{"title": "改"}); errs.CodeOf(err) != "supply_problem_closed" {
		t.Errorf("edit closed: %v", err)
	}
	if _, err := step(fulfilment.ProblemInput{Step: crm.ProblemStepReopen}); errs.CodeOf(err) != "supply_problem_reason_required" {
		t.Errorf("reopen without reason: %v", err)
	}
	if sp, err = step(fulfilment.ProblemInput{Step: crm.ProblemStepReopen, Reason: "一周后再次漂移"}); err != nil || sp.Str("status") != crm.ProblemOpen || !sp.Time("closed_at").IsZero() {
		t.Fatalf("reopen: %v %v", sp, err)
	}
	k := kinds(t, e, e.Customer.ID())
	if k["supply_problem_opened"] != 1 || k["supply_problem_resolved"] != 1 || k["supply_problem_closed"] != 1 || k["supply_problem_reopened"] != 1 {
		t.Errorf("timeline %v", k)
	}
	// Who sees it: the customer's rep (and may log his own), not another rep.
	if _, err := e.App.Records.Get(ctx, e.Rep1, "supply_problem", sp.ID()); err != nil {
		t.Errorf("rep of the customer: %v", err)
	}
	if _, err := e.App.Records.Get(ctx, e.Rep3, "supply_problem", sp.ID()); errs.KindOf(err) != errs.NotFound {
		t.Errorf("other rep: %v", err)
	}
	// The customer's rep works on the problems of his customer (共同找原因);
	// another rep cannot.
	if _, err := e.F.StepProblem(ctx, e.Rep1, sp.ID(), fulfilment.ProblemInput{Step: crm.ProblemStepStart}); err != nil {
		t.Errorf("the customer's rep steps it: %v", err)
	}
	if _, err := e.F.StepProblem(ctx, e.Rep2, sp.ID(), fulfilment.ProblemInput{Step: crm.ProblemStepResolve, Resolution: "x"}); errs.KindOf(err) != errs.NotFound {
		t.Errorf("another rep steps it: %v", err)
	}
	mine, err := e.App.Records.Create(ctx, e.Rep1, "supply_problem", entity.Record{"title": "发票抬头有误", "kind": crm.ProblemInvoice, "order_id": o.ID()})
	if err != nil || mine.Str("owner_id") != e.Rep1.UserID {
		t.Fatalf("rep logs a problem: %v %v", mine, err)
	}
	if n, err := e.F.OpenProblems(ctx, e.Rep1, e.Customer.ID()); err != nil || n != 2 {
		t.Errorf("open problems of the customer: %d %v", n, err)
	}
}

func TestTaskWithChecklistAndAcceptance(t *testing.T) {
	e := newEnv(t)
	o, d := e.shipped(t)
	start := time.Now().Add(24 * time.Hour).UTC().Truncate(time.Minute)
	task, err := e.App.Records.Create(ctx, e.Coord, "service_task", entity.Record{"title": "视觉检测工位安装调试", "kind": crm.TaskInstallation, "delivery_id": d.ID(),
		"engineer_id": e.Engineer.UserID, "scheduled_start": start, "scheduled_end": start.Add(8 * time.Hour), "location": "合肥新站区 B3 车间"})
	if err != nil {
		t.Fatal(err)
	}
	if task.Str("order_id") != o.ID() || task.Str("customer_id") != e.Customer.ID() || task.Str("status") != crm.TaskPlanned || !numberRE("RW").MatchString(task.Str("number")) {
		t.Errorf("task %v", task)
	}
	if _, err := e.App.Records.Create(ctx, e.Coord, "service_task", entity.Record{"title": "x", "kind": crm.TaskTraining, "customer_id": e.Customer.ID(),
		"scheduled_start": start, "scheduled_end": start.Add(-time.Hour)}); fieldCode(err) != "scheduled_end:task_end_before_start" {
		t.Errorf("end before start: %v", err)
	}
	_, items, err := e.F.Task(ctx, e.Coord, task.ID())
	if err != nil || len(items) != len(crm.DefaultChecklist(crm.TaskInstallation, "zh-CN")) {
		t.Fatalf("default checklist: %v %v", items, err)
	}
	// The engineer's tasks; a rep elsewhere sees none of it.
	mine, err := e.F.MyTasks(ctx, e.Engineer, 0)
	if err != nil || len(mine) != 1 || mine[0].ID() != task.ID() {
		t.Errorf("my tasks: %v %v", mine, err)
	}
	if _, _, err := e.F.Task(ctx, e.Rep3, task.ID()); errs.KindOf(err) != errs.NotFound {
		t.Errorf("other rep: %v", err)
	}
	// Only the engineer (or the coordinator) takes its steps.
	if _, err := e.F.StepTask(ctx, e.Rep1, task.ID(), fulfilment.TaskStepInput{Step: crm.TaskStepStart}); errs.KindOf(err) != errs.Forbidden {
		t.Errorf("rep starts: %v", err)
	}
	if _, err := e.F.StepTask(ctx, e.Engineer, task.ID(), fulfilment.TaskStepInput{Step: crm.TaskStepStart}); err != nil {
		t.Fatal(err)
	}
	if _, err := e.F.StepTask(ctx, e.Engineer, task.ID(), fulfilment.TaskStepInput{Step: crm.TaskStepDone, Result: "安装完成，通电正常"}); errs.CodeOf(err) != "task_checklist_open" {
		t.Errorf("done with the checklist open: %v", err)
	}
	if _, err := e.F.AcceptanceLink(ctx, e.Coord, task.ID(), 0); errs.CodeOf(err) != "task_not_done" {
		t.Errorf("link before done: %v", err)
	}
	for _, it := range items {
		if it, err := e.F.CheckItem(ctx, e.Engineer, task.ID(), it.ID(), true); err != nil || !it.Bool("done") || it.Str("done_by") != e.Engineer.UserID {
			t.Fatalf("tick: %v %v", it, err)
		}
	}
	if _, err := e.F.StepTask(ctx, e.Engineer, task.ID(), fulfilment.TaskStepInput{Step: crm.TaskStepDone}); errs.CodeOf(err) != "task_result_required" {
		t.Errorf("done without result: %v", err)
	}
	task, err = e.F.StepTask(ctx, e.Engineer, task.ID(), fulfilment.TaskStepInput{Step: crm.TaskStepDone, Result: "安装完成，通电正常"})
	if err != nil || task.Str("status") != crm.TaskDone || task.Time("done_at").IsZero() {
		t.Fatalf("done: %v %v", task, err)
	}
	if _, err := e.F.CheckItem(ctx, e.Engineer, task.ID(), items[0].ID(), false); errs.CodeOf(err) != "task_locked" {
		t.Errorf("untick after done: %v", err)
	}
	// The customer refuses first (a reason is needed), then accepts on a new link.
	l, err := e.F.AcceptanceLink(ctx, e.Engineer, task.ID(), 0)
	if err != nil {
		t.Fatal(err)
	}
	v, err := e.F.Public(ctx, l.Token)
	if err != nil || v.Purpose != fulfilment.PurposeAcceptance || v.Title != "视觉检测工位安装调试" || v.Engineer != "周工" || len(v.Checklist) != len(items) || v.Result != "安装完成，通电正常" {
		t.Fatalf("acceptance page %+v %v", v, err)
	}
	if _, err := e.F.Accept(ctx, l.Token, "1.2.3.4", fulfilment.AcceptInput{Name: "李主任"}); fieldCode(err) != "reason:required" {
		t.Errorf("refusal without reason: %v", err)
	}
	if _, err := e.F.Accept(ctx, l.Token, "1.2.3.4", fulfilment.AcceptInput{Name: "李主任", Reason: "光源亮度不足"}); err != nil {
		t.Fatal(err)
	}
	if _, err := e.F.Accept(ctx, l.Token, "1.2.3.4", fulfilment.AcceptInput{Accept: true, Name: "李主任"}); errs.CodeOf(err) != "public_link_used" {
		t.Errorf("reused: %v", err)
	}
	task, _, _ = e.F.Task(ctx, e.Coord, task.ID())
	if task.Str("status") != crm.TaskRejected || task.Str("rejected_reason") != "光源亮度不足" {
		t.Fatalf("rejected: %v", task)
	}
	if _, err := e.F.StepTask(ctx, e.Engineer, task.ID(), fulfilment.TaskStepInput{Step: crm.TaskStepDone, Result: "更换光源后复测合格"}); err != nil {
		t.Fatal(err)
	}
	l, _ = e.F.AcceptanceLink(ctx, e.Coord, task.ID(), 0)
	v, err = e.F.Accept(ctx, l.Token, "198.51.100.7", fulfilment.AcceptInput{Accept: true, Name: "李主任", Remarks: "满意"})
	if err != nil || !v.Accepted || !v.Confirmed {
		t.Fatalf("accept: %+v %v", v, err)
	}
	task, _, _ = e.F.Task(ctx, e.Coord, task.ID())
	if task.Str("status") != crm.TaskAccepted || task.Str("acceptance_ip") != "198.51.100.7" || task.Str("acceptor_name") != "李主任" {
		t.Errorf("accepted: %v", task)
	}
	k := kinds(t, e, e.Customer.ID())
	if k["task_accepted"] != 1 || k["task_rejected"] != 1 || k["task_planned"] != 1 {
		t.Errorf("timeline %v", k)
	}
	if _, err := e.App.Records.Update(ctx, e.Coord, "service_task", task.ID(), 0, entity.Record{"title": "改"}); errs.CodeOf(err) != "task_closed" {
		t.Errorf("edit accepted task: %v", err)
	}
	// The engineer's grant follows the engineer.
	other := e.AddUser(t, "钱工", "qian@example.com", e.South, "presales")
	t2, err := e.App.Records.Create(ctx, e.Coord, "service_task", entity.Record{"title": "操作培训", "kind": crm.TaskTraining, "customer_id": e.Customer.ID(), "scheduled_start": start, "engineer_id": other.UserID})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.App.Records.Get(ctx, other, "service_task", t2.ID()); err != nil {
		t.Errorf("engineer with a grant: %v", err)
	}
	if _, err := e.App.Records.Update(ctx, e.Coord, "service_task", t2.ID(), 0, entity.Record{"engineer_id": e.Engineer.UserID}); err != nil {
		t.Fatal(err)
	}
	if _, err := e.App.Records.Get(ctx, other, "service_task", t2.ID()); errs.KindOf(err) != errs.NotFound {
		t.Errorf("engineer taken off: %v", err)
	}
}
