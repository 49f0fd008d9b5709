package scrape

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"unicode"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"

	"github.com/deploywatch/deploywatch/internal/redact"
)

// accept asks for the classic text format, with a fallback so strict servers do not
// answer 406; whatever else comes back is tried as text.
const accept = "text/plain;version=0.0.4;q=1,*/*;q=0.1"

// snippetMax bounds how much of an error page is quoted in an error.
const snippetMax = 200

// fetch scrapes one target and parses its answer. Its errors name the target, redacted.
func (s *Scraper) fetch(ctx context.Context, target string) (map[string]*dto.MetricFamily, error) {
	shown := redact.URL(target)
	tctx, cancel := context.WithTimeout(ctx, s.timeout)
	defer cancel()
	body, ctype, err := s.get(tctx, target)
	if err != nil {
		var ue *url.Error
		if errors.As(err, &ue) {
			// The client's message quotes the URL unredacted.
			err = ue.Err
		}
		if errors.Is(err, context.DeadlineExceeded) && ctx.Err() == nil {
			return nil, fmt.Errorf("scrape %s: no answer within %s: %w", shown, s.timeout, err)
		}
		return nil, fmt.Errorf("scrape %s: %w", shown, err)
	}
	if mt, _, _ := mime.ParseMediaType(ctype); mt == "application/vnd.google.protobuf" {
		return nil, fmt.Errorf("scrape %s: answered in protobuf format, not text", shown)
	}
	parser := expfmt.NewTextParser(model.UTF8Validation)
	fams, err := parser.TextToMetricFamilies(bytes.NewReader(body))
	if err != nil {
		// The parser quotes the body, which could echo a header back.
		return nil, fmt.Errorf("scrape %s: %s", shown, s.scrub.String(fmt.Sprintf("not Prometheus text format (content type %q): %s", ctype, err)))
	}
	return fams, nil
}

// get performs the request and reads the body, bounded by maxBody.
func (s *Scraper) get(ctx context.Context, target string) (body []byte, ctype string, err error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, target, nil)
	if err != nil {
		return nil, "", err
	}
	for k, vs := range s.headers {
		for _, v := range vs {
			req.Header.Add(k, v)
		}
	}
	if h := s.headers.Get("Host"); h != "" {
		// net/http ignores a Host header; virtual hosts need it set here.
		req.Host = h
	}
	req.Header.Set("Accept", accept)
	req.Header.Set("User-Agent", s.agent)
	// Lets a service bound its own collection, as Prometheus does.
	req.Header.Set("X-Prometheus-Scrape-Timeout-Seconds", strconv.FormatFloat(s.timeout.Seconds(), 'f', -1, 64))
	resp, err := s.client.Do(req)
	if err != nil {
		return nil, "", err
	}
	defer resp.Body.Close()
	ctype = resp.Header.Get("Content-Type")
	if resp.StatusCode != http.StatusOK {
		snippet, _ := io.ReadAll(io.LimitReader(resp.Body, snippetMax))
		msg := "HTTP " + resp.Status
		if q := s.quote(snippet); q != "" {
			msg += ": " + q
		}
		return nil, ctype, errors.New(msg)
	}
	body, err = io.ReadAll(io.LimitReader(resp.Body, s.maxBody+1))
	if err != nil {
		return nil, ctype, fmt.Errorf("read body: %w", err)
	}
	if int64(len(body)) > s.maxBody {
		return nil, ctype, fmt.Errorf("body exceeds %d bytes", s.maxBody)
	}
	return body, ctype, nil
}

// quote makes an error page fit for one line of an error: printable, short, and without
// header values.
func (s *Scraper) quote(b []byte) string {
	text := strings.Map(func(r rune) rune {
		if unicode.IsSpace(r) {
			return ' '
		}
		if !unicode.IsPrint(r) {
			return -1
		}
		return r
	}, string(bytes.ToValidUTF8(b, nil)))
	text = strings.Join(strings.Fields(text), " ")
	if len(b) >= snippetMax && text != "" {
		text += "…"
	}
	return s.scrub.String(text)
}
