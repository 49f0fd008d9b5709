package email

import (
	"context"
	"errors"
	"net"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/deploywatch/deploywatch/internal/model"
	"github.com/deploywatch/deploywatch/internal/sink"
	"github.com/deploywatch/deploywatch/internal/sink/sinktest"
)

// Email is for problems: which events send a mail.
func TestWhichEventsSendMail(t *testing.T) {
	t.Parallel()
	evs := sinktest.Events()
	with := func(ev sink.Event, change func(*sink.Event)) sink.Event {
		ev.Report.Findings = slices.Clone(ev.Report.Findings)
		if ev.Finding != nil {
			f := *ev.Finding
			ev.Finding = &f
		}
		change(&ev)
		return ev
	}
	finished := sinktest.Finished()
	healthy := func(ev *sink.Event) {
		ev.Report.Verdict, ev.Report.Rollback, ev.Report.Findings = model.VerdictHealthy, nil, nil
	}
	tests := []struct {
		name string
		ev   sink.Event
		want bool
	}{
		{name: "started", ev: evs[0]},
		{name: "resumed", ev: with(evs[0], func(ev *sink.Event) { ev.Kind = sink.KindResumed })},
		{name: "progress", ev: evs[1]},
		{name: "warning_finding", ev: evs[2]},
		{name: "warning_cleared", ev: evs[3]},
		{name: "fatal_critical_finding", ev: evs[4]},
		{name: "critical_finding", ev: criticalFinding(), want: true},
		{name: "emergency_finding", ev: with(criticalFinding(), func(ev *sink.Event) { ev.Finding.Severity = model.SeverityEmergency }), want: true},
		{name: "critical_probe_error", ev: with(criticalFinding(), func(ev *sink.Event) { ev.Finding.Type = model.FindingProbeError })},
		{name: "critical_cleared", ev: with(criticalFinding(), func(ev *sink.Event) { ev.Kind, ev.Finding.Active = sink.KindCleared, false })},
		{name: "rolled_back", ev: evs[5]},
		{name: "finished_failed", ev: finished, want: true},
		{name: "finished_failed_without_findings", ev: with(finished, func(ev *sink.Event) { healthy(ev); ev.Report.Verdict = model.VerdictFailed }), want: true},
		{name: "finished_healthy", ev: with(finished, healthy)},
		{name: "finished_degraded_after_a_critical_finding", want: true, ev: with(finished, func(ev *sink.Event) {
			healthy(ev)
			ev.Report.Verdict = model.VerdictDegraded
			ev.Report.Findings = []model.Finding{criticalFinding().Report.Findings[1]}
		})},
		{name: "finished_healthy_but_rolled_back", want: true, ev: with(finished, func(ev *sink.Event) {
			healthy(ev)
			ev.Report.Rollback = &model.Rollback{Target: "deployment/shop", Performed: true}
		})},
		{name: "finished_with_a_dry_run_rollback", ev: with(finished, func(ev *sink.Event) {
			healthy(ev)
			ev.Report.Rollback = &model.Rollback{Target: "deployment/shop", DryRun: true}
		})},
		{name: "finished_cancelled_with_warnings", ev: with(finished, func(ev *sink.Event) {
			healthy(ev)
			ev.Report.Verdict, ev.Report.Findings = model.VerdictCancelled, evs[2].Report.Findings
		})},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if got := Wants(tt.ev, model.SeverityCritical); got != tt.want {
				t.Errorf("Wants = %v, want %v", got, tt.want)
			}
			f, pki := newServer(t, nil)
			send(t, newSink(t, f, pki, smtpURL("smtp", "mail.example.test", true)), tt.ev)
			if got := len(f.Received()); got != map[bool]int{true: 1, false: 0}[tt.want] {
				t.Errorf("%d mails sent, want mail: %v", got, tt.want)
			}
			if !tt.want && len(f.Commands()) > 0 {
				t.Errorf("connected for nothing: %v", f.Commands())
			}
		})
	}
}

