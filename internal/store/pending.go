package store

import (
	"context"
	"fmt"
	"strconv"
	"strings"
)

// Rows a write transaction appends to the log-like tables (audit_log,
// timeline, search_docs) are written together in multi-row statements
// instead of one statement each: a created record wrote three more
// statements for them, an import row as many — on PostgreSQL a network
// round trip each. They are written before the commit and before any
// statement of the transaction that names their table, so the
// transaction never sees them missing; a savepoint rolled back forgets
// those appended inside it.

// pendingTable collects rows for one table.
type pendingTable struct {
	table string
	head  string // "INSERT INTO t (a, b) VALUES "
	row   string // one row's values with ? for each parameter: "(?, ?)"
	n     int    // parameters per row
	vals  []any
}

// maxParams bounds a statement's parameters: SQLite allows 32,766, but the
// pure-Go driver looks each one up by a linear scan, so fewer is faster.
const maxParams = 960

// appendRow queues a row for table; the first call for a table fixes its
// columns and row template.
func (tx *Tx) appendRow(table, cols, row string, vals ...any) {
	var p *pendingTable
	for _, x := range tx.pending {
		if x.table == table {
			p = x
		}
	}
	if p == nil {
		p = &pendingTable{table: table, head: "INSERT INTO " + table + " " + cols + " VALUES ", row: row, n: strings.Count(row, "?")}
		tx.pending = append(tx.pending, p)
	}
	p.vals = append(p.vals, vals...)
}

// pendingMark is how many values each pending table held when a savepoint
// began.
type pendingMark []int

func (tx *Tx) markPending() pendingMark {
	m := make(pendingMark, len(tx.pending))
	for i, p := range tx.pending {
		m[i] = len(p.vals)
	}
	return m
}

// undoPending forgets rows appended since m (a savepoint rolled back).
// Rows already written by then were written inside the savepoint, so the
// database undoes those itself.
func (tx *Tx) undoPending(m pendingMark) {
	for i, p := range tx.pending {
		keep := 0
		if i < len(m) {
			keep = m[i]
		}
		if keep < len(p.vals) {
			clear(p.vals[keep:])
			p.vals = p.vals[:keep]
		}
	}
}

// flushPending writes every pending row, or with a query only those of
// the tables it names. On PostgreSQL the statements go as one (each a
// data-modifying WITH part): one round trip.
func (tx *Tx) flushPending(ctx context.Context, query string) error {
	var stmts []string
	var args [][]any
	for _, p := range tx.pending {
		if len(p.vals) == 0 || (query != "" && !strings.Contains(query, p.table)) {
			continue
		}
		vals := p.vals
		p.vals = nil // empty before executing: the statement names the table
		perStmt := max(1, maxParams/p.n)
		for len(vals) > 0 {
			rows := min(perStmt, len(vals)/p.n)
			stmts = append(stmts, p.statement(rows))
			args = append(args, vals[:rows*p.n])
			vals = vals[rows*p.n:]
		}
	}
	if tx.DB.Dialect == Postgres && len(stmts) > 1 {
		stmts, args = fewerStatements(stmts, args)
	}
	for i, st := range stmts {
		if _, err := tx.exec(ctx, st, args[i]...); err != nil {
			return fmt.Errorf("store: write pending rows: %w", err)
		}
	}
	return nil
}

// pgMaxParams is PostgreSQL's bound on one statement's parameters (the
// wire protocol counts them in 16 bits).
const pgMaxParams = 65535

// fewerStatements joins consecutive INSERT statements while their
// parameters fit in one statement (PostgreSQL): a transaction that held
// back 20,000 audit rows writes them in a few round trips, not one
// statement the server refuses.
func fewerStatements(stmts []string, args [][]any) ([]string, [][]any) {
	var outS []string
	var outA [][]any
	for start := 0; start < len(stmts); {
		end, n := start, 0
		for end < len(stmts) && (end == start || n+len(args[end]) <= pgMaxParams) {
			n += len(args[end])
			end++
		}
		if end-start == 1 {
			outS, outA = append(outS, stmts[start]), append(outA, args[start])
		} else {
			s, a := oneStatement(stmts[start:end], args[start:end])
			outS, outA = append(outS, s...), append(outA, a...)
		}
		start = end
	}
	return outS, outA
}

// oneStatement joins INSERT statements into one: all but the last become
// data-modifying WITH parts (PostgreSQL).
func oneStatement(stmts []string, args [][]any) ([]string, [][]any) {
	var ctes []string
	var all []any
	for i, st := range stmts[:len(stmts)-1] {
		ctes = append(ctes, fmt.Sprintf("w%d AS (%s)", i, renumber(st, len(all))))
		all = append(all, args[i]...)
	}
	last := renumber(stmts[len(stmts)-1], len(all))
	all = append(all, args[len(args)-1]...)
	return []string{"WITH " + strings.Join(ctes, ", ") + " " + last}, [][]any{all}
}

// statement is the INSERT of rows rows, parameters numbered from $1.
func (p *pendingTable) statement(rows int) string {
	var b strings.Builder
	b.WriteString(p.head)
	k := 0
	for r := range rows {
		if r > 0 {
			b.WriteString(", ")
		}
		for _, part := range strings.SplitAfter(p.row, "?") {
			if strings.HasSuffix(part, "?") {
				k++
				b.WriteString(part[:len(part)-1])
				b.WriteString("$" + strconv.Itoa(k))
			} else {
				b.WriteString(part)
			}
		}
	}
	return b.String()
}

// renumber shifts the $n parameters of a statement by off.
func renumber(st string, off int) string {
	if off == 0 {
		return st
	}
	var b strings.Builder
	for i := 0; i < len(st); i++ {
		if st[i] != '$' {
			b.WriteByte(st[i])
			continue
		}
		j := i + 1
		for j < len(st) && st[j] >= '0' && st[j] <= '9' {
			j++
		}
		n, _ := strconv.Atoi(st[i+1 : j])
		b.WriteString("$" + strconv.Itoa(n+off))
		i = j - 1
	}
	return b.String()
}
