package environ

import "testing"

func TestGet(t *testing.T) {
	env := []string{"A=1", "B=x=y", "A=2"}
	if got := Get(env, "A"); got != "2" {
		t.Errorf("A = %q, want the last value 2", got)
	}
	if got := Get(env, "B"); got != "x=y" {
		t.Errorf("B = %q", got)
	}
	if got := Get(env, "C"); got != "" {
		t.Errorf("C = %q, want empty", got)
	}
	t.Setenv("MYCOMPOSE_ENVIRON_TEST", "from-process")
	if got := Get(nil, "MYCOMPOSE_ENVIRON_TEST"); got != "from-process" {
		t.Errorf("nil environ: %q", got)
	}
}

func TestCacheDir(t *testing.T) {
	for _, tc := range []struct {
		env  map[string]string
		want string
	}{
		{map[string]string{"XDG_CACHE_HOME": "/x", "HOME": "/h"}, "/x/mycompose"},
		{map[string]string{"XDG_CACHE_HOME": "rel", "HOME": "/h"}, "/h/.cache/mycompose"},
		{map[string]string{"HOME": "rel"}, ""},
		{nil, ""},
	} {
		if got := CacheDir(func(k string) string { return tc.env[k] }); got != tc.want {
			t.Errorf("CacheDir(%v) = %q, want %q", tc.env, got, tc.want)
		}
	}
}
