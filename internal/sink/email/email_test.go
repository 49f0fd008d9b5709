package email

import (
	"flag"
	"io"
	"mime"
	"mime/quotedprintable"
	"net/mail"
	"net/url"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/deploywatch/deploywatch/internal/model"
	"github.com/deploywatch/deploywatch/internal/sink"
	"github.com/deploywatch/deploywatch/internal/sink/sinktest"
)

var update = flag.Bool("update", false, "rewrite the golden files")

// The credentials need percent-encoding in the URL, which the sink decodes.
const (
	user = "deploy@acme.example"
	pass = "p@ss W0rd:s3cret!"
)

var recipients = []string{"oncall@acme.example", "Ops Team <ops@acme.example>"}

func smtpURL(scheme, host string, withUser bool) string {
	u := &url.URL{Scheme: scheme, Host: host}
	if withUser {
		u.User = url.UserPassword(user, pass)
	}
	return u.String()
}

// newServer starts a fake SMTP server expecting the test credentials.
func newServer(t *testing.T, configure func(*sinktest.SMTPServer)) (*sinktest.SMTPServer, sinktest.PKI) {
	t.Helper()
	f := sinktest.NewSMTPServer(t, user, pass, configure)
	return f, f.PKI
}

// newSink points a sink at the fake, whatever host rawURL names.
func newSink(t *testing.T, f *sinktest.SMTPServer, pki sinktest.PKI, rawURL string) *Sink {
	t.Helper()
	s, err := New(Config{URL: rawURL, To: recipients, TLSConfig: pki.Client, Dial: f.Dial})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// criticalFinding is a critical finding the run goes on after: restarts during warm-up,
// where breaches are reported but never fatal.
func criticalFinding() sink.Event {
	at := sinktest.Start.Add(60 * time.Second)
	f := model.Finding{
		Check: "restarts", Kind: model.KindRestarts, Signal: model.SignalRestarts, Type: model.FindingBreach,
		Severity: model.SeverityCritical, Active: true,
		Message: "3 container restarts since the deploy, over the limit of 2", Value: "3", Expected: "≤ 2", Baseline: "0",
		Phase: model.PhaseWarmup, Onset: at.Add(-20 * time.Second), ConfirmedAt: at, LastSeen: at, Count: 2,
	}
	r := sinktest.InProgress(60 * time.Second)
	r.Findings = append(r.Findings, f)
	return sink.Event{Kind: sink.KindFinding, At: at, Report: r, Finding: &f}
}

// The golden files are regenerated with: go test ./internal/sink/email -update
func TestGoldenMessages(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, golden, subject string
		ev                    sink.Event
		body                  []string
	}{
		{name: "critical_finding", golden: "testdata/critical_finding.golden", ev: criticalFinding(),
			subject: "[deploywatch] production: critical restarts — Deploy 3f9c2ab to production",
			body:    []string{"3 (expected ≤ 2)", "monitoring goes on"}},
		{name: "failed_run", golden: "testdata/failed_run.golden", ev: sinktest.Finished(),
			subject: "[deploywatch] production: failed, rolled back — Deploy 3f9c2ab to production",
			body:    []string{"failed: critical error_rate", "deployment/shop rolled back from revision 7 to 6"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			f, pki := newServer(t, nil)
			send(t, newSink(t, f, pki, smtpURL("smtp", "mail.example.test:587", true)), tt.ev)
			mails := f.Received()
			if len(mails) != 1 {
				t.Fatalf("%d mails, want 1", len(mails))
			}
			m := mails[0]
			wantEnvelope := sinktest.Mail{From: "deploywatch@mail.example.test", To: []string{"oncall@acme.example", "ops@acme.example"}}
			if diff := cmp.Diff(wantEnvelope, sinktest.Mail{From: m.From, To: m.To}); diff != "" {
				t.Errorf("envelope (-want +got):\n%s", diff)
			}
			if n := strings.Count(m.Data, "\n"); n != strings.Count(m.Data, "\r\n") {
				t.Errorf("the message has bare line feeds: %q", m.Data)
			}
			compareGolden(t, tt.golden, strings.ReplaceAll(m.Data, "\r\n", "\n"))

			msg, err := mail.ReadMessage(strings.NewReader(m.Data))
			if err != nil {
				t.Fatalf("the message does not parse: %v", err)
			}
			subject, err := new(mime.WordDecoder).DecodeHeader(msg.Header.Get("Subject"))
			if err != nil || subject != tt.subject {
				t.Errorf("subject = %q (%v), want %q", subject, err, tt.subject)
			}
			if date, err := msg.Header.Date(); err != nil || !date.Equal(tt.ev.At) {
				t.Errorf("date = %v (%v), want %v", date, err, tt.ev.At)
			}
			text, err := io.ReadAll(quotedprintable.NewReader(msg.Body))
			if err != nil {
				t.Fatal(err)
			}
			for _, want := range tt.body {
				if !strings.Contains(strings.Join(strings.Fields(string(text)), " "), want) {
					t.Errorf("body lacks %q:\n%s", want, text)
				}
			}
		})
	}
}

