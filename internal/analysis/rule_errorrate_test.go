package analysis

import (
	"math"
	"math/rand/v2"
	"strings"
	"testing"
)

// repeat returns n copies of a window.
func repeat(n int, c Counts) []Counts {
	out := make([]Counts, n)
	for i := range out {
		out[i] = c
	}
	return out
}

// firstBreach feeds windows and returns the 1-based window of the first breach, or 0.
func firstBreach(t *ErrorRateTest, windows []Counts) int {
	for i, w := range windows {
		if t.Observe(w).Evidence == EvidenceBreach {
			return i + 1
		}
	}
	return 0
}

// A 30-minute baseline at 500 requests/s with a 0.1% error rate.
var busyBaseline = &Counts{Requests: 900_000, Errors: 900}

func TestErrorRateTest(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		rule     ErrorRateRule
		baseline *Counts
		windows  []Counts
		want     Evidence
		// breachBy is the window by which a breach must have happened (0: never).
		breachBy int
		message  string
	}{
		{name: "one_error_in_ten_requests_never_fails", windows: []Counts{{10, 1}},
			want: EvidencePending, message: "insufficient traffic: 10 requests (1 errors); ~600 more needed to rule out 1%"},
		{name: "an_error_on_the_first_request_never_fails", windows: []Counts{{1, 1}}, want: EvidencePending},
		{name: "thirty_errors_in_1000_fail_in_one_window", rule: ErrorRateRule{Threshold: 0.01}, windows: []Counts{{1000, 30}},
			want: EvidenceBreach, breachBy: 1, message: "3% over the last 1,000 requests (limit 1%): sustained increase"},
		{name: "five_times_the_baseline_at_500_rps_fails_within_a_few_windows", baseline: busyBaseline,
			windows: repeat(3, Counts{5000, 25}), want: EvidenceBreach, breachBy: 2,
			message: "0.50% over the last 15,000 requests (limit 0.30% = 3x the baseline 0.10%): sustained increase"},
		// Under the relative limit, a doubling is no breach; health is shown against the
		// user's ceiling (1%), which it stays far below.
		{name: "twice_the_baseline_is_no_breach", baseline: busyBaseline,
			windows: repeat(60, Counts{5000, 10}), want: EvidenceHealthy,
			message: "0.20% over 300,000 requests (limit 0.30% = 3x the baseline 0.10%)"},
		{name: "healthy_over_100000_requests_is_healthy", baseline: busyBaseline, windows: repeat(20, Counts{5000, 5}),
			want: EvidenceHealthy, message: "0.10% over 100,000 requests (limit 0.30% = 3x the baseline 0.10%)"},
		{name: "healthy_without_baseline_over_100000_requests", windows: repeat(20, Counts{5000, 5}), want: EvidenceHealthy},
		{name: "low_traffic_stays_pending", windows: []Counts{{12, 0}}, want: EvidencePending,
			message: "insufficient traffic: 12 requests (0 errors); ~430 more needed to rule out 1%"},
		{name: "no_traffic_is_pending", windows: repeat(6, Counts{}), want: EvidencePending,
			message: "insufficient traffic: 0 requests (0 errors); ~450 more needed to rule out 1%"},
		{name: "quiet_baseline_health_against_the_threshold", baseline: &Counts{Requests: 10_000}, windows: []Counts{{300, 0}, {300, 0}},
			want:    EvidenceHealthy,
			message: "0% over 600 requests (limit 0.09% = 3x the baseline's upper bound 0.03%; baseline 0% over 10,000 requests)"},
		{name: "quiet_service_short_of_traffic_stays_pending", baseline: &Counts{Requests: 10_000}, windows: []Counts{{200, 0}},
			want:    EvidencePending,
			message: "insufficient traffic: 200 requests (0 errors); ~250 more needed to rule out 1%"},
		{name: "quiet_baseline_limit_follows_the_rule_of_three", baseline: &Counts{Requests: 10_000}, windows: []Counts{{10_000, 30}},
			want: EvidenceBreach, breachBy: 1,
			message: "0.30% over the last 10,000 requests (limit 0.09% = 3x the baseline's upper bound 0.03%; baseline 0% over 10,000 requests): sustained increase"},
		{name: "ceiling_caps_a_bad_baseline", baseline: &Counts{Requests: 100_000, Errors: 800}, windows: []Counts{{10_000, 150}},
			want: EvidenceBreach, breachBy: 1, message: "1.50% over the last 10,000 requests (limit 1%; baseline 0.80%): sustained increase"},
		// Just under the relative limit the CUSUM drifts down; the rate is far under 1%.
		{name: "rate_just_under_the_limit_is_healthy", baseline: busyBaseline, windows: repeat(30, Counts{5000, 14}),
			want: EvidenceHealthy},
		// A rate between the relative limit and the ceiling breaches (the relative limit
		// raises alarms) even though it would pass the ceiling.
		{name: "rate_above_the_relative_limit_breaches", baseline: busyBaseline, windows: repeat(30, Counts{5000, 30}),
			want: EvidenceBreach, breachBy: 30},
		{name: "garbage_counts_are_no_traffic", windows: []Counts{{-5, 3}, {math.NaN(), 1}, {math.Inf(1), 1}}, want: EvidencePending,
			message: "insufficient traffic: 0 requests (0 errors); ~450 more needed to rule out 1%"},
		{name: "more_errors_than_requests_are_clamped", windows: []Counts{{5, 9}}, want: EvidencePending,
			message: "insufficient traffic: 5 requests (5 errors); ~1,300 more needed to rule out 1%"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			test := NewErrorRateTest(tt.rule, tt.baseline)
			var st ErrorRateState
			breach := 0
			for i, w := range tt.windows {
				st = test.Observe(w)
				if st.Evidence == EvidenceBreach && breach == 0 {
					breach = i + 1
				}
			}
			if st.Evidence != tt.want {
				t.Errorf("evidence = %s (%s), want %s", st.Evidence, st.Message, tt.want)
			}
			if tt.breachBy == 0 && breach > 0 {
				t.Errorf("breach at window %d, want none", breach)
			}
			if tt.breachBy > 0 && (breach == 0 || breach > tt.breachBy) {
				t.Errorf("breach at window %d, want by window %d", breach, tt.breachBy)
			}
			if tt.message != "" && st.Message != tt.message {
				t.Errorf("message = %q\nwant      %q", st.Message, tt.message)
			}
		})
	}
}

