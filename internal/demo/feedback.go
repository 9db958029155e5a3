package demo

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"closeloop/internal/access"
	"closeloop/internal/crm"
	"closeloop/internal/entity"
	"closeloop/internal/feedback"
	"closeloop/internal/records"
	"closeloop/internal/store"
)

// feedbackTickets are resolved service tickets of the last six months,
// with the cause each was resolved with: product defects of the vision
// system keep coming back, which the cause review shows.
var feedbackTickets = []struct {
	subject, kind, cause, resolution string
}{
	{"视觉检测误报率升高", crm.TicketRepair, "product_defect", "更换受潮的光源模块，重新标定"},
	{"相机间歇性掉线", crm.TicketRepair, "product_defect", "更换网线接头并升级相机固件"},
	{"操作员不会导出检测报表", crm.TicketConsultation, "usage", "远程培训 30 分钟，发送操作手册"},
	{"AGV 充电桩位置偏移", crm.TicketRepair, "installation", "重新固定充电桩并标定坐标"},
	{"备件到货包装破损", crm.TicketComplaint, "logistics", "补发备件，与物流商索赔"},
	{"接口文档缺少字段说明", crm.TicketConsultation, "documentation", "补充接口文档 2.3 版"},
	{"检测模型对新品误判", crm.TicketRepair, "product_defect", "补充新品样本重新训练模型"},
	{"设备联网网关死机", crm.TicketRepair, "product_defect", "升级网关固件 1.8.2"},
	{"交付延期投诉", crm.TicketComplaint, "other", "项目经理上门说明并调整计划"},
	{"滤芯到期提醒", crm.TicketSpareParts, "consumables", "寄送滤芯两套"},
}

