package milter

import (
	"testing"

	"go.uber.org/zap"

	"github.com/officemilter/officemilter/notify"
)

// TestNotifyBacklogBounded: while the MTA's sendmail command hangs,
// notifications wait their turn up to the backlog's bound; beyond it they
// are dropped and counted (result="dropped"), not held without bound.
func TestNotifyBacklogBounded(t *testing.T) {
	s := NewServer(newTestFilter(contribConfig(t)), ServerOptions{
		Mailer: &notify.Mailer{Sendmail: []string{"sh", "-c", "cat >/dev/null; sleep 0.5"}, From: "postmaster@example.org"},
	})
	s.notifySem = make(chan struct{}, 1)
	s.notifyMax = 2 // one submitting, one waiting
	pol := &Policy{Name: "p", NotifySender: NotifyAlways}
	res := &Result{Policy: pol, rewrite: &rewrite{notice: "removed"}}
	res.Envelope.From = "erika@example.com"
	for i := 0; i < 5; i++ {
		s.notifySender(res, zap.NewNop())
	}
	s.wg.Wait()
	text := s.metrics.Text()
	for want, v := range map[string]float64{"sent": 2, "failed": 0, "dropped": 3} {
		if got := metricValue(t, text, `officemilter_notifications_total{result="`+want+`"}`); got != v {
			t.Errorf("notifications %s: %v, want %v", want, got, v)
		}
	}
	if n := s.notifyBacklog.Load(); n != 0 {
		t.Errorf("backlog %d after all finished", n)
	}
}
