// Package app wires the services together: configuration, the database,
// the record and area services, sign-in, jobs, and first-start seeding.
// cmd/closeloop and the in-process tests both build an App.
package app

import (
	"context"
	"fmt"
	"os"
	"time"
	_ "time/tzdata" // the company time zone must resolve on machines without zoneinfo

	"closeloop/internal/access"
	"closeloop/internal/admin"
	"closeloop/internal/approvals"
	"closeloop/internal/attachments"
	"closeloop/internal/auth"
	"closeloop/internal/care"
	"closeloop/internal/channels"
	"closeloop/internal/contracts"
	"closeloop/internal/crm"
	"closeloop/internal/customers"
	"closeloop/internal/feedback"
	"closeloop/internal/fieldservice"
	"closeloop/internal/finance"
	"closeloop/internal/fulfilment"
	"closeloop/internal/importer"
	"closeloop/internal/jobs"
	"closeloop/internal/mail"
	"closeloop/internal/notify"
	"closeloop/internal/presales"
	"closeloop/internal/quotes"
	"closeloop/internal/records"
	"closeloop/internal/sla"
	"closeloop/internal/store"
	"closeloop/internal/tickets"
)

// Config is the run-time configuration (flags and CLOSELOOP_* variables).
type Config struct {
	Addr        string // listen address
	DataDir     string // SQLite file and local state
	DB          string // postgres://… selects PostgreSQL
	Synchronous string // SQLite synchronous pragma
	TimeZone    string // the company time zone (Asia/Shanghai)
	BaseURL     string // public URL, for links printed or mailed
	Demo        bool   // load the demo data set on first start
	NoJobs      bool   // do not run background jobs in this process
	MaxUpload   string // largest attachment: bytes, or with KB, MB, GB (20MB)
}

// FromEnv fills unset fields from CLOSELOOP_* environment variables and
// applies defaults.
func (c *Config) FromEnv() {
	env := func(dst *string, name, def string) {
		if *dst == "" {
			*dst = os.Getenv(name)
		}
		if *dst == "" {
			*dst = def
		}
	}
	env(&c.Addr, "CLOSELOOP_ADDR", "127.0.0.1:8080")
	env(&c.DataDir, "CLOSELOOP_DATA", "closeloop-data")
	env(&c.DB, "CLOSELOOP_DB", "")
	env(&c.Synchronous, "CLOSELOOP_SQLITE_SYNCHRONOUS", "FULL")
	env(&c.TimeZone, "CLOSELOOP_TZ", "Asia/Shanghai")
	env(&c.BaseURL, "CLOSELOOP_BASE_URL", "")
	env(&c.MaxUpload, "CLOSELOOP_MAX_UPLOAD", "20MB")
}

// App holds the running services.
type App struct {
	Cfg       Config
	DB        *store.DB
	Loc       *time.Location
	Records   *records.Service
	Customers *customers.Service
	Presales  *presales.Service
	Approvals *approvals.Service // approvals of any document type; areas Register theirs
	Notify    *notify.Service    // users' notifications
	Quotes    *quotes.Service    // the catalogue's rules and quotes
	Contracts *contracts.Service // contracts, payment plans, signing, hand-overs
	Finance   *finance.Service   // invoices, payments, receivables, reminders
	// Fulfilment runs orders, stock, deliveries and their sign-off, supply
	// problems and installation/training tasks.
	Fulfilment *fulfilment.Service
	Files      *attachments.Service // attachments on any record
	Auth       *auth.Service
	Admin      *admin.Service // also the company letterhead: Admin.Company(ctx) for documents
	Importer   *importer.Service
	Imports    *importer.Runs
	Jobs       *jobs.Runner
	Mail       *mail.Service    // outgoing e-mail: Mail.Enqueue(ctx, tx, msg) inside a process's transaction
	Tickets    *tickets.Service // service tickets: numbering, steps, assignment, queues
	SLA        *sla.Service     // SLA clocks of tickets on business calendars, sweeps, escalations

	// Channels: the public service form, mail in and out, the portal.
	Channels *channels.Service
	Feedback *feedback.Service // cause review, improvement items, return visits, surveys, recovery tasks
	Care     *care.Service     // care reminders, greetings, opportunities raised from service, signals
	// FieldService runs on-site visits, spare-part stock and returns.
	FieldService *fieldservice.Service
}

