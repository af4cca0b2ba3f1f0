package store

import (
	"database/sql"
	"sync"
	"time"
)

// checkpointInterval is how often the checkpointer copies the WAL into the
// database file. At the intake's full rate that is a few MiB of WAL each time.
const checkpointInterval = 250 * time.Millisecond

// checkpointer copies committed WAL frames into the database file from its
// own goroutine and connection. SQLite lets a PASSIVE checkpoint run beside
// the writer, so commits (and the webhooks waiting on them) never wait for
// one; left to itself SQLite would run it inside whichever commit crossed
// the WAL's size limit.
type checkpointer struct {
	db   *sql.DB
	quit chan struct{}
	done chan struct{}
	once sync.Once
}

func newCheckpointer(db *sql.DB) *checkpointer {
	c := &checkpointer{db: db, quit: make(chan struct{}), done: make(chan struct{})}
	go c.run()
	return c
}

func (c *checkpointer) run() {
	defer close(c.done)
	tick := time.NewTicker(checkpointInterval)
	defer tick.Stop()
	for {
		select {
		case <-c.quit:
			// The last one empties the WAL, so a clean stop leaves one file.
			c.db.Exec("PRAGMA wal_checkpoint(TRUNCATE)")
			return
		case <-tick.C:
			// Errors (SQLITE_BUSY while a reader holds an old snapshot) only
			// mean the frames are copied next time.
			c.db.Exec("PRAGMA wal_checkpoint(PASSIVE)")
		}
	}
}

func (c *checkpointer) stop() {
	c.once.Do(func() { close(c.quit) })
	<-c.done
}
