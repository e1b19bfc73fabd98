"""Money in minor units and the ISO 4217 currencies the hub accepts."""

from __future__ import annotations

from dataclasses import dataclass

# ISO 4217 active codes and their minor units (exponent). Codes not listed have 2.
_ZERO_DECIMAL = "BIF CLP DJF GNF ISK JPY KMF KRW PYG RWF UGX UYI VND VUV XAF XOF XPF"
_THREE_DECIMAL = "BHD IQD JOD KWD LYD OMR TND"
_FOUR_DECIMAL = "CLF UYW"
_TWO_DECIMAL = (
    "AED AFN ALL AMD ANG AOA ARS AUD AWG AZN BAM BBD BDT BGN BMD BND BOB BOV BRL BSD BTN "
    "BWP BYN BZD CAD CDF CHE CHF CHW CNY COP COU CRC CUC CUP CVE CZK DKK DOP DZD EGP ERN "
    "ETB EUR FJD FKP GBP GEL GHS GIP GMD GTQ GYD HKD HNL HTG HUF IDR ILS INR IRR JMD KES "
    "KGS KHR KPW KYD KZT LAK LBP LKR LRD LSL MAD MDL MGA MKD MMK MNT MOP MRU MUR MVR MWK "
    "MXN MXV MYR MZN NAD NGN NIO NOK NPR NZD PAB PEN PGK PHP PKR PLN QAR RON RSD RUB SAR "
    "SBD SCR SDG SEK SGD SHP SLE SLL SOS SRD SSP STN SVC SYP SZL THB TJS TMT TOP TRY TTD "
    "TWD TZS UAH USD USN UYU UZS VED VES WST XCD XCG YER ZAR ZMW ZWG ZWL"
)

MINOR_UNITS: dict[str, int] = {
    **dict.fromkeys(_TWO_DECIMAL.split(), 2),
    **dict.fromkeys(_ZERO_DECIMAL.split(), 0),
    **dict.fromkeys(_THREE_DECIMAL.split(), 3),
    **dict.fromkeys(_FOUR_DECIMAL.split(), 4),
}

# GraphQL Int is a signed 32-bit integer; amounts are bounded by it on the wire.
MAX_AMOUNT_MINOR = 2**31 - 1


def is_currency(code: str) -> bool:
    """True for an active ISO 4217 alphabetic code (upper case)."""
    return code in MINOR_UNITS


@dataclass(frozen=True, slots=True)
class Money:
    """An amount in the currency's minor units (cents, öre, yen)."""

    amount_minor: int
    currency: str

    def __add__(self, other: Money) -> Money:
        if other.currency != self.currency:
            raise ValueError(f"cannot add {other.currency} to {self.currency}")
        return Money(self.amount_minor + other.amount_minor, self.currency)
