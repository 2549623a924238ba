// Command sign reads one JSON object on stdin and prints the Authorization header value that
// package signer produces for it:
//
//	{"serviceProvider", "apiKey", "account", "integrationCode", "requestId", "time", "transactions"?}
//
// time is UTC yyyy-MM-ddTHH:mm:ss; transactions are as in a POST /payment body. Without
// transactions (or with an empty list) it signs a non-payment request. Errors: one line on stderr,
// exit status 1.
package main

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"regexp"
	"strconv"
	"time"
	"unicode/utf8"

	"example.com/bankintegration/internal/wire"
	"example.com/bankintegration/signer"
)

func main() {
	header, err := run(os.Stdin)
	if err != nil {
		fmt.Fprintln(os.Stderr, "sign:", err)
		os.Exit(1)
	}
	fmt.Println(header)
}

func run(stdin io.Reader) (string, error) {
	data, err := io.ReadAll(stdin)
	if err != nil {
		return "", fmt.Errorf("cannot read stdin: %v", err)
	}
	if !utf8.Valid(data) {
		return "", fmt.Errorf("stdin is not UTF-8 text")
	}
	value, err := wire.Decode(data)
	if err != nil {
		return "", fmt.Errorf("stdin is not one JSON object: %v", err)
	}
	input, ok := value.(map[string]any)
	if !ok {
		return "", fmt.Errorf("stdin must hold one JSON object, not %s", describe(value))
	}
	if where := loneSurrogate(data); where != "" {
		return "", fmt.Errorf("stdin holds a lone surrogate escape %s, which is not Unicode text", where)
	}
	fields := map[string]string{}
	for _, name := range []string{"serviceProvider", "apiKey", "account", "integrationCode", "requestId", "time"} {
		if fields[name], err = text(input, name, name); err != nil {
			return "", err
		}
	}
	if fields["requestId"] == "" {
		return "", fmt.Errorf("requestId must not be empty")
	}
	at, err := time.Parse("2006-01-02T15:04:05", fields["time"])
	if err != nil || !utcTime.MatchString(fields["time"]) || at.Year() < 1 {
		return "", fmt.Errorf("time %q is not a real UTC time written yyyy-MM-ddTHH:mm:ss", fields["time"])
	}
	var transactions []signer.Transaction
	if list, given := input["transactions"]; given && list != nil {
		if err := check(list); err != nil {
			return "", err
		}
		if transactions, err = wire.Transactions("transactions", list); err != nil {
			return "", err
		}
	}
	credentials := signer.Credentials{ServiceProvider: fields["serviceProvider"], APIKey: fields["apiKey"],
		Account: fields["account"], IntegrationCode: fields["integrationCode"]}
	return signer.Authorization(credentials, fields["requestId"], at, transactions)
}

var utcTime = regexp.MustCompile(`^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}$`)
var isoDate = regexp.MustCompile(`^[0-9]{4}-[0-9]{2}-[0-9]{2}$`)

// check refuses what no correct client sends in a POST /payment body's signed fields: a paymentId
// that is not a non-empty string, a paymentDate that is not a real yyyy-MM-dd date, an amount that
// is neither a number nor a numeric string, a currency or creditor account that is not a string.
func check(list any) error {
	items, ok := list.([]any)
	if !ok {
		return fmt.Errorf("transactions must be a list of objects, not %s", describe(list))
	}
	for i, item := range items {
		where := fmt.Sprintf("transactions[%d]", i)
		fields, ok := item.(map[string]any)
		if !ok {
			return fmt.Errorf("%s must be an object, not %s", where, describe(item))
		}
		paymentID, err := text(fields, "paymentId", where+".paymentId")
		if err == nil && paymentID == "" {
			err = fmt.Errorf("%s.paymentId must not be empty", where)
		}
		if err != nil {
			return err
		}
		date, err := text(fields, "paymentDate", where+".paymentDate")
		if err != nil {
			return err
		}
		if day, err := time.Parse("2006-01-02", date); err != nil || !isoDate.MatchString(date) || day.Year() < 1 {
			return fmt.Errorf("%s.paymentDate %q is not a real date written yyyy-MM-dd", where, date)
		}
		var amount string
		switch v := fields["amount"].(type) {
		case json.Number:
			amount = v.String()
		case string:
			if !numericString.MatchString(v) {
				return fmt.Errorf("%s.amount: %q is not a decimal number such as 154.50", where, v)
			}
			amount = v
		default:
			return fmt.Errorf("%s.amount must be a number or a numeric string such as \"154.50\", not %s",
				where, describe(v))
		}
		if _, err := signer.FormatAmount(amount); err != nil {
			return fmt.Errorf("%s.amount: %w", where, err)
		}
		for _, name := range []string{"currency", "account"} {
			if _, err := text(fields, name, where+"."+name); err != nil {
				return err
			}
		}
	}
	return nil
}

// numericString is the API's numeric string for amounts: "154.00" (no exponent, no grouping).
var numericString = regexp.MustCompile(`^-?[0-9]+(\.[0-9]+)?$`)

// text is the string field name of object, or an error naming it as where.
func text(object map[string]any, name, where string) (string, error) {
	value, ok := object[name].(string)
	if !ok {
		return "", fmt.Errorf("%s must be a string, not %s", where, describe(object[name]))
	}
	return value, nil
}

// loneSurrogate finds a \ud800-\udfff escape in a JSON text's strings that is not half of a pair
// (Go's decoder would quietly make it U+FFFD) and returns it, or "".
func loneSurrogate(data []byte) string {
	inString := false
	for i := 0; i < len(data); i++ {
		switch {
		case data[i] == '"':
			inString = !inString
		case inString && data[i] == '\\' && i+1 < len(data) && data[i+1] != 'u':
			i++
		case inString && data[i] == '\\':
			code, next := escapedUnit(data, i)
			if code >= 0xD800 && code < 0xDC00 {
				if low, _ := escapedUnit(data, next); low >= 0xDC00 && low < 0xE000 {
					i = next + 5
					continue
				}
			}
			if code >= 0xD800 && code < 0xE000 {
				return string(data[i:next])
			}
			i = next - 1
		}
	}
	return ""
}

// escapedUnit reads the \uXXXX escape at data[at:] and returns its code unit and the index after
// it; -1 when there is none.
func escapedUnit(data []byte, at int) (int, int) {
	if at+6 > len(data) || data[at] != '\\' || data[at+1] != 'u' {
		return -1, at
	}
	code, err := strconv.ParseUint(string(data[at+2:at+6]), 16, 16)
	if err != nil {
		return -1, at
	}
	return int(code), at + 6
}

// describe names the JSON type of a value for an error message.
func describe(value any) string {
	switch value.(type) {
	case nil:
		return "missing or null"
	case string:
		return "a string"
	case map[string]any:
		return "an object"
	case []any:
		return "a list"
	case bool:
		return "a boolean"
	default:
		return "a number"
	}
}
