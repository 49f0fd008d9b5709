package report

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"time"

	"github.com/deploywatch/deploywatch/internal/model"
)

// The types below are the schema of deploywatch-report.json (version
// model.ReportSchemaVersion). They are kept apart from the model so the file's shape only
// changes on purpose: durations are seconds or milliseconds instead of nanoseconds, unknown
// times are null, and booleans and lists are always present.

type reportDoc struct {
	SchemaVersion   int               `json:"schema_version"`
	Tool            string            `json:"tool"`
	Version         string            `json:"version"`
	Mode            string            `json:"mode"`
	Environment     string            `json:"environment"`
	Description     string            `json:"description"`
	ExpectedVersion string            `json:"expected_version"`
	DryRun          bool              `json:"dry_run"`
	FailOn          string            `json:"fail_on"`
	Run             runDoc            `json:"run"`
	Status          model.Verdict     `json:"status"`
	Reason          string            `json:"reason"`
	Summary         string            `json:"summary"`
	StartedAt       *string           `json:"started_at"`
	FinishedAt      *string           `json:"finished_at"`
	DurationS       float64           `json:"duration_s"`
	DetectedAfterS  *float64          `json:"detected_after_s"`
	Signals         map[string]bool   `json:"signals"`
	Checks          []checkDoc        `json:"checks"`
	Findings        []findingDoc      `json:"findings"`
	Timeline        []timelineDoc     `json:"timeline"`
	DeploymentID    string            `json:"deployment_id"`
	CommentURL      string            `json:"comment_url"`
	ReportPath      string            `json:"report_path"`
	Warnings        []string          `json:"warnings"`
	Rollback        *model.Rollback   `json:"rollback"`
	Links           []model.Link      `json:"links"`
	History         []historyDoc      `json:"history"`
	Comparison      *model.Comparison `json:"comparison"`
	Outputs         map[string]string `json:"outputs"`
}

// historyDoc is a previous deployment of the environment.
type historyDoc struct {
	ID          string  `json:"id"`
	SHA         string  `json:"sha"`
	Ref         string  `json:"ref"`
	State       string  `json:"state"`
	Description string  `json:"description"`
	CreatedAt   *string `json:"created_at"`
	Creator     string  `json:"creator"`
	URL         string  `json:"url"`
}

type runDoc struct {
	Platform    string `json:"platform"`
	Repository  string `json:"repository"`
	SHA         string `json:"sha"`
	HeadSHA     string `json:"head_sha"`
	Ref         string `json:"ref"`
	EventName   string `json:"event_name"`
	PullRequest *int   `json:"pull_request"`
	RunURL      string `json:"run_url"`
}

type checkDoc struct {
	Name           string          `json:"name"`
	Kind           model.CheckKind `json:"kind"`
	Signal         model.Signal    `json:"signal"`
	Target         string          `json:"target"`
	Severity       string          `json:"severity"`
	Persistence    int             `json:"persistence"`
	MaxProbeErrors int             `json:"max_probe_errors"`
	Runs           int             `json:"runs"`
	Passes         int             `json:"passes"`
	Breaches       int             `json:"breaches"`
	Errors         int             `json:"errors"`
	Pending        int             `json:"pending"`
	Latency        latencyDoc      `json:"latency"`
	Last           *measurementDoc `json:"last"`
	// Series is the metric over the run, for charts: seconds since start and value.
	Series []pointDoc `json:"series"`
}

type pointDoc struct {
	ElapsedS float64 `json:"elapsed_s"`
	Value    float64 `json:"value"`
}

// metricDoc is a metric measurement's numbers; absent numbers are null.
type metricDoc struct {
	Unit     model.Unit `json:"unit"`
	Value    *float64   `json:"value"`
	Baseline *float64   `json:"baseline"`
	Limit    *float64   `json:"limit"`
	Op       string     `json:"op"`
	Requests *float64   `json:"requests"`
	Errors   *float64   `json:"errors"`
	Query    string     `json:"query"`
}

type latencyDoc struct {
	Count int     `json:"count"`
	P50ms float64 `json:"p50_ms"`
	P95ms float64 `json:"p95_ms"`
	MaxMs float64 `json:"max_ms"`
}

