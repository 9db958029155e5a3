package demo

import (
	"context"
	"fmt"

	"closeloop/internal/access"
	"closeloop/internal/channels"
	"closeloop/internal/crm"
	"closeloop/internal/i18n"
	"closeloop/internal/store"
	"closeloop/internal/tickets"
)

// The channels part of the demo: service requests as customers send them
// — through the public form (known contacts, matched by their e-mail or
// phone, and a stranger), and by mail to the service mailbox (one opening
// a ticket, one answering it by the number in its subject) — with the
// acknowledgements queued in the outbox, one public knowledge-base article
// for the portal, and a service agent's reply. Everything through the
// channels service, as the form and the mailbox job do.

func (l *loader) channels(ctx context.Context, _ int) error {
	ch := l.a.Channels
	if ch == nil {
		return nil
	}
	var agent *access.Principal
	for _, u := range l.o.all {
		if u.p.HasRole(access.RoleService) {
			agent = u.p
			break
		}
	}
	rows, err := l.a.DB.R().QueryContext(ctx, `SELECT c.name, c.email, c.phone, k.name FROM contacts c JOIN customers k ON k.id = c.customer_id
		WHERE c.deleted_at IS NULL AND k.deleted_at IS NULL AND c.email IS NOT NULL AND NOT c.do_not_contact ORDER BY c.created_at, c.id LIMIT 4`)
	if err != nil {
		return err
	}
	type who struct{ name, email, phone, company string }
	var people []who
	for rows.Next() {
		var w who
		var phone *string
		if err := rows.Scan(&w.name, &w.email, &phone, &w.company); err != nil {
			rows.Close()
			return err
		}
		if phone != nil {
			w.phone = *phone
		}
		people = append(people, w)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	problems := []struct{ kind, text string }{
		{crm.TicketRepair, "设备开机后报警 E-21，无法进入自动模式。\n昨天下午更换过传感器电缆。"},
		{crm.TicketConsultation, "想了解年度维保合同包含哪些服务，以及备件价格。"},
		{crm.TicketComplaint, "上周报修的问题工程师还没有上门，影响生产，请尽快安排。"},
		{crm.TicketSpareParts, "需要采购 2 套易损件（密封圈、滤芯），请报价。"},
	}
	var first channels.Receipt
	for i, w := range people {
		p := problems[i%len(problems)]
		rc, err := ch.Submit(ctx, channels.Request{Name: w.name, Company: w.company, Email: w.email, Phone: w.phone, Kind: p.kind, Description: p.text,
			Channel: crm.ChannelWebForm, IP: fmt.Sprintf("demo-%d", i), Lang: i18n.ZH})
		if err != nil {
			return fmt.Errorf("form request: %w", err)
		}
		if i == 0 {
			first = rc
		}
	}
	if _, err := ch.Submit(ctx, channels.Request{Name: "路人甲", Phone: "13912345678", Kind: crm.TicketConsultation,
		Description: "在展会上看到贵司的检测设备，想咨询是否支持 24 小时连续运行。", Channel: crm.ChannelWebForm, IP: "demo-stranger", Lang: i18n.ZH}); err != nil {
		return fmt.Errorf("stranger's request: %w", err)
	}
	mailIn := "From: =?UTF-8?B?5byg5Li75Lu7?= <zhang.zr@example.net>\r\nTo: service@example.com\r\nSubject: =?UTF-8?B?5omT5Y2w5py65Y2h57q4?=\r\n" +
		"Message-ID: <demo-mail-1@example.net>\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n您好，我们的设备打印时频繁卡纸，已按手册清理过，仍然出现。\r\n"
	f, err := ch.Ingest(ctx, []byte(mailIn), "")
	if err != nil {
		return fmt.Errorf("mail in: %w", err)
	}
	reply := "From: zhang.zr@example.net\r\nTo: service@example.com\r\nSubject: Re: [" + f.Number + "] =?UTF-8?B?5omT5Y2w5py65Y2h57q4?=\r\n" +
		"Message-ID: <demo-mail-2@example.net>\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n补充：卡纸多发生在双面打印时。\r\n"
	if _, err := ch.Ingest(ctx, []byte(reply), ""); err != nil {
		return fmt.Errorf("mail reply: %w", err)
	}
	if _, err := l.a.Records.Create(ctx, access.SystemPrincipal(), "knowledge_article", map[string]any{"title": "设备报警 E-21 的自助排查", "category": "faq",
		"audience": "public", "summary": "传感器电缆与接头的检查步骤", "body": "1. 断电后检查传感器电缆是否插紧；\n2. 检查接头是否有油污；\n3. 重新上电，仍报警请提交服务请求。"}); err != nil {
		// the category pick-list may differ: the portal simply shows no article
		_ = err
	}
	if agent != nil && first.TicketID() != "" {
		err := l.a.DB.Write(ctx, func(tx *store.Tx) error {
			_, err := l.a.Tickets.AddMessage(ctx, tx, agent, first.TicketID(), ticketReply("您好，请先按知识库文章《设备报警 E-21 的自助排查》检查电缆，若仍报警我们安排工程师上门。"))
			return err
		})
		if err != nil {
			return fmt.Errorf("agent's reply: %w", err)
		}
	}
	return nil
}

func ticketReply(body string) tickets.Message {
	return tickets.Message{Kind: crm.MessageReply, Body: body}
}
