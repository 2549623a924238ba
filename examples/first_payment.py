"""A first payment with the reference client. Run it twice: the second run meets the duplicate check (DUPL)."""

import os
import sys
from decimal import Decimal

from mockbank.client import BankIntegrationClient, PaymentStatus
from mockbank.signing import Credentials

URL = os.environ.get("MOCKBANK_URL", "http://127.0.0.1:8080")
creds = Credentials("MockERP", "d396c3a8-6981-4b48-9d9c-1649fd768e0c", "52470004471238", "Demo-Drift-2026")
with BankIntegrationClient(URL, creds) as bank:
    sent = bank.pay([{"paymentId": "PAY_0001", "paymentDate": "2026-11-24", "amount": Decimal("1250.00"),
                      "currency": "DKK", "account": "80790000820049", "creditor": {"name": "Bennys Pølsebar"},
                      "text": "Faktura 4711"}], options={"moveToNextBankDate": True})
    answer = sent.answers[0]
    if answer.status in (PaymentStatus.FAILED, PaymentStatus.REJECTED):  # e.g. the second run: 32 DUPL
        sys.exit(f"PAY_0001 not accepted: status {int(answer.status)}, "
                 + "; ".join(f"{error.code} {error.text}" for error in answer.errors))
    final = bank.wait_for_final(["PAY_0001"])          # 1 -> 2 -> 4 -> 8, one step per status read
    print(repr(final.answers[0].status))                # <PaymentStatus.SUCCEEDED: 8>
    # Today's statement, the payment booked last (after the day's cut-off, 18:30 Danish time, the bank books it
    # on the next bank day: it shows on that day's statement).
    for entry in bank.statement().entries[-3:]:
        print(entry.booking, entry.amount, entry.balance, entry.text)
