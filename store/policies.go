package store

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"
)

// PolicyVersion is one version of the policy files as Accord read it: the
// files themselves (so any past version can be used again), whether they
// were valid, and the errors if not.
type PolicyVersion struct {
	Version  string // commit SHA, or the content hash for a directory
	Source   string // where it was read: "dir:PATH" or "FORGE:OWNER/REPO@REF:PATH"
	Content  string // content hash of the files
	Valid    bool
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
	res, err := s.write.ExecContext(ctx, `INSERT INTO policy_versions (version, source, content, valid, errors, files, loaded_at)
		VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (source, version) DO NOTHING`,
		v.Version, v.Source, v.Content, v.Valid, string(errs), string(files), v.LoadedAt.UnixNano())
	if err != nil {
		return false, fmt.Errorf("record policy version %s: %w", v.Version, err)
	}
	n, _ := res.RowsAffected()
	return n == 1, nil
}

// LastGoodPolicyVersion is the valid version read last from source, or
// ErrNotFound.
func (s *Store) LastGoodPolicyVersion(ctx context.Context, source string) (*PolicyVersion, error) {
	vs, err := s.policyVersions(ctx, `WHERE source = ? AND valid ORDER BY id DESC LIMIT 1`, source)
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
	vs, err := s.policyVersions(ctx, `WHERE version = ? AND valid ORDER BY id DESC LIMIT 1`, version)
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
	rows, err := s.read.QueryContext(ctx, `SELECT version, source, content, valid, errors, files, loaded_at FROM policy_versions `+where, args...)
	if err != nil {
		return nil, fmt.Errorf("policy versions: %w", err)
	}
	defer rows.Close()
	var out []PolicyVersion
	for rows.Next() {
		var v PolicyVersion
		var errs, files string
		var at int64
		if err := rows.Scan(&v.Version, &v.Source, &v.Content, &v.Valid, &errs, &files, &at); err != nil {
			return nil, fmt.Errorf("policy versions: %w", err)
		}
		if err := errors.Join(json.Unmarshal([]byte(errs), &v.Errors), json.Unmarshal([]byte(files), &v.Files)); err != nil {
			return nil, fmt.Errorf("policy version %s: %w", v.Version, err)
		}
		v.LoadedAt = time.Unix(0, at).UTC()
		out = append(out, v)
	}
	return out, rows.Err()
}
