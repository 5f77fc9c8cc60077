module github.com/hermes-init/hermes-init

go 1.26.8

require (
	github.com/BurntSushi/toml v1.6.0 // indirect
	github.com/containerd/cgroups/v3 v3.1.3 // indirect
	github.com/matryer/is v1.4.1 // indirect
	github.com/moby/sys/userns v0.1.0 // indirect
	golang.org/x/sys v0.50.0 // indirect
)
