package demo

import (
	"context"
	"fmt"
	"time"

	"closeloop/internal/access"
	"closeloop/internal/crm"
	"closeloop/internal/entity"
	"closeloop/internal/tickets"
)

// The ticket part of the demo: the customer service centre's agents as
// service agents (skills, regions, limits; a third agent who takes
// hardware repairs in the east), and tickets in every status for the demo
// customers — new in the queue, assigned, being worked, waiting for the
// customer or for parts, resolved with a cause, closed, reopened, and a
// duplicate merged into its original — each through the ticket service,
// so they carry their conversation, system lines and timeline events.
// Deadlines are the SLA part's; where it has not set any (run alone), a
// few are set here so the queue's countdowns show.

type tkLoader struct {
	*loader
	agents []*user
	team   string
	sys    *access.Principal
}

func (l *loader) tickets(ctx context.Context, _ int) error {
	tl := &tkLoader{loader: l, team: l.o.teams["service"], sys: access.SystemPrincipal()}
	for _, u := range l.o.all {
		if u.p.HasRole(access.RoleService) {
			tl.agents = append(tl.agents, u)
		}
	}
	if tl.team == "" || len(tl.agents) == 0 {
		return nil
	}
	if err := tl.profiles(ctx); err != nil {
		return fmt.Errorf("service agents: %w", err)
	}
	return tl.cases(ctx)
}

// profiles makes a service profile for each service user who has none.
func (tl *tkLoader) profiles(ctx context.Context) error {
	skills := [][]string{{"hardware", "installation"}, {"software"}, {"hardware"}}
	regions := [][]string{{"east", "north"}, {"south", "east"}, {"east"}}
	for i, u := range tl.agents {
		var n int
		if err := tl.a.DB.R().QueryRowContext(ctx, `SELECT count(*) FROM service_agents WHERE user_id = $1 AND deleted_at IS NULL`, u.id).Scan(&n); err != nil {
			return err
		}
		if n > 0 {
			continue
		}
		rec := entity.Record{"user_id": u.id, "team_id": tl.team, "max_open": int64(15), "field_engineer": i == 0,
			"skills": skills[i%len(skills)], "regions": regions[i%len(regions)]}
		if _, err := tl.a.Records.Create(ctx, tl.sys, "service_agent", rec); err != nil {
			return fmt.Errorf("agent %s: %w", u.email, err)
		}
	}
	return nil
}

// demoCase is one demo ticket and how far it went.
type demoCase struct {
	subject, description, kind, channel, priority, skill, region string
	customerSays                                                 string
	steps                                                        []tickets.StepInput
	names                                                        []string
	due                                                          time.Duration // resolution deadline from now (0: none)
	firstDue                                                     time.Duration
}

