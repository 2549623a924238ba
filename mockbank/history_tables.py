"""The tables the statement history generator draws from: counterparties, texts, fees and codes.

Amounts are DKK; they are converted to the account's currency at the bank's rates (:mod:`mockbank.money`).
"""

from __future__ import annotations

from decimal import Decimal

#: The overdraft every account may use at least, in DKK (see balance_floor).
MIN_OVERDRAFT_DKK = Decimal("10000")

#: ISO 20022 subFamily of a plain credit transfer by currency (others: cross-border, XBCT).
TRANSFER_CODES = {"DKK": "DMCT", "EUR": "ESCT"}

#: ISO 20022 bank transaction codes by (kind, direction); "DMCT" becomes the currency's code.
TRANSACTION_CODES: dict[tuple[str, str], tuple[str, str, str]] = {
    ("Transfer", "out"): ("PMNT", "ICDT", "DMCT"),
    ("Transfer", "in"): ("PMNT", "RCDT", "DMCT"),
    ("FIK", "in"): ("PMNT", "RCDT", "DMCT"),
    ("Card", "out"): ("PMNT", "CCRD", "POSD"),
    ("DirectDebit", "out"): ("PMNT", "RDDT", "PMDD"),
    ("Salary", "out"): ("PMNT", "ICDT", "SALA"),
    ("Fee", "out"): ("ACMT", "MDOP", "CHRG"),
    ("Interest", "in"): ("ACMT", "MDOP", "INTR"),
    ("Interest", "out"): ("ACMT", "MDOP", "INTR"),
}

#: Kinds whose outgoing amount may be reduced to stay above the floor (the rest are dropped).
SHRINKABLE = frozenset({"Transfer", "Salary"})

MONTHS = ("januar", "februar", "marts", "april", "maj", "juni", "juli", "august", "september",
           "oktober", "november", "december")

#: Danish registration numbers used for invented counterparty accounts.
REG_NUMBERS = ("0400", "1551", "2191", "3409", "4180", "5301", "6520", "7044", "7858", "9570")

#: Shapes of foreign IBANs: country -> (possible alphabetic bank codes, digits after them).
IBAN_SHAPES: dict[str, tuple[tuple[str, ...], int]] = {
    "DE": ((), 18),
    "NL": (("ABNA", "INGB", "RABO"), 10),
    "SE": ((), 20),
    "FI": ((), 14),
    "NO": ((), 11),
    "PL": ((), 24),
}

DK_CUSTOMERS = (
    "Jensen ApS", "Møller & Søn A/S", "Bageriet Æblehaven", "Østergaard VVS ApS",
    "Hansen Rengøring I/S", "Købmand Sørensen", "Nørrebro Cykler ApS", "Aarhus Blomsterhandel",
    "Læsø Fisk A/S", "Frederiksberg Tømrerfirma", "Vestjysk Maskinstation", "Café Åkanden",
    "Skovgaard Arkitekter", "Brødrene Krøyer ApS", "Fjordens Bådeværft", "Ålholm Auto ApS",
)
DK_SUPPLIERS = (
    "Nordjysk Grossist A/S", "Fyns Emballage ApS", "Sjællands Kaffe & Te",
    "Dansk Kontorforsyning", "Tømmerhandel Øst ApS", "Kjærgaard Revision",
    "Fragtmanden Sønderjylland", "Aalborg Værktøj ApS", "IT-Huset Brænderup",
    "Rengøringscentralen Køge",
)
DK_LANDLORDS = (
    "Ejendomsselskabet Nørrebro ApS", "Boligselskabet Søparken", "Erhvervsejendomme Vejle A/S",
    "Holm & Holm Ejendomme",
)
#: Betalingsservice creditors: (name, lowest and highest monthly amount).
DK_DIRECT_DEBITS = (
    ("Ørsted Salg & Service", 900, 3200), ("TDC Erhverv", 350, 900), ("Tryg Forsikring", 600, 2200),
    ("Norlys", 300, 800), ("HOFOR Vand", 200, 700), ("e-conomic", 200, 650),
    ("Telia Danmark", 250, 700),
)
#: Card merchants: (name, lowest and highest purchase).
DK_MERCHANTS = (
    ("Netto", 35, 650), ("Føtex", 60, 1200), ("Circle K", 250, 1100), ("Q8", 250, 1000),
    ("Bauhaus", 150, 4500), ("Silvan", 120, 3000), ("Harald Nyborg", 80, 2500),
    ("Bilka", 100, 2500),
    ("7-Eleven", 25, 180), ("Matas", 40, 500), ("Elgiganten", 300, 8000), ("DSB", 40, 900),
    ("Søstrene Grene", 30, 400), ("Jensens Bøfhus", 250, 1800),
)
DK_CARD_TEXTS = ("Dankort-nota {merchant} {store}", "Dankort-nota {merchant} {store}",
                  "Visa køb {merchant} {store}", "MasterCard {merchant} {store}")
DK_FEES = (("Gebyr ekspresoverførsel", 15, 35), ("Gebyr kontoudskrift", 25, 50),
            ("Gebyr rykker", 100, 100))

EU_CUSTOMERS = (
    ("Müller Handels GmbH", "DE"), ("Van den Berg B.V.", "NL"), ("Svensson & Dotter AB", "SE"),
    ("Oy Kalevala Trading", "FI"), ("Nordvik AS", "NO"), ("Kowalski Sp. z o.o.", "PL"),
    ("Schröder Logistik GmbH", "DE"), ("Åkesson Design AB", "SE"),
)
EU_SUPPLIERS = (
    ("Bäckerei-Technik Weiß GmbH", "DE"), ("Holland Verpakking B.V.", "NL"),
    ("Göteborgs Stål AB", "SE"), ("Zielona Drukarnia Sp. z o.o.", "PL"),
    ("Brandt Maschinenbau GmbH", "DE"), ("Lindqvist Trä AB", "SE"),
)
EU_MERCHANTS = (
    ("Lufthansa", 900, 6000), ("SAS", 700, 4500), ("Booking.com", 700, 5000),
    ("Amazon EU", 100, 2500), ("Shell Hamburg", 300, 900), ("Autogrill Milano", 60, 300),
    ("Scandic Malmö", 900, 2400), ("Hertz Berlin", 600, 3500),
)
EU_CARD_TEXTS = ("Visa køb {merchant}", "MasterCard {merchant}")
EU_FEES = (("Gebyr udlandsoverførsel", 25, 75), ("Gebyr valutaveksling", 20, 60))
