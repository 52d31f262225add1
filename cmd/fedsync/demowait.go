package main

import (
	"context"
	"fmt"
	"io"
	"strings"
	"time"

	"fedsync/area"
	"fedsync/storage"
)

// streetTarget is a street's own log head: the seq the city must reach.
type streetTarget struct {
	d    *demoNode
	want uint64
	have uint64
}

// waitCity polls the city's watermarks until it holds every street's
// entries (each street's own seq, as the street reports it), showing the
// progress; it gives up after --timeout, naming the streets that lag.
func (a *app) waitCity(ctx context.Context, fed *federation, f demoFlags) error {
	targets, total, err := streetTargets(ctx, fed)
	if err != nil {
		return err
	}
	city := fed.city()
	line := newStatusLine(a.stderr, f.quiet)
	defer line.done()
	line.show(fmt.Sprintf("waiting for %s to hold the streets' %s entries", city.name(), thousands(int64(total))))
	start, deadline := time.Now(), time.Now().Add(f.timeout)
	tick := time.NewTicker(50 * time.Millisecond)
	defer tick.Stop()
	for {
		done, got, err := cityProgress(ctx, city, targets)
		if err != nil {
			return err
		}
		line.show(fmt.Sprintf("waiting for %s: %d/%d streets, %s/%s entries", city.name(), done, len(targets), thousands(int64(got)), thousands(int64(total))))
		switch {
		case done == len(targets):
			line.done()
			fmt.Fprintf(a.stdout, "%s holds all %s entries of its %d streets (%.1fs after the last write).\n\n",
				city.name(), thousands(int64(total)), len(targets), time.Since(start).Seconds())
			return nil
		case time.Now().After(deadline):
			return lagging(ctx, city, targets, f.timeout)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-tick.C:
		}
	}
}

// cityProgress reads the city's watermarks into the targets and counts the
// streets it holds entirely and the entries it holds.
func cityProgress(ctx context.Context, city *demoNode, targets []*streetTarget) (done int, got uint64, err error) {
	st, err := city.c.Status(ctx)
	if err != nil {
		return 0, 0, fmt.Errorf("demo: status of %s: %w", city.name(), err)
	}
	for _, t := range targets {
		t.have = seqAt(st.Watermarks, t.d.code)
		got += min(t.have, t.want)
		if t.have >= t.want {
			done++
		}
	}
	return done, got, nil
}

// seqAt returns the seq of origin among the watermarks, 0 when absent.
func seqAt(wms []storage.Watermark, origin area.Code) uint64 {
	for _, w := range wms {
		if w.Origin == origin {
			return w.Seq
		}
	}
	return 0
}

// streetTargets reads each street's own log head.
func streetTargets(ctx context.Context, fed *federation) ([]*streetTarget, uint64, error) {
	var out []*streetTarget
	var total uint64
	for _, s := range fed.level(area.LevelStreet) {
		st, err := s.c.Status(ctx)
		if err != nil {
			return nil, 0, fmt.Errorf("demo: status of %s: %w", s.name(), err)
		}
		own, _ := ownWatermark(st)
		out = append(out, &streetTarget{d: s, want: own.Seq})
		total += own.Seq
	}
	return out, total, nil
}

// lagging explains which streets the city still lacks, with each one's
// view of its upstream link.
func lagging(ctx context.Context, city *demoNode, targets []*streetTarget, timeout time.Duration) error {
	var parts []string
	for _, t := range targets {
		if t.have >= t.want {
			continue
		}
		p := fmt.Sprintf("%s (%s): %s of %s entries", t.d.name(), t.d.code, thousands(int64(t.have)), thousands(int64(t.want)))
		if st, err := t.d.c.Status(ctx); err == nil && st.Upstream != nil {
			p += linkState(t.d.parent.name(), st.Upstream.Connected, st.Upstream.LastError)
		}
		parts = append(parts, p)
	}
	return fmt.Errorf("demo: after %s %s still lacks entries of\n  %s\nRun with -v to see the servers' logs, or give more --timeout",
		timeout, city.name(), strings.Join(parts, "\n  "))
}

// linkState says whether a street's link up is connected, and its last error.
func linkState(parent string, connected bool, lastErr string) string {
	s := fmt.Sprintf("; its link to %s is down", parent)
	if connected {
		s = fmt.Sprintf("; its link to %s is up", parent)
	}
	if lastErr != "" {
		s += ", last error: " + lastErr
	}
	return s
}

// statusLine is one line of progress on a terminal, rewritten in place;
// elsewhere it prints only its first message, and with quiet nothing.
type statusLine struct {
	w      io.Writer
	term   bool
	quiet  bool
	shown  bool
	length int
}

func newStatusLine(w io.Writer, quiet bool) *statusLine {
	return &statusLine{w: w, term: isTerminal(w), quiet: quiet}
}

func (l *statusLine) show(msg string) {
	switch {
	case l.quiet:
	case l.term:
		pad := max(0, l.length-displayWidth(msg))
		fmt.Fprintf(l.w, "\r%s%s", msg, strings.Repeat(" ", pad))
		l.length = displayWidth(msg)
	case !l.shown:
		fmt.Fprintln(l.w, msg)
	}
	l.shown = true
}

// done clears the line on a terminal; later calls do nothing.
func (l *statusLine) done() {
	if l.term && !l.quiet && l.shown {
		fmt.Fprintf(l.w, "\r%s\r", strings.Repeat(" ", l.length))
	}
	l.quiet = true
}
