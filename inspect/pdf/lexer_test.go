package pdf

import (
	"errors"
	"reflect"
	"strings"
	"testing"
)

func parseOne(s string, eof bool) (object, error) {
	l := lexer{b: []byte(s), eof: eof}
	return l.parseValue()
}

func TestParseValue(t *testing.T) {
	tests := []struct {
		in   string
		want object
	}{
		{"/Name", name("Name")},
		{"/J#61vaScript", name("JavaScript")},
		{"/A#2", name("A#2")},   // not an escape: kept
		{"/A#zz", name("A#zz")}, // not an escape: kept
		{"/", name("")},
		{"/A/B", name("A")},
		{"42", int64(42)},
		{"-17", int64(-17)},
		{"+5", int64(5)},
		{"3.25", 3.25},
		{"-.5", -0.5},
		{"4.", 4.0},
		{"99999999999999999999", 1e20},
		{"true", true},
		{"false", false},
		{"null", nil},
		{"(a(b)c\\)d\\n\\101\\\r\nx)", str("a(b)c)d\nAx")},
		{"(\\0053)", str("\x053")},
		{"(\\q)", str("q")},
		{"<48656c6c6f>", str("Hello")},
		{"<4 8 6>", str("H`")},
		{"<48zz65>", str("He")},
		{"12 0 R", ref{12, 0}},
		{"12 0", int64(12)},
		{"12 0R", int64(12)},
		{"12 0 Rx", int64(12)},
		{"5 %c\n0 R", ref{5, 0}},
		{"5 0 %c\nR", ref{5, 0}},
		{"[5 0 R 6 1 R 7 8]", array{ref{5, 0}, ref{6, 1}, int64(7), int64(8)}},
		{"[1 2 0 R /N (s) 3.5 true null]", array{int64(1), ref{2, 0}, name("N"), str("s"), 3.5, true, nil}},
		{"[ ]", array(nil)},
		{"<< /A 1 /B << /C [ ] >> >>", dict{{"A", int64(1)}, {"B", dict{{"C", array(nil)}}}}},
		{"<</A/B/C 5 0 R>>", dict{{"A", name("B")}, {"C", ref{5, 0}}}},
		// Tolerance: missing close, junk, a value in key position.
		{"<< /A 1 endobj", dict{{"A", int64(1)}}},
		{"<< /A 1 ) /B 2 >>", dict{{"A", int64(1)}, {"B", int64(2)}}},
		{"<< 7 /A 1 >>", dict{{"A", int64(1)}}},
		{"<< /A >>", dict{{"A", nil}}},
		{"<< /A /B ] /C 1 >>", dict{{"A", name("B")}, {"C", int64(1)}}},
		{"[1 2 >>", array{int64(1), int64(2)}},
		{"[1 junk 2]", array{int64(1), int64(2)}},
		{"<< /A 1", dict{{"A", int64(1)}}},
		{"(unterminated", str("unterminated")},
		{"% comment\n/A", name("A")},
		{"<< /A%c\n1 >>", dict{{"A", int64(1)}}},
		{"-1 0 R", int64(-1)},
		{"4294967296 0 R", int64(4294967296)},
	}
	for _, tt := range tests {
		got, err := parseOne(tt.in, true)
		if err != nil {
			t.Errorf("%q: %v", tt.in, err)
			continue
		}
		if !reflect.DeepEqual(got, tt.want) {
			t.Errorf("%q: got %#v, want %#v", tt.in, got, tt.want)
		}
	}
}

func TestParseNeedsMore(t *testing.T) {
	for _, in := range []string{"<< /A 1", "(abc", "<4142", "/Nam", "[1 2", "12 0", "<", "123"} {
		if _, err := parseOne(in, false); !errors.Is(err, errMore) {
			t.Errorf("%q: error %v, want errMore", in, err)
		}
	}
}

func TestParseDepth(t *testing.T) {
	ok := strings.Repeat("[", maxDepth) + strings.Repeat("]", maxDepth)
	if _, err := parseOne(ok, true); err != nil {
		t.Errorf("depth %d: %v", maxDepth, err)
	}
	deep := strings.Repeat("<< /A ", maxDepth+1) + strings.Repeat(">>", maxDepth+1)
	if _, err := parseOne(deep, true); !errors.Is(err, errDeep) {
		t.Errorf("depth %d: error %v, want errDeep", maxDepth+1, err)
	}
}

