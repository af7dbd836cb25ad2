"""The region's places: kabupaten/kota and their kecamatan, matched the way people type them,
found from a point on the map, and a point made coarse enough to publish."""

from __future__ import annotations

import math
import unicodedata
from dataclasses import dataclass, field

Point = tuple[float, float]  # (lat, lon) in degrees
# The largest kecamatan of Kalimantan Tengah reach some 80 km from their centre point.
NEAR_KM = 100.0
EARTH_RADIUS_KM = 6371.0


def _fold(name: str) -> str:
    """A key that ignores case, accents, repeated spaces and the Kabupaten/Kota prefix."""
    text = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode().lower()
    return " ".join(text.replace("-", " ").split())


@dataclass
class Regency:
    code: str
    name: str
    districts: dict[str, str] = field(default_factory=dict)  # folded name -> name
    centre: Point | None = None
    district_centres: dict[str, Point] = field(default_factory=dict)  # name -> centre


@dataclass(frozen=True)
class Nearest:
    """The regency and kecamatan a point is probably in, and how far their centre is."""

    regency: Regency
    district: str
    km: float


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
            regency = Regency(str(row["code"]), row["name"], centre=_centre(row))
            for district in row.get("districts") or []:
                for spelling in [district["name"], *district.get("aliases", [])]:
                    regency.districts[_fold(spelling)] = district["name"]
                if (centre := _centre(district)) is not None:
                    regency.district_centres[district["name"]] = centre
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

    def nearest(self, lat: float, lon: float, *, within_km: float = NEAR_KM) -> Nearest | None:
        """The kecamatan whose centre is nearest the point, and its regency; None when no
        centre is within `within_km` (the point is outside the region)."""
        candidates = [
            Nearest(regency, name, distance_km((lat, lon), centre))
            for regency in self.all_regencies()
            for name, centre in regency.district_centres.items()
        ]
        best = min(candidates, key=lambda c: c.km, default=None)
        return best if best is not None and best.km <= within_km else None


def _centre(row: dict) -> Point | None:
    lat, lon = row.get("lat"), row.get("lon")
    return None if lat is None or lon is None else (float(lat), float(lon))


def distance_km(a: Point, b: Point) -> float:
    """The great-circle distance between two points (haversine)."""
    lat1, lon1, lat2, lon2 = map(math.radians, (*a, *b))
    h = math.sin((lat2 - lat1) / 2) ** 2
    h += math.cos(lat1) * math.cos(lat2) * math.sin((lon2 - lon1) / 2) ** 2
    return 2 * EARTH_RADIUS_KM * math.asin(math.sqrt(h))


# A published point is the centre of the grid cell the complaint lies in: about 1.1 km
# across for an ordinary complaint (the neighbourhood, not the house), about 5.5 km for an
# anonymous one (only the village or part of town), since the spot may be the reporter's home.
PUBLIC_GRID = 0.01
ANONYMOUS_GRID = 0.05


def public_point(lat: float, lon: float, *, anonymous: bool) -> Point:
    """Where the public map may show a complaint: the centre of its cell in a fixed grid, so
    the point tells only the cell, however precise the stored one is."""
    grid = ANONYMOUS_GRID if anonymous else PUBLIC_GRID
    return _cell_centre(lat, grid), _cell_centre(lon, grid)


def _cell_centre(value: float, grid: float) -> float:
    # Integer cell numbers, so that float noise cannot move a point into the next cell.
    cell = math.floor(round(value / grid, 9))
    return round((cell + 0.5) * grid, 6)
