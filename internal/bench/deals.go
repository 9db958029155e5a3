package bench

import (
	"context"
	"fmt"
	"io"
	"math"
	"net/url"
	"strings"
	"time"

	"closeloop/internal/access"
	"closeloop/internal/app"
	"closeloop/internal/crm"
	"closeloop/internal/demo/zhdata"
	"closeloop/internal/entity"
	"closeloop/internal/presales"
	"closeloop/internal/records"
	"closeloop/internal/search"
	"closeloop/internal/store"
)

// projectWords name generated deals after what companies buy.
var projectWords = []string{"数字化工厂一期", "MES 升级", "智能仓储", "质检系统", "CRM 替换", "产线改造", "能耗管理平台", "设备联网",
	"安全生产监控", "供应链协同", "数据中台", "视觉检测", "办公自动化", "备件管理", "二期扩容", "年度运维服务"}

// stageWeights make early stages fuller than late ones, as in a live
// pipeline (index = stage position - 1).
var stageWeights = []float64{0.22, 0.18, 0.15, 0.11, 0.1, 0.08, 0.07, 0.05, 0.04}

// GenDeals adds total opportunities to a generated set, spread over its
// customers (owner and team from the customer), with the columns the
// opportunity service writes — pipeline and stage, probability from the
// stage, status (three in four open), amount, expected close date — and
// their search documents. It writes through the same sinks as Generate.
// Stage history and timeline rows are not generated: the board, funnel
// and forecast read the opportunities alone.
func GenDeals(ctx context.Context, a *app.App, total int, seed uint64, log io.Writer) (int, error) {
	if total <= 0 {
		return 0, nil
	}
	st, err := readState(ctx, a.DB)
	if err != nil {
		return 0, err
	}
	if st == nil {
		return 0, fmt.Errorf("bench: no generated set here (run gen first)")
	}
	var have int
	if err := a.DB.R().QueryRowContext(ctx, `SELECT count(*) FROM opportunities`).Scan(&have); err != nil {
		return 0, err
	}
	if have >= total {
		return 0, nil
	}
	type pl struct {
		id     string
		stages []crm.Stage
	}
	var pipes []pl
	for _, code := range []string{"project", "contact"} {
		var id string
		if err := a.DB.R().QueryRowContext(ctx, `SELECT id FROM pipelines WHERE code = $1`, code).Scan(&id); err != nil {
			return 0, fmt.Errorf("bench: pipeline %s: %w", code, err)
		}
		stages, err := a.Presales.Stages(ctx, a.DB.R(), id)
		if err != nil {
			return 0, err
		}
		pipes = append(pipes, pl{id, stages})
	}
	sink, err := newSink(ctx, a)
	if err != nil {
		return 0, err
	}
	defer sink.close()
	oe := a.DB.Schema().Entity("opportunity")
	f := zhdata.New(seed, uint64(have)+7)
	now := time.Now().UTC()
	const first = "00000000-0000-0000-0000-000000000000" // below every id, on both engines
	written, after := 0, first
	start := time.Now()
	for written < total-have {
		custs, err := store.Strings(ctx, a.DB.R(), `SELECT id FROM customers WHERE id > $1 AND deleted_at IS NULL ORDER BY id LIMIT 2000`, after)
		if err != nil {
			return written, err
		}
		if len(custs) == 0 {
			if after == first {
				return written, fmt.Errorf("bench: no customers to give deals to")
			}
			after = first // wrap around: several deals per customer
			continue
		}
		after = custs[len(custs)-1]
		recs, err := a.DB.GetMany(ctx, a.DB.R(), a.DB.Schema().Entity("customer"), custs, nil)
		if err != nil {
			return written, err
		}
		b := &batch{}
		t := entityTable(oe)
		for _, cid := range custs {
			c := recs[cid]
			if c == nil || written+len(t.rows) >= total-have {
				continue
			}
			p := pipes[0]
			if f.Chance(0.2) {
				p = pipes[1]
			}
			i := pickWeighted(f, stageWeights[:len(p.stages)])
			stage := p.stages[i]
			created := between(f, now.AddDate(0, -18, 0), now.AddDate(0, 0, -1))
			updated := between(f, created, now)
			amount := int64(math.Exp(f.R.NormFloat64()*1.1+math.Log(300_000))) * 100
			status := crm.OppOpen
			switch r := f.R.Float64(); {
			case r < 0.15:
				status = crm.OppWon
			case r < 0.25:
				status = crm.OppLost
			}
			rec := entity.Record{
				"id": idAt(created, f), "version": int64(1), "created_at": created, "updated_at": updated,
				"created_by": c["owner_id"], "updated_by": c["owner_id"], "owner_id": c["owner_id"], "team_id": c["team_id"],
				"name": shortName(c.Str("name")) + zhdata.One(f, projectWords), "customer_id": cid, "amount": amount, "currency": "CNY",
				"expected_close_date": between(f, now.AddDate(0, -2, 0), now.AddDate(0, 12, 0)).Format(entity.DateLayout),
				"pipeline_id":         p.id, "stage_id": stage.ID, "stage": stage.Code, "stage_entered_at": between(f, created, updated),
				"probability": int64(stage.Probability), "status": status, "source": c["source"],
			}
			if f.Chance(0.02) {
				rec["currency"] = "USD"
			}
			switch status {
			case crm.OppWon:
				rec["probability"], rec["closed_at"] = int64(100), updated
			case crm.OppLost:
				rec["probability"], rec["closed_at"], rec["lost_reason"] = int64(0), updated, "price"
			}
			t.add(encodeRow(oe, rec))
			owners, teams := []string{rec.Str("owner_id")}, []string{rec.Str("team_id")}
			toks := search.Tokens(records.SearchParts(oe, rec))
			toks = append(toks, store.VisTokens("opportunity", owners, teams, false)...)
			b.docs = append(b.docs, doc{entity: "opportunity", id: rec.ID(), tokens: strings.Join(toks, " ")})
		}
		b.tables = []*table{t}
		if err := sink.write(ctx, b, *st); err != nil {
			return written, err
		}
		written += len(t.rows)
		if log != nil && written%100_000 < len(t.rows) {
			fmt.Fprintf(log, "deals: %d written, %.0f rows/s\n", written, float64(written)/time.Since(start).Seconds())
		}
	}
	if err := sink.finish(ctx); err != nil {
		return written, err
	}
	return written, a.Presales.RebuildTotals(ctx)
}