type measurementDoc struct {
	At         *string       `json:"at"`
	Outcome    model.Outcome `json:"outcome"`
	Value      string        `json:"value"`
	Expected   string        `json:"expected"`
	Baseline   string        `json:"baseline"`
	Message    string        `json:"message"`
	ProbeError string        `json:"probe_error"`
	LatencyMs  float64       `json:"latency_ms"`
	Parts      []partDoc     `json:"parts"`
	Metric     *metricDoc    `json:"metric"`
}

type partDoc struct {
	Name   string `json:"name"`
	OK     bool   `json:"ok"`
	Detail string `json:"detail"`
}

type findingDoc struct {
	Check       string            `json:"check"`
	Kind        model.CheckKind   `json:"kind"`
	Type        model.FindingType `json:"type"`
	Signal      model.Signal      `json:"signal"`
	Severity    string            `json:"severity"`
	Fatal       bool              `json:"fatal"`
	Active      bool              `json:"active"`
	Message     string            `json:"message"`
	Value       string            `json:"value"`
	Expected    string            `json:"expected"`
	Baseline    string            `json:"baseline"`
	Parts       []partDoc         `json:"parts"`
	Phase       model.Phase       `json:"phase"`
	Onset       *string           `json:"onset"`
	ConfirmedAt *string           `json:"confirmed_at"`
	ClearedAt   *string           `json:"cleared_at"`
	LastSeen    *string           `json:"last_seen"`
	Count       int               `json:"count"`
	OnsetS      *float64          `json:"onset_s"`
	ConfirmedS  *float64          `json:"confirmed_s"`
}

type timelineDoc struct {
	At       *string         `json:"at"`
	ElapsedS float64         `json:"elapsed_s"`
	Kind     model.EventKind `json:"kind"`
	Phase    model.Phase     `json:"phase"`
	Verdict  model.Verdict   `json:"verdict"`
	Text     string          `json:"text"`
}

