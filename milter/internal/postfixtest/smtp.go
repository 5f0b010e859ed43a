package postfixtest

import (
	"bufio"
	"fmt"
	"net"
	"strconv"
	"strings"
	"time"
)

// SendSMTP runs one transaction and records every reply, not only the
// first failure: the tests need to see 452 for one recipient and 250 for
// another. Lines of msg must end in CRLF; dot-stuffing is done here.
func SendSMTP(addr, from string, rcpts []string, msg []byte) (SendResult, error) {
	res := SendResult{Rcpts: map[string]Reply{}}
	conn, err := net.DialTimeout("tcp", addr, 10*time.Second)
	if err != nil {
		return res, err
	}
	defer conn.Close()
	_ = conn.SetDeadline(time.Now().Add(5 * time.Minute))
	r := bufio.NewReader(conn)
	w := bufio.NewWriter(conn)
	cmd := func(line string) (Reply, error) {
		if line != "" {
			if _, err := w.WriteString(line + "\r\n"); err != nil {
				return Reply{}, err
			}
			if err := w.Flush(); err != nil {
				return Reply{}, err
			}
		}
		return readReply(r)
	}
	if rep, err := cmd(""); err != nil || rep.Code != 220 {
		return res, fmt.Errorf("greeting: %v %v", rep, err)
	}
	if rep, err := cmd("EHLO client.test.invalid"); err != nil || rep.Code != 250 {
		return res, fmt.Errorf("EHLO: %v %v", rep, err)
	}
	if res.Mail, err = cmd("MAIL FROM:<" + from + ">"); err != nil {
		return res, err
	}
	if !res.Mail.OK() {
		_, _ = cmd("QUIT")
		return res, nil
	}
	accepted := 0
	for _, rc := range rcpts {
		rep, err := cmd("RCPT TO:<" + rc + ">")
		if err != nil {
			return res, err
		}
		res.Rcpts[rc] = rep
		if rep.OK() {
			accepted++
		}
	}
	if accepted == 0 {
		_, _ = cmd("QUIT")
		return res, nil
	}
	if rep, err := cmd("DATA"); err != nil || rep.Code != 354 {
		res.Data = rep
		return res, err
	}
	for _, line := range strings.SplitAfter(string(msg), "\n") {
		if strings.HasPrefix(line, ".") {
			line = "." + line
		}
		if _, err := w.WriteString(line); err != nil {
			return res, err
		}
	}
	if len(msg) > 0 && msg[len(msg)-1] != '\n' {
		w.WriteString("\r\n")
	}
	if res.Data, err = cmd("."); err != nil {
		return res, err
	}
	_, _ = cmd("QUIT")
	return res, nil
}

func readReply(r *bufio.Reader) (Reply, error) {
	var rep Reply
	var lines []string
	for {
		line, err := r.ReadString('\n')
		if err != nil {
			return rep, err
		}
		line = strings.TrimRight(line, "\r\n")
		if len(line) < 3 {
			return rep, fmt.Errorf("short reply %q", line)
		}
		code, err := strconv.Atoi(line[:3])
		if err != nil {
			return rep, fmt.Errorf("bad reply %q", line)
		}
		rep.Code = code
		if len(line) > 4 {
			lines = append(lines, line[4:])
		}
		if len(line) == 3 || line[3] == ' ' {
			rep.Msg = strings.Join(lines, "\n")
			return rep, nil
		}
	}
}
