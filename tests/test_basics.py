"""Tracking codes, settings, region data and file rules: the small pure pieces."""

from __future__ import annotations

from pathlib import Path

import pytest

from lapor.domain import tracking
from lapor.domain.files import JPEG, PDF, PNG, WEBP, safe_filename, sniff
from lapor.infra.region import RegionDataError, gazetteer_for, load_registry, registry_for
from lapor.infra.settings import Settings, SettingsError


def test_tracking_codes_avoid_confusable_symbols_and_do_not_repeat():
    codes = {tracking.new_code() for _ in range(5000)}
    assert len(codes) == 5000
    assert all(len(c) == 10 and not set(c) & set("01OI") for c in codes)


@pytest.mark.parametrize("typed", ["abcde-fghjk", " ABCDE FGHJK ", "abcdefghjk"])
def test_typed_codes_are_normalised(typed):
    assert tracking.normalize(typed) == "ABCDEFGHJK"


@pytest.mark.parametrize("typed", ["", "ABCDEFGHJ", "ABCDEFGHJKL", "ABCDEFGHI0", "<script>"])
def test_malformed_codes_are_refused(typed):
    assert tracking.normalize(typed) is None


def test_display_groups_the_code():
    assert tracking.display("ABCDEFGHJK") == "ABCDE-FGHJK"


def test_settings_refuse_production_without_a_secret(tmp_path):
    env = {"LAPOR_ENV": "production", "LAPOR_DATA_DIR": str(tmp_path)}
    with pytest.raises(SettingsError, match="LAPOR_SECRET_KEY"):
        Settings.from_env(env)
    assert Settings.from_env({**env, "LAPOR_SECRET_KEY": "s" * 40}).secret_key == "s" * 40


def test_development_secret_is_generated_once_and_kept(tmp_path):
    env = {"LAPOR_DATA_DIR": str(tmp_path)}
    first, second = Settings.from_env(env), Settings.from_env(env)
    assert first.secret_key and first.secret_key == second.secret_key
    assert (tmp_path / "secret_key").stat().st_mode & 0o077 == 0


def test_settings_defaults_and_drivers(tmp_path):
    settings = Settings.from_env(
        {"LAPOR_DATA_DIR": str(tmp_path), "LAPOR_DATABASE_URL": "postgresql://u@h/db"}
    )
    assert settings.database_url == "postgresql+psycopg://u@h/db"
    assert settings.uses_embedded_redis and settings.timezone == "Asia/Jakarta"
    assert Settings.from_env({"LAPOR_DATA_DIR": str(tmp_path)}).database_url == (
        f"sqlite:///{tmp_path / 'lapor.infra.db'}"
    )
    with pytest.raises(SettingsError):
        Settings.from_env({"LAPOR_DATA_DIR": str(tmp_path), "LAPOR_TIMEZONE": "Mars/Olympus"})


def test_the_kalteng_registry_has_its_chain_up_to_the_governor():
    registry = registry_for("kalteng")
    by_code = {a.code: a for a in registry.agencies}
    assert by_code["GUB"].parent is None
    for code in ("DINSOS", "DINKES", "PUPR", "BAPENDA", "SATPOLPP", "RSUD-DORIS"):
        chain, current = [], by_code[code]
        while current.parent:
            chain.append(current.parent)
            current = by_code[current.parent]
        assert chain[-1] == "GUB", code
    samsat = [a for a in registry.agencies if a.code.startswith("SAMSAT-")]
    assert len(samsat) == 14 and {a.parent for a in samsat} == {"BAPENDA"}
    assert by_code["PLN"].kind == "external"


def test_registry_files_that_contradict_themselves_are_refused(tmp_path: Path):
    path = tmp_path / "agencies.yaml"
    path.write_text("agencies:\n  - {code: AA, name: Dinas A, kind: dinas, parent: BB}\n")
    with pytest.raises(RegionDataError, match="induk"):
        load_registry(path)
    path.write_text(
        "agencies:\n  - {code: AA, name: Gubernur A, kind: pimpinan}\n"
        "  - {code: AA, name: Gubernur B, kind: pimpinan}\n"
    )
    with pytest.raises(RegionDataError, match="ganda"):
        load_registry(path)
    path.write_text("agencies:\n  - {code: A, name: A, kind: kementerian}\n")
    with pytest.raises(RegionDataError, match="OPD 'A': code: .*; name: .*; kind: "):
        load_registry(path)


def test_the_gazetteer_knows_every_regency_and_is_lenient_about_spelling():
    gazetteer = gazetteer_for("kalteng")
    regencies = gazetteer.all_regencies()
    assert len(regencies) == 14
    assert sum(len(set(r.districts.values())) for r in regencies) == 136
    kota = gazetteer.regency("Kota Palangka Raya")
    assert gazetteer.regency("palangka  raya") is kota
    assert gazetteer.regency("Kab. Kapuas").name == "Kabupaten Kapuas"
    assert gazetteer.district(kota, "sebangau") == "Sabangau"
    assert gazetteer.district(kota, "Kecamatan Jekan Raya") == "Jekan Raya"
    assert gazetteer.regency("Surabaya") is None


@pytest.mark.parametrize(
    ("content", "kind"),
    [
        (b"\xff\xd8\xff\xe0rest", JPEG),
        (b"\x89PNG\r\n\x1a\nrest", PNG),
        (b"RIFF\x00\x00\x00\x00WEBPVP8 ", WEBP),
        (b"%PDF-1.4 rest", PDF),
        (b"<html><script>", None),
        (b"MZ\x90\x00", None),
        (b"GIF89a", None),
    ],
)
def test_files_are_judged_by_content(content, kind):
    assert sniff(content) == kind


@pytest.mark.parametrize(
    ("raw", "safe"),
    [
        ("../../x", "x.jpg"),
        ("..\\..\\windows\\evil.exe", "evil.jpg"),
        ("foto <jalan>;rm.png", "foto _jalan_rm.jpg"),
        ("", "lampiran.jpg"),
        ("...", "lampiran.jpg"),
    ],
)
def test_filenames_lose_paths_and_take_the_real_extension(raw, safe):
    assert safe_filename(raw, JPEG) == safe
