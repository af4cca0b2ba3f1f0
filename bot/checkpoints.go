package bot

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"path"
	"sync"
	"time"

	"golang.org/x/mod/sumdb/tlog"

	"github.com/accord-coop/accord/forges"
	"github.com/accord-coop/accord/store"
)

// OpPublishCheckpoint commits the latest signed checkpoint of the ledger to
// the governance repo: made when it is carried out, so a burst of
// checkpoints is one commit (identical content commits nothing).
const OpPublishCheckpoint = "publish_checkpoint"

// CheckpointFile is the file, under policies.path in the governance repo,
// that holds the latest signed checkpoint.
const CheckpointFile = "ledger.checkpoint"

// Checkpoints signs checkpoints of the ledger's Merkle tree (see package
// transparency and docs/LEDGER.md): at every vote close (the result
// comment quotes it), at every policy version accepted, and every Every
// while the log grows. Each is kept in the store and, with a governance
// repo, committed there by the outbox, so everyone who pulls the repo
// holds the head. Safe for concurrent use.
type Checkpoints struct {
	Store *store.Store
	// Sign signs the checkpoint of a tree: the C2SP tlog-checkpoint text as
	// a signed note. Nil: no log key, nothing is signed.
	Sign func(size int64, root tlog.Hash) ([]byte, error)
	// Publish, if set, is where the latest checkpoint is committed.
	Publish *PublishTarget
	// Published is called after a publication was queued (it wakes the
	// outbox).
	Published func()
	Every     time.Duration // default 1h
	Now       func() time.Time
	Log       *slog.Logger

	mu sync.Mutex
}

// PublishTarget is the governance repo's branch and directory.
type PublishTarget struct {
	Forge  string
	Repo   forges.RepoRef
	Branch string
	Dir    string // policies.path
}

func (c *Checkpoints) now() time.Time {
	if c.Now != nil {
		return c.Now()
	}
	return time.Now()
}

// Latest is the latest checkpoint, signed now if the log grew since the
// last one; nil when none can be signed (no key) and none was.
func (c *Checkpoints) Latest(ctx context.Context) (*store.Checkpoint, error) {
	if c == nil {
		return nil, nil
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	last, err := c.Store.LatestCheckpoint(ctx)
	if err != nil || c.Sign == nil {
		return last, err
	}
	size, root, err := c.Store.TreeHead(ctx)
	if err != nil {
		return nil, err
	}
	if size == 0 || last != nil && last.Size >= size {
		return last, nil
	}
	signed, err := c.Sign(size, root)
	if err != nil {
		return nil, fmt.Errorf("sign the checkpoint of %d entries: %w", size, err)
	}
	cp := store.Checkpoint{Size: size, Signed: string(signed), SignedAt: c.now()}
	if _, err := c.Store.SaveCheckpoint(ctx, cp); err != nil {
		return nil, err
	}
	if c.Log != nil {
		c.Log.Info("ledger checkpoint signed", "size", size)
	}
	if err := c.queuePublish(ctx, size); err != nil {
		return nil, err
	}
	return &cp, nil
}

// queuePublish asks the outbox to commit the latest checkpoint.
func (c *Checkpoints) queuePublish(ctx context.Context, size int64) error {
	t := c.Publish
	if t == nil {
		return nil
	}
	payload, _ := json.Marshal(effectArgs{Repo: t.Repo, Path: path.Join(t.Dir, CheckpointFile), Branch: t.Branch})
	_, err := c.Store.EnqueueEffects(ctx, c.now(), []store.NewEffect{{Key: fmt.Sprintf("%s/checkpoint/%d", t.Forge, size),
		Forge: t.Forge, Op: OpPublishCheckpoint, Payload: payload}})
	if err == nil && c.Published != nil {
		c.Published()
	}
	return err
}

// Text is the latest signed checkpoint's text, for the outbox to publish.
func (c *Checkpoints) Text(ctx context.Context) (int64, string, error) {
	last, err := c.Store.LatestCheckpoint(ctx)
	if err != nil || last == nil {
		return 0, "", err
	}
	return last.Size, last.Signed, nil
}

// Run signs a checkpoint at start and every Every while the log grows,
// until ctx ends.
func (c *Checkpoints) Run(ctx context.Context) error {
	every := c.Every
	if every <= 0 {
		every = time.Hour
	}
	tick := time.NewTicker(every)
	defer tick.Stop()
	for {
		if _, err := c.Latest(ctx); err != nil && ctx.Err() == nil && c.Log != nil {
			c.Log.Warn("ledger checkpoint", "err", err)
		}
		select {
		case <-ctx.Done():
			return nil
		case <-tick.C:
		}
	}
}