// shortName drops the legal suffix of a company name for a deal's name.
func shortName(s string) string {
	for _, suf := range []string{"股份有限公司", "集团有限公司", "有限责任公司", "有限公司"} {
		s = strings.TrimSuffix(s, suf)
	}
	return s
}

func pickWeighted(f *zhdata.Faker, w []float64) int {
	var sum float64
	for _, x := range w {
		sum += x
	}
	r := f.R.Float64() * sum
	for i, x := range w {
		if r < x {
			return i
		}
		r -= x
	}
	return len(w) - 1
}

// DealsReport holds the pre-sales bars: the board of one pipeline filtered
// by team, the org-wide and per-owner funnel, and the forecast by month,
// each through the API beside the raw statements behind it.
type DealsReport struct {
	Board, FunnelAll, FunnelOwner, Forecast         Result
	RawBoard, RawFunnelAll, RawFunnelOwner, RawFore Result
}

// BenchDeals measures the pre-sales report endpoints.
func (e *Env) BenchDeals(ctx context.Context, l Load) (DealsReport, error) {
	var rep DealsReport
	org := e.Info.Org
	admin := org.Admin
	adminTok, err := e.Token(ctx, admin)
	if err != nil {
		return rep, err
	}
	type viewer struct {
		tok string
		p   *access.Principal
		arg string
	}
	var depts, reps []viewer
	for i, d := range org.Depts {
		m := org.DeptManagers[i]
		tok, err := e.Token(ctx, m)
		if err != nil {
			return rep, err
		}
		p, err := e.Principal(ctx, m)
		if err != nil {
			return rep, err
		}
		depts = append(depts, viewer{tok, p, d})
	}
	for i := 0; i < len(org.Reps) && i < 20; i++ {
		r := org.Reps[(i*7)%len(org.Reps)]
		tok, err := e.Token(ctx, r)
		if err != nil {
			return rep, err
		}
		p, err := e.Principal(ctx, r)
		if err != nil {
			return rep, err
		}
		reps = append(reps, viewer{tok, p, r.ID})
	}
	adminP, err := e.Principal(ctx, admin)
	if err != nil {
		return rep, err
	}
	ps := e.App.Presales
	from := time.Now().In(e.App.Loc)
	apiGet := func(tok, path string) error {
		_, err := e.do(ctx, "GET", path, cred{token: tok}, nil, 200, false)
		return err
	}
	rep.Board = Run(ctx, "board by team (API)", l, func(ctx context.Context, w, i int) error {
		v := depts[(w+i*l.Conns)%len(depts)]
		return apiGet(v.tok, "/api/v1/opportunities/board?team_id="+v.arg)
	})
	rep.RawBoard = Run(ctx, "board by team (service)", l, func(ctx context.Context, w, i int) error {
		v := depts[(w+i*l.Conns)%len(depts)]
		_, err := ps.Board(ctx, v.p, presales.DealFilter{TeamID: v.arg}, 20)
		return err
	})
	rep.FunnelAll = Run(ctx, "funnel org-wide (API)", l, func(ctx context.Context, w, i int) error {
		return apiGet(adminTok, "/api/v1/reports/funnel")
	})
	rep.RawFunnelAll = Run(ctx, "funnel org-wide (service)", l, func(ctx context.Context, w, i int) error {
		_, err := ps.Funnel(ctx, adminP, presales.DealFilter{})
		return err
	})
	rep.FunnelOwner = Run(ctx, "funnel per owner (API)", l, func(ctx context.Context, w, i int) error {
		v := reps[(w+i*l.Conns)%len(reps)]
		return apiGet(v.tok, "/api/v1/reports/funnel?owner_id="+v.arg)
	})
	rep.RawFunnelOwner = Run(ctx, "funnel per owner (service)", l, func(ctx context.Context, w, i int) error {
		v := reps[(w+i*l.Conns)%len(reps)]
		_, err := ps.Funnel(ctx, v.p, presales.DealFilter{OwnerID: v.arg})
		return err
	})
	q := url.Values{"from": {from.Format("2006-01")}, "months": {"6"}}
	rep.Forecast = Run(ctx, "forecast 6 months org-wide (API)", l, func(ctx context.Context, w, i int) error {
		return apiGet(adminTok, "/api/v1/reports/forecast?"+q.Encode())
	})
	rep.RawFore = Run(ctx, "forecast 6 months org-wide (service)", l, func(ctx context.Context, w, i int) error {
		_, err := ps.Forecast(ctx, adminP, presales.DealFilter{}, from, 6, "")
		return err
	})
	return rep, nil
}
