package scrape

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"

	dto "github.com/prometheus/client_model/go"

	"github.com/deploywatch/deploywatch/internal/redact"
)

// maxListed bounds how many exposed metric names a Ping error lists.
const maxListed = 10

// ErrNoCounter reports a target that answers but does not expose the request counter (yet:
// client_golang writes a labelled counter only after its first request). Ping's error
// wraps it only when every failing target failed this way, so the caller can tell "check
// the metric name, or wait for traffic" from "unreachable".
var ErrNoCounter = errors.New("request counter not exposed")

// Ping is the preflight: it scrapes every target once and checks that each answers with
// the request counter. Its error joins one error per failing target, naming the target
// and the reason: unreachable, an HTTP status, or the metric missing, in which case it
// lists what the target does expose so the right name can be configured. Ping leaves the
// scraper's totals alone.
func (s *Scraper) Ping(ctx context.Context) error {
	errs := make([]error, len(s.targets))
	var wg sync.WaitGroup
	for i, t := range s.targets {
		wg.Go(func() {
			fams, err := s.fetch(ctx, t)
			if err == nil {
				if err = s.checkRequests(fams); err != nil {
					err = noCounter{fmt.Sprintf("scrape %s: %v", redact.URL(t), err)}
				}
			}
			errs[i] = err
		})
	}
	wg.Wait()
	err := errors.Join(errs...)
	if err == nil {
		return nil
	}
	for _, e := range errs {
		if e != nil && !errors.Is(e, ErrNoCounter) {
			// An outage among them: the whole is no "counter missing" case.
			return errors.New(err.Error())
		}
	}
	return noCounter{err.Error()}
}

// noCounter is an error that is ErrNoCounter without saying so twice.
type noCounter struct{ msg string }

func (e noCounter) Error() string        { return e.msg }
func (e noCounter) Is(target error) bool { return target == ErrNoCounter }

// checkRequests reports a scrape without a usable request counter.
func (s *Scraper) checkRequests(fams map[string]*dto.MetricFamily) error {
	mf, _, err := requestsFamily(fams, s.requests)
	if err != nil {
		return err
	}
	if mf != nil {
		return nil
	}
	names := exposed(fams)
	if len(names) == 0 {
		return noCounter{fmt.Sprintf("no metric %q: the endpoint exposes no metrics", s.requests)}
	}
	list := strings.Join(names[:min(len(names), maxListed)], ", ")
	if more := len(names) - maxListed; more > 0 {
		list += fmt.Sprintf(" and %d more", more)
	}
	// client_golang writes a counter vector only once it has a series.
	return noCounter{fmt.Sprintf("no metric %q (a labelled counter appears only after its first request); exposed: %s", s.requests, list)}
}

// exposed names the scrape's metric families, the service's own first: the Go runtime
// and process metrics every client library adds are rarely the one wanted.
func exposed(fams map[string]*dto.MetricFamily) []string {
	names := make([]string, 0, len(fams))
	for name := range fams {
		names = append(names, name)
	}
	slices.SortFunc(names, func(a, b string) int {
		if ra, rb := isRuntime(a), isRuntime(b); ra != rb {
			if ra {
				return 1
			}
			return -1
		}
		return strings.Compare(a, b)
	})
	return names
}

func isRuntime(name string) bool {
	for _, p := range []string{"go_", "process_", "promhttp_"} {
		if strings.HasPrefix(name, p) {
			return true
		}
	}
	return false
}
