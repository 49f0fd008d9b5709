package report

import (
	"bytes"
	"encoding/xml"
	"fmt"

	"github.com/deploywatch/deploywatch/internal/model"
)

// Caps on JUnit text: a service's answer can be arbitrarily long, and GitLab keeps every
// test case's output in its database.
const (
	junitMessageRunes  = 500 // a failure's message attribute and each body line
	junitNameRunes     = 200 // a test case name
	junitListed        = 20  // findings listed per test case, and tool warnings
	junitPartsListed   = 10  // dependencies listed per finding
	junitTimestampForm = "2006-01-02T15:04:05"
)

type junitSuites struct {
	XMLName  xml.Name     `xml:"testsuites"`
	Name     string       `xml:"name,attr"`
	Tests    int          `xml:"tests,attr"`
	Failures int          `xml:"failures,attr"`
	Errors   int          `xml:"errors,attr"`
	Skipped  int          `xml:"skipped,attr"`
	Time     string       `xml:"time,attr"`
	Suites   []junitSuite `xml:"testsuite"`
}

type junitSuite struct {
	Name       string          `xml:"name,attr"`
	Tests      int             `xml:"tests,attr"`
	Failures   int             `xml:"failures,attr"`
	Errors     int             `xml:"errors,attr"`
	Skipped    int             `xml:"skipped,attr"`
	Time       string          `xml:"time,attr"`
	Timestamp  string          `xml:"timestamp,attr,omitempty"`
	Properties []junitProperty `xml:"properties>property"`
	Cases      []junitCase     `xml:"testcase"`
}

type junitProperty struct {
	Name  string `xml:"name,attr"`
	Value string `xml:"value,attr"`
}

type junitCase struct {
	Classname string        `xml:"classname,attr"`
	Name      string        `xml:"name,attr"`
	Time      string        `xml:"time,attr"`
	Failure   *junitOutcome `xml:"failure"`
	Error     *junitOutcome `xml:"error"`
	Skipped   *junitOutcome `xml:"skipped"`
	SystemOut junitText     `xml:"system-out,omitempty"`
	SystemErr junitText     `xml:"system-err,omitempty"`
}

// junitOutcome is a failure, error or skip. GitLab shows the body and ignores the message
// when there is a body (ActiveSupport's XML conversion), Jenkins shows both, so the body
// always repeats what the message says.
type junitOutcome struct {
	Message string
	Type    string
	Body    string
}

// MarshalXML writes the outcome with its body as character data (see junitText).
func (o junitOutcome) MarshalXML(e *xml.Encoder, start xml.StartElement) error {
	for _, a := range [][2]string{{"message", o.Message}, {"type", o.Type}} {
		if a[1] != "" {
			start.Attr = append(start.Attr, xml.Attr{Name: xml.Name{Local: a[0]}, Value: a[1]})
		}
	}
	return encodeText(e, start, o.Body)
}

// junitText is multi-line element text. Marshalled as a field, encoding/xml writes every
// newline as "&#xA;"; written as a CharData token it escapes the markup characters but
// keeps the lines readable in the file.
type junitText string

// MarshalXML writes the text as one element of character data.
func (t junitText) MarshalXML(e *xml.Encoder, start xml.StartElement) error {
	return encodeText(e, start, string(t))
}

func encodeText(e *xml.Encoder, start xml.StartElement, text string) error {
	if err := e.EncodeToken(start); err != nil {
		return err
	}
	if text != "" {
		if err := e.EncodeToken(xml.CharData(text)); err != nil {
			return err
		}
	}
	return e.EncodeToken(start.End())
}

// JUnit renders the run as JUnit XML for GitLab's merge request test summary
// (artifacts:reports:junit) and Jenkins: one test suite "deploywatch <environment>" whose
// first test case, "verdict", stands for the run (failed when the verdict is, an error when
// inconclusive, skipped when cancelled), followed by one test case per check. A check with
// a fatal finding fails; one whose probe kept failing is an error; one that never ran is
// skipped; any other passes, its warnings in system-out. Test case times are the p95 probe
// latency; the suite's is the run's duration. All text is cleaned of characters XML 1.0
// forbids and capped.
func JUnit(r model.Report) ([]byte, error) {
	classname, name := "deploywatch", "deploywatch"
	if env := xmlLine(r.Environment, 100); env != "" {
		classname, name = classname+"."+env, name+" "+env
	}
	suite := junitSuite{
		Name:       name,
		Time:       junitSeconds(r.Duration()),
		Properties: junitProperties(r),
		Cases:      []junitCase{verdictCase(r)},
	}
	if !r.StartedAt.IsZero() {
		suite.Timestamp = r.StartedAt.UTC().Format(junitTimestampForm)
	}
	for _, c := range r.Checks {
		suite.Cases = append(suite.Cases, checkCase(r, c))
	}
	for i := range suite.Cases {
		suite.Cases[i].Classname = classname
		c := suite.Cases[i]
		suite.Tests++
		switch {
		case c.Failure != nil:
			suite.Failures++
		case c.Error != nil:
			suite.Errors++
		case c.Skipped != nil:
			suite.Skipped++
		}
	}
	doc := junitSuites{Name: "deploywatch", Tests: suite.Tests, Failures: suite.Failures, Errors: suite.Errors,
		Skipped: suite.Skipped, Time: suite.Time, Suites: []junitSuite{suite}}
	var buf bytes.Buffer
	buf.WriteString(xml.Header)
	enc := xml.NewEncoder(&buf)
	enc.Indent("", "  ")
	if err := enc.Encode(doc); err != nil {
		return nil, fmt.Errorf("encode junit: %w", err)
	}
	buf.WriteByte('\n')
	return buf.Bytes(), nil
}

func junitProperties(r model.Report) []junitProperty {
	var props []junitProperty
	for _, kv := range [][2]string{
		{"verdict", string(r.Verdict)}, {"environment", r.Environment}, {"version", VersionLabel(r)},
		{"commit", r.Run.DeployedSHA()}, {"run_url", r.Run.RunURL}, {"dry_run", fmt.Sprint(r.DryRun)},
		{"tool_version", r.Version},
	} {
		if v := xmlLine(kv[1], junitMessageRunes); v != "" {
			props = append(props, junitProperty{Name: kv[0], Value: v})
		}
	}
	return props
}
