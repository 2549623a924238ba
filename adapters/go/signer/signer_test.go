package signer

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// The shared test vectors, as kept in the mockbank repository (tests/data is a copy of
// ../shared/spec/test-vectors.json).
var vectorsFile = filepath.Join("..", "..", "..", "tests", "data", "test-vectors.json")

type vector struct {
	ID     string `json:"id"`
	Inputs struct {
		APIKey          string `json:"api_key"`
		ERPName         string `json:"erp_name"`
		Account         string `json:"account"`
		IntegrationCode string `json:"integration_code"`
		RequestID       string `json:"request_id"`
		Time            string `json:"time"`
		Transactions    []struct {
			PaymentID   string      `json:"paymentId"`
			PaymentDate string      `json:"paymentDate"`
			Amount      json.Number `json:"amount"`
			Currency    string      `json:"currency"`
			Account     string      `json:"account"`
		} `json:"transactions"`
	} `json:"inputs"`
	Expected struct {
		Token         string `json:"token"`
		Authorization string `json:"authorization"`
	} `json:"expected"`
}

func loadVectors(t *testing.T) []vector {
	t.Helper()
	data, err := os.ReadFile(vectorsFile)
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("the shared test vectors are missing: %v", err)
		}
		t.Skipf("the shared test vectors are not here (%v)", err)
	}
	var file struct {
		Vectors []vector `json:"vectors"`
	}
	decoder := json.NewDecoder(bytes.NewReader(data))
	decoder.UseNumber()
	if err := decoder.Decode(&file); err != nil {
		t.Fatalf("%s: %v", vectorsFile, err)
	}
	if len(file.Vectors) == 0 {
		t.Fatalf("%s holds no vectors", vectorsFile)
	}
	return file.Vectors
}

func TestAuthorizationReproducesEverySharedVector(t *testing.T) {
	for _, v := range loadVectors(t) {
		t.Run(v.ID, func(t *testing.T) {
			in := v.Inputs
			at, err := time.Parse("2006-01-02T15:04:05", in.Time)
			if err != nil {
				t.Fatal(err)
			}
			var transactions []Transaction
			for _, tr := range in.Transactions {
				transactions = append(transactions, Transaction{tr.PaymentID, tr.PaymentDate, tr.Amount.String(),
					tr.Currency, tr.Account})
			}
			credentials := Credentials{in.ERPName, in.APIKey, in.Account, in.IntegrationCode}
			got, err := Authorization(credentials, in.RequestID, at, transactions)
			if err != nil {
				t.Fatal(err)
			}
			if got != v.Expected.Authorization {
				t.Errorf("got %s\nwant %s", got, v.Expected.Authorization)
			}
			if token := Token(in.IntegrationCode); token != v.Expected.Token {
				t.Errorf("token %s, want %s", token, v.Expected.Token)
			}
		})
	}
}

func TestKeyBytesUsesDotNetGuidOrder(t *testing.T) {
	want := []byte{0xe0, 0x04, 0x25, 0x3f, 0x89, 0x4f, 0xd3, 0x11, 0x9a, 0x0c, 0x03, 0x05, 0xe8, 0x2c, 0x33, 0x01}
	for _, spelling := range []string{"3f2504e0-4f89-11d3-9a0c-0305e82c3301", "3F2504E04F8911D39A0C0305E82C3301",
		"{3f2504e0-4f89-11d3-9a0c-0305e82c3301}", "(3f2504e0-4f89-11d3-9a0c-0305e82c3301)"} {
		got, err := KeyBytes(spelling)
		if err != nil || string(got) != string(want) {
			t.Errorf("KeyBytes(%q) = % x, %v; want % x", spelling, got, err, want)
		}
	}
	for _, bad := range []string{"", "3f2504e0", "{3f2504e04f8911d39a0c0305e82c3301}", "3f2504e0-4f89-11d3-9a0c-0305e82c330g"} {
		if _, err := KeyBytes(bad); err == nil {
			t.Errorf("KeyBytes(%q) accepted a key that is not a GUID", bad)
		}
	}
}

func TestFormatAmountWritesTwoDecimalsWithADot(t *testing.T) {
	cases := map[string]string{"154": "154.00", "217.5": "217.50", "0.1": "0.10", "1234567.89": "1234567.89",
		"2.675": "2.68", "1.005": "1.01", "-2.675": "-2.68", "1e3": "1000.00", "9999999.99": "9999999.99"}
	for in, want := range cases {
		if got, err := FormatAmount(in); err != nil || got != want {
			t.Errorf("FormatAmount(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	for _, bad := range []string{"", "1,50", "abc", "1/3", "0x10", "1e99999"} {
		if _, err := FormatAmount(bad); err == nil {
			t.Errorf("FormatAmount(%q) accepted something that is not a decimal number", bad)
		}
	}
}
