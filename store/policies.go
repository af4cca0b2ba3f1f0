package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"time"
)

// policyApprovalsSchema (migration 3) keeps the contents of the policy
// files that a passed vote approved: a version read from the governance
// repo takes effect only with one of these (or as the first version).
const policyApprovalsSchema = `
CREATE TABLE IF NOT EXISTS policy_approvals (
	proposal    INTEGER PRIMARY KEY,
	content     TEXT NOT NULL,  -- sha256:… of the files at the pull request's head
	head_sha    TEXT NOT NULL,
	approved_at INTEGER NOT NULL,
	used_by     TEXT NOT NULL DEFAULT '' -- the version it put in force
);
`

// PolicyVersion is one version of the policy files as Accord read it: the
// files themselves (so any past version can be used again), whether they
// were valid, and the errors if not.
type PolicyVersion struct {
	Version string // commit SHA, or the content hash for a directory
	Source  string // where it was read: "dir:PATH" or "FORGE:OWNER/REPO@REF:PATH"
	Content string // content hash of the files
	Valid   bool
	// Refused: valid, but not put in force: a change read from the
	// governance repo that no passed vote approved.
	Refused  bool
	Errors   []string
	Files    map[string][]byte
	LoadedAt time.Time
}

// RecordPolicyVersion stores a version read from a source, once: it
// reports whether it was new.
func (s *Store) RecordPolicyVersion(ctx context.Context, v PolicyVersion) (bool, error) {
	files, err := json.Marshal(v.Files)
	if err != nil {
		return false, err
	}
	errs, err := json.Marshal(v.Errors)
	if err != nil {
		return false, err
	}
	res, err := s.write.ExecContext(ctx, `INSERT INTO policy_versions (version, source, content, valid, errors, files, loaded_at, accepted)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (source, version) DO NOTHING`,
		v.Version, v.Source, v.Content, v.Valid, string(errs), string(files), v.LoadedAt.UnixNano(), v.Valid && !v.Refused)
	if err != nil {
		return false, fmt.Errorf("record policy version %s: %w", v.Version, err)
	}
	n, _ := res.RowsAffected()
	return n == 1, nil
}

// LastGoodPolicyVersion is the version accepted last from source, or
// ErrNotFound.
func (s *Store) LastGoodPolicyVersion(ctx context.Context, source string) (*PolicyVersion, error) {
	vs, err := s.policyVersions(ctx, `WHERE source = ? AND valid AND accepted ORDER BY id DESC LIMIT 1`, source)
	if err != nil {
		return nil, err
	}
	if len(vs) == 0 {
		return nil, fmt.Errorf("no valid policy version from %s: %w", source, ErrNotFound)
	}
	return &vs[0], nil
}

// ValidPolicyVersion is the valid version recorded as version, from any
// source, or ErrNotFound: a proposal runs under the version in force when
// it opened, whatever is in force now.
func (s *Store) ValidPolicyVersion(ctx context.Context, version string) (*PolicyVersion, error) {
	vs, err := s.policyVersions(ctx, `WHERE version = ? AND valid AND accepted ORDER BY id DESC LIMIT 1`, version)
	if err != nil {
		return nil, err
	}
	if len(vs) == 0 {
		return nil, fmt.Errorf("policy version %s: %w", version, ErrNotFound)
	}
	return &vs[0], nil
}

// PolicyVersions lists the versions read, newest first.
func (s *Store) PolicyVersions(ctx context.Context, limit int) ([]PolicyVersion, error) {
	return s.policyVersions(ctx, `ORDER BY id DESC LIMIT ?`, limit)
}

func (s *Store) policyVersions(ctx context.Context, where string, args ...any) ([]PolicyVersion, error) {
	rows, err := s.read.QueryContext(ctx, `SELECT version, source, content, valid, accepted, errors, files, loaded_at FROM policy_versions `+where, args...)
	if err != nil {
		return nil, fmt.Errorf("policy versions: %w", err)
	}
	defer rows.Close()
	var out []PolicyVersion
	for rows.Next() {
		var v PolicyVersion
		var errs, files string
		var at int64
		var accepted bool
		if err := rows.Scan(&v.Version, &v.Source, &v.Content, &v.Valid, &accepted, &errs, &files, &at); err != nil {
			return nil, fmt.Errorf("policy versions: %w", err)
		}
		if err := errors.Join(json.Unmarshal([]byte(errs), &v.Errors), json.Unmarshal([]byte(files), &v.Files)); err != nil {
			return nil, fmt.Errorf("policy version %s: %w", v.Version, err)
		}
		v.LoadedAt = time.Unix(0, at).UTC()
		v.Refused = v.Valid && !accepted
		out = append(out, v)
	}
	return out, rows.Err()
}

// PolicyApproval is a passed vote's approval of the policy files as they
// were at its pull request's head.
type PolicyApproval struct {
	Proposal int64
	Content  string // the files' content hash
	HeadSHA  string
	UsedBy   string // the version it put in force, "" while unused
}

// UnusedApproval is the oldest approval of content not yet used by a
// version, or nil: each passed vote puts its files in force once.
func (s *Store) UnusedApproval(ctx context.Context, content string) (*PolicyApproval, error) {
	var a PolicyApproval
	err := s.read.QueryRowContext(ctx, `SELECT proposal, content, head_sha, used_by FROM policy_approvals
		WHERE content = ? AND used_by = '' ORDER BY approved_at, proposal LIMIT 1`, content).Scan(&a.Proposal, &a.Content, &a.HeadSHA, &a.UsedBy)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	}
	return &a, err
}

// AcceptPolicyVersion records a valid version as put in force, with the
// approval it uses (nil: none was needed) and its ledger entries, in one
// transaction. A version from the same source accepted before is not
// recorded again, and uses no approval: it reports false.
func (s *Store) AcceptPolicyVersion(ctx context.Context, now time.Time, v PolicyVersion, approval *PolicyApproval, es []NewEntry) (bool, error) {
	files, err := json.Marshal(v.Files)
	if err != nil {
		return false, err
	}
	tx, err := s.write.BeginTx(ctx, nil)
	if err != nil {
		return false, err
	}
	defer tx.Rollback()
	// A version refused before (merged before its vote passed) is accepted
	// now; one accepted before is left as it is.
	res, err := tx.ExecContext(ctx, `INSERT INTO policy_versions (version, source, content, valid, errors, files, loaded_at, accepted)
		VALUES (?, ?, ?, 1, '[]', ?, ?, 1) ON CONFLICT (source, version) DO UPDATE SET accepted = 1 WHERE valid AND NOT accepted`,
		v.Version, v.Source, v.Content, string(files), v.LoadedAt.UnixNano())
	if err != nil {
		return false, fmt.Errorf("record policy version %s: %w", v.Version, err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return false, nil
	}
	if approval != nil {
		res, err := tx.ExecContext(ctx, `UPDATE policy_approvals SET used_by = ? WHERE proposal = ? AND used_by = ''`, v.Version, approval.Proposal)
		if err != nil {
			return false, err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return false, fmt.Errorf("approval by proposal %d: used already", approval.Proposal)
		}
	}
	if _, err := appendEntries(ctx, tx, now, es); err != nil {
		return false, err
	}
	return true, tx.Commit()
}

// PolicyVersionOf is the version recorded from source as version, or nil.
func (s *Store) PolicyVersionOf(ctx context.Context, source, version string) (*PolicyVersion, error) {
	vs, err := s.policyVersions(ctx, `WHERE source = ? AND version = ?`, source, version)
	if err != nil || len(vs) == 0 {
		return nil, err
	}
	return &vs[0], nil
}