// The password only travels encrypted: STARTTLS comes before AUTH, or TLS from the
// first byte with smtps.
func TestTLSBeforeAuth(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, scheme string
		implicit     bool
		want         []string
	}{
		{name: "starttls", scheme: "smtp",
			want: []string{"EHLO", "STARTTLS", "EHLO+tls", "AUTH+tls", "MAIL+tls", "RCPT+tls", "RCPT+tls", "DATA+tls", "QUIT+tls"}},
		{name: "smtps", scheme: "smtps", implicit: true,
			want: []string{"EHLO+tls", "AUTH+tls", "MAIL+tls", "RCPT+tls", "RCPT+tls", "DATA+tls", "QUIT+tls"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			f, pki := newServer(t, func(f *sinktest.SMTPServer) { f.Implicit = tt.implicit })
			send(t, newSink(t, f, pki, smtpURL(tt.scheme, "mail.example.test", true)), criticalFinding())
			if diff := cmp.Diff(tt.want, f.Commands()); diff != "" {
				t.Errorf("commands (-want +got):\n%s", diff)
			}
			if len(f.Received()) != 1 {
				t.Error("no mail delivered")
			}
		})
	}
}

// Without TLS, neither the password nor the mail goes anywhere but to a loopback relay:
// smtp:// requires STARTTLS of a remote server, with or without credentials.
func TestAuthWithoutTLS(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, url string
		noAuth    bool // the server asks for no credentials
		wantSent  bool
		wantCmds  []string
	}{
		{name: "refused_to_a_remote_host", url: smtpURL("smtp", "mail.example.test", true), wantCmds: []string{"EHLO"}},
		{name: "allowed_to_loopback", url: smtpURL("smtp", "127.0.0.1:2525", true), wantSent: true,
			wantCmds: []string{"EHLO", "AUTH", "MAIL", "RCPT", "RCPT", "DATA", "QUIT"}},
		{name: "remote_relay_without_credentials_refused", url: smtpURL("smtp", "mail.example.test:25", false), noAuth: true,
			wantCmds: []string{"EHLO"}},
		{name: "loopback_relay_without_credentials", url: smtpURL("smtp", "localhost:25", false), noAuth: true, wantSent: true,
			wantCmds: []string{"EHLO", "MAIL", "RCPT", "RCPT", "DATA", "QUIT"}},
		{name: "loopback_net_relay", url: smtpURL("smtp", "127.0.0.2:25", false), noAuth: true, wantSent: true,
			wantCmds: []string{"EHLO", "MAIL", "RCPT", "RCPT", "DATA", "QUIT"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			f, pki := newServer(t, func(f *sinktest.SMTPServer) {
				f.NoSTARTTLS = true
				if tt.noAuth {
					f.User = ""
				}
			})
			retry, err := newSink(t, f, pki, tt.url).Send(t.Context(), criticalFinding())
			if diff := cmp.Diff(tt.wantCmds, f.Commands()); diff != "" {
				t.Errorf("commands (-want +got):\n%s", diff)
			}
			if tt.wantSent {
				if err != nil || len(f.Received()) != 1 {
					t.Errorf("err %v, %d mails; want one mail", err, len(f.Received()))
				}
				return
			}
			var se *sink.Error
			if !errors.As(err, &se) || !se.Disable || retry {
				t.Errorf("retry %v, err %#v; want an error that turns the sink off", retry, err)
			}
		})
	}
}

