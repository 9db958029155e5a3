package api

import (
	"encoding/json"
	"net/http"
	"strconv"
	"strings"
	"time"

	"closeloop/internal/access"
	"closeloop/internal/crm"
	"closeloop/internal/entity"
	"closeloop/internal/errs"
	"closeloop/internal/httpx"
	"closeloop/internal/tickets"
)

// Service tickets over HTTP: create (through tickets.Create, with the
// customer's first message optional), read with the conversation
// (internal notes only to those who work tickets), the steps — reply,
// note, assign, take, wait, resume, resolve, close, reopen, merge — and
// the agent's queue sorted by SLA urgency. The generic CRUD of the ticket
// resource stays for lists, exports and edits of the plain fields.

func init() {
	areaRoutes = append(areaRoutes, func(h *API, m *http.ServeMux) {
		m.HandleFunc("POST /api/v1/tickets", h.authed(h.fulLabeled("ticket_message", h.createTicket)))
		m.HandleFunc("GET /api/v1/tickets/queue", h.authed(h.fulLabeled("", h.ticketQueue)))
		m.HandleFunc("GET /api/v1/tickets/settings", h.authed(h.ticketSettings))
		m.HandleFunc("PUT /api/v1/tickets/settings", h.authed(h.fulLabeled("", h.putTicketSettings)))
		m.HandleFunc("GET /api/v1/tickets/{id}", h.authed(h.getTicket))
		for _, st := range ticketEndpoints {
			m.HandleFunc("POST /api/v1/tickets/{id}/"+st.path, h.authed(h.fulLabeled("ticket_message", h.ticketStep(st.path, st.step))))
		}
	})
	areaPaths = append(areaPaths, ticketPaths)
	areaSchemas = append(areaSchemas, ticketSchemas)
}

// ticketEndpoints map the step endpoints to the process's steps (/wait
// is either wait step, by its "for").
var ticketEndpoints = []struct{ path, step, summary string }{
	{"reply", crm.TicketStepReply, "Reply to the customer (public): the first reply sets first_responded_at; new, assigned or reopened → in_progress, or waiting_customer with wait=true"},
	{"note", crm.TicketStepNote, "Write an internal note (never shown to the customer)"},
	{"assign", crm.TicketStepAssign, "Assign to an agent (an active service agent under their open-ticket limit: 422 agent_at_limit), to a team's queue (team_id), or pick by round-robin by skill and region (auto=true; 422 no_agent_available)"},
	{"take", crm.TicketStepTake, "Assign the ticket to me (an active service agent; unowned tickets and my team's queue)"},
	{"wait", crm.TicketStepWaitCustomer, "Wait for the customer (the SLA clock pauses) or, with for=parts, for spare parts (it does not)"},
	{"resume", crm.TicketStepResume, "Back to work after waiting"},
	{"resolve", crm.TicketStepResolve, "Resolve: cause from the ticket_cause pick-list and resolution text required (422 validation: ticket_cause_required, ticket_resolution_required)"},
	{"close", crm.TicketStepClose, "Close the ticket"},
	{"reopen", crm.TicketStepReopen, "Reopen a resolved or closed ticket within the reopen window (setting reopen_days, default 7: else 422 reopen_window_passed); reopen_count goes up"},
	{"merge", crm.TicketStepMerge, "Merge this duplicate into target_id: its messages show on the target, it is closed with merged_into_id. Into itself, a merged or a closed ticket: 422"},
}

type ticketStepBody struct {
	Version    json.Number `json:"version"`
	Body       string      `json:"body"`
	Wait       bool        `json:"wait"`
	For        string      `json:"for"`
	UserID     string      `json:"user_id"`
	TeamID     string      `json:"team_id"`
	Auto       bool        `json:"auto"`
	Cause      string      `json:"cause"`
	Resolution string      `json:"resolution"`
	TargetID   string      `json:"target_id"`
	Channel    string      `json:"channel"`
}

func (h *API) ticketStep(path, step string) handler {
	return func(w http.ResponseWriter, r *http.Request, p *access.Principal) error {
		var body ticketStepBody
		if err := optionalBody(r, &body); err != nil {
			return err
		}
		v, err := bodyVersion(body.Version)
		if err != nil {
			return err
		}
		if path == "wait" {
			switch body.For {
			case "", "customer":
			case "parts":
				step = crm.TicketStepWaitParts
			default:
				return errs.Validation([]errs.FieldError{{Field: "for", Code: "invalid_option"}})
			}
		}
		if body.Channel != "" && !optionCode(crm.TicketChannels, body.Channel) {
			return errs.Validation([]errs.FieldError{{Field: "channel", Code: "invalid_option"}})
		}
		t, err := h.App.Tickets.Step(r.Context(), p, r.PathValue("id"), step, tickets.StepInput{Version: v, Body: body.Body, Wait: body.Wait,
			UserID: body.UserID, TeamID: body.TeamID, Auto: body.Auto, Cause: body.Cause, Resolution: body.Resolution, TargetID: body.TargetID, Channel: body.Channel})
		if err != nil {
			return err
		}
		httpx.JSON(w, http.StatusOK, Record(h.App.DB.Schema().Entity("ticket"), t))
		return nil
	}
}

func optionCode(opts []entity.Option, code string) bool {
	for _, o := range opts {
		if o.Code == code {
			return true
		}
	}
	return false
}