func TestErrorRateStateNumbers(t *testing.T) {
	t.Parallel()
	test := NewErrorRateTest(ErrorRateRule{}, busyBaseline)
	st := test.Observe(Counts{5000, 5})
	if st.Total != (Counts{5000, 5}) || st.Rate != 0.001 || st.Window != 0.001 {
		t.Errorf("counts: total %+v rate %v window %v", st.Total, st.Rate, st.Window)
	}
	upper := 903.0 / 900_001
	if math.Abs(st.Limit-3*upper) > 1e-12 || st.HealthLimit != 0.01 {
		t.Errorf("limits: %v, health %v", st.Limit, st.HealthLimit)
	}
	// The hypotheses are a factor 2 apart and balance at the limit.
	if p1 := 2 * st.P0; math.Abs(bernoulliBalance(st.P0, p1)-st.Limit) > 1e-12 {
		t.Errorf("balance point %v, want the limit %v", bernoulliBalance(st.P0, p1), st.Limit)
	}
	if st.Threshold != math.Log(1/DefaultAlpha) || st.Statistic != 0 || st.Needed != 0 {
		t.Errorf("statistic %v / %v, needed %v", st.Statistic, st.Threshold, st.Needed)
	}
	empty := NewErrorRateTest(ErrorRateRule{}, nil).Observe(Counts{})
	if !math.IsNaN(empty.Rate) || !math.IsNaN(empty.Window) {
		t.Errorf("rates without requests: %v %v, want NaN", empty.Rate, empty.Window)
	}
}

// TestErrorRateCUSUMRestarts checks that a regression starting after five minutes of
// health is caught as fast as one at the deploy: the evidence of health does not have to
// be paid back.
func TestErrorRateCUSUMRestarts(t *testing.T) {
	t.Parallel()
	bad := repeat(60, Counts{1000, 10})
	atStart := firstBreach(NewErrorRateTest(ErrorRateRule{}, busyBaseline), bad)
	late := NewErrorRateTest(ErrorRateRule{}, busyBaseline)
	var st ErrorRateState
	for _, w := range repeat(30, Counts{1000, 1}) {
		st = late.Observe(w)
	}
	if st.Evidence != EvidenceHealthy {
		t.Fatalf("after 5 minutes of healthy traffic: %s (%s)", st.Evidence, st.Message)
	}
	afterHealth := firstBreach(late, bad)
	if atStart == 0 || afterHealth != atStart {
		t.Errorf("breach after %d windows at the start, %d after 5 minutes of health", atStart, afterHealth)
	}
}

// TestErrorRateBreachClears checks that the statistic keeps evolving after a breach: the
// breach holds while errors go on and clears within a bounded time once they stop.
func TestErrorRateBreachClears(t *testing.T) {
	t.Parallel()
	test := NewErrorRateTest(ErrorRateRule{}, busyBaseline)
	for i, w := range repeat(60, Counts{5000, 100}) {
		if st := test.Observe(w); st.Evidence != EvidenceBreach {
			t.Fatalf("window %d of a 2%% error rate: %s", i, st.Evidence)
		}
	}
	cleared := 0
	for i, w := range repeat(30, Counts{5000, 5}) {
		if test.Observe(w).Evidence != EvidenceBreach {
			cleared = i + 1
			break
		}
	}
	// S is capped at 2h, and each healthy window takes about 7 from it.
	if cleared == 0 || cleared > 3 {
		t.Errorf("breach cleared after %d healthy windows, want 1 to 3", cleared)
	}
	var st ErrorRateState
	for _, w := range repeat(10, Counts{5000, 5}) {
		st = test.Observe(w)
	}
	if st.Evidence != EvidenceHealthy {
		t.Errorf("after recovery: %s (%s)", st.Evidence, st.Message)
	}
}

