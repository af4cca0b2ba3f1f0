package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"
)

// proposalsSchema: proposals and the vote comments cast on them, as the
// first migration made them.
const proposalsSchema = `
CREATE TABLE IF NOT EXISTS proposals (
	id        INTEGER PRIMARY KEY,
	forge     TEXT NOT NULL,
	repo      TEXT NOT NULL,  -- owner/name
	number    INTEGER NOT NULL,
	install   INTEGER NOT NULL DEFAULT 0,
	is_pull   INTEGER NOT NULL,
	head_sha  TEXT NOT NULL DEFAULT '',
	title     TEXT NOT NULL,
	profile   TEXT NOT NULL,
	policy    TEXT NOT NULL,  -- the policy version it runs under
	proposer  TEXT NOT NULL,  -- identity
	origin    TEXT NOT NULL,  -- what opened it: "comment:ID" or "label:DELIVERY"
	opened_at INTEGER NOT NULL,
	deadline  INTEGER NOT NULL,
	state     TEXT NOT NULL,  -- open, passed, rejected, cancelled
	closed_at INTEGER NOT NULL DEFAULT 0
	-- kind, note: added by migration 2
);
CREATE UNIQUE INDEX IF NOT EXISTS proposals_one_open ON proposals (forge, repo, number) WHERE state = 'open';
CREATE INDEX IF NOT EXISTS proposals_due ON proposals (deadline) WHERE state = 'open';
CREATE TABLE IF NOT EXISTS votes (
	proposal   INTEGER NOT NULL REFERENCES proposals (id),
	comment_id INTEGER NOT NULL,
	member     TEXT NOT NULL,
	identity   TEXT NOT NULL,
	choice     TEXT NOT NULL,
	reason     TEXT NOT NULL,
	at         INTEGER NOT NULL,
	PRIMARY KEY (proposal, comment_id)
);
`

// Proposal is a vote on an issue or pull request.
type Proposal struct {
	ID       int64
	Forge    string
	Repo     string // owner/name
	Number   int64
	Install  int64 // GitHub App installation, to act on the repo
	IsPull   bool
	HeadSHA  string
	Title    string
	Profile  string
	Policy   string // the policy version
	Proposer string // identity
	Origin   string // what opened it: "comment:ID" or "label:DELIVERY"
	OpenedAt time.Time
	Deadline time.Time
	State    string // ProposalOpen, or an outcome
	ClosedAt time.Time
	Kind     string // "" a question, ProposalPolicy a change of the policy files
	Note     string // why a due close waits, shown in the status comment
}

// ProposalPolicy is the kind of a proposal that approves a change of the
// policy files (a pull request to the governance repo).
const ProposalPolicy = "policy"

// ProposalOpen is the state of a proposal being voted on.
const ProposalOpen = "open"

// VoteRow is a vote comment: the last /vote line of one comment.
type VoteRow struct {
	CommentID int64
	Member    string
	Identity  string
	Choice    string
	Reason    string
	At        time.Time
}

// ErrProposalOpen is OpenProposal's error when the issue has one open.
var ErrProposalOpen = errors.New("a proposal is open on this issue already")

// OpenProposal records a new open proposal with its ledger entries and
// effects, in one transaction, and returns its ID.
func (s *Store) OpenProposal(ctx context.Context, now time.Time, p Proposal, es []NewEntry, fx []NewEffect) (int64, error) {
	tx, err := s.write.BeginTx(ctx, nil)
	if err != nil {
		return 0, err
	}
	defer tx.Rollback()
	res, err := tx.ExecContext(ctx, `INSERT INTO proposals (forge, repo, number, install, is_pull, head_sha, title, profile, policy,
		proposer, origin, opened_at, deadline, state, kind) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'open', ?)
		ON CONFLICT (forge, repo, number) WHERE state = 'open' DO NOTHING`,
		p.Forge, p.Repo, p.Number, p.Install, p.IsPull, p.HeadSHA, p.Title, p.Profile, p.Policy, p.Proposer, p.Origin,
		p.OpenedAt.UnixNano(), p.Deadline.UnixNano(), p.Kind)
	if err != nil {
		return 0, fmt.Errorf("open proposal: %w", err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return 0, ErrProposalOpen
	}
	id, _ := res.LastInsertId()
	if err := s.sideEffects(ctx, tx, now, es, fx); err != nil {
		return 0, err
	}
	return id, tx.Commit()
}

func (s *Store) sideEffects(ctx context.Context, tx *sql.Tx, now time.Time, es []NewEntry, fx []NewEffect) error {
	if _, err := appendEntries(ctx, tx, now, es); err != nil {
		return err
	}
	_, err := enqueueEffects(ctx, tx, now, fx)
	return err
}

const proposalColumns = `id, forge, repo, number, install, is_pull, head_sha, title, profile, policy, proposer, origin, opened_at, deadline, state, closed_at, kind, note`

func scanProposal(row interface{ Scan(...any) error }) (*Proposal, error) {
	var p Proposal
	var opened, deadline, closed int64
	if err := row.Scan(&p.ID, &p.Forge, &p.Repo, &p.Number, &p.Install, &p.IsPull, &p.HeadSHA, &p.Title, &p.Profile, &p.Policy,
		&p.Proposer, &p.Origin, &opened, &deadline, &p.State, &closed, &p.Kind, &p.Note); err != nil {
		return nil, err
	}
	p.OpenedAt, p.Deadline = time.Unix(0, opened).UTC(), time.Unix(0, deadline).UTC()
	if closed != 0 {
		p.ClosedAt = time.Unix(0, closed).UTC()
	}
	return &p, nil
}

// OpenProposalOn returns the open proposal on an issue, or nil.
func (s *Store) OpenProposalOn(ctx context.Context, forge, repo string, number int64) (*Proposal, error) {
	p, err := scanProposal(s.write.QueryRowContext(ctx, `SELECT `+proposalColumns+` FROM proposals
		WHERE forge = ? AND repo = ? AND number = ? AND state = 'open'`, forge, repo, number))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	}
	return p, err
}

