package model

import (
	"fmt"
	"strings"
)

// Severity ranks how bad a breach is. The levels and their meaning follow the seed
// documents: info (start, progress), warning (degradation), critical (errors, failed smoke
// tests, version mismatch), emergency (service unavailable).
type Severity int

// Severities in increasing order; the zero value means "none".
const (
	SeverityNone Severity = iota
	SeverityInfo
	SeverityWarning
	SeverityCritical
	SeverityEmergency
)

var severityNames = [...]string{"none", "info", "warning", "critical", "emergency"}

// Severities lists the levels a user may name, lowest first.
func Severities() []Severity {
	return []Severity{SeverityInfo, SeverityWarning, SeverityCritical, SeverityEmergency}
}

func (s Severity) String() string {
	if s < 0 || int(s) >= len(severityNames) {
		return fmt.Sprintf("severity(%d)", int(s))
	}
	return severityNames[s]
}

// ParseSeverity reads a severity name, case-insensitively.
func ParseSeverity(v string) (Severity, error) {
	for _, s := range Severities() {
		if strings.EqualFold(strings.TrimSpace(v), s.String()) {
			return s, nil
		}
	}
	return SeverityNone, fmt.Errorf("%q is not a severity; allowed: info, warning, critical, emergency", v)
}

// MarshalText writes the severity's name.
func (s Severity) MarshalText() ([]byte, error) { return []byte(s.String()), nil }

// UnmarshalText reads a severity's name; "none" and "" read as SeverityNone.
func (s *Severity) UnmarshalText(b []byte) error {
	if len(b) == 0 || string(b) == "none" {
		*s = SeverityNone
		return nil
	}
	v, err := ParseSeverity(string(b))
	if err != nil {
		return err
	}
	*s = v
	return nil
}
