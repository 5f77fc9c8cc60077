module github.com/hermes-init/hermes-init

go 1.26.8

require (
	github.com/BurntSushi/toml v1.6.0
	github.com/matryer/is v1.4.1
	golang.org/x/sys v0.50.0
)

require go.yaml.in/yaml/v3 v3.0.6
