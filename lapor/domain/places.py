"""The region's places: kabupaten/kota and their kecamatan, matched the way people type them."""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass, field


def _fold(name: str) -> str:
    """A key that ignores case, accents, repeated spaces and the Kabupaten/Kota prefix."""
    text = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode().lower()
    return " ".join(text.replace("-", " ").split())


@dataclass
class Regency:
    code: str
    name: str
    districts: dict[str, str] = field(default_factory=dict)  # folded name -> name


@dataclass
class Gazetteer:
    """The kabupaten/kota of the region and their kecamatan, looked up leniently."""

    province: str
    regencies: dict[str, Regency]  # folded name -> regency

    @classmethod
    def from_dict(cls, data: dict) -> Gazetteer:
        """The gazetteer a region's wilayah.yaml describes."""
        regencies: dict[str, Regency] = {}
        for row in data.get("regencies") or []:
            regency = Regency(str(row["code"]), row["name"])
            for district in row.get("districts") or []:
                for spelling in [district["name"], *district.get("aliases", [])]:
                    regency.districts[_fold(spelling)] = district["name"]
            regencies[_fold(regency.name)] = regency
            short = _fold(regency.name.removeprefix("Kabupaten ").removeprefix("Kota "))
            regencies.setdefault(short, regency)
        return cls(province=(data.get("province") or {}).get("name", ""), regencies=regencies)

    def regency(self, name: str) -> Regency | None:
        """The regency a typed name means ("kapuas", "Kab. Kapuas", "Kabupaten Kapuas")."""
        folded = _fold(name)
        for prefix in ("kabupaten ", "kab. ", "kab ", "kota "):
            if folded.startswith(prefix) and folded not in self.regencies:
                folded = folded[len(prefix) :]
        return self.regencies.get(folded)

    def district(self, regency: Regency, name: str) -> str | None:
        """The canonical kecamatan name within a regency, or None."""
        folded = _fold(name)
        return regency.districts.get(folded) or regency.districts.get(
            folded.removeprefix("kecamatan ").removeprefix("kec. ").removeprefix("kec ")
        )

    def all_regencies(self) -> list[Regency]:
        """Each regency once, in the order of the file."""
        unique: dict[str, Regency] = {}
        for regency in self.regencies.values():
            unique.setdefault(regency.code, regency)
        return list(unique.values())