// feedbackLoop writes the after-sales feedback of the demo: resolved
// tickets with causes over six months (their surveys, most answered, a
// few low with recovery tasks), improvement items from the review, and
// return-visit rules with the visits they plan.
func (l *loader) feedbackLoop(ctx context.Context, _ int) error {
	var agents []*user
	var mgr *user
	for _, u := range l.o.all {
		if slices.Contains(u.p.RoleCodes(), access.RoleService) {
			agents = append(agents, u)
		}
	}
	if len(agents) == 0 {
		return nil
	}
	mgr = l.o.admin
	var custs []entity.Record
	for _, cs := range l.custs {
		custs = append(custs, cs...)
	}
	if len(custs) == 0 {
		return nil
	}
	slices.SortFunc(custs, func(a, b entity.Record) int { return strings.Compare(a.ID(), b.ID()) })
	var products []string
	rows, err := l.a.DB.R().QueryContext(ctx, `SELECT id FROM products WHERE deleted_at IS NULL ORDER BY sku`)
	if err != nil {
		return err
	}
	for rows.Next() {
		var id string
		if rows.Scan(&id) == nil {
			products = append(products, id)
		}
	}
	rows.Close()
	te := l.a.DB.Schema().Entity("ticket")
	fb := l.a.Feedback
	n := 0
	for month := 5; month >= 0; month-- {
		for i, spec := range feedbackTickets {
			if (i+month)%3 == 0 && spec.cause != "product_defect" {
				continue // fewer of the others, so the defects stand out
			}
			agent := agents[(n)%len(agents)]
			cust := custs[(n*7)%len(custs)]
			in := entity.Record{"subject": spec.subject, "kind": spec.kind, "channel": crm.ChannelPhone, "description": spec.subject + "，客户来电报告。", "customer_id": cust.ID(),
				"requester_email": fmt.Sprintf("service%d@customer.example.com", n)}
			if len(products) > 0 {
				in["product_id"] = products[i%min(len(products), 3)]
			}
			tk, err := l.a.Tickets.Create(ctx, agent.p, in, nil)
			if err != nil {
				return fmt.Errorf("ticket %s: %w", spec.subject, err)
			}
			resolved := l.daysAgo(float64(month*30) + l.rnd(1, 25))
			err = l.a.DB.Write(ctx, func(tx *store.Tx) error {
				old, err := l.a.DB.Get(ctx, tx, te, tk.ID(), store.True, false)
				if err != nil {
					return err
				}
				_, err = l.a.Records.SetTx(records.AsProcess(ctx), tx, agent.p, te, old, entity.Record{"status": crm.TicketResolved, "cause": spec.cause, "resolution": spec.resolution, "resolved_at": entity.CanonTime(resolved)})
				return err
			})
			if err != nil {
				return fmt.Errorf("resolve %s: %w", spec.subject, err)
			}
			if _, err := l.a.DB.W().ExecContext(ctx, `UPDATE tickets SET created_at = $1 WHERE id = $2`, entity.CanonTime(resolved.Add(-30*time.Hour)), tk.ID()); err != nil {
				return err
			}
			// Most customers answer; a complaint now and then scores low.
			var sid string
			if err := l.a.DB.R().QueryRowContext(ctx, `SELECT id FROM surveys WHERE ticket_id = $1`, tk.ID()).Scan(&sid); err != nil {
				return fmt.Errorf("survey of %s: %w", spec.subject, err)
			}
			if n%5 != 4 && month > 0 || n%3 == 0 {
				link, err := fb.CopyLink(ctx, access.SystemPrincipal(), sid)
				if err != nil {
					return err
				}
				sat, nps := 4+n%2, 8+n%3
				if spec.kind == crm.TicketComplaint && n%2 == 0 {
					sat, nps = 2, 3
				} else if n%7 == 0 {
					sat, nps = 3, 6
				}
				if _, err := fb.Answer(ctx, link.Path[len(feedback.SurveyPath):], "", crm.SurveyAnswer{Satisfaction: sat, NPS: nps, Comment: map[bool]string{true: "响应太慢，希望改进", false: "工程师很专业"}[sat <= 2]}, true, true); err != nil {
					return fmt.Errorf("answer: %w", err)
				}
			} else if _, err := l.a.DB.W().ExecContext(ctx, `UPDATE surveys SET status = $1, sent_at = $2 WHERE id = $3`, crm.SurveySent, entity.CanonTime(resolved.Add(time.Hour)), sid); err != nil {
				return err
			}
			if _, err := l.a.DB.W().ExecContext(ctx, `UPDATE surveys SET created_at = $1, send_after = $2 WHERE id = $3`, entity.CanonTime(resolved), entity.CanonTime(resolved.Add(time.Hour)), sid); err != nil {
				return err
			}
			n++
		}
	}
	// Improvement items from the review, routed to pre-sales.
	owners := l.o.presales
	if len(owners) == 0 {
		owners = []*user{mgr}
	}
	q := feedback.ReportQuery{}
	for i, it := range []struct{ title, cause, desc string }{
		{"视觉系统光源防潮设计", "product_defect", "近半年光源受潮导致误报反复出现，请产品部评估密封结构。"},
		{"报表导出操作视频教程", "usage", "客户多次咨询报表导出，制作 3 分钟视频并放入知识库。"},
		{"备件包装加固标准", "logistics", "与物流商确定防震包装标准。"},
	} {
		ids, err := fb.CauseTickets(ctx, mgr.p, q, it.cause, "", "")
		if err != nil {
			return err
		}
		due := l.today.AddDate(0, 0, []int{-5, 10, 20}[i]).Format(entity.DateLayout)
		item, err := fb.CreateItem(ctx, mgr.p, feedback.NewItem{Title: it.title, Cause: it.cause, Description: it.desc, OwnerID: owners[i%len(owners)].id, DueDate: due, TicketIDs: ids})
		if err != nil {
			return fmt.Errorf("improvement %s: %w", it.title, err)
		}
		if i == 1 {
			if _, err := fb.StepItem(ctx, mgr.p, item.ID(), feedback.ItemStep{Step: crm.ImprovementStepStart}); err != nil {
				return err
			}
		}
	}
	// Return-visit rules and the visits they plan now.
	for _, r := range []entity.Record{
		{"name": "工单解决后 7 天回访", "trigger": crm.TriggerAfterResolved, "days": int64(7), "assignee": crm.AssignTicketAgent},
		{"name": "签收/验收后 14 天回访", "trigger": crm.TriggerAfterAcceptance, "days": int64(14), "assignee": crm.AssignAccountOwner},
		{"name": "A 类客户季度回访", "trigger": crm.TriggerPeriodicByLevel, "customer_level": "A", "months": int64(3), "assignee": crm.AssignAccountOwner},
	} {
		if _, err := l.a.Records.Create(ctx, mgr.p, "return_visit_rule", r); err != nil {
			return fmt.Errorf("visit rule: %w", err)
		}
	}
	if _, err := fb.PlanVisits(ctx, 300); err != nil {
		return fmt.Errorf("plan visits: %w", err)
	}
	return nil
}
