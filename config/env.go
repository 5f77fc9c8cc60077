package config

import (
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
)

// Variables. Every key has one (envName, serviceEnvName); a variable set to
// the empty string counts as unset, as for the --grace family of variables
// before the configuration file existed. A variable replaces the key's whole
// value, arrays and tables included.

// environMap indexes environ (NAME=VALUE entries); the first of duplicate
// names wins, as for os.Getenv.
func environMap(environ []string) map[string]string {
	m := make(map[string]string, len(environ))
	for _, kv := range environ {
		name, value, ok := strings.Cut(kv, "=")
		if !ok {
			continue
		}
		if _, dup := m[name]; !dup {
			m[name] = value
		}
	}
	return m
}

// readEnv applies the HERMES_INIT_* variables over the file's values.
func (l *loader) readEnv() {
	used := map[string]bool{}
	for _, k := range topKeys {
		name := envName(k.name)
		v, ok := l.env[name]
		if !ok {
			continue
		}
		used[name] = true
		if v != "" {
			l.setFromEnv(k, k.name, name, v, k.top(l.cfg))
		}
	}
	l.readServiceEnv(used)
	for _, name := range sortedNames(l.env) {
		if !strings.HasPrefix(name, EnvPrefix) || used[name] || otherVars[name] {
			continue
		}
		section := ""
		for _, t := range tables {
			if strings.HasPrefix(name, EnvPrefix+envPart(t)+"_") {
				section = t
			}
		}
		if section == "" {
			l.cfg.Warnings = append(l.cfg.Warnings, name+": sets no configuration key; ignored")
			continue
		}
		l.errs.add(origin{env: name}, "", fmt.Errorf("unknown variable: [%s] has no such key", section))
	}
}

// setFromEnv reads variable name's value v into ptr, the field of key.
func (l *loader) setFromEnv(k key, keyName, name, v string, ptr any) {
	o := origin{env: name}
	val, err := k.fromEnv(v)
	if err == nil {
		err = store(ptr, val)
	}
	if err != nil {
		l.errs.add(o, keyName, err)
		return
	}
	delete(l.errs.bad, keyName) // the variable replaces a bad file value
	l.origin[keyName] = o
}

// serviceVar is one HERMES_INIT_SERVICE_<NAME>_<KEY> variable.
type serviceVar struct {
	name  string // the variable
	k     key
	value string
}

// readServiceEnv applies HERMES_INIT_SERVICE_<NAME>_<KEY> variables: to the
// file's service whose name gives NAME (upper case, "-" as "_"), or to a new
// service when no such service exists.
func (l *loader) readServiceEnv(used map[string]bool) {
	prefix := EnvPrefix + "SERVICE_"
	byService := map[string][]serviceVar{}
	for _, name := range sortedNames(l.env) {
		rest, ok := strings.CutPrefix(name, prefix)
		if !ok {
			continue
		}
		used[name] = true
		svc, k, ok := splitServiceVar(rest)
		if !ok {
			l.errs.add(origin{env: name}, "", fmt.Errorf("unknown variable: want %s<NAME>_<KEY>, KEY one of %s", prefix, orList(serviceKeyVars())))
			continue
		}
		if l.env[name] != "" {
			byService[svc] = append(byService[svc], serviceVar{name: name, k: k, value: l.env[name]})
		}
	}
	for _, svc := range sortedNames(byService) {
		vars := byService[svc]
		i, ok := l.serviceForEnv(svc, vars)
		if !ok {
			continue
		}
		s := &l.cfg.Services[i]
		for _, v := range vars {
			if v.k.name == "name" {
				continue // serviceForEnv has checked it
			}
			l.setFromEnv(v.k, l.services[i]+"."+v.k.name, v.name, v.value, v.k.svc(s))
		}
	}
}

