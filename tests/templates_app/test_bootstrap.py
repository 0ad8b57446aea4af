"""Seeding templates from the code catalogue: the data migration and bootstrap.run."""

from __future__ import annotations

import io
from importlib import import_module

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from templates_app import bootstrap, services
from templates_app.catalogue import CATALOGUE
from templates_app.definitions import TemplateDef
from templates_app.errors import CatalogueError
from templates_app.models import SmsTemplate

pytestmark = pytest.mark.django_db

FIXTURE = (
    TemplateDef(
        name="테스트카탈로그_기사_승인",
        audience="driver",
        service="driver",
        body="{{ received_on }} 접수 건 취소금액 {{ amount }}",
        variables={"received_on": "date_md", "amount": "amount"},
        description="테스트",
        source="seed 002 §1",
    ),
    TemplateDef(
        name="테스트카탈로그_고객_안내",
        audience="customer",
        service="common",
        body="고객센터 안내입니다.",
    ),
)


def test_every_catalogue_template_is_valid_and_in_a_fresh_database():
    """Whatever CATALOGUE holds: it validates, and migrate put every entry in the database."""
    assert services.catalogue_problems(CATALOGUE) == []
    for definition in CATALOGUE:
        template = SmsTemplate.objects.get(name=definition.name)
        version = services.template_approved_version(template)
        assert version is not None, definition.name
        assert template.audience == definition.audience
        if version.number == 1:
            assert (version.body, version.variables) == (definition.body, definition.variables)


def test_sync_creates_approved_v1_then_nothing(lead):
    out = io.StringIO()
    report = services.catalogue_sync(catalogue=FIXTURE, stdout=out)
    assert report.created == [d.name for d in FIXTURE]
    assert "문자 템플릿 등록: 테스트카탈로그_기사_승인" in out.getvalue()
    template = SmsTemplate.objects.get(name="테스트카탈로그_기사_승인")
    version = services.template_approved_version(template)
    assert (version.number, version.body, version.variables) == (
        1,
        FIXTURE[0].body,
        FIXTURE[0].variables,
    )
    assert template.history.first().history_change_reason == "카탈로그에서 등록"

    again = services.catalogue_sync(catalogue=FIXTURE)
    assert again.created == [] and again.unchanged == [d.name for d in FIXTURE]
    assert SmsTemplate.objects.filter(name__startswith="테스트카탈로그").count() == 2


def test_sync_never_overwrites_an_edited_template(lead):
    services.catalogue_sync(catalogue=FIXTURE)
    template = SmsTemplate.objects.get(name="테스트카탈로그_고객_안내")
    draft = services.template_edit(
        template=template, body="팀장이 고친 안내입니다.", variables={}, actor=lead
    )
    services.template_version_approve(version=draft, actor=lead)

    out = io.StringIO()
    report = services.catalogue_sync(catalogue=FIXTURE, stdout=out)
    assert report.differs == ["테스트카탈로그_고객_안내"]
    assert "카탈로그와 다름 (DB 내용 유지)" in out.getvalue()
    assert services.template_approved_version(template).body == "팀장이 고친 안내입니다."
    assert template.versions.count() == 2


def test_an_invalid_catalogue_is_refused_whole():
    broken = (
        *FIXTURE,
        TemplateDef(
            name="테스트카탈로그_깨짐",
            audience="driver",
            service="driver",
            body="{{ amount }}",
            variables={},
        ),
        TemplateDef(name="테스트카탈로그_깨짐", audience="robot", service="space", body="x"),
    )
    with pytest.raises(CatalogueError) as info:
        services.catalogue_sync(catalogue=broken)
    text = str(info.value)
    assert "amount" in text and "중복" in text and "robot" in text and "space" in text
    assert not SmsTemplate.objects.filter(name__startswith="테스트카탈로그").exists()


def test_bootstrap_run_reads_the_catalogue(monkeypatch):
    monkeypatch.setattr(bootstrap, "CATALOGUE", FIXTURE)
    out = io.StringIO()
    bootstrap.run(stdout=out)
    bootstrap.run(stdout=out)
    assert SmsTemplate.objects.filter(name__startswith="테스트카탈로그").count() == 2
    assert "신규 0, 동일 2" in out.getvalue()


def test_the_data_migration_uses_historical_models_and_writes_history(monkeypatch):
    import templates_app.catalogue

    monkeypatch.setattr(templates_app.catalogue, "CATALOGUE", FIXTURE)
    migration = import_module("templates_app.migrations.0002_seed_catalogue")
    # The test database has the latest schema (0004 added code/sending_system/enabled without a
    # database default), so the seed function runs with the historical models of the latest
    # templates_app migration; on a fresh database 0002 runs before those columns exist.
    loader = MigrationExecutor(connection).loader
    latest = max(key for key in loader.graph.leaf_nodes() if key[0] == "templates_app")
    state = loader.project_state(latest)
    migration.seed_catalogue(state.apps, connection.schema_editor())
    template = SmsTemplate.objects.get(name="테스트카탈로그_기사_승인")
    assert services.template_approved_version(template).number == 1
    assert template.history.count() == 1
    assert template.history.get().history_type == "+"
    assert services.template_approved_version(template).history.count() == 1
