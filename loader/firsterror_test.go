package loader

import "testing"

// TestTwoBrokenServicesSameMessage: compose-go names whichever broken
// service its map walk meets first; the loader always reports the first in
// the file.
func TestTwoBrokenServicesSameMessage(t *testing.T) {
	for _, yaml := range []string{
		"services:\n  a:\n    image: x\n    depends_on: [nope]\n  b:\n    image: x\n    depends_on: [nada]\n",
		"services:\n  b:\n    image: x\n    mem_limit: much\n  a:\n    image: x\n    mem_limit: lots\n",
	} {
		first := ""
		for i := 0; i < 10; i++ {
			_, err := loadInline(t, yaml)
			if err == nil {
				t.Fatal("load succeeded")
			}
			if first == "" {
				first = err.Error()
			} else if err.Error() != first {
				t.Fatalf("load %d: %q, earlier %q", i, err, first)
			}
		}
		if want := "compose.yaml:4: "; first[:len(want)] != want {
			t.Errorf("error %q does not point at the first broken service (line 4)", first)
		}
	}
}
