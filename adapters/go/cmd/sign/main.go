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
	"fmt"
	"io"
	"os"
	"time"

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
	value, err := wire.Decode(data)
	if err != nil {
		return "", fmt.Errorf("stdin is not one JSON object: %v", err)
	}
	input, ok := value.(map[string]any)
	if !ok {
		return "", fmt.Errorf("stdin must hold one JSON object, not %s", describe(value))
	}
	fields := map[string]string{}
	for _, name := range []string{"serviceProvider", "apiKey", "account", "integrationCode", "requestId", "time"} {
		text, ok := input[name].(string)
		if !ok {
			return "", fmt.Errorf("%s must be a string, not %s", name, describe(input[name]))
		}
		fields[name] = text
	}
	at, err := time.Parse("2006-01-02T15:04:05", fields["time"])
	if err != nil {
		return "", fmt.Errorf("time %q is not a UTC time written yyyy-MM-ddTHH:mm:ss", fields["time"])
	}
	var transactions []signer.Transaction
	if list, given := input["transactions"]; given && list != nil {
		if transactions, err = wire.Transactions("transactions", list); err != nil {
			return "", err
		}
	}
	credentials := signer.Credentials{ServiceProvider: fields["serviceProvider"], APIKey: fields["apiKey"],
		Account: fields["account"], IntegrationCode: fields["integrationCode"]}
	return signer.Authorization(credentials, fields["requestId"], at, transactions)
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
