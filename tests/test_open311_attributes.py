"""Open311 service definitions: attributes listed with the spec's names, `attribute[code]`
values checked, stored on the complaint and shown to staff."""

from __future__ import annotations

import dataclasses
import shutil
from datetime import UTC, datetime
from xml.etree import ElementTree

import pytest
from sqlmodel import Session, select

from lapor import create_app
from lapor.domain import service_attributes
from lapor.domain.service_attributes import DefinitionError, InvalidAttributes
from lapor.infra import db, region
from lapor.services import accounts
from models import Complaint, Role

from support import STAFF_PASSWORD, signed_in

BASE = "/open311/v2"
ROAD = {
    "service_code": "PUPR",
    "lat": "-2.21",
    "long": "113.91",
    "description": "Jembatan kayu di desa kami rusak dan berbahaya",
}


@pytest.fixture
def app(settings):
    app = create_app(settings)
    app.config.update(TESTING=True, WTF_CSRF_ENABLED=False)
    return app


@pytest.fixture
def strict_client(settings, tmp_path):
    """A client of a region like kalteng whose road severity is required."""
    folder = tmp_path / "ketat"
    shutil.copytree(region.region_dir("kalteng"), folder)
    text = (folder / "open311.yaml").read_text(encoding="utf-8")
    strict = text.replace("required: false", "required: true", 1)
    assert strict != text
    (folder / "open311.yaml").write_text(strict, encoding="utf-8")
    app = create_app(dataclasses.replace(settings, region=str(folder)))
    app.config.update(TESTING=True)
    return app.test_client()


def answer(response, fmt: str):
    """The body as JSON, or as ElementTree for XML."""
    if fmt == "json":
        return response.get_json()
    assert response.mimetype == "text/xml", response.get_data(as_text=True)
    return ElementTree.fromstring(response.get_data())


def error_text(response, fmt: str) -> str:
    body = answer(response, fmt)
    if fmt == "json":
        [error] = body
        assert error["code"] == response.status_code
        return error["description"]
    assert body.tag == "errors" and body.findtext("error/code") == str(response.status_code)
    return body.findtext("error/description")


def test_definition_in_json_with_the_specs_names(client):
    definition = client.get(f"{BASE}/services/PUPR.json").get_json()
    assert definition["service_code"] == "PUPR"
    severity, thing = definition["attributes"]
    assert severity == {
        "variable": True,
        "code": "severity",
        "datatype": "singlevaluelist",
        "required": False,
        "datatype_description": "Pilih satu tingkat kerusakan.",
        "order": 1,
        "description": "Tingkat kerusakan",
        "values": [
            {"key": "ringan", "name": "Ringan"},
            {"key": "sedang", "name": "Sedang"},
            {"key": "berat", "name": "Berat"},
            {"key": "membahayakan_jiwa", "name": "Membahayakan jiwa"},
        ],
    }
    assert thing["code"] == "object" and thing["required"] is False
    [facility] = client.get(f"{BASE}/services/DINKES.json").get_json()["attributes"]
    assert facility["datatype"] == "string" and "values" not in facility
    assert client.get(f"{BASE}/services/DISHUB.json").get_json() == {
        "service_code": "DISHUB",
        "attributes": [],
    }


def test_definition_in_xml_with_the_specs_elements(client):
    root = answer(client.get(f"{BASE}/services/PUPR.xml"), "xml")
    assert root.tag == "service_definition" and root.findtext("service_code") == "PUPR"
    attributes = root.findall("attributes/attribute")
    assert [a.findtext("code") for a in attributes] == ["severity", "object"]
    severity = attributes[0]
    assert {child.tag for child in severity} == {
        "variable",
        "code",
        "datatype",
        "required",
        "datatype_description",
        "order",
        "description",
        "values",
    }
    assert severity.findtext("variable") == "true" and severity.findtext("required") == "false"
    assert severity.findtext("datatype") == "singlevaluelist"
    values = [(v.findtext("key"), v.findtext("name")) for v in severity.findall("values/value")]
    assert values[2] == ("berat", "Berat") and len(values) == 4
    assert attributes[1].findtext("required") == "false"


@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_metadata_flags_the_services_with_a_definition(client, fmt):
    body = answer(client.get(f"{BASE}/services.{fmt}"), fmt)
    if fmt == "json":
        flags = {s["service_code"]: s["metadata"] for s in body}
    else:
        flags = {
            s.findtext("service_code"): s.findtext("metadata") == "true"
            for s in body.findall("service")
        }
    assert flags["PUPR"] is True and flags["DINKES"] is True
    assert flags["DISHUB"] is False and flags["UMUM"] is False