// LastProposalOn returns the newest proposal on an issue, open or not, or nil.
func (s *Store) LastProposalOn(ctx context.Context, forge, repo string, number int64) (*Proposal, error) {
	p, err := scanProposal(s.write.QueryRowContext(ctx, `SELECT `+proposalColumns+` FROM proposals
		WHERE forge = ? AND repo = ? AND number = ? ORDER BY id DESC LIMIT 1`, forge, repo, number))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	}
	return p, err
}

// GetProposal returns a proposal by ID, or ErrNotFound.
func (s *Store) GetProposal(ctx context.Context, id int64) (*Proposal, error) {
	p, err := scanProposal(s.read.QueryRowContext(ctx, `SELECT `+proposalColumns+` FROM proposals WHERE id = ?`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("proposal %d: %w", id, ErrNotFound)
	}
	return p, err
}

// ListProposals lists proposals, newest first.
func (s *Store) ListProposals(ctx context.Context, limit int) ([]Proposal, error) {
	return s.proposals(ctx, `ORDER BY id DESC LIMIT ?`, limit)
}

// DueProposals are the open proposals whose deadline is at or before now.
func (s *Store) DueProposals(ctx context.Context, now time.Time) ([]Proposal, error) {
	return s.proposals(ctx, `WHERE state = 'open' AND deadline <= ? ORDER BY deadline`, now.UnixNano())
}

func (s *Store) proposals(ctx context.Context, where string, args ...any) ([]Proposal, error) {
	rows, err := s.read.QueryContext(ctx, `SELECT `+proposalColumns+` FROM proposals `+where, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []Proposal
	for rows.Next() {
		p, err := scanProposal(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, *p)
	}
	return out, rows.Err()
}

// PutVote records (or replaces) the vote of a comment on an open
// proposal, with its ledger entries and effects, in one transaction. It
// reports false, changing nothing, when the proposal is no longer open.
func (s *Store) PutVote(ctx context.Context, now time.Time, proposal int64, v VoteRow, es []NewEntry, fx []NewEffect) (bool, error) {
	return s.voteTx(ctx, now, proposal, es, fx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO votes (proposal, comment_id, member, identity, choice, reason, at) VALUES (?, ?, ?, ?, ?, ?, ?)
			ON CONFLICT (proposal, comment_id) DO UPDATE SET choice = excluded.choice, reason = excluded.reason`,
			proposal, v.CommentID, v.Member, v.Identity, v.Choice, v.Reason, v.At.UnixNano())
		return err
	})
}

// DropVote withdraws a comment's vote from an open proposal (the comment
// was deleted, or edited to hold no vote), with its ledger entries. When
// the comment has no vote standing (a redelivered deletion), nothing is
// recorded and false is reported.
func (s *Store) DropVote(ctx context.Context, now time.Time, proposal, commentID int64, es []NewEntry, fx []NewEffect) (bool, error) {
	return s.voteTx(ctx, now, proposal, es, fx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `DELETE FROM votes WHERE proposal = ? AND comment_id = ?`, proposal, commentID)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return errNothingChanged
		}
		return nil
	})
}

// errNothingChanged ends a vote transaction that has nothing to record.
var errNothingChanged = errors.New("nothing changed")

func (s *Store) voteTx(ctx context.Context, now time.Time, proposal int64, es []NewEntry, fx []NewEffect, change func(*sql.Tx) error) (bool, error) {
	tx, err := s.write.BeginTx(ctx, nil)
	if err != nil {
		return false, err
	}
	defer tx.Rollback()
	var state string
	if err := tx.QueryRowContext(ctx, `SELECT state FROM proposals WHERE id = ?`, proposal).Scan(&state); err != nil {
		return false, fmt.Errorf("proposal %d: %w", proposal, err)
	}
	if state != ProposalOpen {
		return false, nil
	}
	if err := change(tx); errors.Is(err, errNothingChanged) {
		return false, nil
	} else if err != nil {
		return false, err
	}
	if err := s.sideEffects(ctx, tx, now, es, fx); err != nil {
		return false, err
	}
	return true, tx.Commit()
}

// Votes are a proposal's vote comments, in the order they were cast.
func (s *Store) Votes(ctx context.Context, proposal int64) ([]VoteRow, error) {
	return votes(ctx, s.write, proposal)
}

type querier interface {
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
}

func votes(ctx context.Context, q querier, proposal int64) ([]VoteRow, error) {
	rows, err := q.QueryContext(ctx, `SELECT comment_id, member, identity, choice, reason, at FROM votes
		WHERE proposal = ? ORDER BY at, comment_id`, proposal)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []VoteRow
	for rows.Next() {
		var v VoteRow
		var at int64
		if err := rows.Scan(&v.CommentID, &v.Member, &v.Identity, &v.Choice, &v.Reason, &at); err != nil {
			return nil, err
		}
		v.At = time.Unix(0, at).UTC()
		out = append(out, v)
	}
	return out, rows.Err()
}

// Closing is what closing a proposal records, decided from its votes as
// they stand in the closing transaction.
type Closing struct {
	Outcome string // "" leaves the proposal open (it is not decided after all)
	Entries []NewEntry
	Effects []NewEffect
	// Approval, for a passed change of the policy files, is the content it
	// approves (Proposal and UsedBy are filled in here).
	Approval *PolicyApproval
}

// CloseProposal ends an open proposal in one transaction: it reads the
// votes, asks decide for the outcome with its ledger entries and effects,
// and records them. No vote can be recorded between the read and the close,
// so the outcome counts every vote the proposal holds. It reports false,
// changing nothing, when the proposal was closed already (a deadline and a
// command raced: one wins) or decide gives no outcome.
func (s *Store) CloseProposal(ctx context.Context, now time.Time, id int64, decide func(*Proposal, []VoteRow) (Closing, error)) (bool, error) {
	tx, err := s.write.BeginTx(ctx, nil)
	if err != nil {
		return false, err
	}
	defer tx.Rollback()
	p, err := scanProposal(tx.QueryRowContext(ctx, `SELECT `+proposalColumns+` FROM proposals WHERE id = ?`, id))
	if err != nil {
		return false, fmt.Errorf("proposal %d: %w", id, err)
	}
	if p.State != ProposalOpen {
		return false, nil
	}
	vs, err := votes(ctx, tx, id)
	if err != nil {
		return false, err
	}
	c, err := decide(p, vs)
	if err != nil || c.Outcome == "" {
		return false, err
	}
	if _, err := tx.ExecContext(ctx, `UPDATE proposals SET state = ?, closed_at = ?, note = '' WHERE id = ?`, c.Outcome, now.UnixNano(), id); err != nil {
		return false, err
	}
	if a := c.Approval; a != nil {
		if _, err := tx.ExecContext(ctx, `INSERT INTO policy_approvals (proposal, content, head_sha, approved_at) VALUES (?, ?, ?, ?)`,
			id, a.Content, a.HeadSHA, now.UnixNano()); err != nil {
			return false, fmt.Errorf("policy approval: %w", err)
		}
	}
	if err := s.sideEffects(ctx, tx, now, c.Entries, c.Effects); err != nil {
		return false, err
	}
	return true, tx.Commit()
}

// SetProposalNote records why an open proposal's due close waits ("" when
// it no longer does); the status comment shows it.
func (s *Store) SetProposalNote(ctx context.Context, id int64, note string) error {
	_, err := s.write.ExecContext(ctx, `UPDATE proposals SET note = ? WHERE id = ? AND state = 'open'`, note, id)
	return err
}

// SetProposalHead records the new head commit of an open proposal's pull
// request (the accord/vote status follows it).
func (s *Store) SetProposalHead(ctx context.Context, id int64, sha string) error {
	_, err := s.write.ExecContext(ctx, `UPDATE proposals SET head_sha = ? WHERE id = ? AND state = 'open'`, sha, id)
	return err
}

// EntryHash is the hash of the ledger entry with key, or ErrNotFound.
func (s *Store) EntryHash(ctx context.Context, key string) (string, error) {
	var h string
	err := s.read.QueryRowContext(ctx, `SELECT hash FROM ledger WHERE key = ?`, key).Scan(&h)
	if errors.Is(err, sql.ErrNoRows) {
		return "", fmt.Errorf("ledger entry %s: %w", key, ErrNotFound)
	}
	return h, err
}
