package store

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
)

// ErrBackupExists is Backup's error when the file it would write exists.
var ErrBackupExists = errors.New("the file exists; a backup never overwrites one")

// Backup writes a consistent copy of the database to path while it is in
// use (SQLite's VACUUM INTO reads one snapshot, beside the writer, which
// goes on). It never overwrites a file: the copy is made under a temporary
// name in the same directory, synced, and then linked to path, which fails
// if path exists; a copy cut short leaves no file at path.
func (s *Store) Backup(ctx context.Context, path string) error {
	if _, err := os.Lstat(path); err == nil {
		return fmt.Errorf("backup %s: %w", path, ErrBackupExists)
	} else if !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("backup %s: %w", path, err)
	}
	dir := filepath.Dir(path)
	tmp, err := os.CreateTemp(dir, "."+filepath.Base(path)+".partial-*")
	if err != nil {
		return fmt.Errorf("backup %s: %w", path, err)
	}
	name := tmp.Name()
	tmp.Close()
	defer os.Remove(name)
	// VACUUM INTO writes into an empty file; it refuses one with content.
	if _, err := s.read.ExecContext(ctx, `VACUUM INTO ?`, name); err != nil {
		return fmt.Errorf("backup %s: %w", path, err)
	}
	if err := syncFile(name); err != nil {
		return fmt.Errorf("backup %s: %w", path, err)
	}
	if err := os.Link(name, path); err != nil {
		if errors.Is(err, fs.ErrExist) {
			return fmt.Errorf("backup %s: %w", path, ErrBackupExists)
		}
		return fmt.Errorf("backup %s: %w", path, err)
	}
	if err := syncFile(dir); err != nil {
		return fmt.Errorf("backup %s: %w", path, err)
	}
	return nil
}

// syncFile flushes a file (or a directory's entries) to the disk.
func syncFile(name string) error {
	f, err := os.Open(name)
	if err != nil {
		return err
	}
	defer f.Close()
	return f.Sync()
}
