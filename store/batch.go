package store

import (
	"context"
	"errors"
	"sync"

	"github.com/accord-coop/accord/forges"
)

// maxBatch bounds how many deliveries one transaction commits.
const maxBatch = 256

// errClosed is returned to writers after Close.
var errClosed = errors.New("store: closed")

// batcher group-commits deliveries: concurrent InsertDelivery calls wait
// while one transaction commits, then the next transaction takes all of them
// at once. Each caller returns only after its own row is committed, so an
// acknowledged webhook is always on disk, and a burst of N requests costs far
// fewer than N commits.
type batcher struct {
	s     *Store
	in    chan *insertReq
	quit  chan struct{}
	done  chan struct{}
	close sync.Once
}

type insertReq struct {
	d        forges.Delivery
	inserted bool
	err      error
	ready    chan struct{}
}

func newBatcher(s *Store) *batcher {
	b := &batcher{s: s, in: make(chan *insertReq, maxBatch), quit: make(chan struct{}), done: make(chan struct{})}
	go b.run()
	return b
}

func (b *batcher) insert(ctx context.Context, d forges.Delivery) (bool, error) {
	d.Body = packBody(d.Body) // here, in the caller's goroutine, not in the one writer
	r := &insertReq{d: d, ready: make(chan struct{})}
	select {
	case b.in <- r:
	case <-b.quit:
		return false, errClosed
	case <-ctx.Done():
		return false, ctx.Err()
	}
	// Once queued, the row may be committed: wait for the answer whatever the
	// context says, so the caller never mistakes a stored delivery for a lost one.
	<-r.ready
	return r.inserted, r.err
}

func (b *batcher) run() {
	defer close(b.done)
	batch := make([]*insertReq, 0, maxBatch)
	for {
		select {
		case r := <-b.in:
			batch = append(batch[:0], r)
		case <-b.quit:
			b.drain()
			return
		}
	fill:
		for len(batch) < maxBatch {
			select {
			case r := <-b.in:
				batch = append(batch, r)
			default:
				break fill
			}
		}
		b.commit(batch)
	}
}

// drain answers the requests still queued at Close.
func (b *batcher) drain() {
	for {
		select {
		case r := <-b.in:
			b.commit([]*insertReq{r})
		default:
			return
		}
	}
}

func (b *batcher) commit(batch []*insertReq) {
	ds := make([]forges.Delivery, len(batch))
	for i, r := range batch {
		ds[i] = r.d
	}
	inserted, err := b.s.insertBatch(ds)
	for i, r := range batch {
		if err != nil {
			r.err = err
		} else {
			r.inserted = inserted[i]
		}
		close(r.ready)
	}
}

func (b *batcher) stop() {
	b.close.Do(func() { close(b.quit) })
	<-b.done
}
