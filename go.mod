module github.com/deploywatch/deploywatch

go 1.25.0

require (
	github.com/google/go-cmp v0.7.0
	github.com/itchyny/gojq v0.12.20
	github.com/santhosh-tekuri/jsonschema/v6 v6.0.3
	github.com/sethvargo/go-githubactions v1.4.0
	go.yaml.in/yaml/v3 v3.0.6
)

require (
	github.com/itchyny/timefmt-go v0.1.9 // indirect
	golang.org/x/text v0.14.0 // indirect
)