func (tl *tkLoader) cases(ctx context.Context) error {
	custs, err := (&fulLoader{loader: tl.loader}).customers(ctx, 12)
	if err != nil {
		return err
	}
	if len(custs) == 0 {
		return nil
	}
	r := func(b string) tickets.StepInput { return tickets.StepInput{Body: b} }
	cases := []demoCase{
		{subject: "激光位移传感器读数漂移", description: "产线上两台 LK-G5000 传感器读数每小时漂移约 0.02 mm，已排除温度因素。", kind: crm.TicketRepair, channel: crm.ChannelWebForm,
			priority: crm.PriorityHigh, skill: "hardware", region: "east", customerSays: "读数漂移影响良率，请尽快安排。", firstDue: 25 * time.Minute, due: 6 * time.Hour},
		{subject: "咨询备件价格与交期", description: "需要采购两套工业相机镜头备件，想了解价格和交期。", kind: crm.TicketSpareParts, channel: crm.ChannelEmail,
			priority: crm.PriorityNormal, customerSays: "请报价：镜头 2 套。", firstDue: -40 * time.Minute, due: 20 * time.Hour},
		{subject: "PLC 程序下载失败", description: "使用 TIA Portal 下载程序时报错“连接中断”。", kind: crm.TicketRepair, channel: crm.ChannelPhone, priority: crm.PriorityUrgent,
			skill: "software", steps: []tickets.StepInput{{}}, names: []string{crm.TicketStepTake}, firstDue: 10 * time.Minute, due: 4 * time.Hour},
		{subject: "设备安装后噪音偏大", description: "新装机柜风扇噪音偏大，客户希望现场检查。", kind: crm.TicketComplaint, channel: crm.ChannelAccount, priority: crm.PriorityHigh,
			steps: []tickets.StepInput{{}, r("您好，我们已收到反馈，工程师今天下午联系您确认上门时间。")}, names: []string{crm.TicketStepTake, crm.TicketStepReply}, due: -90 * time.Minute},
		{subject: "相机图像偶发丢帧", description: "GigE 相机每天偶发丢帧 3~5 次。", kind: crm.TicketRepair, channel: crm.ChannelEmail, priority: crm.PriorityNormal,
			steps: []tickets.StepInput{{}, {Body: "请提供交换机型号和网卡驱动版本，并发送相机日志。", Wait: true}}, names: []string{crm.TicketStepTake, crm.TicketStepReply}, due: 30 * time.Hour},
		{subject: "控制柜主板故障", description: "控制柜主板烧毁，需更换。", kind: crm.TicketRepair, channel: crm.ChannelOnSite, priority: crm.PriorityHigh,
			steps: []tickets.StepInput{{}, r("工程师已确认主板损坏，已申请备件。"), r("备件预计周五到货")}, names: []string{crm.TicketStepTake, crm.TicketStepReply, crm.TicketStepWaitParts}, due: 3 * 24 * time.Hour},
		{subject: "软件授权到期提醒", description: "视觉软件授权下月到期，咨询续费流程。", kind: crm.TicketConsultation, channel: crm.ChannelPortal, priority: crm.PriorityLow,
			steps: []tickets.StepInput{{}, r("续费流程已发至您的邮箱。"), {Cause: "documentation", Resolution: "发送续费流程说明与报价单。"}},
			names: []string{crm.TicketStepTake, crm.TicketStepReply, crm.TicketStepResolve}},
		{subject: "传感器安装支架松动", description: "安装支架螺丝松动导致测量不稳定。", kind: crm.TicketRepair, channel: crm.ChannelPhone, priority: crm.PriorityNormal,
			steps: []tickets.StepInput{{}, r("请按附件说明紧固支架螺丝。"), {Cause: "installation", Resolution: "指导客户紧固支架，测量恢复稳定。"}, {}},
			names: []string{crm.TicketStepTake, crm.TicketStepReply, crm.TicketStepResolve, crm.TicketStepClose}},
		{subject: "打印标签模糊", description: "标签打印机打印内容模糊。", kind: crm.TicketRepair, channel: crm.ChannelEmail, priority: crm.PriorityNormal,
			steps: []tickets.StepInput{{}, r("请清洁打印头后重试。"), {Cause: "usage", Resolution: "指导客户清洁打印头。"}, r("客户反馈清洁后仍然模糊")},
			names: []string{crm.TicketStepTake, crm.TicketStepReply, crm.TicketStepResolve, crm.TicketStepReopen}, due: 8 * time.Hour},
		{subject: "读数漂移（重复报修）", description: "同一问题客户又通过邮件报了一次。", kind: crm.TicketRepair, channel: crm.ChannelEmail, priority: crm.PriorityHigh},
	}
	var first entity.Record
	for i, dc := range cases {
		c := custs[i%len(custs)]
		if i == len(cases)-1 {
			c = custs[0]
		}
		in := entity.Record{"subject": dc.subject, "description": dc.description, "kind": dc.kind, "channel": dc.channel, "priority": dc.priority, "customer_id": c[0]}
		if dc.skill != "" {
			in["skill"] = dc.skill
		}
		if dc.region != "" {
			in["region"] = dc.region
		}
		var msg *tickets.Message
		if dc.customerSays != "" {
			msg = &tickets.Message{Kind: crm.MessageCustomer, Body: dc.customerSays, Channel: dc.channel, FromName: "客户联系人"}
		}
		t, err := tl.a.Tickets.Create(ctx, tl.sys, in, msg)
		if err != nil {
			return fmt.Errorf("ticket %s: %w", dc.subject, err)
		}
		if i == 0 {
			first = t
		}
		if err := tl.deadlines(ctx, t.ID(), dc); err != nil {
			return err
		}
		agent := tl.agents[i%len(tl.agents)].p
		for j, st := range dc.steps {
			if _, err := tl.a.Tickets.Step(ctx, agent, t.ID(), dc.names[j], st); err != nil {
				return fmt.Errorf("ticket %s: %s: %w", dc.subject, dc.names[j], err)
			}
		}
	}
	// The duplicate goes into the first ticket (after someone took both).
	var dup string
	if err := tl.a.DB.R().QueryRowContext(ctx, `SELECT id FROM tickets WHERE subject = $1 ORDER BY created_at DESC LIMIT 1`, cases[len(cases)-1].subject).Scan(&dup); err != nil {
		return err
	}
	boss := tl.sys
	if _, err := tl.a.Tickets.Step(ctx, boss, dup, crm.TicketStepMerge, tickets.StepInput{TargetID: first.ID(), Body: "与 " + first.Str("number") + " 为同一问题"}); err != nil {
		return fmt.Errorf("merge: %w", err)
	}
	return nil
}

// deadlines sets demo deadlines where the SLA rules left none.
func (tl *tkLoader) deadlines(ctx context.Context, id string, dc demoCase) error {
	if dc.due == 0 && dc.firstDue == 0 {
		return nil
	}
	now := time.Now()
	at := func(d time.Duration) any {
		if d == 0 {
			return nil
		}
		return entity.CanonTime(now.Add(d))
	}
	state := crm.SLAOk
	switch {
	case dc.firstDue < 0 || dc.due < 0:
		state = crm.SLABreached
	case (dc.firstDue > 0 && dc.firstDue < 30*time.Minute) || (dc.due > 0 && dc.due < time.Hour):
		state = crm.SLAWarning
	}
	_, err := tl.a.DB.W().ExecContext(ctx, `UPDATE tickets SET first_response_due_at = COALESCE(first_response_due_at, $1),
		resolution_due_at = COALESCE(resolution_due_at, $2), sla_state = CASE WHEN resolution_due_at IS NULL THEN $3 ELSE sla_state END WHERE id = $4`,
		at(dc.firstDue), at(dc.due), state, id)
	return err
}
