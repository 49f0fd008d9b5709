package email

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net/textproto"
	"strings"

	"github.com/deploywatch/deploywatch/internal/sink"
)

// errPlaintextAuth refuses to send the password where it could be read on the way.
var errPlaintextAuth = errors.New("the server offers no STARTTLS: refusing to send the password unencrypted; use smtps:// or a server with STARTTLS")

// errPlaintext refuses to send a mail readable on the way to a remote server.
var errPlaintext = errors.New("the server offers no STARTTLS: refusing to send the mail unencrypted; use smtps:// or a server with STARTTLS")

// errNoAuth is a server that takes no credentials while the URL gives some.
var errNoAuth = errors.New("the server offers no AUTH; drop the user from smtp_url or fix the server")

// fail classifies a failed step as a *sink.Error: no answer and 4xx replies are retried,
// other replies are final, refused credentials (530, 534, 535, 538) and a server that
// cannot be trusted turn the sink off. The server's text is scrubbed of the password,
// which a server may echo from the AUTH line.
func (s *Sink) fail(ctx context.Context, step string, err error) *sink.Error {
	e := &sink.Error{Op: "send mail: " + step}
	var reply *textproto.Error
	var partial partialError
	var cert *tls.CertificateVerificationError
	switch {
	case ctx.Err() != nil:
		e.Err = fmt.Errorf("abandoned: %w", ctx.Err())
		e.Retry = errors.Is(ctx.Err(), context.DeadlineExceeded)
	case errors.As(err, &partial):
		// Sending again would repeat the mail to those who got it.
		e.Detail = "sent, but not to " + strings.Join(partial.refused, ", ") + ": " + s.replyText(partial.reply)
	case errors.As(err, &reply):
		e.Detail = s.replyText(reply)
		e.Retry = reply.Code >= 400 && reply.Code < 500
		switch reply.Code {
		case 530, 534, 535, 538:
			e.Disable = true
		}
	case errors.Is(err, errPlaintextAuth), errors.Is(err, errPlaintext), errors.Is(err, errNoAuth), errors.As(err, &cert):
		e.Err, e.Disable = err, true
	default:
		e.Err = scrubbed{text: s.secrets.String(err.Error()), err: err}
		e.Retry = true
	}
	return e
}

// replyText is a server's reply on one line, without the password.
func (s *Sink) replyText(reply *textproto.Error) string {
	return sink.Detail([]byte(s.secrets.String(fmt.Sprintf("%d %s", reply.Code, reply.Msg))))
}

// partialError is a mail some recipients were refused.
type partialError struct {
	refused []string
	reply   *textproto.Error
}

func (e partialError) Error() string {
	return fmt.Sprintf("sent, but not to %s: %v", strings.Join(e.refused, ", "), e.reply)
}

// scrubbed is an error whose text had the password removed.
type scrubbed struct {
	text string
	err  error
}

func (e scrubbed) Error() string { return e.text }
func (e scrubbed) Unwrap() error { return e.err }
