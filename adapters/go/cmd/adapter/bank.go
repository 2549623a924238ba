package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"time"

	"example.com/bankintegration/internal/wire"
	"example.com/bankintegration/signer"
)

const defaultTimeout = 10 * time.Second

// clientError is a failure the kit understands. kind is one of unauthorized, bad-request,
// server-error, timeout, connection, invalid-response; httpStatus is 0 when there was no answer.
type clientError struct {
	kind       string
	httpStatus int
	message    string
}

func (e *clientError) Error() string { return e.kind + ": " + e.message }

// call is one API request: method, path, query or JSON body, and the transactions to sign (POST
// /payment only; nil signs a non-payment request with the requestId).
type call struct {
	method       string
	path         string
	query        url.Values
	body         map[string]any
	transactions []signer.Transaction
}

// send signs and sends one call and returns the parsed JSON answer (numbers as json.Number).
func send(r request, c call) (any, error) {
	requestID, ok := r.Params["requestId"].(string)
	if !ok || requestID == "" {
		return nil, errors.New("params.requestId must be a non-empty string")
	}
	target, err := url.Parse(strings.TrimRight(r.BaseURL, "/") + c.path)
	if err != nil || (target.Scheme != "http" && target.Scheme != "https") {
		return nil, fmt.Errorf("baseUrl %q is not an http(s) URL", r.BaseURL)
	}
	target.RawQuery = c.query.Encode()
	authorization, err := signer.Authorization(credentialsOf(r), requestID, time.Now(), c.transactions)
	if err != nil {
		return nil, err
	}

	var body io.Reader
	if c.body != nil {
		var buf bytes.Buffer
		encoder := json.NewEncoder(&buf) // json.Number goes out as written; '<' stays '<'
		encoder.SetEscapeHTML(false)
		if err := encoder.Encode(c.body); err != nil {
			return nil, fmt.Errorf("cannot write the request body: %v", err)
		}
		body = &buf
	}
	req, err := http.NewRequest(c.method, target.String(), body)
	if err != nil {
		return nil, fmt.Errorf("cannot build the request: %v", err)
	}
	req.Header.Set("Accept", "application/json")
	req.Header.Set("Authorization", authorization)
	if body != nil {
		req.Header.Set("Content-Type", "application/json; charset=utf-8")
	}

	what := c.method + " " + c.path
	status, text, err := exchange(req, timeoutOf(r))
	if err != nil {
		return nil, transportError(what, err)
	}
	return readAnswer(fmt.Sprintf("%s: HTTP %d %s", what, status, http.StatusText(status)), status, text, requestID)
}

// exchange sends the request over a fresh connection and reads the whole answer within timeout.
// Redirects are not followed: a 3xx is reported as an unexpected answer.
func exchange(req *http.Request, timeout time.Duration) (int, string, error) {
	client := &http.Client{
		Timeout:       timeout,
		Transport:     &http.Transport{DisableKeepAlives: true, Proxy: nil},
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
	resp, err := client.Do(req)
	if err != nil {
		return 0, "", err
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		return 0, "", err
	}
	return resp.StatusCode, strings.TrimPrefix(string(data), "\uFEFF"), nil
}

// transportError sorts a failure without a complete answer into timeout or connection.
func transportError(what string, err error) error {
	var netErr net.Error
	if errors.As(err, &netErr) && netErr.Timeout() {
		return &clientError{kind: "timeout", message: what + ": no complete answer in time"}
	}
	return &clientError{kind: "connection", message: what + ": " + err.Error()}
}

// readAnswer turns an HTTP answer into the parsed body or an error of the right kind.
func readAnswer(what string, status int, text, requestID string) (any, error) {
	switch {
	case status == 204 || (status == 201 || status == 202) && strings.TrimSpace(text) == "":
		return map[string]any{}, nil // no content
	case status == 200 || status == 201 || status == 202:
		value, err := wire.Decode([]byte(text))
		if err != nil {
			return nil, &clientError{"invalid-response", status, what + ": the body is not JSON"}
		}
		answer, ok := value.(map[string]any)
		if !ok {
			return nil, &clientError{"invalid-response", status, what + ": the body is not a JSON object"}
		}
		if echoed, _ := answer["requestId"].(string); echoed != requestID {
			return nil, &clientError{"invalid-response", status,
				fmt.Sprintf("%s: requestId %s differs from %q", what, quote(answer["requestId"]), requestID)}
		}
		return answer, nil
	case status == 401:
		return nil, &clientError{"unauthorized", status, what + errorDetail(text)}
	case status >= 400 && status < 500:
		return nil, &clientError{"bad-request", status, what + errorDetail(text)}
	case status >= 500 && status < 600:
		return nil, &clientError{"server-error", status, what + errorDetail(text)}
	}
	return nil, &clientError{"invalid-response", status, what + ": unexpected status"}
}

// errorDetail is a short explanation from an error body: the emulator's 401 diagnosis, its
// message, or an excerpt of the text.
func errorDetail(text string) string {
	if value, err := wire.Decode([]byte(text)); err == nil {
		if body, ok := value.(map[string]any); ok {
			if diagnosis, ok := body["diagnosis"].(map[string]any); ok {
				return ": " + wire.Text(diagnosis["cause"]) + ": " + wire.Text(diagnosis["message"])
			}
			if message, ok := body["message"].(string); ok {
				return ": " + message
			}
		}
	}
	excerpt := []rune(strings.TrimSpace(text))
	if len(excerpt) > 200 {
		excerpt = excerpt[:200]
	}
	if len(excerpt) == 0 {
		return ""
	}
	return ": " + string(excerpt)
}

func credentialsOf(r request) signer.Credentials {
	return signer.Credentials{
		ServiceProvider: wire.Text(r.Credentials["serviceProvider"]),
		APIKey:          wire.Text(r.Credentials["apiKey"]),
		Account:         wire.Text(r.Credentials["account"]),
		IntegrationCode: wire.Text(r.Credentials["integrationCode"]),
	}
}

func timeoutOf(r request) time.Duration {
	if r.TimeoutMs > 0 {
		return time.Duration(r.TimeoutMs * float64(time.Millisecond))
	}
	return defaultTimeout
}
