package milter

import (
	"bytes"
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"testing"
	"time"

	gomilter "github.com/d--j/go-milter"

	"github.com/officemilter/officemilter/milter/internal/postfixtest"
)

// BenchmarkPostfixOverhead is a scripted load run: smtp-source pushes
// messages through a private Postfix whose smtpd_milters point at
// officemilter, then at a milter that does nothing, alternately, and the
// run reports messages/s for both and officemilter's overhead in percent.
//
//	go test ./milter -run '^$' -bench PostfixOverhead -benchtime 1x
func BenchmarkPostfixOverhead(b *testing.B) {
	postfixtest.Require(b, "smtp-source")
	port := postfixtest.FreePort(b)
	pf := postfixtest.Start(b, postfixtest.Options{MilterPort: port, NoDump: true})
	docx, err := os.ReadFile("../testdata/files/letter.docx")
	if err != nil {
		b.Fatal(err)
	}
	writeMsg := func(name string, msg []byte) string {
		file := filepath.Join(b.TempDir(), name)
		msg = bytes.TrimSuffix(msg, []byte("\r\n"))
		if err := os.WriteFile(file, bytes.ReplaceAll(msg, []byte("\r\n"), []byte("\n")), 0o644); err != nil {
			b.Fatal(err)
		}
		return file
	}
	// A typical business mail: text and a clean .docx (inspected, accepted);
	// and a text-only one.
	files := map[string]string{
		"docx": writeMsg("docx.eml", buildMessage("anna@example.net", map[string][]byte{"Bericht.docx": docx})),
		"text": writeMsg("text.eml", buildMessage("anna@example.net", nil)),
	}
	const messages, sessions, rounds = 600, 8, 5
	var file string
	run := func(serve func(net.Listener) func()) time.Duration {
		ln := listenRetry(b, port)
		stop := serve(ln)
		defer stop()
		start := time.Now()
		out, err := exec.Command("smtp-source", "-s", fmt.Sprint(sessions), "-m", fmt.Sprint(messages), "-F", file,
			"-f", "erika@example.com", "-t", "anna@example.net", pf.SMTPAddr).CombinedOutput()
		if err != nil {
			b.Fatalf("smtp-source: %v\n%s", err, out)
		}
		return time.Since(start)
	}
	officemilter := func(ln net.Listener) func() {
		cfg := contribConfig(b)
		srv := NewServer(newTestFilter(cfg), ServerOptions{})
		go srv.Serve(ln)
		return func() {
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer cancel()
			srv.Shutdown(ctx)
		}
	}
	noop := func(ln net.Listener) func() {
		srv := gomilter.NewServer(gomilter.WithMilter(func() gomilter.Milter { return gomilter.NoOpMilter{} }))
		go srv.Serve(ln)
		return func() { srv.Close() }
	}
	med := func(d []time.Duration) time.Duration {
		sort.Slice(d, func(i, j int) bool { return d[i] < d[j] })
		return d[len(d)/2]
	}
	for _, kind := range []string{"text", "docx"} {
		file = files[kind]
		var om, nm []time.Duration
		for i := 0; i < b.N; i++ {
			for round := 0; round < rounds; round++ { // alternate: load drifts
				nm = append(nm, run(noop))
				om = append(om, run(officemilter))
			}
		}
		o, n := med(om), med(nm)
		b.ReportMetric(float64(messages)/o.Seconds(), "msgs/s-officemilter-"+kind)
		b.ReportMetric(float64(messages)/n.Seconds(), "msgs/s-noop-"+kind)
		b.ReportMetric(100*(o.Seconds()-n.Seconds())/n.Seconds(), "%overhead-"+kind)
	}
}

func listenRetry(b *testing.B, port int) net.Listener {
	for i := 0; ; i++ {
		ln, err := net.Listen("tcp", fmt.Sprintf("127.0.0.1:%d", port))
		if err == nil {
			return ln
		}
		if i == 50 {
			b.Fatal(err)
		}
		time.Sleep(100 * time.Millisecond)
	}
}
