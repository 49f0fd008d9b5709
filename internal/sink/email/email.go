// Package email mails the problems of a deployment over SMTP: a critical or emergency
// finding the run goes on after, and the outcome of a run that failed, had a critical
// finding or was rolled back. Email is for problems: a healthy run sends nothing.
//
// Protocol: SMTP (RFC 5321) with STARTTLS (RFC 3207) or implicit TLS (RFC 8314) and AUTH
// PLAIN (RFC 4616), through Go's net/smtp (https://pkg.go.dev/net/smtp); messages are
// RFC 5322 plain text in quoted-printable UTF-8.
package email

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"net/mail"
	"net/url"
	"strings"

	"github.com/deploywatch/deploywatch/internal/model"
	"github.com/deploywatch/deploywatch/internal/redact"
	"github.com/deploywatch/deploywatch/internal/sink"
)

// Config configures the sink.
type Config struct {
	// URL is the server: smtp://user:password@host:587 upgrades with STARTTLS, which is
	// required unless the host is loopback (a relay on the runner itself);
	// smtps://user:password@host:465 is TLS from the first byte. User and password are
	// percent-decoded; without them the sink does not authenticate.
	URL string
	// To are the recipients, each an address ("oncall@example.com" or
	// "On call <oncall@example.com>"); an entry may list several, separated by commas.
	To []string
	// From is the sender; empty means deploywatch@<smtp host>.
	From string
	// NotifyOn is the lowest finding severity mailed (a `sinks` item's notify_on); zero
	// means critical. Email is for problems: start, checkpoints and clearings never go.
	NotifyOn model.Severity
	// TLSConfig verifies the server (ca_cert's pool for a private CA); nil uses the
	// system roots.
	TLSConfig *tls.Config
	// Dial opens the connection; nil uses a net.Dialer.
	Dial func(ctx context.Context, network, addr string) (net.Conn, error)
}

// Sink mails a deployment's problems.
type Sink struct {
	cfg         Config
	host, port  string
	implicitTLS bool
	user, pass  string
	from        *mail.Address
	to          []*mail.Address
	// secrets hides the password, in every form a server may echo, from errors.
	secrets *redact.Redactor
}

var _ sink.Sink = (*Sink)(nil)

// New checks the configuration, listing every problem at once, and returns the sink.
// Errors never quote the URL: it holds the password.
func New(cfg Config) (*Sink, error) {
	if cfg.NotifyOn == model.SeverityNone {
		cfg.NotifyOn = model.SeverityCritical
	}
	s := &Sink{cfg: cfg}
	var errs []error
	u, err := url.Parse(strings.TrimSpace(cfg.URL))
	switch {
	case err != nil:
		errs = append(errs, errors.New("smtp_url: not a URL; want smtp://user:password@host:587 or smtps://user:password@host:465"))
	case u.Scheme != "smtp" && u.Scheme != "smtps":
		errs = append(errs, errors.New("smtp_url: the scheme must be smtp (STARTTLS) or smtps (TLS)"))
	case u.Hostname() == "":
		errs = append(errs, errors.New("smtp_url: no host"))
	case (u.Path != "" && u.Path != "/") || u.RawQuery != "" || u.Fragment != "":
		errs = append(errs, errors.New("smtp_url: want only smtp[s]://user:password@host:port, without a path or query"))
	default:
		s.host, s.port, s.implicitTLS = u.Hostname(), u.Port(), u.Scheme == "smtps"
		if s.port == "" {
			s.port = map[bool]string{true: "465", false: "587"}[s.implicitTLS]
		}
		if u.User != nil {
			s.user = u.User.Username()
			s.pass, _ = u.User.Password()
		}
	}
	for _, entry := range cfg.To {
		list, err := mail.ParseAddressList(entry)
		if err != nil {
			errs = append(errs, fmt.Errorf("email_to: %q is not an email address", entry))
			continue
		}
		s.to = append(s.to, list...)
	}
	if len(s.to) == 0 && len(cfg.To) == 0 {
		errs = append(errs, errors.New("email_to: at least one recipient is required"))
	}
	if cfg.From != "" {
		if s.from, err = mail.ParseAddress(cfg.From); err != nil {
			errs = append(errs, fmt.Errorf("email_from: %q is not an email address", cfg.From))
		}
	} else if s.host != "" {
		if s.from, err = mail.ParseAddress("deploywatch@" + s.host); err != nil {
			errs = append(errs, fmt.Errorf("email_from: deploywatch@%s is not an address; set email_from", s.host))
		}
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	s.secrets = redact.New()
	if s.pass != "" {
		s.secrets.Add(s.pass, plainResponse(s.user, s.pass), url.UserPassword(s.user, s.pass).String())
	}
	return s, nil
}

// Name implements sink.Sink.
func (s *Sink) Name() string { return "email" }

// Send mails ev when it is a problem (see Wants); other events send nothing. A retried
// mail keeps its Message-ID, so a duplicate after a lost answer is recognisable.
func (s *Sink) Send(ctx context.Context, ev sink.Event) (bool, error) {
	if !Wants(ev, s.cfg.NotifyOn) {
		return false, nil
	}
	err := s.deliver(ctx, s.compose(ev))
	return sink.Retryable(err), err
}

// Wants reports whether ev is worth a mail for a sink mailing findings from severity min
// up (critical by default): such a finding raised that is not fatal (a fatal one ends
// the run within moments, and the final mail covers it), and the end of a run that
// failed, had such a finding, or was rolled back.
func Wants(ev sink.Event, min model.Severity) bool {
	switch ev.Kind {
	case sink.KindFinding:
		f := ev.Finding
		return f != nil && !f.Fatal && sink.FindingSeverity(*f) >= min
	case sink.KindFinished:
		r := ev.Report
		if r.Verdict == model.VerdictFailed || (r.Rollback != nil && r.Rollback.Performed) {
			return true
		}
		for _, f := range r.Findings {
			if sink.FindingSeverity(f) >= min {
				return true
			}
		}
	}
	return false
}
