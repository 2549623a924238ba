// Package signer builds the Authorization header of the BankIntegration REST API
// (api.bankintegration.dk). Standard library only: copy this file into your own module.
//
// Every request carries "Basic " + Base64(UTF-8 JSON of the auth object):
//
//	{"serviceProvider":"MyERP","account":"52470021527478","time":"2015-05-21T10:45:23",
//	 "requestId":"REQ_01","hash":[{"id":"REQ_01","hash":"<Base64 HMAC-SHA256>"}]}
//
// Each hash is an HMAC-SHA256 over ten components joined by '#' (empty ones are kept):
//
//	token#custacc#currency#reqid#paydate#amount#credacc#erp#payid#now
//
// A POST /payment has one hash per transaction (id = paymentId); every other request has one hash
// (id = requestId) whose currency, paydate, amount and credacc are empty and payid is the requestId.
package signer

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"math/big"
	"regexp"
	"strings"
	"time"
)

// Credentials are what an ERP needs to sign for one customer account.
type Credentials struct {
	ServiceProvider string // the ERP name/code issued together with the API key
	APIKey          string // a GUID, e.g. 3f2504e0-4f89-11d3-9a0c-0305e82c3301
	Account         string // the customer's own account, 14-digit BBAN (reg.no + account no)
	IntegrationCode string // the account's integration code ("Kunde Kode")
}

// Transaction holds the fields of one POST /payment transaction that are signed.
type Transaction struct {
	PaymentID   string
	PaymentDate string // yyyy-MM-dd
	Amount      string // the amount as written in the JSON body: "154", "217.5", "1234.56"
	Currency    string // ISO 4217 code, e.g. DKK
	Account     string // the creditor account exactly as sent (BBAN, IBAN, FIK string, ...)
}

// Authorization returns the Authorization header value ("Basic ...") of a request signed at the
// instant at. Without transactions it signs a non-payment request (status, statement, balance,
// cancel, GET /payment/<transId>); with transactions it signs a POST /payment.
func Authorization(c Credentials, requestID string, at time.Time, transactions []Transaction) (string, error) {
	key, err := KeyBytes(c.APIKey)
	if err != nil {
		return "", err
	}
	utc := at.UTC()
	now := utc.Format("20060102150405") // the payload's "now", the same instant as the JSON "time"
	token := Token(c.IntegrationCode)
	payload := func(currency, paydate, amount, credacc, payid string) string {
		return strings.Join([]string{token, c.Account, currency, requestID, paydate, amount, credacc,
			c.ServiceProvider, payid, now}, "#")
	}

	var hashes []hashEntry
	if len(transactions) == 0 {
		hashes = append(hashes, hashEntry{requestID, mac(key, payload("", "", "", "", requestID))})
	}
	for i, t := range transactions {
		amount, err := FormatAmount(t.Amount)
		if err != nil {
			return "", fmt.Errorf("transactions[%d].amount: %w", i, err)
		}
		text := payload(t.Currency, formatPaymentDate(t.PaymentDate), amount, t.Account, t.PaymentID)
		hashes = append(hashes, hashEntry{t.PaymentID, mac(key, text)})
	}

	auth := authJSON(c.ServiceProvider, c.Account, utc.Format("2006-01-02T15:04:05"), requestID, hashes)
	return "Basic " + base64.StdEncoding.EncodeToString([]byte(auth)), nil
}

// KeyBytes returns the HMAC key: the API key GUID's 16 bytes in .NET Guid.ToByteArray() order.
// The first three groups (4, 2 and 2 bytes) are byte-reversed, the last 8 bytes keep their
// textual order: "3f2504e0-4f89-11d3-9a0c-..." gives e0 04 25 3f 89 4f d3 11 9a 0c ...
// Using the GUID's text, or its bytes in written order, is the most common signing mistake.
func KeyBytes(apiKey string) ([]byte, error) {
	hexDigits, ok := guidHex(strings.TrimSpace(apiKey))
	if !ok {
		return nil, fmt.Errorf("apiKey is not a GUID such as 3f2504e0-4f89-11d3-9a0c-0305e82c3301")
	}
	b, err := hex.DecodeString(hexDigits)
	if err != nil {
		return nil, fmt.Errorf("apiKey is not a GUID: %w", err)
	}
	return []byte{b[3], b[2], b[1], b[0], b[5], b[4], b[7], b[6],
		b[8], b[9], b[10], b[11], b[12], b[13], b[14], b[15]}, nil
}

// guidDashed is the D spelling; N (32 hex digits), B ({D}) and P ((D)) are accepted as well.
var guidDashed = regexp.MustCompile(`^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$`)
var guidPlain = regexp.MustCompile(`^[0-9a-fA-F]{32}$`)