func TestParseIndirect(t *testing.T) {
	tests := []struct {
		in      string
		num     int32
		v       object
		stream  bool
		dataOff int
		err     error
	}{
		{in: "1 0 obj\n<< /A 1 >>\nendobj", num: 1, v: dict{{"A", int64(1)}}, dataOff: -1},
		{in: "7 2 obj 42 endobj", num: 7, v: int64(42), dataOff: -1},
		{in: "3 0 obj endobj", num: 3, v: nil, dataOff: -1},
		{in: "3 0 obj\n<< /Length 3 >>\nstream\r\nabc\nendstream", num: 3, stream: true, dataOff: 32},
		{in: "3 0 obj<</Length 3>>stream\nabc\nendstream", num: 3, stream: true, dataOff: 27},
		{in: "4294967296 0 obj 1 endobj", num: -1, v: int64(1), dataOff: -1},
		{in: "1 0 ob 1", err: errNotObject},
		{in: "x 0 obj", err: errNotObject},
	}
	for _, tt := range tests {
		l := lexer{b: []byte(tt.in), eof: true}
		ob, err := l.parseIndirect()
		if !errors.Is(err, tt.err) {
			t.Errorf("%q: error %v, want %v", tt.in, err, tt.err)
			continue
		}
		if err != nil {
			continue
		}
		if ob.num != tt.num || ob.dataOff != tt.dataOff {
			t.Errorf("%q: num %d dataOff %d, want %d %d", tt.in, ob.num, ob.dataOff, tt.num, tt.dataOff)
		}
		if _, isStream := ob.v.(*stream); isStream != tt.stream {
			t.Errorf("%q: stream %v, want %v", tt.in, isStream, tt.stream)
		} else if !isStream && !reflect.DeepEqual(ob.v, tt.v) {
			t.Errorf("%q: value %#v, want %#v", tt.in, ob.v, tt.v)
		}
	}
}

func TestObjHeader(t *testing.T) {
	tests := []struct {
		in   string
		ok   bool
		num  int32
		gen  int32
		from int64
	}{
		{"1 0 obj", true, 1, 0, 0},
		{"\n12 3 obj<<", true, 12, 3, 1},
		{"12 0obj", true, 12, 0, 0},
		{"endobj", false, 0, 0, 0},
		{"x1 0 obj", false, 0, 0, 0},
		{"1 0 objx", false, 0, 0, 0},
		{"10 obj", false, 0, 0, 0},
		{"-1 0 obj", false, 0, 0, 0},
		{"4294967296 0 obj", true, -1, 0, 0},
		{"1 65536 obj", true, -1, 0, 0},
	}
	for _, tt := range tests {
		b := []byte(tt.in)
		p := strings.LastIndex(tt.in, "obj")
		c, ok := objHeader(b, p, true, true)
		if ok != tt.ok || (ok && (c.num != tt.num || c.gen != tt.gen || c.off != tt.from)) {
			t.Errorf("%q: %+v %v, want num %d gen %d at %d ok %v", tt.in, c, ok, tt.num, tt.gen, tt.from, tt.ok)
		}
	}
}

func TestTextString(t *testing.T) {
	tests := []struct {
		in   []byte
		want string
	}{
		{[]byte("plain.exe"), "plain.exe"},
		{[]byte{0xFE, 0xFF, 0, 'a', 0x00, 0xE4}, "aä"},
		{[]byte{0xEF, 0xBB, 0xBF, 'h', 0xC3, 0xA9}, "hé"},
		{[]byte{0x80, 0xA0, 0xE9}, "•€é"},
	}
	for _, tt := range tests {
		if got := textString(tt.in); got != tt.want {
			t.Errorf("%q: %q, want %q", tt.in, got, tt.want)
		}
	}
	for in, want := range map[string]string{
		`C:\dir\evil.exe`: "evil.exe",
		"a/b/../c.txt":    "c.txt",
		"x\x00y\n.doc":    "xy.doc",
		"..":              "",
		" spaced ":        "spaced",
	} {
		if got := fileName(in); got != want {
			t.Errorf("fileName(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestRetain(t *testing.T) {
	big := make(array, 5000)
	for i := range big {
		big[i] = int64(i)
	}
	d := dict{{"S", name("JavaScript")}, {"Widths", big}, {"Next", ref{3, 0}}}
	got, ok := retain(d, countValues(d, 1<<20)).(dict)
	if !ok || len(got) != 2 || got.get("S") != name("JavaScript") || got.get("Next") != (ref{3, 0}) || got.get("Widths") != nil {
		t.Fatalf("retain: %#v", got)
	}
}
