// Package wire reads the JSON the adapter and the sign command receive: numbers stay exact
// (json.Number, the text as written) and transactions become signer.Transaction values.
// Writing uses json.Encoder with SetEscapeHTML(false), so json.Number goes out as it came in.
package wire

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"

	"example.com/bankintegration/signer"
)

// Decode parses exactly one JSON value; numbers become json.Number so that 217.50 is never a float.
func Decode(data []byte) (any, error) {
	decoder := json.NewDecoder(bytes.NewReader(data))
	decoder.UseNumber()
	var value any
	if err := decoder.Decode(&value); err != nil {
		return nil, err
	}
	if err := decoder.Decode(new(any)); !errors.Is(err, io.EOF) {
		return nil, errors.New("more than one JSON value")
	}
	return value, nil
}

// Text is a scalar as the bank reads it in a payload: a string as is, a number as written, null as "".
func Text(value any) string {
	switch v := value.(type) {
	case nil:
		return ""
	case string:
		return v
	case json.Number:
		return v.String()
	default:
		return fmt.Sprint(v)
	}
}

// Transactions reads the transactions of a POST /payment body (a JSON list of objects) as the
// signer needs them. The amount must be a number (or a numeric string, as some clients send).
func Transactions(where string, list any) ([]signer.Transaction, error) {
	items, ok := list.([]any)
	if !ok {
		return nil, fmt.Errorf("%s must be a list of transactions", where)
	}
	transactions := make([]signer.Transaction, 0, len(items))
	for i, item := range items {
		fields, ok := item.(map[string]any)
		if !ok {
			return nil, fmt.Errorf("%s[%d] must be an object", where, i)
		}
		var amount string
		switch v := fields["amount"].(type) {
		case json.Number:
			amount = v.String()
		case string:
			amount = v
		default:
			return nil, fmt.Errorf("%s[%d].amount must be a number such as 154.50", where, i)
		}
		transactions = append(transactions, signer.Transaction{
			PaymentID:   Text(fields["paymentId"]),
			PaymentDate: Text(fields["paymentDate"]),
			Amount:      amount,
			Currency:    Text(fields["currency"]),
			Account:     Text(fields["account"]),
		})
	}
	return transactions, nil
}
