package tickets

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"

	"closeloop/internal/crm"
	"closeloop/internal/entity"
	"closeloop/internal/errs"
	"closeloop/internal/store"
)

// Assignment (分派): to a named agent, to a team's queue, or picked —
// round-robin within a team among the active agents under their limit,
// those with the ticket's skill and region first (crm.PickAgent). Every
// assignment to an agent claims the agent's row with a compare-and-set on
// its version (last_assigned_at moves on), so two tickets assigned at once
// never both read the same "longest idle" agent or both squeeze under the
// same limit: the loser of the race reads again and picks the next one.

// openStatusList is the SQL list of open statuses (the queue's partial
// indexes use exactly this predicate).
var openStatusList = func() string {
	var q []string
	for _, st := range crm.OpenTicketStatuses() {
		q = append(q, "'"+st+"'")
	}
	return strings.Join(q, ", ")
}()

// openPred is the open-ticket predicate of the partial indexes.
func openPred(alias string) string {
	return alias + "status IN (" + openStatusList + ") AND " + alias + "deleted_at IS NULL"
}

// agentByUser reads a user's service profile (nil when they have none).
func (s *Service) agentByUser(ctx context.Context, q store.Querier, userID string) (*crm.AgentCandidate, error) {
	list, err := s.agents(ctx, q, "a.user_id = $1", userID)
	if err != nil || len(list) == 0 {
		return nil, err
	}
	return &list[0], nil
}

// agents reads service agents matching where, with their open tickets.
func (s *Service) agents(ctx context.Context, q store.Querier, where string, args ...any) ([]crm.AgentCandidate, error) {
	rows, err := q.QueryContext(ctx, `SELECT a.id, a.user_id, a.team_id, a.skills, a.regions, a.max_open, a.active AND u.active, a.last_assigned_at, a.version,
		(SELECT count(*) FROM tickets t WHERE t.owner_id = a.user_id AND `+openPred("t.")+`)
		FROM service_agents a JOIN users u ON u.id = a.user_id WHERE a.deleted_at IS NULL AND `+where+` ORDER BY a.id`, args...)
	if err != nil {
		return nil, fmt.Errorf("tickets: agents: %w", err)
	}
	defer rows.Close()
	var out []crm.AgentCandidate
	for rows.Next() {
		var a crm.AgentCandidate
		var skills, regions sql.NullString
		var last any
		var version int64
		if err := rows.Scan(&a.ID, &a.UserID, &a.TeamID, &skills, &regions, &a.MaxOpen, &a.Active, &last, &version, &a.Open); err != nil {
			return nil, fmt.Errorf("tickets: agents: %w", err)
		}
		a.Skills, a.Regions = splitList(skills.String), splitList(regions.String)
		if last != nil {
			a.LastAssignedAt = store.ScanTime(last)
		}
		a.Version = version
		out = append(out, a)
	}
	return out, rows.Err()
}

// splitList reads a multi-select column (a JSON array or a comma list).
func splitList(v string) []string {
	v = strings.TrimSpace(v)
	v = strings.TrimPrefix(strings.TrimSuffix(v, "]"), "[")
	var out []string
	for _, p := range strings.Split(v, ",") {
		p = strings.Trim(strings.TrimSpace(p), `"`)
		if p != "" {
			out = append(out, p)
		}
	}
	return out
}

// claim moves an agent's round-robin mark if nobody else did since a was
// read; false means another assignment won and the caller reads again.
func (s *Service) claim(ctx context.Context, tx *store.Tx, a crm.AgentCandidate) (bool, error) {
	res, err := tx.ExecContext(ctx, `UPDATE service_agents SET last_assigned_at = $1, version = version + 1 WHERE id = $2 AND version = $3`,
		s.now(), a.ID, a.Version)
	if err != nil {
		return false, fmt.Errorf("tickets: claim agent: %w", err)
	}
	n, err := res.RowsAffected()
	return n == 1, err
}

type assignment struct {
	set              entity.Record
	userID, userName string
	teamID, teamName string
}

const claimAttempts = 20