// TestErrorRateSuspicion checks that health shown earlier does not cover a recent
// increase that is not conclusive yet.
func TestErrorRateSuspicion(t *testing.T) {
	t.Parallel()
	test := NewErrorRateTest(ErrorRateRule{}, &Counts{Requests: 18_000, Errors: 18})
	var st ErrorRateState
	for _, w := range repeat(30, Counts{100, 0}) {
		st = test.Observe(w)
	}
	if st.Evidence != EvidenceHealthy {
		t.Fatalf("after 3,000 clean requests: %s (%s)", st.Evidence, st.Message)
	}
	st = test.Observe(Counts{200, 8})
	if st.Evidence != EvidencePending || !strings.HasPrefix(st.Message, "not conclusive yet: 4% over the last 200 requests") {
		t.Errorf("after a burst: %s (%s)", st.Evidence, st.Message)
	}
	if st.Needed <= 0 {
		t.Errorf("needed = %v, want the clean requests that would settle it", st.Needed)
	}
}

// TestErrorRateFalseAlarmsUnderH0 simulates 10,000 windows at the baseline rate for
// several traffic levels, and at the test's own healthy hypothesis p0 (2.1 times the
// baseline, 0.7 times the limit), where Lorden's bound only promises e^h = 10,000
// windows between false alarms on average. Measured: no alarm in any of the six series.
func TestErrorRateFalseAlarmsUnderH0(t *testing.T) {
	t.Parallel()
	const windows = 10_000
	for _, n := range []int{10, 100, 1000} {
		p0 := NewErrorRateTest(ErrorRateRule{}, busyBaseline).Observe(Counts{}).P0
		for _, tc := range []struct {
			rate      float64
			maxAlarms int
		}{{0.001, 0}, {p0, 3}} {
			r := rand.New(rand.NewPCG(uint64(n), 1))
			test := NewErrorRateTest(ErrorRateRule{}, busyBaseline)
			alarms := 0
			for range windows {
				errs := 0
				for range n {
					if r.Float64() < tc.rate {
						errs++
					}
				}
				if test.Observe(Counts{float64(n), float64(errs)}).Evidence == EvidenceBreach {
					alarms++
					test = NewErrorRateTest(ErrorRateRule{}, busyBaseline)
				}
			}
			t.Logf("%d requests per window at %.3f%%: %d alarms in %d windows", n, 100*tc.rate, alarms, windows)
			if alarms > tc.maxAlarms {
				t.Errorf("%d requests per window at %.3f%%: %d alarms in %d windows, want at most %d",
					n, 100*tc.rate, alarms, windows, tc.maxAlarms)
			}
		}
	}
}

func TestEvidenceString(t *testing.T) {
	t.Parallel()
	for e, want := range map[Evidence]string{EvidencePending: "pending", EvidenceHealthy: "healthy", EvidenceBreach: "breach", 7: "evidence(7)"} {
		if got := e.String(); got != want {
			t.Errorf("%d.String() = %q, want %q", int(e), got, want)
		}
	}
}

func TestFormatting(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, got, want string
	}{
		{"pct_two_decimals", fmtPct(0.0052), "0.52%"},
		{"pct_whole", fmtPct(0.01), "1%"},
		{"pct_tiny", fmtPct(0.00003), "0.003%"},
		{"pct_large", fmtPct(0.125), "12.5%"},
		{"pct_nan", fmtPct(math.NaN()), "n/a"},
		{"count_thousands", fmtCount(48210), "48,210"},
		{"count_millions", fmtCount(1234567.4), "1,234,567"},
		{"count_small", fmtCount(12), "12"},
		{"approx_two_digits", fmtApprox(434), "430"},
		{"approx_large", fmtApprox(12345), "12,000"},
		{"approx_small_rounds_up", fmtApprox(41.2), "42"},
		{"seconds_ms", fmtSeconds(0.2415), "242ms"},
		{"seconds_sub_ms", fmtSeconds(0.0042), "4.2ms"},
		{"seconds_long", fmtSeconds(12.34), "12.3s"},
		{"rate", fmtRate(12.345), "12.3"},
		{"rate_large", fmtRate(12345), "12,345"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if tt.got != tt.want {
				t.Errorf("got %q, want %q", tt.got, tt.want)
			}
		})
	}
}
