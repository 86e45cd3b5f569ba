package loader

import (
	"context"
	"sort"

	"github.com/compose-spec/compose-go/v2/template"
)

// Variable is a variable the compose files interpolate, as `config
// --variables` lists it.
type Variable struct {
	Name     string
	Required bool
	// Default is the value of ${NAME:-default}; Alternate of ${NAME:+alt}.
	Default, Alternate string
}

// Variables returns the variables the compose files use, sorted by name,
// read from the merged model before interpolation.
func Variables(ctx context.Context, opts Options) (vars []Variable, err error) {
	defer recoverPanic(&err)
	opts.NoInterpolate = true
	s, err := newSession(opts)
	if err != nil {
		return nil, err
	}
	po, err := s.projectOptions()
	if err != nil {
		return nil, s.wrapComposeError(err, nil, nil)
	}
	if err := s.checkAliases(po.ConfigPaths); err != nil {
		return nil, err
	}
	model, err := po.LoadModel(ctx)
	if err != nil {
		return nil, s.wrapComposeError(err, po.ConfigPaths, po.Environment)
	}
	for _, v := range template.ExtractVariables(model, template.DefaultPattern) {
		vars = append(vars, Variable{Name: v.Name, Required: v.Required, Default: v.DefaultValue, Alternate: v.PresenceValue})
	}
	sort.Slice(vars, func(i, j int) bool { return vars[i].Name < vars[j].Name })
	return vars, nil
}

// Environment returns the environment that interpolation uses (the process
// environment, then .env and --env-file), as sorted KEY=VALUE lines.
func Environment(opts Options) (env []string, err error) {
	defer recoverPanic(&err)
	s, err := newSession(opts)
	if err != nil {
		return nil, err
	}
	po, err := s.projectOptions()
	if err != nil {
		return nil, s.wrapComposeError(err, nil, nil)
	}
	for k, v := range po.Environment {
		env = append(env, k+"="+v)
	}
	sort.Strings(env)
	return env, nil
}
