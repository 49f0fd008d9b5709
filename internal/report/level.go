package report

// Level is the weight of a live log line. Its values mirror platform.Level (info 1 through
// error 4) so the wiring may convert one to the other; report does not import platform so
// that it stays free of anything that prints.
type Level int

// Levels of a live log line. Success marks a passing check (green on a terminal).
const (
	LevelInfo Level = iota + 1
	LevelSuccess
	LevelWarning
	LevelError
)

// String names the level, for tests and debugging.
func (l Level) String() string {
	switch l {
	case LevelInfo:
		return "info"
	case LevelSuccess:
		return "success"
	case LevelWarning:
		return "warning"
	case LevelError:
		return "error"
	}
	return "level(?)"
}