func (h *API) createTicket(w http.ResponseWriter, r *http.Request, p *access.Principal) error {
	body, err := readBody(r)
	if err != nil {
		return err
	}
	s := h.App.DB.Schema()
	rec, err := DecodeRecord(s, s.Entity("ticket"), body, "message")
	if err != nil {
		return err
	}
	var first *tickets.Message
	if raw, ok := body["message"]; ok && raw != nil {
		m, ok := raw.(map[string]any)
		if !ok {
			return errs.Validation([]errs.FieldError{{Field: "message", Code: "ticket_message_invalid"}})
		}
		first = &tickets.Message{Kind: crm.MessageCustomer, Channel: rec.Str("channel")}
		var bad []errs.FieldError
		for k, v := range m {
			sv, isStr := v.(string)
			if !isStr && v != nil {
				bad = append(bad, errs.FieldError{Field: "message." + k, Code: "invalid_text"})
				continue
			}
			switch k {
			case "body":
				first.Body = strings.TrimSpace(sv)
			case "from_name":
				first.FromName = strings.TrimSpace(sv)
			case "from_email":
				first.FromEmail = strings.TrimSpace(sv)
			default:
				bad = append(bad, errs.FieldError{Field: "message." + k, Code: "unknown_field", Args: map[string]any{"field": k}})
			}
		}
		if first.Body == "" {
			bad = append(bad, errs.FieldError{Field: "message.body", Code: "required"})
		}
		if err := errs.Validation(bad); err != nil {
			return err
		}
		if first.Channel == "" {
			first.Channel = crm.ChannelAPI
		}
	}
	if rec.Str("channel") == "" {
		rec["channel"] = crm.ChannelAPI
	}
	t, err := h.App.Tickets.Create(r.Context(), p, rec, first)
	if err != nil {
		return err
	}
	w.Header().Set("Location", "/api/v1/tickets/"+t.ID())
	return h.ticketJSON(w, r, p, http.StatusCreated, t.ID())
}

func (h *API) getTicket(w http.ResponseWriter, r *http.Request, p *access.Principal) error {
	return h.ticketJSON(w, r, p, http.StatusOK, r.PathValue("id"))
}

func (h *API) ticketJSON(w http.ResponseWriter, r *http.Request, p *access.Principal, status int, id string) error {
	t, msgs, err := h.App.Tickets.Thread(r.Context(), p, id)
	if err != nil {
		return err
	}
	s := h.App.DB.Schema()
	writeRaw(w, status, withList(s.Entity("ticket"), t, "messages", s.Entity("ticket_message"), msgs))
	return nil
}

func (h *API) ticketQueue(w http.ResponseWriter, r *http.Request, p *access.Principal) error {
	q := r.URL.Query()
	f := tickets.QueueFilter{View: q.Get("view"), Kind: q["kind"], Priority: q["priority"], SLAState: q["sla_state"], After: q.Get("after")}
	if l := q.Get("limit"); l != "" {
		n, err := strconv.Atoi(l)
		if err != nil || n < 1 || n > 200 {
			return errs.Validation([]errs.FieldError{{Field: "limit", Code: "out_of_range", Args: map[string]any{"min": 1, "max": 200}}})
		}
		f.Limit = n
	}
	pg, err := h.App.Tickets.Queue(r.Context(), p, f)
	if err != nil {
		return err
	}
	te := h.App.DB.Schema().Entity("ticket")
	b := []byte(`{"items":[`)
	for i, it := range pg.Items {
		if i > 0 {
			b = append(b, ',')
		}
		b = Record(te, it.Ticket).AppendJSON(b)
		b = b[:len(b)-1]
		b = append(b, `,"next_due_at":`...)
		if it.Due.IsZero() {
			b = append(b, "null"...)
		} else {
			b = appendString(b, it.Due.UTC().Format(time.RFC3339))
		}
		for _, kv := range [][2]string{{"next_due_kind", it.DueKind}, {"customer_name", it.CustomerName}, {"customer_level", it.CustomerLevel},
			{"assignee_name", it.AssigneeName}, {"team_name", it.TeamName}} {
			b = append(b, ',')
			b = appendString(b, kv[0])
			b = append(b, ':')
			b = appendString(b, kv[1])
		}
		b = append(b, '}')
	}
	b = append(b, `],"next":`...)
	if pg.Next == "" {
		b = append(b, "null"...)
	} else {
		b = appendString(b, pg.Next)
	}
	writeRaw(w, http.StatusOK, append(b, '}'))
	return nil
}

func (h *API) ticketSettings(w http.ResponseWriter, r *http.Request, p *access.Principal) error {
	httpx.JSON(w, http.StatusOK, h.App.Tickets.Settings(r.Context()))
	return nil
}

func (h *API) putTicketSettings(w http.ResponseWriter, r *http.Request, p *access.Principal) error {
	var body struct {
		ReopenDays json.Number `json:"reopen_days"`
		AutoAssign *bool       `json:"auto_assign"`
	}
	if err := decodeInto(r, &body); err != nil {
		return err
	}
	in := h.App.Tickets.Settings(r.Context())
	if body.ReopenDays != "" {
		n, err := body.ReopenDays.Int64()
		if err != nil {
			return errs.Validation([]errs.FieldError{{Field: "reopen_days", Code: "invalid_integer"}})
		}
		in.ReopenDays = int(n)
	}
	if body.AutoAssign != nil {
		in.AutoAssign = *body.AutoAssign
	}
	if err := h.App.Tickets.SetSettings(r.Context(), p, in); err != nil {
		return err
	}
	return h.ticketSettings(w, r, p)
}