@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_valid_attributes_are_stored_and_shown_to_staff(app, client, settings, fmt):
    sent = {**ROAD, "attribute[severity]": "berat", "attribute[object]": "jembatan"}
    response = client.post(f"{BASE}/requests.{fmt}", data=sent)
    assert response.status_code == 201, response.get_data(as_text=True)
    body = answer(response, fmt)
    code = (
        body[0]["service_request_id"]
        if fmt == "json"
        else body.findtext("request/service_request_id")
    )
    with Session(db.engine_for(settings.database_url)) as session:
        complaint = session.exec(select(Complaint).where(Complaint.tracking_code == code)).one()
        assert complaint.service_attributes == {"severity": "berat", "object": "jembatan"}
        accounts.create_user(
            session,
            username="admin",
            password=STAFF_PASSWORD,
            role=Role.ADMIN,
            agency_code=None,
            now=datetime.now(UTC),
        )
        session.commit()
    page = signed_in(app, "admin").get(f"/petugas/pengaduan/{code}")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "<dt>Tingkat kerusakan</dt><dd>Berat</dd>" in html
    assert "<dt>Objek yang rusak</dt><dd>Jembatan</dd>" in html


def test_optional_attributes_may_be_left_out_or_blank(client, session):
    required_only = client.post(
        f"{BASE}/requests.json",
        data={**ROAD, "attribute[severity]": "ringan", "attribute[object]": ""},
    )
    assert required_only.status_code == 201
    health = client.post(
        f"{BASE}/requests.json",
        data={**ROAD, "service_code": "DINKES", "attribute[facility]": "Puskesmas Pahandut"},
    )
    assert health.status_code == 201
    stored = {c.service_code: c.service_attributes for c in session.exec(select(Complaint))}
    assert stored == {"PUPR": {"severity": "ringan"}, "DINKES": {"facility": "Puskesmas Pahandut"}}


@pytest.mark.parametrize("fmt", ["json", "xml"])
@pytest.mark.parametrize(
    "extra, names",
    [
        ({"attribute[severity]": "parah"}, "attribute[severity]: nilai 'parah' tidak ada"),
        ({"attribute[severity]": ["berat", "ringan"]}, "attribute[severity]: hanya boleh satu"),
        (
            {"attribute[severity]": "berat", "attribute[colour]": "merah"},
            "attribute[colour]: tidak dikenal",
        ),
        ({"attribute[severity]": "berat", "attribute[object]": "gedung"}, "attribute[object]"),
        ({"service_code": "DISHUB", "attribute[severity]": "berat"}, "attribute[severity]: tidak"),
        ({"service_code": "UMUM", "attribute[x]": "1"}, "attribute[x]: tidak dikenal"),
        ({"service_code": "DINKES", "attribute[facility]": "x" * 301}, "attribute[facility]"),
    ],
)
def test_invalid_attributes_are_a_400_naming_them(client, session, fmt, extra, names):
    response = client.post(f"{BASE}/requests.{fmt}", data={**ROAD, **extra})
    assert response.status_code == 400
    assert names in error_text(response, fmt)
    assert session.exec(select(Complaint)).first() is None  # nothing half-written


@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_a_required_attribute_left_out_is_a_400_naming_it(strict_client, session, fmt):
    definition = strict_client.get(f"{BASE}/services/PUPR.json").get_json()
    assert definition["attributes"][0]["required"] is True
    for blank in ({}, {"attribute[severity]": " "}):
        response = strict_client.post(f"{BASE}/requests.{fmt}", data={**ROAD, **blank})
        assert response.status_code == 400
        assert error_text(response, fmt) == (
            "attribute[severity]: wajib diisi (Tingkat kerusakan)."
        )
    assert session.exec(select(Complaint)).first() is None
    sent = {**ROAD, "attribute[severity]": "membahayakan_jiwa"}
    assert strict_client.post(f"{BASE}/requests.{fmt}", data=sent).status_code == 201


def test_a_road_complaint_may_still_come_without_a_severity(client, session):
    assert client.post(f"{BASE}/requests.json", data=ROAD).status_code == 201
    assert session.exec(select(Complaint)).one().service_attributes is None


DEFINITIONS = service_attributes.definitions_from(
    {
        "services": {
            "X": [
                {"code": "count", "datatype": "number", "description": "Jumlah", "required": True},
                {"code": "when", "datatype": "datetime", "description": "Waktu kejadian"},
                {"code": "notes", "datatype": "text", "description": "Catatan"},
                {
                    "code": "kinds",
                    "datatype": "multivaluelist",
                    "description": "Jenis",
                    "values": [{"key": "a", "name": "Aspal"}, {"key": "b", "name": "Beton"}],
                },
            ]
        }
    },
    "uji.yaml",
)["X"]


