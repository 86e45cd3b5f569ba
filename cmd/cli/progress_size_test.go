package cli

import "testing"

func TestUnsizedTerminal(t *testing.T) {
	env := func(vars map[string]string) func(string) string {
		return func(k string) string { return vars[k] }
	}
	cases := []struct {
		w, h         int
		vars         map[string]string
		wantW, wantH int
	}{
		{120, 40, map[string]string{"COLUMNS": "100", "LINES": "30"}, 120, 40}, // a sized terminal wins
		{0, 0, map[string]string{"COLUMNS": "100", "LINES": "30"}, 100, 30},
		{0, 0, nil, 80, 24},
		{0, 0, map[string]string{"COLUMNS": "wide", "LINES": "-3"}, 80, 24},
		{0, 50, map[string]string{"COLUMNS": "132"}, 132, 50},
	}
	for _, c := range cases {
		if w, h := unsizedTerminal(c.w, c.h, env(c.vars)); w != c.wantW || h != c.wantH {
			t.Errorf("unsizedTerminal(%d, %d, %v) = %dx%d, want %dx%d", c.w, c.h, c.vars, w, h, c.wantW, c.wantH)
		}
	}
}
