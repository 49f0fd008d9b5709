package report

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/deploywatch/deploywatch/internal/model"
)

// FormatDuration prints a duration the way people read it: "350µs", "850ms", "1.5s", "12s",
// "1m30s", "5m", "1h2m". Sub-second values keep millisecond precision (they are latencies);
// values under ten seconds keep a tenth; longer ones are rounded to the second.
func FormatDuration(d time.Duration) string {
	if d < 0 {
		if d == math.MinInt64 {
			d++ // -MinInt64 overflows; a nanosecond is invisible at this scale.
		}
		return "-" + FormatDuration(-d)
	}
	if d == 0 {
		return "0s"
	}
	if d < time.Millisecond {
		if r := max(d.Round(time.Microsecond), time.Microsecond); r < time.Millisecond {
			return fmt.Sprintf("%dµs", r/time.Microsecond)
		}
	}
	if d < time.Second {
		if r := d.Round(time.Millisecond); r < time.Second {
			return fmt.Sprintf("%dms", r/time.Millisecond)
		}
	}
	if d < 10*time.Second {
		if r := d.Round(100 * time.Millisecond); r < 10*time.Second {
			whole, tenths := r/time.Second, (r%time.Second)/(100*time.Millisecond)
			if tenths == 0 {
				return fmt.Sprintf("%ds", whole)
			}
			return fmt.Sprintf("%d.%ds", whole, tenths)
		}
	}
	r := d.Round(time.Second)
	h, m, s := r/time.Hour, (r%time.Hour)/time.Minute, (r%time.Minute)/time.Second
	var b strings.Builder
	if h > 0 {
		fmt.Fprintf(&b, "%dh", h)
	}
	if m > 0 {
		fmt.Fprintf(&b, "%dm", m)
	}
	if s > 0 {
		fmt.Fprintf(&b, "%ds", s)
	}
	return b.String()
}

// offset prints at relative to start, "+31s"; empty when either is unknown.
func offset(start, at time.Time) string {
	if start.IsZero() || at.IsZero() {
		return ""
	}
	return "+" + FormatOffset(at.Sub(start))
}

// FormatOffset prints a time since the start of a run: tenths of a second early on, whole
// seconds from 10s, so "+21µs" reads "+0s" and "+6.03s" reads "+6s".
func FormatOffset(d time.Duration) string {
	if d < 10*time.Second {
		d = d.Round(100 * time.Millisecond)
	} else {
		d = d.Round(time.Second)
	}
	return FormatDuration(d)
}

// millis is d in milliseconds with at most one decimal, for JSON.
func millis(d time.Duration) float64 {
	const tenth = 100 * time.Microsecond
	return float64(d.Round(tenth)/tenth) / 10
}

// seconds is d in seconds with at most three decimals, for JSON.
func seconds(d time.Duration) float64 {
	return float64(d.Round(time.Millisecond)/time.Millisecond) / 1000
}

// wholeSeconds rounds d to the nearest second for the detected_after_s output; anything
// above zero counts as at least one second so it never reads as "at once".
func wholeSeconds(d time.Duration) string {
	if d <= 0 {
		return "0"
	}
	return strconv.FormatInt(int64(max(d.Round(time.Second)/time.Second, 1)), 10)
}

// timestampMillis is the JSON report's time format: RFC 3339, UTC, milliseconds.
func timestampMillis(t time.Time) *string {
	if t.IsZero() {
		return nil
	}
	s := t.UTC().Format("2006-01-02T15:04:05.000Z07:00")
	return &s
}

// plural prints "1 check" or "4 checks".
func plural(n int, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return strconv.Itoa(n) + " " + many
}

// shortVersion shortens a commit SHA to seven characters and leaves other versions as they
// are (capped), so "expected version" stays readable in a heading line.
func shortVersion(v string) string {
	if len(v) >= 12 && isHex(v) {
		return v[:7]
	}
	return truncate(clean(v), 40)
}

// isHex reports whether s is a non-empty string of hexadecimal digits (a commit SHA).
func isHex(s string) bool {
	if s == "" {
		return false
	}
	for _, c := range s {
		if !strings.ContainsRune("0123456789abcdefABCDEF", c) {
			return false
		}
	}
	return true
}

// VersionLabel names what a run deployed in a few characters: the short commit, or the
// expected version when it names something else (a tag such as v2.3.1).
func VersionLabel(r model.Report) string {
	sha := r.Run.DeployedSHA()
	if v := strings.TrimSpace(r.ExpectedVersion); v != "" && (sha == "" || !sameCommit(v, sha)) {
		return shortVersion(v)
	}
	return ShortCommit(sha)
}

// ShortCommit shortens a commit SHA to its first seven characters; anything else is
// returned as it is.
func ShortCommit(sha string) string {
	if len(sha) >= 7 && isHex(sha) {
		return sha[:7]
	}
	return sha
}

// sameCommit reports whether two SHAs, either possibly short, name one commit.
func sameCommit(a, b string) bool {
	a, b = strings.ToLower(a), strings.ToLower(b)
	return len(a) >= 7 && len(b) >= 7 && (strings.HasPrefix(a, b) || strings.HasPrefix(b, a))
}
