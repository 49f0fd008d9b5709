package report

// OutputDoc describes one step output for action.yml and the README.
type OutputDoc struct {
	Name        string
	Description string
}

// OutputDocs lists every output of the contract in the order Outputs writes them.
func OutputDocs() []OutputDoc {
	return []OutputDoc{
		{"status", "Verdict: healthy, degraded, failed, inconclusive or cancelled; empty when the inputs are invalid (exit 2), with every signal false and the problems in summary."},
		{"error_rate_exceeded", "true when the error rate check fired."},
		{"latency_exceeded", "true when the latency check fired."},
		{"unhealthy_pods", "true when pods of the new version were unhealthy."},
		{"restarts_exceeded", "true when container restarts since the start exceeded max_restarts, or a container is in CrashLoopBackOff."},
		{"resources_exceeded", "true when CPU or memory exceeded its threshold."},
		{"health_check_failed", "true when the readiness or liveness check failed, or the service was unreachable."},
		{"smoke_tests_failed", "true when a smoke test failed."},
		{"version_mismatch", "true when the service reported another version than expected_version."},
		{"rolled_back", "true when a rollback was performed and verified."},
		{"error_rate", "Last observed error ratio (empty when unknown)."},
		{"p99_latency_ms", "Last observed p99 latency in milliseconds (empty when unknown)."},
		{"baseline_p99_latency_ms", "Baseline p99 latency in milliseconds (empty when unknown)."},
		{"detected_after_s", "Seconds from the start to the first failing finding (empty when none)."},
		{"deployment_id", "Deployment handle for later steps (mode start, monitor, finish)."},
		{"started_at", "Start of monitoring, RFC 3339."},
		{"comment_url", "URL of the sticky pull/merge request or commit comment."},
		{"report_path", "Path of the JSON report in the workspace."},
		{"summary", "One-line summary of the verdict, or of every configuration problem when the inputs are invalid."},
		{"rollback_from_revision", "Revision a rollback (or a dry-run rollback) left (empty when none)."},
		{"rollback_to_revision", "Revision a rollback (or a dry-run rollback) went back to (empty when none)."},
	}
}