// Open connects to the database, migrates, seeds shipped defaults and
// builds the services.
func Open(ctx context.Context, cfg Config) (*App, error) {
	cfg.FromEnv()
	loc, err := time.LoadLocation(cfg.TimeZone)
	if err != nil {
		return nil, fmt.Errorf("app: time zone %q: %w", cfg.TimeZone, err)
	}
	maxUpload, err := attachments.ParseSize(cfg.MaxUpload)
	if err != nil {
		return nil, fmt.Errorf("app: CLOSELOOP_MAX_UPLOAD: %w", err)
	}
	db, err := store.Open(ctx, store.Config{DSN: cfg.DB, DataDir: cfg.DataDir, Synchronous: cfg.Synchronous, Decls: crm.All(), Loc: loc})
	if err != nil {
		return nil, err
	}
	a := &App{Cfg: cfg, DB: db, Loc: loc}
	a.Records = records.New(db, loc)
	a.Approvals = approvals.New(a.Records)
	a.Notify = notify.New(db)
	a.Customers = customers.New(a.Records)
	a.Presales = presales.New(a.Records)
	a.Quotes = quotes.New(a.Records)
	a.Quotes.UseApprovals(a.Approvals)
	a.Contracts = contracts.New(a.Records)
	a.Contracts.UseApprovals(a.Approvals)
	a.Contracts.Deals = a.Presales // signing wins the contract's opportunity
	a.Fulfilment = fulfilment.New(a.Records)
	a.Fulfilment.Handovers = a.Contracts // orders, deliveries and tasks link the customer's hand-over
	a.Finance = finance.New(a.Records)
	a.Tickets = tickets.New(a.Records)
	a.SLA = sla.New(a.Records)
	a.FieldService = fieldservice.New(a.Records, a.Tickets)
	a.Files = attachments.New(a.Records, maxUpload)
	a.Auth = auth.New(db, a.Records)
	a.Admin = admin.New(db)
	a.Fulfilment.Letterhead = a.Admin.Company // delivery notes and the customer's pages
	a.Jobs = jobs.New(db)
	a.Mail = mail.New(db, a.Jobs) // registers the mail.send job
	a.Channels = channels.New(a.Records, a.Tickets, a.Mail, a.Files)
	a.Channels.Company, a.Channels.BaseURL = a.Admin.Company, cfg.BaseURL
	a.Feedback = feedback.New(a.Records)
	a.Feedback.Mail, a.Feedback.BaseURL = a.Mail, cfg.BaseURL
	a.Quotes.SetCompany(a.Admin.Company)
	a.Quotes.UseMail(a.Mail)
	a.Care = care.New(a.Records, a.Mail)
	a.Care.Company = a.Admin.Company
	a.Importer = importer.New(a.Records)
	a.Imports = importer.NewRuns(a.Importer, a.Jobs)
	if err := a.seed(ctx); err != nil {
		db.Close()
		return nil, err
	}
	a.registerJobs()
	return a, nil
}

// Close releases the database.
func (a *App) Close() error { return a.DB.Close() }