func send(t *testing.T, s *Sink, ev sink.Event) {
	t.Helper()
	if _, err := s.Send(t.Context(), ev); err != nil {
		t.Fatalf("%s event: %v", ev.Kind, err)
	}
}

func compareGolden(t *testing.T, path, got string) {
	t.Helper()
	if *update {
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (regenerate with -update)", err)
	}
	if diff := cmp.Diff(string(want), got); diff != "" {
		t.Errorf("%s differs (-want +got); regenerate with -update after checking:\n%s", path, diff)
	}
}

// The same mail sent again (a retry) keeps its Message-ID; another mail gets another.
func TestMessageIDIsStablePerMail(t *testing.T) {
	t.Parallel()
	s, err := New(Config{URL: "smtp://mail.example.test", To: recipients})
	if err != nil {
		t.Fatal(err)
	}
	id := func(ev sink.Event) string {
		msg, err := mail.ReadMessage(strings.NewReader(string(s.compose(ev))))
		if err != nil {
			t.Fatal(err)
		}
		return msg.Header.Get("Message-ID")
	}
	finding, other := criticalFinding(), criticalFinding()
	other.Finding.Check = "pods"
	if id(finding) != id(criticalFinding()) {
		t.Error("the same finding got two Message-IDs")
	}
	ids := map[string]bool{id(finding): true, id(other): true, id(sinktest.Finished()): true}
	if len(ids) != 3 {
		t.Errorf("distinct mails share a Message-ID: %v", ids)
	}
}

// The mail sink keeps the contract every sink keeps, SMTP replies standing for HTTP
// statuses. Regenerate testdata/conformance.golden with: go test ./internal/sink/email -update
func TestConformance(t *testing.T) {
	t.Parallel()
	sinktest.RunSMTP(t, sinktest.SMTPCase{
		New: func(t *testing.T, srv *sinktest.SMTPServer) sink.Sink {
			return newSink(t, srv, srv.PKI, smtpURL("smtp", "mail.example.test:587", true))
		},
		User: user, Pass: pass,
		Secrets: []string{url.QueryEscape(pass), url.PathEscape(pass), plainResponse(user, pass)},
		Golden:  "testdata/conformance.golden", Update: *update,
	})
}

// notify_on moves the lowest severity of finding mailed; start, checkpoints and
// clearings are never mailed.
func TestNotifyOn(t *testing.T) {
	t.Parallel()
	evs := sinktest.Events()
	warning := evs[2] // a warning finding raised, the run goes on
	critical := criticalFinding()
	emergency := criticalFinding()
	f := *emergency.Finding
	f.Severity = model.SeverityEmergency
	emergency.Finding = &f
	healthyEnd := sinktest.Finished()
	healthyEnd.Report.Verdict, healthyEnd.Report.Rollback = model.VerdictHealthy, nil
	healthyEnd.Report.Findings = evs[3].Report.Findings // a warning, cleared
	tests := []struct {
		name     string
		notifyOn model.Severity
		want     []bool // started, progress, warning, cleared, critical, emergency, healthy end
	}{
		{name: "default_is_critical", want: []bool{false, false, false, false, true, true, false}},
		{name: "info", notifyOn: model.SeverityInfo, want: []bool{false, false, true, false, true, true, true}},
		{name: "warning", notifyOn: model.SeverityWarning, want: []bool{false, false, true, false, true, true, true}},
		{name: "emergency", notifyOn: model.SeverityEmergency, want: []bool{false, false, false, false, false, true, false}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			srv, pki := newServer(t, nil)
			s, err := New(Config{URL: smtpURL("smtp", "mail.example.test", true), To: recipients, NotifyOn: tt.notifyOn,
				TLSConfig: pki.Client, Dial: srv.Dial})
			if err != nil {
				t.Fatal(err)
			}
			var got []bool
			for _, ev := range []sink.Event{evs[0], evs[1], warning, evs[3], critical, emergency, healthyEnd} {
				before := len(srv.Received())
				send(t, s, ev)
				got = append(got, len(srv.Received()) > before)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("mailed (-want +got):\n%s", diff)
			}
		})
	}
}