// Replies and failures are classified for the dispatcher.
func TestErrorClassification(t *testing.T) {
	t.Parallel()
	reply := func(verb, answer string) func(*sinktest.SMTPServer) {
		return func(f *sinktest.SMTPServer) {
			f.Script = func(v, _ string) (string, bool) { return answer, v == verb }
		}
	}
	tests := []struct {
		name               string
		configure          func(*sinktest.SMTPServer)
		url                string
		untrusted, dead    bool
		wantRetry, wantOff bool
	}{
		{name: "mail_451_is_retried", configure: reply("MAIL", "451 4.3.0 try again later"), wantRetry: true},
		{name: "rcpt_452_is_retried", configure: reply("RCPT", "452 4.2.2 mailbox full"), wantRetry: true},
		{name: "ehlo_421_is_retried", configure: reply("EHLO", "421 4.3.2 shutting down"), wantRetry: true},
		{name: "rcpt_550_is_final", configure: reply("RCPT", "550 5.1.1 no such user")},
		{name: "data_554_is_final", configure: reply("DATA", "554 5.7.1 rejected as spam")},
		{name: "auth_535_turns_it_off", configure: reply("AUTH", "535 5.7.8 authentication credentials invalid"), wantOff: true},
		{name: "mail_530_turns_it_off", url: smtpURL("smtp", "127.0.0.1", false), wantOff: true},
		{name: "untrusted_certificate_turns_it_off", untrusted: true, wantOff: true},
		{name: "connection_refused_is_retried", dead: true, wantRetry: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			f, pki := newServer(t, tt.configure)
			cfg := Config{URL: tt.url, To: recipients, TLSConfig: pki.Client, Dial: f.Dial}
			if cfg.URL == "" {
				cfg.URL = smtpURL("smtp", "mail.example.test", true)
			}
			if tt.untrusted {
				cfg.TLSConfig = nil
			}
			if tt.dead {
				cfg.Dial = deadDial(t)
			}
			s, err := New(cfg)
			if err != nil {
				t.Fatal(err)
			}
			retry, err := s.Send(t.Context(), criticalFinding())
			var se *sink.Error
			if !errors.As(err, &se) {
				t.Fatalf("err = %#v, want a *sink.Error", err)
			}
			if retry != tt.wantRetry || se.Retry != tt.wantRetry || se.Disable != tt.wantOff {
				t.Errorf("retry %v, disable %v (%v); want retry %v, disable %v", retry, se.Disable, err, tt.wantRetry, tt.wantOff)
			}
			if len(f.Received()) != 0 {
				t.Error("a mail was delivered")
			}
		})
	}
}

// deadDial connects to a loopback port nothing listens on.
func deadDial(t *testing.T) func(context.Context, string, string) (net.Conn, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	return func(ctx context.Context, network, _ string) (net.Conn, error) {
		var d net.Dialer
		return d.DialContext(ctx, network, addr)
	}
}

// A recipient refused for good does not stop the mail to the others; the error says who
// missed it and is final, since a retry would repeat the mail to the rest.
func TestRefusedRecipientIsSkipped(t *testing.T) {
	t.Parallel()
	f, pki := newServer(t, func(f *sinktest.SMTPServer) {
		f.Script = func(verb, arg string) (string, bool) {
			return "550 5.1.1 no such user", verb == "RCPT" && strings.Contains(arg, "ops@")
		}
	})
	retry, err := newSink(t, f, pki, smtpURL("smtp", "mail.example.test", true)).Send(t.Context(), criticalFinding())
	if err == nil || retry || !strings.Contains(err.Error(), "ops@acme.example") {
		t.Errorf("retry %v, err %v; want a final error naming ops@acme.example", retry, err)
	}
	if got := f.Received(); len(got) != 1 || !slices.Equal(got[0].To, []string{"oncall@acme.example"}) {
		t.Errorf("received %+v, want one mail to oncall@acme.example", got)
	}
}

