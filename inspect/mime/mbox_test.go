package mime

import (
	"bufio"
	"errors"
	"io"
	"reflect"
	"strings"
	"testing"
	"testing/iotest"
)

func splitMbox(t testing.TB, r io.Reader, readAll bool) ([]string, error) {
	t.Helper()
	var msgs []string
	err := ReadMbox(r, func(msg io.Reader) error {
		if !readAll {
			// Read only the first line; the rest must be skipped.
			line, _ := bufio.NewReaderSize(msg, 16).ReadString('\n')
			msgs = append(msgs, line)
			return nil
		}
		b, err := io.ReadAll(msg)
		msgs = append(msgs, string(b))
		return err
	})
	return msgs, err
}

func TestReadMbox(t *testing.T) {
	long := strings.Repeat("y", 100<<10)
	tests := []struct {
		name string
		in   string
		want []string
	}{
		{"empty", "", nil},
		{"blank only", "\n\n", nil},
		{"one", "From a@b Tue Mar 4 10:15:00 2025\nSubject: one\n\nbody\n\n", []string{"Subject: one\n\nbody\n"}},
		{"two", "From a\nSubject: one\n\nbody\n\nFrom b\nSubject: two\n\nbody two\n", []string{"Subject: one\n\nbody\n", "Subject: two\n\nbody two\n"}},
		{"crlf", "From a\r\nS: 1\r\n\r\nx\r\n\r\nFrom b\r\nS: 2\r\n\r\ny\r\n", []string{"S: 1\r\n\r\nx\r\n", "S: 2\r\n\r\ny\r\n"}},
		{"mboxrd unquoting", "From a\nS: 1\n\n>From here\n>>From there\n> From not\nFromage\n", []string{"S: 1\n\nFrom here\n>From there\n> From not\nFromage\n"}},
		{"blank lines kept inside", "From a\nS: 1\n\nx\n\n\ny\n\n", []string{"S: 1\n\nx\n\n\ny\n"}},
		{"no separator line", "From a\nS: 1\n\nx\nFrom b\nS: 2\n", []string{"S: 1\n\nx\n", "S: 2\n"}},
		{"headless", "Subject: plain eml\n\nbody\n", []string{"Subject: plain eml\n\nbody\n"}},
		{"no final newline", "From a\nS: 1\n\nlast", []string{"S: 1\n\nlast"}},
		{"long line", "From a\nS: 1\n\n" + long + "\nFrom b\n" + long, []string{"S: 1\n\n" + long + "\n", long}},
		{"long From line", "From " + long + "\nS: 1\n", []string{"S: 1\n"}},
		{"empty message", "From a\nFrom b\nS: 2\n", []string{"", "S: 2\n"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := splitMbox(t, strings.NewReader(tt.in), true)
			if err != nil || !reflect.DeepEqual(got, tt.want) {
				t.Errorf("got %.200q, %v\nwant %.200q", got, err, tt.want)
			}
			got, err = splitMbox(t, iotest.OneByteReader(strings.NewReader(tt.in)), true)
			if err != nil || !reflect.DeepEqual(got, tt.want) {
				t.Errorf("one byte at a time: got %.200q, %v", got, err)
			}
		})
	}
}

func TestReadMboxPartialReads(t *testing.T) {
	in := "From a\nS: 1\n\nbody one\nmore\n\nFrom b\nS: 2\n\nbody two\n"
	got, err := splitMbox(t, strings.NewReader(in), false)
	if err != nil || !reflect.DeepEqual(got, []string{"S: 1\n", "S: 2\n"}) {
		t.Errorf("got %q, %v", got, err)
	}
}

func TestReadMboxErrors(t *testing.T) {
	stop := errors.New("stop")
	n := 0
	err := ReadMbox(strings.NewReader("From a\nS: 1\n\nFrom b\nS: 2\n"), func(io.Reader) error {
		n++
		return stop
	})
	if !errors.Is(err, stop) || n != 1 {
		t.Errorf("fn error: %v after %d", err, n)
	}
	broken := io.MultiReader(strings.NewReader("From a\nS: 1\n"), iotest.ErrReader(errors.New("disk on fire")))
	err = ReadMbox(broken, func(r io.Reader) error {
		_, err := io.ReadAll(r)
		return err
	})
	if err == nil || !strings.Contains(err.Error(), "disk on fire") {
		t.Errorf("read error: %v", err)
	}
}
