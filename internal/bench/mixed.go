package bench

import (
	"bufio"
	"context"
	"fmt"
	"net/url"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"closeloop/internal/store"
)

// MixedReport is a mixed load against a server and its memory use.
type MixedReport struct {
	Total   Result
	ByKind  map[string]Result
	PeakRSS int64 // bytes: the highest resident set seen while sampling
	HWM     int64 // bytes: the kernel's high-water mark at the end (VmHWM)
	Samples int
}

type ownedCustomer struct {
	id   string
	user User
}

// BenchMixed drives what a sales floor does at once — lists (45 %),
// searches (20 %), customer pages with their timeline (20 %), new
// activities (10 %) and new customers (5 %) — from many users, and samples
// the server's memory (pid > 0: /proc/pid/status).
func (e *Env) BenchMixed(ctx context.Context, l Load, pid int) (MixedReport, error) {
	rep := MixedReport{ByKind: map[string]Result{}}
	org := e.Info.Org
	users := org.Reps[:min(len(org.Reps), 40)]
	var toks []string
	for _, u := range users {
		t, err := e.Token(ctx, u)
		if err != nil {
			return rep, err
		}
		toks = append(toks, t)
	}
	mgr := org.ManagerOf(users[0])
	mgrTok, err := e.Token(ctx, mgr)
	if err != nil {
		return rep, err
	}
	var owned []ownedCustomer
	for i, u := range users {
		ids, err := store.Strings(ctx, e.App.DB.R(), `SELECT id FROM customers WHERE owner_id = $1 AND deleted_at IS NULL ORDER BY updated_at DESC LIMIT 50`, u.ID)
		if err != nil {
			return rep, err
		}
		for _, id := range ids {
			owned = append(owned, ownedCustomer{id: id, user: users[i]})
		}
	}
	if len(owned) == 0 {
		return rep, fmt.Errorf("bench: no owned customers to open")
	}
	tokOf := map[string]string{}
	for i, u := range users {
		tokOf[u.ID] = toks[i]
	}
	classes, err := e.SearchQueries(ctx)
	if err != nil {
		return rep, err
	}
	in := newCreateInput(l.Conns)
	levels := []string{"A", "B", "C", "D"}
	kinds := []string{"list", "list", "list", "list", "list", "list", "list", "list", "list",
		"search", "search", "search", "search", "detail", "detail", "detail", "detail", "activity", "activity", "customer"}
	var mu sync.Mutex
	byKind := map[string]*Result{}
	record := func(k string, d time.Duration, err error) {
		mu.Lock()
		defer mu.Unlock()
		r := byKind[k]
		if r == nil {
			r = &Result{Name: "mixed: " + k, Conns: l.Conns}
			byKind[k] = r
		}
		if err != nil {
			r.Errors++
			if r.FirstErr == nil {
				r.FirstErr = err
			}
			return
		}
		r.N++
		r.lat = append(r.lat, d)
	}
	op := func(ctx context.Context, w, i int) error {
		n := w*1000003 + i*7919
		k := kinds[n%len(kinds)]
		t0 := time.Now()
		var err error
		switch k {
		case "list":
			ui := n % len(users)
			v := url.Values{"owner_id": {users[ui].ID}, "level": {levels[(n/7)%4]}}
			tok := toks[ui]
			if n%5 == 0 {
				tok = mgrTok // the manager looks at one of the team
				v.Set("owner_id", users[0].ID)
			}
			_, err = e.do(ctx, "GET", "/api/v1/customers?"+v.Encode(), cred{token: tok}, nil, 200, false)
		case "search":
			qc := classes[(n/3)%len(classes)]
			if len(qc.Queries) > 0 {
				q := qc.Queries[(n/11)%len(qc.Queries)]
				_, err = e.do(ctx, "GET", "/api/v1/search?q="+url.QueryEscape(q), cred{token: toks[n%len(toks)]}, nil, 200, false)
			}
		case "detail":
			c := owned[n%len(owned)]
			tok := tokOf[c.user.ID]
			if _, err = e.do(ctx, "GET", "/api/v1/customers/"+c.id, cred{token: tok}, nil, 200, false); err == nil {
				_, err = e.do(ctx, "GET", "/api/v1/customers/"+c.id+"/timeline", cred{token: tok}, nil, 200, false)
			}
		case "activity":
			c := owned[n%len(owned)]
			body := map[string]any{"kind": "call", "subject": "电话跟进报价反馈", "customer_id": c.id,
				"summary": "客户反馈报价偏高，希望下周安排技术交流。", "next_step": "安排技术交流", "next_step_due": time.Now().AddDate(0, 0, 7).Format("2006-01-02")}
			_, err = e.do(ctx, "POST", "/api/v1/activities", cred{token: tokOf[c.user.ID]}, body, 201, false)
		case "customer":
			_, err = e.do(ctx, "POST", "/api/v1/customers", cred{token: toks[n%len(toks)]}, jsonBody(in.record(w)), 201, false)
		}
		if ctx.Err() == nil {
			record(k, time.Since(t0), err)
		}
		return err
	}
	stop := make(chan struct{})
	done := make(chan struct{})
	go func() {
		defer close(done)
		if pid <= 0 {
			return
		}
		tk := time.NewTicker(200 * time.Millisecond)
		defer tk.Stop()
		for {
			if rss, _, err := procMem(pid); err == nil {
				rep.Samples++
				rep.PeakRSS = max(rep.PeakRSS, rss)
			}
			select {
			case <-stop:
				return
			case <-tk.C:
			}
		}
	}()
	rep.Total = Run(ctx, "mixed load (all)", l, op)
	close(stop)
	<-done
	if pid > 0 {
		if _, hwm, err := procMem(pid); err == nil {
			rep.HWM = hwm
		}
	}
	for k, r := range byKind {
		r.Elapsed = rep.Total.Elapsed
		sortDur(r.lat)
		rep.ByKind[k] = *r
	}
	return rep, nil
}

func sortDur(d []time.Duration) { slices.Sort(d) }

// procMem reads VmRSS and VmHWM of a process, in bytes.
func procMem(pid int) (rss, hwm int64, err error) {
	f, err := os.Open("/proc/" + strconv.Itoa(pid) + "/status")
	if err != nil {
		return 0, 0, err
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := sc.Text()
		for _, k := range []string{"VmRSS:", "VmHWM:"} {
			if strings.HasPrefix(line, k) {
				fs := strings.Fields(line[len(k):])
				if len(fs) > 0 {
					kb, _ := strconv.ParseInt(fs[0], 10, 64)
					if k == "VmRSS:" {
						rss = kb * 1024
					} else {
						hwm = kb * 1024
					}
				}
			}
		}
	}
	return rss, hwm, sc.Err()
}

// ResetPeak resets the kernel's high-water mark of this process's
// resident set (Linux: clear_refs 5), so a following peak is the peak of
// what runs next.
func ResetPeak() error {
	return os.WriteFile("/proc/self/clear_refs", []byte("5"), 0)
}

// SelfMem is this process's VmRSS and VmHWM in bytes.
func SelfMem() (rss, hwm int64, err error) { return procMem(os.Getpid()) }