func (a *App) registerJobs() {
	a.Jobs.Handle("pool.sweep", func(ctx context.Context, _ jobs.Job) error {
		_, err := a.Customers.SweepPool(ctx, 1000)
		return err
	})
	a.Jobs.Every("pool.sweep", 5*time.Minute)
	a.Jobs.Handle("quotes.expire", func(ctx context.Context, _ jobs.Job) error {
		_, err := a.Quotes.ExpireDue(ctx, time.Now(), 500)
		return err
	})
	a.Jobs.Every("quotes.expire", 15*time.Minute)
	a.Jobs.Handle("finance.reminders", func(ctx context.Context, _ jobs.Job) error {
		_, err := a.Finance.SendReminders(ctx, time.Now(), 5000)
		return err
	})
	a.Jobs.Every("finance.reminders", time.Hour)
	a.Jobs.Handle("finance.arrears", func(ctx context.Context, _ jobs.Job) error {
		_, err := a.Finance.RollArrears(ctx) // a no-op but on the first run of a month
		return err
	})
	a.Jobs.Every("finance.arrears", time.Hour)
	a.Jobs.Handle("idempotency.purge", func(ctx context.Context, _ jobs.Job) error {
		_, err := a.DB.PurgeIdempotencyKeys(ctx, time.Now())
		return err
	})
	a.Jobs.Every("idempotency.purge", time.Hour)
	a.Jobs.Handle("sla.sweep", func(ctx context.Context, _ jobs.Job) error {
		_, err := a.SLA.Sweep(ctx, time.Now())
		return err
	})
	a.Jobs.Every("sla.sweep", time.Minute)
	a.Channels.Register(a.Jobs) // service.mail_in: the service mailbox, every minute
	a.Jobs.Handle("feedback.plan_visits", func(ctx context.Context, _ jobs.Job) error {
		_, err := a.Feedback.PlanVisits(ctx, 5000)
		return err
	})
	a.Jobs.Every("feedback.plan_visits", 24*time.Hour)
	a.Jobs.Handle("feedback.send_surveys", func(ctx context.Context, _ jobs.Job) error {
		_, err := a.Feedback.SendSurveys(ctx, 500)
		return err
	})
	a.Jobs.Every("feedback.send_surveys", 5*time.Minute)
	a.Jobs.Handle("care.plan", func(ctx context.Context, _ jobs.Job) error {
		_, err := a.Care.Plan(ctx, time.Now())
		return err
	})
	a.Jobs.Every("care.plan", 24*time.Hour)
}

// seed writes the shipped roles, pick-lists and pool rules the first time,
// and never overwrites what an admin changed.
func (a *App) seed(ctx context.Context) error {
	err := a.DB.Write(ctx, func(tx *store.Tx) error {
		var n int
		if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM roles`).Scan(&n); err != nil {
			return err
		}
		// The shipped policy names the records of every area; a build
		// without an area's records leaves them out. A database seeded by
		// an older build gains the new roles and the rights on new records.
		stored, err := a.DB.RolesIn(ctx, tx)
		if err != nil {
			return err
		}
		declared := func(ent string) bool { return a.DB.Schema().Entity(ent) != nil }
		for _, r := range access.UpgradeRoles(stored, access.DefaultRoles(), declared) {
			if err := a.DB.SaveRole(ctx, tx, r); err != nil {
				return err
			}
		}
		for list, opts := range crm.DefaultPicklists {
			if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM picklists WHERE list = $1`, list).Scan(&n); err != nil {
				return err
			}
			if n > 0 {
				continue
			}
			for i, o := range opts {
				if _, err := tx.ExecContext(ctx, `INSERT INTO picklists (list, code, label_zh, label_en, position, active) VALUES ($1, $2, $3, $4, $5, TRUE)`,
					list, o.Code, o.Label.Zh, o.Label.En, i+1); err != nil {
					return err
				}
			}
		}
		if err := a.Customers.SeedDefaults(ctx, tx); err != nil {
			return err
		}
		if err := a.Presales.SeedDefaults(ctx, tx); err != nil {
			return err
		}
		if err := a.SLA.SeedDefaults(ctx, tx); err != nil {
			return err
		}
		return a.Approvals.SeedDefaults(ctx, tx)
	})
	if err != nil {
		return fmt.Errorf("app: seed: %w", err)
	}
	return a.DB.ReloadSchema(ctx)
}
