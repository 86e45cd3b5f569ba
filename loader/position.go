package loader

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"
)

// positions finds where a key path is written in the compose files, to
// point refusals at file:line. Files are parsed lazily, once, and only when
// there is something to report: a successful load never pays for it.
type positions struct {
	files []string // absolute compose files, in merge order
	docs  map[string][]*yaml.Node
}

func newPositions(files []string) *positions {
	return &positions{files: files, docs: map[string][]*yaml.Node{}}
}

// find returns the file and line of the deepest prefix of path present in a
// compose file, requiring at least minDepth segments to match. Later files
// win ties: they override earlier ones. A segment "[3]" (or "3") indexes a
// sequence, "[]" is any element of a sequence, "*" any key of a mapping.
func (p *positions) find(path []string, minDepth int) (string, int, bool) {
	bestFile, bestLine, bestDepth := "", 0, 0
	for _, f := range p.files {
		for _, root := range p.roots(f) {
			line, depth := lookup(root, path)
			if depth >= minDepth && depth >= bestDepth {
				bestFile, bestLine, bestDepth = f, line, depth
			}
		}
	}
	return bestFile, bestLine, bestFile != ""
}

// hit is a node found at a key path, with the line of its last segment and
// the concrete path (wildcards replaced by the keys and indexes matched).
type hit struct {
	file string
	node *yaml.Node
	line int
	path []string
}

// match returns the first node, in the last file that has one, found at
// the full path and accepted by pred (nil accepts any node).
func (p *positions) match(path []string, pred func(*yaml.Node) bool) (hit, bool) {
	var best hit
	found := false
	for _, f := range p.files {
		for _, root := range p.roots(f) {
			var hits []hit
			walkPath(root, path, nil, 0, pred, &hits)
			if len(hits) > 0 {
				best, found = hits[0], true
				best.file = f
			}
		}
	}
	return best, found
}

// roots returns the top-level node of each YAML document of file; nil when
// the file cannot be read or parsed.
func (p *positions) roots(file string) []*yaml.Node {
	if n, ok := p.docs[file]; ok {
		return n
	}
	var roots []*yaml.Node
	if data, err := os.ReadFile(file); err == nil {
		roots = parseDocuments(data)
	}
	p.docs[file] = roots
	return roots
}

// parseDocuments parses every YAML document of data; a file compose-go
// accepted parses, and if not we simply lack a line.
func parseDocuments(data []byte) []*yaml.Node {
	var roots []*yaml.Node
	dec := yaml.NewDecoder(strings.NewReader(string(data)))
	for {
		var doc yaml.Node
		if err := dec.Decode(&doc); err != nil {
			return roots
		}
		if len(doc.Content) > 0 {
			roots = append(roots, doc.Content[0])
		}
	}
}

// lookup walks path from node and returns the line of the last segment it
// could follow and how many segments matched.
func lookup(node *yaml.Node, path []string) (line, depth int) {
	for _, seg := range path {
		next, keyLine := child(node, seg)
		if next == nil {
			return line, depth
		}
		node, line, depth = next, keyLine, depth+1
	}
	return line, depth
}

// child returns the value under seg and the line where seg is written.
func child(node *yaml.Node, seg string) (*yaml.Node, int) {
	for _, c := range children(node, seg) {
		return c.node, c.line
	}
	return nil, 0
}

type childNode struct {
	node *yaml.Node
	line int
	seg  string // the concrete segment
}

// children returns the nodes seg designates below node, in document order.
func children(node *yaml.Node, seg string) []childNode {
	if node == nil {
		return nil
	}
	if node.Kind == yaml.AliasNode && node.Alias != nil {
		node = node.Alias
	}
	var out []childNode
	switch node.Kind {
	case yaml.MappingNode:
		for i := 0; i+1 < len(node.Content); i += 2 {
			k := node.Content[i]
			if seg == "*" || k.Value == seg {
				out = append(out, childNode{node.Content[i+1], k.Line, k.Value})
			}
		}
		if len(out) > 0 {
			return out
		}
		// Follow YAML merge keys (`<<: *base`) so anchored keys are found.
		for i := 0; i+1 < len(node.Content); i += 2 {
			if node.Content[i].Value == "<<" {
				out = append(out, children(node.Content[i+1], seg)...)
			}
		}
	case yaml.SequenceNode:
		if seg == "[]" {
			for i, e := range node.Content {
				out = append(out, childNode{e, e.Line, index(i)})
			}
			return out
		}
		idx, err := strconv.Atoi(strings.TrimSuffix(strings.TrimPrefix(seg, "["), "]"))
		if err == nil {
			if idx >= 0 && idx < len(node.Content) {
				e := node.Content[idx]
				out = append(out, childNode{e, e.Line, index(idx)})
			}
			return out
		}
		// A name in a list of names: depends_on: [db], networks: [front].
		for i, e := range node.Content {
			if e.Kind == yaml.ScalarNode && e.Value == seg {
				out = append(out, childNode{e, e.Line, index(i)})
			}
		}
	}
	return out
}

// walkPath collects the nodes at path below node that pred accepts.
func walkPath(node *yaml.Node, path, concrete []string, line int, pred func(*yaml.Node) bool, out *[]hit) {
	if len(path) == 0 {
		if pred == nil || pred(node) {
			*out = append(*out, hit{node: node, line: line, path: append([]string(nil), concrete...)})
		}
		return
	}
	for _, c := range children(node, path[0]) {
		walkPath(c.node, path[1:], append(concrete, c.seg), c.line, pred, out)
	}
}

// scalars returns the scalar values below node (node itself when scalar).
func scalars(node *yaml.Node) []string {
	if node == nil {
		return nil
	}
	if node.Kind == yaml.AliasNode && node.Alias != nil {
		node = node.Alias
	}
	if node.Kind == yaml.ScalarNode {
		return []string{node.Value}
	}
	var out []string
	for _, c := range node.Content {
		out = append(out, scalars(c)...)
	}
	return out
}

// display shortens path for messages: relative to the caller's cwd when
// below it, absolute otherwise.
func (s *session) display(path string) string {
	rel, err := filepath.Rel(s.cwd, path)
	if err != nil || rel == ".." || strings.HasPrefix(rel, ".."+string(filepath.Separator)) {
		return path
	}
	return rel
}
