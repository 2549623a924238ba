"""The answers of the API documentation (spec §4-§6), as canned bodies for the client's and the adapter's tests."""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

PAYMENT_RESPONSE = """{
  "account": "52470021527478", "requestId": "REQ_01", "time": "2015-04-14T11:30:01+02:00",
  "answers": [
    { "transId": "254778516", "paymentId": "PAY_01", "endToEndId": "72F0A84C17424C7EB2C71E88A4551395", "status": 2,
      "info": { "text": "Tekst på mit kontoudtog", "instructed": { "amount": 154.0, "currency": "DKK" } } },
    { "transId": "254778516", "paymentId": "PAY_02", "endToEndId": "9D7D35DCAACC41BDB018D0624CD87340", "status": 2,
      "info": { "text": "Anden tekst på kontoudtog", "instructed": { "amount": 217.5, "currency": "DKK" } } }
  ]
}"""

STATUS_RESPONSE = """{
  "account": "52470021527478", "requestId": "REQ_01", "time": "2015-05-21T12:45:23+02:00",
  "answers": [
    { "transId": "254778516", "paymentId": "PAY_0122457", "endToEndId": "72F0A84C17424C7EB2C71E88A4551395",
      "status": 2,
      "info": { "text": "Inv. 012254 - Otto Hansen", "instructed": { "amount": 145.7, "currency": "DKK" } } },
    { "transId": "254778516", "paymentId": "PAY_9985424", "endToEndId": "9D7D35DCAACC41BDB018D0624CD87340",
      "status": 4,
      "info": { "text": "Faktura 259", "instructed": { "amount": 1754.1, "currency": "DKK" } } },
    { "transId": "254457881", "paymentId": "PAY_9775424", "endToEndId": "9D7D547AACB44578DB08D0624CD87340",
      "status": 8,
      "info": { "text": "Faktura 114", "instructed": { "amount": 100, "currency": "EUR" },
                "transacted": { "amount": 744.12, "currency": "DKK" } } },
    { "transId": "254778516", "paymentId": "PAY_1245889", "endToEndId": "CBE958F3813C4B8C9F6DA01E25E85B1F",
      "status": 16,
      "errors": [ { "code": "AC03", "text": "Beneficiary's account number n…" } ] }
  ]
}"""

STATEMENT_SIMPLE = """{
  "account": "52470021527478", "requestId": "REQ_01", "created": "2015-05-21T12:45:23+02:00",
  "currency": "DKK", "name": "Driftkonto", "bic": "DABADKKK",
  "owner": { "id": "12457889", "name": "Bennys Pølsebar", "address": "Havnen 85", "postalCode": "9210",
             "city": "Aalborg SV", "country": "DK" },
  "from": "2005-10-15T00:00:00", "to": "2005-10-20T00:00:00",
  "entries": [
    { "id": "778812", "sequence": 1045,
      "date": { "booking": "2005-10-17T00:00:00", "value": "2005-10-17T00:00:00" },
      "amount": -154.0, "balance": 25263.0,
      "type": "Transfer", "text": "Tekst på mit kontoudtog",
      "creditorText": "På modtagers kontoudtog", "creditorMessage": "Faktura 114",
      "endToEndId": "72F0A84C17424C7EB2C71E88A4551395",
      "transactionCodes": { "domain": "PMNT", "family": "ICDT", "subFamily": "DMCT" },
      "creditor": { "id": "", "name": "BankIntegration ApS" } },
    { "id": "778813", "sequence": 1046,
      "date": { "booking": "2005-10-18T00:00:00", "value": "2005-10-19T00:00:00" },
      "amount": 1754.1, "balance": 27017.1, "type": "Transfer", "text": "Faktura 259",
      "debtorText": "Otto Hansen", "debtorMessage": "Faktura 259 betalt" }
  ]
}"""

STATEMENT_FULL = """{
  "account": "52470021527478", "requestId": "REQ_01", "created": "2015-05-21T12:45:23+02:00",
  "currency": "DKK", "name": "Driftkonto", "bic": "DABADKKK",
  "from": "2005-10-15T00:00:00", "to": "2005-10-20T00:00:00",
  "entries": [
    { "id": "778812", "date": { "booking": "2005-10-17T00:00:00", "value": "2005-10-17T00:00:00" },
      "type": "Transfer", "text": "Tekst på mit kontoudtog",
      "amounts": { "amount": -154.0, "balance": 25263.0, "currency": "DKK" },
      "advis": ["Faktura 114", "Tak for handlen"] }
  ]
}"""

BALANCE_RESPONSE = """{
  "account": "52470021527478", "requestId": "REQ_01", "created": "2015-05-21T12:45:23+02:00",
  "currency": "DKK", "name": "Driftkonto", "bic": "DABADKKK", "from": "2015-05-20", "to": "2015-05-21",
  "entries": [
    { "date": "2015-05-20", "amount": 25417.0,  "type": 1 },
    { "date": "2015-05-20", "amount": 28001.75, "type": 2 },
    { "date": "2015-05-21", "amount": 28001.75, "type": 1 }
  ]
}"""

CANCEL_RESPONSE = """{
  "account": "52470021527478", "requestId": "REQ_01", "time": "2015-05-21T12:45:23+02:00",
  "answers": [
    { "transId": "254778516", "paymentId": "PAY_0122457",
      "endToEndId": "72F0A84C17424C7EB2C71E88A4551395", "status": 256 }
  ]
}"""


def doc(text: str, request_id: str = "REQ_01") -> Any:
    """A canned response as the client parses it, with its requestId set."""
    return {**json.loads(text, parse_float=Decimal), "requestId": request_id}
