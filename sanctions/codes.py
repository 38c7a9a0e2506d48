"""What users type -> the vocabulary's code: one case rule, names and aliases, did-you-mean.

The rule for every vocabulary: codes match whatever their case (`by` is BY, `Seafood` is
seafood). Authorities also match their names, their aliases from authorities.yaml ('UK' for GB)
and any country name or code that pycountry knows ('Belarus', 'BLR'), when the dataset has that
country. A sector synonym ('oil') is not taken for the sector: it is suggested, since the sector
('energy') is wider than the word. Used by the query filters and by `validate` alike.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass, field


class UnknownCode(ValueError):
    """`value` is not in the vocabulary; `hint` suggests what to write instead."""

    def __init__(self, value: str, hint: str):
        super().__init__(f"unknown value '{value}'")
        self.value = value
        self.hint = hint


@dataclass
class Lookup:
    """One vocabulary: its codes, and the other names that stand for (or suggest) them."""

    label: str
    codes: list[str]
    #: name or alias (any case) -> code; these resolve.
    names: dict[str, str] = field(default_factory=dict)
    #: synonym (any case) -> code; these are only suggested.
    synonyms: dict[str, str] = field(default_factory=dict)
    countries: bool = False

    def __post_init__(self) -> None:
        self._folded = {c.casefold(): c for c in self.codes}
        self._names = {k.casefold(): v for k, v in self.names.items()}
        self._synonyms = {k.casefold(): v for k, v in self.synonyms.items()}

    def resolve(self, text: str) -> str:
        key = text.strip().casefold()
        found = self._folded.get(key) or self._names.get(key)
        if found:
            return found
        if self.countries:
            found = country_code(text)
            if found in self.codes:
                return found
            if found:
                raise UnknownCode(text, f"'{text}' is {found}, which this dataset does not list")
        raise UnknownCode(text, self.hint(text))

    def hint(self, text: str) -> str:
        key = text.strip().casefold()
        if key in self._synonyms:
            code = self._synonyms[key]
            return f"'{text}' is part of {self.label} '{code}': use --{self.label} {code}"
        options = {**{k: v for k, v in self._names.items()}, **self._synonyms, **self._folded}
        close = difflib.get_close_matches(key, list(options), n=3, cutoff=0.6)
        suggestions = list(dict.fromkeys(options[c] for c in close))
        if suggestions:
            return "did you mean " + " or ".join(f"'{s}'" for s in suggestions) + "?"
        if len(self.codes) <= 40:
            return "valid values: " + ", ".join(self.codes)
        return f"{len(self.codes)} values; list them with `sanctions sql`"


def vocabulary_lookups(authorities: dict, sectors: dict) -> tuple[Lookup, Lookup]:
    """The two vocabulary files' records as users type them: names, aliases, country names,
    sector synonyms (for the checks, and for `new`; the query layer reads the same from the
    database)."""
    return (Lookup("authority", list(authorities),
                   names={**{a.name: c for c, a in authorities.items()},
                          **{alias: c for c, a in authorities.items() for alias in a.aliases}},
                   countries=True),
            Lookup("sector", list(sectors), names={s.name: c for c, s in sectors.items()},
                   synonyms={w: c for c, s in sectors.items() for w in s.synonyms}))


def country_code(text: str) -> str | None:
    """The ISO alpha-2 code of a country name or code, from pycountry's ISO 3166 data."""
    import pycountry  # only when a name is not a known code or alias

    try:
        return pycountry.countries.lookup(text.strip()).alpha_2
    except LookupError:
        return None

