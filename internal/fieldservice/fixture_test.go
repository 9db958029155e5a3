package fieldservice_test

import (
	"context"
	"testing"
	"time"

	"closeloop/internal/access"
	"closeloop/internal/apptest"
	"closeloop/internal/entity"
	"closeloop/internal/fieldservice"
	"closeloop/internal/tickets"
)

var ctx = context.Background()

// env is a fixture organisation with a service manager, two field
// engineers with their vans, a central store, parts, a customer of rep 1
// and a ticket of theirs.
type env struct {
	*apptest.Fixture
	S                   *fieldservice.Service
	Mgr, Eng1, Eng2     *access.Principal
	Central, Van1, Van2 entity.Record
	Filter, Belt        entity.Record // parts: min stock 2 and 0
	Customer, Other     entity.Record
	Ticket              entity.Record
}

func newEnv(t *testing.T) *env {
	t.Helper()
	f := apptest.NewFixture(t)
	e := &env{Fixture: f, S: f.App.FieldService}
	sys := access.SystemPrincipal()
	e.Mgr = f.AddUser(t, "钱经理", "qian@example.com", f.South, access.RoleServiceManager)
	e.Eng1 = f.AddUser(t, "周工", "zhou@example.com", f.South, access.RoleFieldEngineer)
	e.Eng2 = f.AddUser(t, "吴工", "wu@example.com", f.South, access.RoleFieldEngineer)
	for _, u := range []*access.Principal{e.Eng1, e.Eng2} {
		if _, err := f.App.Records.Create(ctx, sys, "service_agent", entity.Record{"user_id": u.UserID, "team_id": f.South, "field_engineer": true}); err != nil {
			t.Fatalf("agent: %v", err)
		}
	}
	e.Central = e.create(t, sys, "warehouse", entity.Record{"code": "WH-C", "name": "中心库", "kind": "central"})
	e.Van1 = e.create(t, sys, "warehouse", entity.Record{"code": "VAN-1", "name": "周工随车库", "kind": "van", "keeper_id": e.Eng1.UserID})
	e.Van2 = e.create(t, sys, "warehouse", entity.Record{"code": "VAN-2", "name": "吴工随车库", "kind": "van", "keeper_id": e.Eng2.UserID})
	e.Filter = e.create(t, sys, "spare_part", entity.Record{"sku": "SP-FLT", "name": "滤芯", "unit": "个", "min_stock": int64(2)})
	e.Belt = e.create(t, sys, "spare_part", entity.Record{"sku": "SP-BLT", "name": "同步带", "unit": "条"})
	e.Customer = f.Customer(t, f.Rep1, "合肥京东方光电科技有限公司", "address", "合肥市新站区东方大道 2177 号")
	e.Other = f.Customer(t, f.Rep1, "苏州汇川技术有限公司")
	tk, err := f.App.Tickets.Create(ctx, f.Service, entity.Record{"subject": "设备异响", "customer_id": e.Customer.ID(), "description": "主轴异响"}, &tickets.Message{Kind: "customer", Body: "主轴异响"})
	if err != nil {
		t.Fatalf("ticket: %v", err)
	}
	e.Ticket = tk
	return e
}

func (e *env) create(t *testing.T, p *access.Principal, name string, in entity.Record) entity.Record {
	t.Helper()
	r, err := e.App.Records.Create(ctx, p, name, in)
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	return r
}

// move records a movement as p.
func (e *env) move(p *access.Principal, kind, part, wh string, qty int64, extra ...any) (entity.Record, error) {
	in := entity.Record{"kind": kind, "part_id": part, "warehouse_id": wh, "quantity": qty}
	for i := 0; i+1 < len(extra); i += 2 {
		in[extra[i].(string)] = extra[i+1]
	}
	return e.S.Move(ctx, p, in)
}

func (e *env) stock(t *testing.T, part, wh string) int64 {
	t.Helper()
	n, err := e.S.Stock(ctx, part, wh)
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// visit plans a visit of the ticket for engineer at start.
func (e *env) visit(t *testing.T, p *access.Principal, engineer string, start time.Time) entity.Record {
	t.Helper()
	v, err := e.S.CreateVisit(ctx, p, entity.Record{"ticket_id": e.Ticket.ID(), "appointment_start": start, "appointment_end": start.Add(2 * time.Hour)}, engineer)
	if err != nil {
		t.Fatalf("visit: %v", err)
	}
	return v
}

func fieldserviceLowOnly() fieldservice.StockFilter { return fieldservice.StockFilter{LowOnly: true} }
