package main

import (
	"errors"
	"net/url"
	"sort"

	"example.com/bankintegration/internal/wire"
)

// operations maps each op of the protocol to the API call it makes. Wrapping your own client?
// Make these functions call it and return the body it received, with the API's field names.
var operations = map[string]func(request) (any, error){
	"pay": func(r request) (any, error) {
		list, _ := r.Params["transactions"].([]any)
		if len(list) == 0 {
			return nil, errors.New("params.transactions must be a non-empty list")
		}
		transactions, err := wire.Transactions("params.transactions", list)
		if err != nil {
			return nil, err
		}
		// The transactions go out exactly as given (every field, numbers as written).
		body := given(r.Params, "requestId", "transactions", "options")
		return send(r, call{method: "POST", path: "/payment", body: body, transactions: transactions})
	},
	"status": func(r request) (any, error) {
		return send(r, call{method: "POST", path: "/status", body: given(r.Params, "requestId", "paymentIds")})
	},
	"payment": func(r request) (any, error) {
		path := "/payment/" + url.PathEscape(wire.Text(r.Params["transId"]))
		return send(r, call{method: "GET", path: path, query: query(r.Params, "requestId")})
	},
	"statement": func(r request) (any, error) {
		return send(r, call{method: "GET", path: "/report/account", query: query(r.Params, "requestId", "type", "from", "to")})
	},
	"balance": func(r request) (any, error) {
		return send(r, call{method: "GET", path: "/report/balance", query: query(r.Params, "requestId", "type", "from", "to")})
	},
	"cancel": func(r request) (any, error) {
		body := map[string]any{"requestId": r.Params["requestId"], "paymentIds": r.Params["paymentIds"]}
		return send(r, call{method: "POST", path: "/payment/cancel", body: body})
	},
}

// operationNames lists the ops this adapter supports (the answer to "hello").
func operationNames() []string {
	names := make([]string, 0, len(operations))
	for name := range operations {
		names = append(names, name)
	}
	sort.Strings(names)
	return names
}

// given copies the named params that are present and not null.
func given(params map[string]any, names ...string) map[string]any {
	picked := map[string]any{}
	for _, name := range names {
		if value, ok := params[name]; ok && value != nil {
			picked[name] = value
		}
	}
	return picked
}

// query is the query string of the named params that are present and not null.
func query(params map[string]any, names ...string) url.Values {
	values := url.Values{}
	for name, value := range given(params, names...) {
		values.Set(name, wire.Text(value))
	}
	return values
}