// JSON renders the report file deploywatch-report.json: a versioned, indented document
// ending in a newline. Times are RFC 3339 in UTC with milliseconds, durations are seconds
// (`_s`) or milliseconds (`_ms`), and unknown times are null.
func JSON(r model.Report) ([]byte, error) {
	doc := reportDoc{
		SchemaVersion: model.ReportSchemaVersion,
		Tool:          r.Tool, Version: r.Version, Mode: r.Mode,
		Environment: r.Environment, Description: r.Description, ExpectedVersion: r.ExpectedVersion,
		DryRun: r.DryRun, FailOn: r.FailOn.String(),
		Run: runDoc{
			Platform: r.Run.Platform, Repository: r.Run.Repository, SHA: r.Run.SHA, HeadSHA: r.Run.HeadSHA,
			Ref: r.Run.Ref, EventName: r.Run.EventName, RunURL: r.Run.RunURL,
		},
		Status: r.Verdict, Reason: r.Reason, Summary: SummaryLine(r),
		StartedAt: timestampMillis(r.StartedAt), FinishedAt: timestampMillis(r.FinishedAt),
		DurationS:    seconds(r.Duration()),
		Signals:      make(map[string]bool, len(model.Signals())),
		Checks:       make([]checkDoc, 0, len(r.Checks)),
		Findings:     make([]findingDoc, 0, len(r.Findings)),
		Timeline:     make([]timelineDoc, 0, len(r.Timeline)),
		DeploymentID: r.DeploymentID, CommentURL: r.CommentURL, ReportPath: r.ReportPath,
		Warnings: append([]string{}, r.Warnings...), Rollback: r.Rollback,
		Links: append([]model.Link{}, r.Links...), History: make([]historyDoc, 0, len(r.History)), Comparison: r.Comparison,
		Outputs: map[string]string{},
	}
	for _, h := range r.History {
		doc.History = append(doc.History, historyDoc{ID: h.ID, SHA: h.SHA, Ref: h.Ref, State: h.State, Description: h.Description,
			CreatedAt: timestampMillis(h.CreatedAt), Creator: h.Creator, URL: h.URL})
	}
	if r.Run.PullRequest != 0 {
		pr := r.Run.PullRequest
		doc.Run.PullRequest = &pr
	}
	if r.DetectedAfter != nil {
		s := seconds(*r.DetectedAfter)
		doc.DetectedAfterS = &s
	}
	for _, s := range model.Signals() {
		doc.Signals[string(s)] = r.Signals[s]
	}
	for _, c := range r.Checks {
		doc.Checks = append(doc.Checks, checkDocOf(c, r.StartedAt))
	}
	for _, f := range r.Findings {
		doc.Findings = append(doc.Findings, findingDocOf(f, r.StartedAt))
	}
	for _, e := range r.Timeline {
		doc.Timeline = append(doc.Timeline, timelineDoc{
			At: timestampMillis(e.At), ElapsedS: seconds(e.Elapsed), Kind: e.Kind, Phase: e.Phase, Verdict: e.Verdict, Text: e.Text,
		})
	}
	for _, o := range Outputs(r) {
		doc.Outputs[o.Name] = o.Value
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	// The file is read by people and jq, not embedded in HTML: keep "<" and "&" readable.
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(doc); err != nil {
		return nil, fmt.Errorf("encode report: %w", err)
	}
	return buf.Bytes(), nil
}

func checkDocOf(c model.CheckStatus, start time.Time) checkDoc {
	d := checkDoc{
		Name: c.Spec.Name, Kind: c.Spec.Kind, Signal: c.Spec.Signal, Target: c.Spec.Target,
		Severity: c.Spec.Severity.String(), Persistence: c.Spec.Persistence, MaxProbeErrors: c.Spec.MaxProbeErrors,
		Runs: c.Runs, Passes: c.Passes, Breaches: c.Breaches, Errors: c.Errors, Pending: c.Pending,
		Series:  make([]pointDoc, 0, len(c.Series)),
		Latency: latencyDoc{Count: c.Latency.Count, P50ms: millis(c.Latency.P50), P95ms: millis(c.Latency.P95), MaxMs: millis(c.Latency.Max)},
	}
	if m := c.Last; m != nil {
		d.Last = &measurementDoc{
			At: timestampMillis(m.At), Outcome: m.Outcome, Value: m.Value, Expected: m.Expected, Baseline: m.Baseline,
			Message: m.Message, ProbeError: m.ProbeError, LatencyMs: millis(m.Latency), Parts: partDocs(m.Parts),
			Metric: metricDocOf(m.Metric),
		}
	}
	for _, p := range c.Series {
		el := 0.0
		if !start.IsZero() {
			el = seconds(p.At.Sub(start))
		}
		d.Series = append(d.Series, pointDoc{ElapsedS: el, Value: finite(p.Value)})
	}
	return d
}

func metricDocOf(mv *model.MetricValue) *metricDoc {
	if mv == nil {
		return nil
	}
	num := func(v float64, ok bool) *float64 {
		if !ok || math.IsNaN(v) || math.IsInf(v, 0) {
			return nil
		}
		return &v
	}
	counted := mv.Requests > 0 || mv.Errors > 0
	return &metricDoc{
		Unit: mv.Unit, Value: num(mv.Value, mv.HasValue), Baseline: num(mv.Baseline, mv.HasBaseline),
		Limit: num(mv.Limit, mv.Op != ""), Op: mv.Op, Requests: num(mv.Requests, counted), Errors: num(mv.Errors, counted),
		Query: mv.Query,
	}
}

// finite keeps NaN and infinities out of JSON (encoding/json refuses them).
func finite(v float64) float64 {
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return 0
	}
	return v
}

func findingDocOf(f model.Finding, start time.Time) findingDoc {
	return findingDoc{
		Check: f.Check, Kind: f.Kind, Type: f.Type, Signal: f.Signal, Severity: f.Severity.String(),
		Fatal: f.Fatal, Active: f.Active, Message: f.Message, Value: f.Value, Expected: f.Expected, Baseline: f.Baseline,
		Parts: partDocs(f.Parts), Phase: f.Phase,
		Onset: timestampMillis(f.Onset), ConfirmedAt: timestampMillis(f.ConfirmedAt),
		ClearedAt: timestampMillis(f.ClearedAt), LastSeen: timestampMillis(f.LastSeen),
		Count: f.Count, OnsetS: sinceStart(start, f.Onset), ConfirmedS: sinceStart(start, f.ConfirmedAt),
	}
}

func partDocs(parts []model.Part) []partDoc {
	out := make([]partDoc, 0, len(parts))
	for _, p := range parts {
		out = append(out, partDoc{Name: p.Name, OK: p.OK, Detail: p.Detail})
	}
	return out
}

// sinceStart is at in seconds after start; nil when either is unknown.
func sinceStart(start, at time.Time) *float64 {
	if start.IsZero() || at.IsZero() {
		return nil
	}
	s := seconds(at.Sub(start))
	return &s
}
