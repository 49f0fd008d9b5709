package email

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"mime"
	"mime/quotedprintable"
	"strings"
	"time"
	"unicode"

	"github.com/deploywatch/deploywatch/internal/sink"
)

// compose renders ev as an RFC 5322 message with CRLF line endings.
func (s *Sink) compose(ev sink.Event) []byte {
	at := ev.At
	if at.IsZero() {
		at = time.Now()
	}
	to := make([]string, len(s.to))
	for i, a := range s.to {
		to[i] = a.String()
	}
	_, domain, _ := strings.Cut(s.from.Address, "@")
	var b bytes.Buffer
	for _, h := range [][2]string{
		{"From", s.from.String()},
		// One recipient a line keeps a long list under the line length limit.
		{"To", strings.Join(to, ",\r\n ")},
		{"Subject", encodeHeader(subject(ev))},
		{"Date", at.Format(time.RFC1123Z)},
		{"Message-ID", messageID(ev, domain)},
		// RFC 3834: no vacation auto-replies to a robot.
		{"Auto-Submitted", "auto-generated"},
		{"MIME-Version", "1.0"},
		{"Content-Type", "text/plain; charset=utf-8"},
		{"Content-Transfer-Encoding", "quoted-printable"},
	} {
		b.WriteString(h[0] + ": " + h[1] + "\r\n")
	}
	b.WriteString("\r\n")
	// In text mode the writer ends every line with CRLF and wraps long ones softly.
	qp := quotedprintable.NewWriter(&b)
	_, _ = qp.Write([]byte(body(ev)))
	_ = qp.Close()
	return b.Bytes()
}

// subject is "[deploywatch] production: failed — Deploy 3f9c2ab to production".
func subject(ev sink.Event) string {
	r := ev.Report
	var what string
	if f := ev.Finding; ev.Kind == sink.KindFinding && f != nil {
		what = sink.FindingSeverity(*f).String() + " " + line(f.Check)
	} else {
		what = string(r.Verdict)
		if r.Rollback != nil && r.Rollback.Performed {
			what += ", rolled back"
		}
	}
	if r.DryRun {
		what += " (dry run)"
	}
	return "[deploywatch] " + line(r.Environment) + ": " + what + " — " + description(r)
}

// maxSubjectRunes keeps a subject readable in a mail list and its header short.
const maxSubjectRunes = 200

// encodeHeader makes text a header value: one line, capped, non-ASCII Q-encoded, the
// encoded words folded onto lines of their own.
func encodeHeader(text string) string {
	if r := []rune(line(text)); len(r) > maxSubjectRunes {
		text = string(r[:maxSubjectRunes-1]) + "…"
	} else {
		text = string(r)
	}
	return strings.ReplaceAll(mime.QEncoding.Encode("utf-8", text), "?= =?", "?=\r\n =?")
}

// messageID is the same for every attempt at one mail: the run, the event's kind and,
// for a finding, which one.
func messageID(ev sink.Event, domain string) string {
	r := ev.Report
	parts := []string{r.Run.Repository, r.Run.DeployedSHA(), r.Environment, r.StartedAt.UTC().Format(time.RFC3339Nano), string(ev.Kind)}
	if f := ev.Finding; f != nil {
		parts = append(parts, f.Check, f.ConfirmedAt.UTC().Format(time.RFC3339Nano))
	}
	sum := sha256.Sum256([]byte(strings.Join(parts, "\x00")))
	return "<deploywatch." + hex.EncodeToString(sum[:12]) + "." + string(ev.Kind) + "@" + domain + ">"
}

// maxRunes caps one piece of outside text in a mail.
const maxRunes = 500

// line keeps outside text on one line without control characters, so it can neither
// forge a header nor break the layout, capped at maxRunes.
func line(s string) string {
	s = strings.Join(strings.FieldsFunc(s, func(r rune) bool {
		return unicode.IsSpace(r) || unicode.IsControl(r) || unicode.Is(unicode.Cf, r)
	}), " ")
	if r := []rune(s); len(r) > maxRunes {
		s = string(r[:maxRunes]) + "…"
	}
	return s
}
