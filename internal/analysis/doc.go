// Package analysis turns measurements into findings and a run into a verdict. It is pure:
// no I/O, no clock (times come from the measurements), no logging, so every rule is tested
// with literal values.
//
// The rules, in short:
//   - a measurement is pass, warn (a breach below fail_on), fail (a breach at or above it)
//     or error (the probe failed; the service was not judged);
//   - a breach counts only once it persists: Persistence consecutive breaches for warnings and
//     criticals, so one slow request or one flaky answer never fails a deploy, and
//     EmergencyPersistence (1 unless set) for emergencies (an unreachable service);
//   - probe errors have their own budget (MaxProbeErrors in a row); exhausting it makes the
//     run inconclusive unless the probe recovers: the monitor never passes silently;
//   - warm-up breaches are reported but not fatal, except emergencies;
//   - the verdict is the worst finding: failed > cancelled > inconclusive > degraded > healthy.
package analysis