// A server that stops answering mid-DATA cannot hold the run: cancelling the context,
// or its deadline, ends the send.
func TestHungServerIsAbandoned(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name      string
		deadline  bool
		wantRetry bool
	}{
		{name: "cancelled"},
		{name: "deadline", deadline: true, wantRetry: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			f, pki := newServer(t, func(f *sinktest.SMTPServer) { f.HangData = true })
			s := newSink(t, f, pki, smtpURL("smtp", "mail.example.test", true))
			ctx, cancel := context.WithCancel(t.Context())
			if tt.deadline {
				ctx, cancel = context.WithTimeout(t.Context(), 300*time.Millisecond)
			}
			defer cancel()
			type result struct {
				retry bool
				err   error
			}
			done := make(chan result, 1)
			go func() {
				retry, err := s.Send(ctx, criticalFinding())
				done <- result{retry, err}
			}()
			if !tt.deadline {
				select {
				case <-f.DataIn:
				case <-time.After(30 * time.Second): // a hang guard, not a speed limit
					t.Fatal("the message never reached the server")
				}
				cancel()
			}
			select {
			case r := <-done:
				if r.err == nil || r.retry != tt.wantRetry {
					t.Errorf("retry %v, err %v; want an error, retry %v", r.retry, r.err, tt.wantRetry)
				}
			case <-time.After(30 * time.Second): // a hang guard, not a speed limit
				t.Fatal("Send did not return after its context ended")
			}
		})
	}
}

// The password shows in no error, in any of its forms, even when the server echoes the
// AUTH line back.
func TestPasswordNeverInErrors(t *testing.T) {
	t.Parallel()
	blob := plainResponse(user, pass)
	forms := []string{pass, url.QueryEscape(pass), url.PathEscape(pass), blob}
	echo := func(verb string) func(*sinktest.SMTPServer) {
		return func(f *sinktest.SMTPServer) {
			f.Script = func(v, arg string) (string, bool) {
				return "535 5.7.8 rejected " + arg + " password=" + pass + " url=" + url.QueryEscape(pass), v == verb
			}
		}
	}
	tests := []struct {
		name      string
		configure func(*sinktest.SMTPServer)
		url       string
		dead      bool
	}{
		{name: "auth_line_echoed", configure: echo("AUTH")},
		{name: "echoed_later", configure: echo("RCPT")},
		{name: "plaintext_refused", configure: func(f *sinktest.SMTPServer) { f.NoSTARTTLS = true }},
		{name: "connection_refused", dead: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			f, pki := newServer(t, tt.configure)
			cfg := Config{URL: smtpURL("smtp", "mail.example.test", true), To: recipients, TLSConfig: pki.Client, Dial: f.Dial}
			if tt.dead {
				cfg.Dial = deadDial(t)
			}
			s, err := New(cfg)
			if err != nil {
				t.Fatal(err)
			}
			_, err = s.Send(t.Context(), criticalFinding())
			if err == nil {
				t.Fatal("no error")
			}
			for e := err; e != nil; e = errors.Unwrap(e) {
				for _, secret := range forms {
					if strings.Contains(e.Error(), secret) {
						t.Errorf("the error %q shows %q", e, secret)
					}
				}
			}
		})
	}
}

// Every configuration problem is listed at once, none quoting the password.
func TestNewListsEveryProblem(t *testing.T) {
	t.Parallel()
	_, err := New(Config{URL: "http://" + url.UserPassword(user, pass).String() + "@mail.example.test", To: []string{"not an address", "ok@acme.example"}, From: "nobody"})
	if err == nil {
		t.Fatal("New accepted it")
	}
	text := err.Error()
	for _, want := range []string{"smtp_url: the scheme", `email_to: "not an address"`, `email_from: "nobody"`} {
		if !strings.Contains(text, want) {
			t.Errorf("the error %q does not say %q", text, want)
		}
	}
	if strings.Contains(text, pass) || strings.Contains(text, url.QueryEscape(pass)) || strings.Contains(text, url.PathEscape(pass)) {
		t.Errorf("the error %q shows the password", text)
	}
	for _, cfg := range []Config{
		{URL: "smtp://mail.example.test"},
		{URL: "smtps://", To: recipients},
		{URL: "smtp://mail.example.test/path?x=1", To: recipients},
		{URL: "mail.example.test:587", To: recipients},
	} {
		if _, err := New(cfg); err == nil {
			t.Errorf("New(%+v) accepted it", cfg)
		}
	}
}