// serviceForEnv returns the index of the service that NAME svc designates,
// appending a new service when the file has none. Its name is the value of
// HERMES_INIT_SERVICE_<NAME>_NAME when set (to tell "-" from "_"), else NAME
// in lower case.
func (l *loader) serviceForEnv(svc string, vars []serviceVar) (int, bool) {
	var nameVar *serviceVar
	for i := range vars {
		if vars[i].k.name == "name" {
			nameVar = &vars[i]
		}
	}
	var found []int
	for i, s := range l.cfg.Services {
		if envPart(s.Name) == svc {
			found = append(found, i)
		}
	}
	switch {
	case len(found) > 1:
		for _, v := range vars {
			l.errs.addf(origin{env: v.name}, "", "services %q and %q both answer to %s<NAME> %s; rename one",
				l.cfg.Services[found[0]].Name, l.cfg.Services[found[1]].Name, EnvPrefix+"SERVICE_", svc)
		}
		return 0, false
	case len(found) == 1:
		i := found[0]
		if nameVar != nil && nameVar.value != l.cfg.Services[i].Name {
			l.errs.addf(origin{env: nameVar.name}, l.services[i]+".name", "cannot rename service %q (from the file) to %q", l.cfg.Services[i].Name, nameVar.value)
		}
		return i, true
	}
	name, o := strings.ToLower(svc), origin{env: vars[0].name}
	if nameVar != nil {
		name, o = nameVar.value, origin{env: nameVar.name}
	}
	if envPart(name) != svc {
		l.errs.addf(o, "", "service %q would have the variables %s%s_<KEY>, not %s%s_<KEY>", name, EnvPrefix+"SERVICE_", envPart(name), EnvPrefix+"SERVICE_", svc)
		return 0, false
	}
	key := fmt.Sprintf("service[%d]", len(l.cfg.Services))
	if nameVar != nil {
		l.origin[key+".name"] = o
	}
	l.origin[key] = o
	l.cfg.Services = append(l.cfg.Services, newService(name))
	l.services = append(l.services, key)
	return len(l.cfg.Services) - 1, true
}

// splitServiceVar splits <NAME>_<KEY>. Keys are matched as suffixes, longest
// first, so that MEMORY_MAX is not read as a key MAX of service <NAME>_MEMORY.
func splitServiceVar(rest string) (svc string, k key, ok bool) {
	keys := slices.Clone(serviceKeys)
	slices.SortStableFunc(keys, func(a, b key) int { return len(b.name) - len(a.name) })
	for _, k := range keys {
		if svc, found := strings.CutSuffix(rest, "_"+envPart(k.name)); found && svc != "" {
			return svc, k, true
		}
	}
	return "", key{}, false
}

func serviceKeyVars() []string {
	names := make([]string, len(serviceKeys))
	for i, k := range serviceKeys {
		names[i] = envPart(k.name)
	}
	return names
}

// parseArgv reads an array from a variable: a JSON array of strings when the
// value starts with "[", otherwise words separated by white space.
func parseArgv(s string) ([]string, error) {
	t := strings.TrimSpace(s)
	if !strings.HasPrefix(t, "[") {
		return checkArgv(strings.Fields(t))
	}
	var argv []string
	if err := json.Unmarshal([]byte(t), &argv); err != nil {
		return nil, fmt.Errorf("invalid JSON array of strings: %v", jsonReason(err))
	}
	if argv == nil { // JSON null
		argv = []string{}
	}
	return checkArgv(argv)
}

// parseEnvTable reads a table of strings from a variable: a JSON object of
// strings when the value starts with "{", otherwise one NAME=VALUE per line
// (blank lines ignored; the value runs to the end of its line).
func parseEnvTable(s string) (map[string]string, error) {
	t := strings.TrimSpace(s)
	m := map[string]string{}
	if strings.HasPrefix(t, "{") {
		if err := json.Unmarshal([]byte(t), &m); err != nil {
			return nil, fmt.Errorf("invalid JSON object of strings: %v", jsonReason(err))
		}
	} else {
		for i, line := range strings.Split(s, "\n") {
			line = strings.TrimSuffix(line, "\r")
			if strings.TrimSpace(line) == "" {
				continue
			}
			name, value, ok := strings.Cut(line, "=")
			if !ok {
				return nil, fmt.Errorf("line %d: %q is not NAME=VALUE", i+1, line)
			}
			m[name] = value
		}
	}
	for name, value := range m {
		if err := checkEnvVar(name, value); err != nil {
			return nil, err
		}
	}
	return m, nil
}

// jsonReason drops encoding/json's "json: " prefix and Go type names.
func jsonReason(err error) string {
	var te *json.UnmarshalTypeError
	if errors.As(err, &te) {
		return "found a " + te.Value + " where a string belongs"
	}
	return strings.TrimPrefix(err.Error(), "json: ")
}
