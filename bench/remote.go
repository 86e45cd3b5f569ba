package main

import (
	"context"
	"fmt"
)

// Steps of the remote scenario, in order; each one's API calls are counted.
var remoteSteps = []string{"cold up", "no-op up", "ps", "scale", "down"}

// doRemote runs the remote-engine sequence through the API proxy: a cold
// `up -d` (row 10a), a no-op `up -d` (10b), `ps`, `scale s01=3` and `down`
// (10c), each checked, counting the API calls of every step.
func (r *runner) doRemote(ctx context.Context) (sample, error) {
	r.calls = map[string]map[string]int{}
	step := func(name string, fn func() (sample, error)) (sample, error) {
		r.proxy.take()
		s, err := fn()
		r.calls[name] = r.proxy.take()
		return s, err
	}
	cold, err := step("cold up", func() (sample, error) { return r.up(ctx, 0) })
	if err == nil {
		err = r.checkOut(ctx, nil)
	}
	if err != nil {
		return cold, err
	}
	r.exists = true
	before, err := r.eng.ListContainers(ctx, r.project)
	if err != nil {
		return cold, err
	}
	main := r.sc
	defer func() { r.sc = main }()
	r.sc = main.noop
	noop, err := step("no-op up", func() (sample, error) { return r.up(ctx, 0) })
	if err == nil {
		err = r.checkOut(ctx, before)
	}
	r.more = append(r.more, extra{sc: main.noop, s: noop, err: err})
	if err != nil {
		return cold, nil
	}
	if _, err := step("ps", func() (sample, error) {
		if r.tool.isFloor() {
			_, err := r.feng.ListContainers(ctx, r.project)
			return sample{}, err
		}
		return r.exec(ctx, "ps")
	}); err != nil {
		r.more = append(r.more, extra{sc: main.down, err: fmt.Errorf("ps: %w", err)})
		return cold, nil
	}
	r.m.service("s01").replicas = 3
	_, err = step("scale", func() (sample, error) {
		switch {
		case r.tool.isFloor():
			return r.floor(ctx, r.floorUp)
		case r.tool.noScale:
			return r.exec(ctx, "up", "-d", "--scale", "s01=3")
		}
		return r.exec(ctx, "scale", "s01=3")
	})
	if err == nil {
		err = r.checkOut(ctx, before)
	}
	if err != nil {
		r.more = append(r.more, extra{sc: main.down, err: fmt.Errorf("scale: %w", err)})
		return cold, nil
	}
	r.sc = main.down
	down, err := step("down", func() (sample, error) { return r.down(ctx) })
	if err == nil {
		err = r.checkOut(ctx, nil)
	}
	r.more = append(r.more, extra{sc: main.down, s: down, err: err})
	return cold, nil
}