// assignTx decides and claims an assignment of ticket t: to userID (an
// active agent under their limit: agent_at_limit), else picked in teamID
// (or the ticket's team, or any team) when auto, else to teamID's queue.
func (s *Service) assignTx(ctx context.Context, tx *store.Tx, t entity.Record, userID, teamID string, auto bool) (assignment, error) {
	now := s.now()
	if userID == "" && !auto {
		name, err := s.teamName(ctx, tx, teamID)
		if err != nil {
			return assignment{}, err
		}
		return assignment{set: entity.Record{"owner_id": nil, "team_id": teamID}, teamID: teamID, teamName: name}, nil
	}
	for range claimAttempts {
		var a crm.AgentCandidate
		if userID != "" {
			ag, err := s.agentByUser(ctx, tx, userID)
			if err != nil {
				return assignment{}, err
			}
			switch {
			case ag == nil:
				return assignment{}, errs.Field("user_id", "not_service_agent")
			case !ag.Active:
				return assignment{}, errs.Field("user_id", "agent_inactive")
			}
			if t.Str("owner_id") == userID && crm.TicketOpen(t.Str("status")) {
				ag.Open-- // already counted: this very ticket
			}
			if ag.Open >= ag.MaxOpen {
				return assignment{}, errs.New(errs.Unprocessable, "agent_at_limit", "max", ag.MaxOpen)
			}
			a = *ag
		} else {
			team := teamID
			if team == "" {
				team = t.Str("team_id")
			}
			var cands []crm.AgentCandidate
			var err error
			if team != "" {
				cands, err = s.agents(ctx, tx, "a.team_id = $1", team)
			} else {
				cands, err = s.agents(ctx, tx, "1 = 1")
			}
			if err != nil {
				return assignment{}, err
			}
			i := crm.PickAgent(cands, t.Str("skill"), t.Str("region"))
			if i < 0 {
				return assignment{}, errs.New(errs.Unprocessable, "no_agent_available")
			}
			a = cands[i]
		}
		ok, err := s.claim(ctx, tx, a)
		if err != nil {
			return assignment{}, err
		}
		if !ok {
			continue
		}
		name, err := s.userName(ctx, tx, a.UserID)
		if err != nil {
			return assignment{}, err
		}
		tname, _ := s.teamName(ctx, tx, a.TeamID)
		return assignment{set: entity.Record{"owner_id": a.UserID, "team_id": a.TeamID, "assigned_at": now},
			userID: a.UserID, userName: name, teamID: a.TeamID, teamName: tname}, nil
	}
	return assignment{}, errs.New(errs.Conflict, "stale_version")
}

func (s *Service) userName(ctx context.Context, q store.Querier, id string) (string, error) {
	var name string
	err := q.QueryRowContext(ctx, `SELECT name FROM users WHERE id = $1`, id).Scan(&name)
	if errors.Is(err, sql.ErrNoRows) {
		return "", errs.Field("user_id", "invalid_user")
	}
	if err != nil {
		return "", fmt.Errorf("tickets: user: %w", err)
	}
	return name, nil
}

func (s *Service) teamName(ctx context.Context, q store.Querier, id string) (string, error) {
	var name string
	err := q.QueryRowContext(ctx, `SELECT name FROM teams WHERE id = $1`, id).Scan(&name)
	if errors.Is(err, sql.ErrNoRows) {
		return "", errs.Field("team_id", "invalid_ref")
	}
	if err != nil {
		return "", fmt.Errorf("tickets: team: %w", err)
	}
	return name, nil
}

// autoAssign assigns a new ticket nobody owns when the setting is on
// (Prepare of a create: the row is not written yet, so it is assigned as
// it is born, in the same transaction). No agent free leaves it in the
// queue.
func (s *Service) autoAssign(ctx context.Context, tx *store.Tx, rec entity.Record) error {
	if rec.Str("owner_id") != "" || !s.settings(ctx, tx).AutoAssign {
		return nil
	}
	a, err := s.assignTx(ctx, tx, rec, "", "", true)
	if errs.CodeOf(err) == "no_agent_available" {
		return nil
	}
	if err != nil {
		return err
	}
	for k, v := range a.set {
		rec[k] = v
	}
	if rec.Str("status") == crm.TicketNew {
		rec["status"] = crm.TicketAssigned
	}
	return nil
}
