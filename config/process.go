package config

import (
	"slices"
	"strings"

	"github.com/hermes-init/hermes-init/gateway"
)

// GatewayArgv returns the argv of profile's gateway: gateway.command for the
// root profile ("default" or ""), and for a named profile command[0], then
// gateway.profile_args with every "{profile}" replaced by the name, then
// command[1:] ("hermes -p NAME gateway run --replace", as the s6 run script
// has it). The result is a new slice.
func (c *Config) GatewayArgv(profile string) []string {
	cmd := c.Gateway.Command
	if profile == "" || profile == gateway.DefaultProfile || len(cmd) == 0 {
		return slices.Clone(cmd)
	}
	argv := make([]string, 0, len(cmd)+len(c.Gateway.ProfileArgs))
	argv = append(argv, cmd[0])
	for _, a := range c.Gateway.ProfileArgs {
		argv = append(argv, strings.ReplaceAll(a, ProfilePlaceholder, profile))
	}
	return append(argv, cmd[1:]...)
}

// GatewayEnv returns a gateway's environment: base (NAME=VALUE entries, such
// as os.Environ()), then HERMES_HOME and HOME set to home (the data root,
// also for named profiles, which -p selects), the two supervised-child
// markers the gateway reads (HERMES_S6_SUPERVISED_CHILD=1 selects its
// exit-75 restart route), then gateway.env in name order. A later entry
// replaces an earlier one of the same name in place, so every name appears
// once.
func (c *Config) GatewayEnv(base []string, home string) []string {
	fixed := []string{
		gateway.EnvHome + "=" + home,
		"HOME=" + home,
		"HERMES_S6_SUPERVISED_CHILD=1",
		"HERMES_SUPERVISED_CHILD=1",
	}
	return mergeEnv(base, fixed, envList(c.Gateway.Env))
}

// Environ returns a static service's environment: base, then the service's
// env in name order, with later entries replacing earlier ones of the same
// name.
func (s *Service) Environ(base []string) []string {
	return mergeEnv(base, envList(s.Env))
}

// envList turns a table into NAME=VALUE entries, sorted by name.
func envList(env map[string]string) []string {
	list := make([]string, 0, len(env))
	for _, name := range sortedNames(env) {
		list = append(list, name+"="+env[name])
	}
	return list
}

// mergeEnv concatenates lists of NAME=VALUE entries; a later entry replaces
// the value of an earlier one of the same name, which keeps its position.
// An entry without "=" is its own name.
func mergeEnv(lists ...[]string) []string {
	var out []string
	at := map[string]int{}
	for _, list := range lists {
		for _, kv := range list {
			name, _, _ := strings.Cut(kv, "=")
			if i, ok := at[name]; ok {
				out[i] = kv
				continue
			}
			at[name] = len(out)
			out = append(out, kv)
		}
	}
	return out
}