func guidHex(text string) (string, bool) {
	if len(text) == 38 && (text[0] == '{' && text[37] == '}' || text[0] == '(' && text[37] == ')') {
		text = text[1:37]
	} else if guidPlain.MatchString(text) {
		return text, true
	}
	if !guidDashed.MatchString(text) {
		return "", false
	}
	return strings.ReplaceAll(text, "-", ""), true
}

// Token returns the lower-case hex SHA-256 of the UTF-8 bytes of the integration code
// (Go strings are UTF-8 already; read the code from a UTF-8 source, not Latin-1).
func Token(integrationCode string) string {
	sum := sha256.Sum256([]byte(integrationCode))
	return hex.EncodeToString(sum[:])
}

// jsonNumber is the syntax of a JSON number; the exponent is kept short so that no amount
// expands into millions of digits.
var jsonNumber = regexp.MustCompile(`^-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]{1,3})?$`)

// numericString is an amount some clients send as a string: "154.00" (no exponent, no grouping).
var numericString = regexp.MustCompile(`^-?[0-9]+(\.[0-9]+)?$`)

// largestAmount is the first amount too large to sign: the bank's decimal arithmetic writes
// amounts with at most 28 digits, two of them decimals.
var largestAmount = new(big.Rat).SetInt(new(big.Int).Exp(big.NewInt(10), big.NewInt(26), nil))

// FormatAmount returns the payload's amount: two decimals, '.' as separator, no grouping
// ("154" -> "154.00", "217.5" -> "217.50"). It works on the decimal text, so no binary float
// rounding creeps in; a third decimal rounds half away from zero ("2.675" -> "2.68"), as .NET's
// decimal.ToString("F2") does, and a negative decimal keeps its sign ("-0.001" -> "-0.00"; an
// integer has no negative zero). Never format with a culture: da-DK writes "154,00".
func FormatAmount(amount string) (string, error) {
	if !jsonNumber.MatchString(amount) && !numericString.MatchString(amount) {
		return "", fmt.Errorf("%q is not a decimal number such as 154 or 217.50", amount)
	}
	value, _ := new(big.Rat).SetString(amount) // cannot fail on a decimal number
	text := value.FloatString(2)
	if new(big.Rat).Abs(value).Cmp(largestAmount) >= 0 || len(strings.TrimPrefix(text, "-")) > 26+3 {
		return "", fmt.Errorf("%s is too large for an amount", amount)
	}
	if value.Sign() == 0 && strings.HasPrefix(amount, "-") && strings.ContainsAny(amount, ".eE") {
		text = "-" + text
	}
	return text, nil
}

var isoDate = regexp.MustCompile(`^([0-9]{4})-([0-9]{2})-([0-9]{2})$`)

// formatPaymentDate turns yyyy-MM-dd into the payload's yyyyMMdd. Any other text is signed as
// sent, as the bank does, so that the bank's answer names the bad date instead of a bad signature.
func formatPaymentDate(date string) string {
	if isoDate.MatchString(date) {
		return strings.ReplaceAll(date, "-", "")
	}
	return date
}

// mac returns Base64 (standard alphabet, '=' padded) of HMAC-SHA256(key, UTF-8 payload).
func mac(key []byte, payload string) string {
	h := hmac.New(sha256.New, key)
	h.Write([]byte(payload))
	return base64.StdEncoding.EncodeToString(h.Sum(nil))
}

// authJSON writes the auth object as compact JSON, keys in the documented order, every
// character but quote, backslash and the control characters as itself (encoding/json would
// write U+2028 and U+2029 as escapes, and '<' as \u003c unless told otherwise).
func authJSON(serviceProvider, account, time, requestID string, hashes []hashEntry) string {
	var out strings.Builder
	out.WriteString(`{"serviceProvider":` + jsonString(serviceProvider) + `,"account":` + jsonString(account) +
		`,"time":` + jsonString(time) + `,"requestId":` + jsonString(requestID) + `,"hash":[`)
	for i, entry := range hashes {
		if i > 0 {
			out.WriteByte(',')
		}
		out.WriteString(`{"id":` + jsonString(entry.ID) + `,"hash":` + jsonString(entry.Hash) + `}`)
	}
	out.WriteString("]}")
	return out.String()
}

type hashEntry struct {
	ID   string
	Hash string
}

// jsonString is a JSON string literal: quote, backslash and control characters escaped.
func jsonString(text string) string {
	var out strings.Builder
	out.WriteByte('"')
	for _, r := range text {
		switch r {
		case '"':
			out.WriteString(`\"`)
		case '\\':
			out.WriteString(`\\`)
		case '\n':
			out.WriteString(`\n`)
		case '\r':
			out.WriteString(`\r`)
		case '\t':
			out.WriteString(`\t`)
		case '\b':
			out.WriteString(`\b`)
		case '\f':
			out.WriteString(`\f`)
		default:
			if r < 0x20 {
				fmt.Fprintf(&out, `\u%04x`, r)
			} else {
				out.WriteRune(r)
			}
		}
	}
	out.WriteByte('"')
	return out.String()
}
