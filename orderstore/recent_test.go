package orderstore

import (
	"context"
	"strconv"
	"strings"
	"testing"

	"github.com/cancelsync/cancelsync/internal/redistest"
	"github.com/cancelsync/cancelsync/order"
)

// getCalls is how many GETs the Redis has run, scripts' included.
func getCalls(t *testing.T, srv *redistest.Server) int {
	t.Helper()
	info := srv.Client().Info(context.Background(), "commandstats").Val()
	for _, line := range strings.Split(info, "\r\n") {
		if rest, ok := strings.CutPrefix(line, "cmdstat_get:calls="); ok {
			n, _ := strconv.Atoi(rest[:strings.IndexByte(rest, ',')])
			return n
		}
	}
	return 0
}

// TestRecentDocumentSavesTheRead: a change that follows this process's own
// store of the order starts from what it stored, with no read of its own;
// one whose order another process changed since is refused by the
// compare-and-set and applied to what is stored: nothing is lost.
func TestRecentDocumentSavesTheRead(t *testing.T) {
	t.Parallel()
	srv := redistest.Start(t, redistest.Options{})
	rdb := srv.Client()
	ctx := context.Background()
	mine, other := NewStore(rdb), NewStore(rdb)
	mine.KeepRecent(16)
	bump := func(doc *order.Doc) bool { doc.Version++; return true }

	if _, _, err := mine.Change(ctx, "a", "o1", nil, bump); err != nil {
		t.Fatal(err)
	}
	before := getCalls(t, srv)
	if _, _, err := mine.Change(ctx, "a", "o1", nil, bump); err != nil {
		t.Fatal(err)
	}
	// The script's own GET only: the compare.
	if n := getCalls(t, srv) - before; n != 1 {
		t.Errorf("a change after this process's store ran %d GETs, want the script's 1", n)
	}

	// Another process moves the order on; this one's memory is stale.
	if _, _, err := other.Change(ctx, "a", "o1", nil, bump); err != nil {
		t.Fatal(err)
	}
	doc, _, err := mine.Change(ctx, "a", "o1", nil, bump)
	if err != nil {
		t.Fatal(err)
	}
	if doc.Version != 4 {
		t.Fatalf("version %d after four changes, want 4: a stale memory lost one", doc.Version)
	}
	if stored, _ := other.Load(ctx, "a", "o1"); stored.Version != 4 {
		t.Fatalf("stored version %d, want 4", stored.Version)
	}
	// A guess that fn leaves alone is read after all: nothing is
	// concluded from it.
	other.Change(ctx, "a", "o1", nil, bump)
	var seen int64
	mine.Change(ctx, "a", "o1", nil, func(doc *order.Doc) bool { seen = doc.Version; return false })
	if seen != 5 {
		t.Fatalf("a change that stores nothing saw version %d, want the stored 5", seen)
	}
}
