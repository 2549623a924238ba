"""``mockbank proxy``: a diagnosing proxy between an ERP client and the real bank.

It forwards every request unchanged and returns the bank's answer unchanged; on the way it checks the
request's signature with mockbank's verifier (:mod:`.signature`), keeps a journal (:mod:`.journal`),
compares the bank's answers with mockbank's schemas (:mod:`.drift`) and, if asked, writes an
anonymised recording (:mod:`.recording`, :mod:`.anonymise`) that can become a fixture file.
"""
