// Command adapter is a small BankIntegration client behind the certification protocol of
// mockbank:
//
//	mockbank certify --adapter "/path/to/adapters/go/bin/adapter"
//
// The kit writes one JSON request per line to stdin and reads exactly one JSON reply per line
// from stdout; logs go to stderr. Files: main.go (this loop), operations.go (one function per
// op), bank.go (signing, HTTP and error kinds). To certify your own client, keep this file and
// make operations.go call your client.
package main

import (
	"bufio"
	"encoding/json"
	"errors"
	"io"
	"log"
	"os"
	"strings"

	"example.com/bankintegration/internal/wire"
)

const (
	adapterName    = "mockbank Go adapter"
	adapterVersion = "1.0.0"
)

// request is one line from the kit; params keep their numbers as json.Number.
type request struct {
	ID          any
	Op          string
	BaseURL     string
	TimeoutMs   float64
	Credentials map[string]any
	Params      map[string]any
}

// reply is one line to the kit: result when OK, error otherwise.
type reply struct {
	ID     any         `json:"id"`
	OK     bool        `json:"ok"`
	Result any         `json:"result,omitempty"`
	Error  *replyError `json:"error,omitempty"`
}

type replyError struct {
	Kind       string `json:"kind"`
	HTTPStatus *int   `json:"httpStatus"`
	Message    string `json:"message"`
}

func main() {
	log.SetFlags(0)
	log.SetPrefix("[go-adapter] ")
	in := bufio.NewReader(os.Stdin)
	out := json.NewEncoder(os.Stdout) // one Encode = one line; os.Stdout is unbuffered
	out.SetEscapeHTML(false)
	for {
		line, readErr := in.ReadString('\n')
		if strings.TrimSpace(line) != "" {
			answer := handle(line)
			if err := out.Encode(answer); err != nil {
				log.Printf("cannot write the reply: %v", err)
				return // the kit went away
			}
			if answer.OK {
				log.Printf("#%v ok", answer.ID)
			} else {
				log.Printf("#%v %s: %s", answer.ID, answer.Error.Kind, answer.Error.Message)
			}
		}
		if readErr != nil {
			if !errors.Is(readErr, io.EOF) {
				log.Printf("cannot read stdin: %v", readErr)
			}
			return
		}
	}
}

// handle answers one request line; it never panics on bad input.
func handle(line string) reply {
	value, err := wire.Decode([]byte(line))
	fields, isObject := value.(map[string]any)
	if err != nil || !isObject {
		return failure(nil, &clientError{kind: "bad-request", message: "the request line is not a JSON object"})
	}
	r := request{ID: fields["id"], Op: wire.Text(fields["op"]), BaseURL: wire.Text(fields["baseUrl"])}
	if timeout, ok := fields["timeoutMs"].(json.Number); ok {
		r.TimeoutMs, _ = timeout.Float64()
	}
	r.Credentials, _ = fields["credentials"].(map[string]any)
	r.Params, _ = fields["params"].(map[string]any)
	if r.Params == nil {
		r.Params = map[string]any{}
	}

	if r.Op == "hello" {
		return reply{ID: r.ID, OK: true, Result: map[string]any{
			"ops": operationNames(), "name": adapterName, "version": adapterVersion}}
	}
	operation, known := operations[r.Op]
	if !known {
		return failure(r.ID, &clientError{kind: "bad-request", message: "unknown op " + quote(fields["op"])})
	}
	result, err := operation(r)
	if err != nil {
		return failure(r.ID, err)
	}
	return reply{ID: r.ID, OK: true, Result: result}
}

// failure turns an error into an error reply; an error that is not a *clientError is a request
// the adapter could not use (bad-request).
func failure(id any, err error) reply {
	var known *clientError
	if !errors.As(err, &known) {
		known = &clientError{kind: "bad-request", message: err.Error()}
	}
	var status *int
	if known.httpStatus != 0 {
		status = &known.httpStatus
	}
	return reply{ID: id, Error: &replyError{Kind: known.kind, HTTPStatus: status, Message: known.message}}
}

// quote writes a value as JSON for a message.
func quote(value any) string {
	text, err := json.Marshal(value)
	if err != nil {
		return wire.Text(value)
	}
	return string(text)
}
