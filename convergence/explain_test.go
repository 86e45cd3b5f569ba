package convergence

import (
	"strings"
	"testing"

	"github.com/mycompose/mycompose/project"
)

// label is the LabelConfig a container created from config would carry.
func label(t *testing.T, config string, key []byte, files ...project.ContainerFile) string {
	t.Helper()
	rec, ok := project.NewConfigRecord([]byte(config), files, key)
	if !ok {
		return config // not a record: what an older version or another tool wrote
	}
	return rec.String()
}

func TestExplainChange(t *testing.T) {
	key := []byte("0123456789abcdef0123456789abcdef")
	p := &project.Project{DigestKey: key}
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
			svc := &project.Service{Config: []byte(tc.after)}
			if got := changeReason(explainChange(label(t, base, key), p, svc)); got != tc.want {
				t.Errorf("got %q, want %q", got, tc.want)
			}
		})
	}
	many := `{"a":1,"b":2,"c":3,"d":4,"e":5,"f":6,"g":7,"h":8}`
	if got := changeReason(explainChange(label(t, `{}`, key), p, &project.Service{Config: []byte(many)})); !strings.HasSuffix(got, "and 2 more") {
		t.Errorf("long list not bounded: %q", got)
	}
	// A label of the old format (the raw definition) explains nothing.
	if got := changeReason(explainChange(base, p, &project.Service{Config: []byte(`{"image":"b"}`)})); got != "config changed" {
		t.Errorf("old label: %q", got)
	}
	// Made with another key: additions and removals only.
	other := label(t, base, []byte("another key, another user........"))
	after := `{"image":"b","environment":{"FOO":"1","BAR":"x","NEW":"1"},"ports":[{"target":80}],"labels":{"tier":"front"}}`
	if got := changeReason(explainChange(other, p, &project.Service{Config: []byte(after)})); got != "environment.NEW added" {
		t.Errorf("other key: %q", got)
	}
}

// TestConfigLabelHoldsNoValue: the label names fields but holds no value,
// and its digests depend on the key (no offline guessing without it).
func TestConfigLabelHoldsNoValue(t *testing.T) {
	config := `{"image":"a","environment":{"DB_PASSWORD":"hunter2-value","EMPTY":""}}`
	l1 := label(t, config, []byte("key one........................."))
	l2 := label(t, config, []byte("key two........................."))
	for _, l := range []string{l1, l2} {
		if strings.Contains(l, "hunter2") || !strings.Contains(l, "environment.DB_PASSWORD") {
			t.Errorf("label %s", l)
		}
	}
	r1, _ := project.ParseConfigRecord(l1)
	r2, _ := project.ParseConfigRecord(l2)
	if r1.Fields["environment.DB_PASSWORD"] == r2.Fields["environment.DB_PASSWORD"] {
		t.Error("digests do not depend on the key")
	}
	if noKey := label(t, config, nil); strings.Contains(noKey, project.Digest([]byte("x"), []byte(`"hunter2-value"`))) || strings.Contains(noKey, "hunter2") {
		t.Errorf("without a key: %s", noKey)
	}
}

func TestFilesChanged(t *testing.T) {
	key := []byte("0123456789abcdef0123456789abcdef")
	p := &project.Project{DigestKey: key}
	file := func(content string) project.ContainerFile {
		return project.ContainerFile{Kind: "secret", Name: "db_pw", Content: []byte(content), Digest: project.Digest(key, []byte(content))}
	}
	old := label(t, `{"image":"a"}`, key, file("one"))
	svc := &project.Service{Config: []byte(`{"image":"a"}`), Container: project.ContainerSpec{Files: []project.ContainerFile{file("two")}}}
	if got := strings.Join(filesChanged(old, p, svc), ", "); got != "secret db_pw changed" {
		t.Errorf("rotated: %q", got)
	}
	svc.Container.Files = []project.ContainerFile{file("one")}
	if got := filesChanged(old, p, svc); len(got) != 0 {
		t.Errorf("same content: %q", got)
	}
	// Docker Compose's containers carry no record: nothing to compare.
	if got := filesChanged("", p, svc); len(got) != 0 {
		t.Errorf("no label: %q", got)
	}
}