def test_check_the_datatypes():
    sent = service_attributes.sent_attributes(
        [
            ("attribute[count]", " 12.5 "),
            ("attribute[when]", "2026-12-01T08:00:00+07:00"),
            ("attribute[kinds][]", "b"),
            ("attribute[kinds][]", "a"),
            ("attribute[kinds]", "b"),
            ("description", "bukan atribut"),
        ]
    )
    assert service_attributes.check(DEFINITIONS, sent) == {
        "count": "12.5",
        "when": "2026-12-01T08:00:00+07:00",
        "kinds": ["b", "a"],
    }
    shown = service_attributes.shown(DEFINITIONS, {"kinds": ["b", "a"], "gone": "1"})
    assert shown == [("Jenis", "Beton, Aspal"), ("gone", "1")]


@pytest.mark.parametrize(
    "sent, says",
    [
        ({"count": ["dua belas"]}, "attribute[count]: harus berupa angka"),
        ({"count": ["nan"]}, "attribute[count]: harus berupa angka"),
        ({"count": ["1"], "when": ["2026-12-01"]}, "attribute[when]: harus tanggal W3C"),
        ({"count": ["1"], "when": ["2026-12-01T08:00:00"]}, "attribute[when]: harus tanggal W3C"),
        ({"count": ["1"], "kinds": ["a", "c"]}, "attribute[kinds]: nilai 'c' tidak ada"),
        ({"count": ["1"], "notes": ["x" * 2001]}, "attribute[notes]: paling panjang 2000"),
        ({"when": ["2026-12-01T08:00:00Z"]}, "attribute[count]: wajib diisi (Jumlah)"),
    ],
)
def test_check_refuses_naming_the_attribute(sent, says):
    with pytest.raises(InvalidAttributes) as refused:
        service_attributes.check(DEFINITIONS, sent)
    assert says in refused.value.message


@pytest.mark.parametrize(
    "data, place",
    [
        ({"services": {"X": [{"code": "a", "datatype": "kata", "description": "A"}]}},
         "uji.yaml: services.X[0] (a).datatype"),
        ({"services": {"X": [{"code": "a", "datatype": "singlevaluelist", "description": "A"}]}},
         "uji.yaml: services.X[0] (a).values"),
        ({"services": {"X": [{"code": "a", "datatype": "string"}]}},
         "uji.yaml: services.X[0] (a).description"),
        ({"services": {"X": [{"code": "a b", "datatype": "string", "description": "A"}]}},
         "uji.yaml: services.X[0].code"),
        ({"services": {"X": [{"code": "a", "datatype": "string", "description": "A",
                              "required": "ya"}]}},
         "uji.yaml: services.X[0] (a).required"),
        ({"services": {"X": [{"code": "a", "datatype": "string", "description": "A",
                              "wajib": True}]}},
         "uji.yaml: services.X[0]: kunci tidak dikenal: wajib"),
        ({"services": {"X": [{"code": "a", "datatype": "multivaluelist", "description": "A",
                              "values": [{"key": "k"}]}]}},
         "uji.yaml: services.X[0] (a).values[0]"),
        ({"services": {"NOPE": [{"code": "a", "datatype": "string", "description": "A"}]}},
         "uji.yaml: services.NOPE: service_code ini tidak ada"),
        ({"services": {"X": []}}, "uji.yaml: services.X: harus daftar"),
        ({"services": ["X"]}, "uji.yaml: services harus pemetaan"),
    ],
)  # fmt: skip
def test_a_broken_definition_file_is_refused_naming_the_place(data, place):
    with pytest.raises(DefinitionError) as refused:
        service_attributes.definitions_from(data, "uji.yaml", known={"X"})
    assert str(refused.value).startswith(place)


def test_a_broken_definitions_file_stops_init_with_its_fault_named(settings, tmp_path):
    import shutil

    import click

    from lapor.cli.bootstrap import initialise
    from lapor.infra.region import region_dir

    folder = tmp_path / "wilayah"
    shutil.copytree(region_dir("kalteng"), folder)
    (folder / "open311.yaml").write_text(
        "services: {PUPR: [{code: warna, datatype: warna}]}\n", encoding="utf-8"
    )
    with pytest.raises(click.ClickException, match=r"services\.PUPR\[0\] \(warna\)\.datatype"):
        initialise(settings.with_overrides({"region": str(folder)}))
