package convergence

import (
	"strings"
	"testing"
)

func TestExplainChange(t *testing.T) {
	base := `{"image":"a","environment":{"FOO":"1","BAR":"x"},"ports":[{"target":80}],"labels":{"tier":"front"}}`
	tests := []struct {
		name, after, want string
	}{
		{"env value", `{"image":"a","environment":{"FOO":"2","BAR":"x"},"ports":[{"target":80}],"labels":{"tier":"front"}}`, "environment.FOO changed"},
		{"env added and removed", `{"image":"a","environment":{"FOO":"1","NEW":"y"},"ports":[{"target":80}],"labels":{"tier":"front"}}`, "environment.BAR removed, environment.NEW added"},
		{"list compared whole", `{"image":"a","environment":{"FOO":"1","BAR":"x"},"ports":[{"target":81}],"labels":{"tier":"front"}}`, "ports changed"},
		{"new key", `{"image":"a","environment":{"FOO":"1","BAR":"x"},"ports":[{"target":80}],"labels":{"tier":"front"},"user":"me"}`, "user added"},
		{"image ref", `{"image":"b","environment":{"FOO":"1","BAR":"x"},"ports":[{"target":80}],"labels":{"tier":"front"}}`, "image changed"},
		{"undecodable", `not json`, "config changed"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := changeReason(explainChange(base, tc.after)); got != tc.want {
				t.Errorf("got %q, want %q", got, tc.want)
			}
		})
	}
	many := `{"a":1,"b":2,"c":3,"d":4,"e":5,"f":6,"g":7,"h":8}`
	if got := changeReason(explainChange(`{}`, many)); !strings.HasSuffix(got, "and 2 more") {
		t.Errorf("long list not bounded: %q", got)
	}
}
