"""Load ``partners.seed_data`` into the database: for the data migration (historical models,
``apps`` from the migration) and for ``partners.bootstrap`` (live models).

Idempotent and respectful of people's edits:

- a row whose ``seed_key`` exists is left exactly as it is (people may have edited it);
- a row that matches an existing one by its natural key (partner code, channel name, contact
  address or mention, site name per partner) is adopted as is, not duplicated;
- a row whose ``seed_key`` appears in the history table but not in the live table was deleted
  by a person: it is not re-created;
- a route that would overlap an active route people created for the same key is skipped and
  reported, never forced in.

Only fields the (historical) model has are passed, so an old migration keeps working when the
seed data later gains fields.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from email.utils import getaddresses

from . import seed_data
from .rules import windows_overlap

ROUTE_KEY = ("request_kind", "site_kind", "integration", "topic", "customer_agrees")


def parse_recipients(text: str) -> list[tuple[str, str]]:
    """``'담당자 <a@b.example>'`` lines (or commas) -> [(display name, address)], in order.
    Plain text parsing, no model import: migrations use it on historical rows."""
    lines = [line.strip() for line in (text or "").replace(",", "\n").splitlines()]
    return [(name, addr) for name, addr in getaddresses([ln for ln in lines if ln])]


def mention_handles(text: str) -> list[str]:
    """``'@owner4 @owner5, @owner6'`` -> ['@owner4', '@owner5', '@owner6'] (order kept, once)."""
    handles = [m.strip(" ,") for m in (text or "").split()]
    return list(dict.fromkeys(h for h in handles if h.startswith("@")))


def _date(value):
    return dt.date.fromisoformat(value) if isinstance(value, str) else value


def _fields(model, row: dict) -> dict:
    names = {f.name for f in model._meta.concrete_fields}
    return {k: v for k, v in row.items() if k in names}


class _Loader:
    def __init__(self, apps, using: str, stdout):
        self.apps = apps
        self.using = using
        self.stdout = stdout
        self.created: Counter[str] = Counter()
        self.skipped: list[str] = []

    def model(self, name):
        return self.apps.get_model("partners", name)

    def objects(self, name):
        return self.model(name)._default_manager.using(self.using)

    def deleted_by_people(self, name: str, seed_key: str) -> bool:
        try:
            history = self.apps.get_model("partners", f"Historical{name}")
        except LookupError:
            return False
        return history._default_manager.using(self.using).filter(seed_key=seed_key).exists()

    def ensure(self, name: str, row: dict, *, natural: dict) -> object | None:
        objects = self.objects(name)
        found = objects.filter(seed_key=row["seed_key"]).first()
        if found is None and natural:
            found = objects.filter(**natural).first()
        if found is not None:
            return found
        if self.deleted_by_people(name, row["seed_key"]):
            self.skipped.append(f"{row['seed_key']}: 사람이 삭제한 행이라 다시 만들지 않음")
            return None
        obj = objects.create(**_fields(self.model(name), row))
        self.created[name] += 1
        return obj

    def ensure_site_kinds(self) -> None:
        try:
            objects = self.objects("SiteKindOption")
        except LookupError:  # a data migration older than the rows (partners 0009)
            return
        for code, name, position in seed_data.SITE_KINDS:
            if not objects.filter(code=code).exists():
                objects.create(code=code, name=name, position=position)
                self.created["SiteKindOption"] += 1

    def run(self) -> None:
        self.ensure_site_kinds()
        partners = {}
        for row in seed_data.PARTNERS:
            partners[row["code"]] = self.ensure("Partner", row, natural={"code": row["code"]})
        # Partners people deleted (or never had) may still exist under their code.
        for code, obj in list(partners.items()):
            if obj is None:
                partners[code] = self.objects("Partner").filter(code=code).first()

        for row in seed_data.CONTACTS:
            natural = {"email": row["email"]} if row["email"] else {"mention": row["mention"]}
            data = {
                **row,
                "partner": partners.get(row["partner"]),
                "effective_from": _date(row.get("effective_from")),
                "effective_to": _date(row.get("effective_to")),
            }
            self.ensure("Contact", data, natural=natural)

        channels = {}
        for row in seed_data.CHANNELS:
            data = {**row, "partner": partners.get(row["partner"])}
            before = self.created["Channel"]
            channel = self.ensure("Channel", data, natural={"name": row["name"]})
            channels[row["seed_key"]] = channel
            if channel is not None and self.created["Channel"] > before:
                self.link_recipients(channel, row)

        sites = {}
        for row in seed_data.SITES:
            partner = partners.get(row["partner"])
            if partner is None:
                self.skipped.append(f"{row['seed_key']}: 운영사 {row['partner']} 없음")
                continue
            data = {**row, "partner": partner, "routes_like": partners.get(row["routes_like"])}
            sites[row["seed_key"]] = self.ensure(
                "Site", data, natural={"partner": partner, "name": row["name"]}
            )

        for row in seed_data.ROUTES:
            self.ensure_route(row, partners, channels, sites)

    def ensure_route(self, row, partners, channels, sites) -> None:
        objects = self.objects("Route")
        if objects.filter(seed_key=row["seed_key"]).exists():
            return
        if self.deleted_by_people("Route", row["seed_key"]):
            self.skipped.append(f"{row['seed_key']}: 사람이 삭제한 경로라 다시 만들지 않음")
            return
        data = {
            **row,
            "partner": partners.get(row["partner"]) if row["partner"] else None,
            "site": sites.get(row["site"]) if row["site"] else None,
            "channel": channels.get(row["channel"]),
            "alternative_channel": channels.get(row["alternative_channel"])
            if row["alternative_channel"]
            else None,
            "effective_from": _date(row["effective_from"]),
            "effective_until": _date(row["effective_until"]),
            "pass_month_from": _date(row.get("pass_month_from")),
        }
        missing = [
            name
            for name in ("partner", "site", "channel", "alternative_channel")
            if row[name] and data[name] is None
        ]
        if missing:
            self.skipped.append(f"{row['seed_key']}: {', '.join(missing)} 없음")
            return
        if data["is_active"] and self.overlaps(data):
            self.skipped.append(f"{row['seed_key']}: 같은 조건의 사용 중인 경로가 이미 있음")
            return
        route = objects.create(**_fields(self.model("Route"), data))
        self.created["Route"] += 1
        self.link_mentions(route, row.get("mentions", ""))

    # Recipients and mentions are rows pointing at contacts (issue 15); an old migration's
    # historical models have no such rows and keep the seed's text in the fields it had.
    def link_model(self, name):
        try:
            return self.model(name)
        except LookupError:
            return None

    def contact_by(self, **natural):
        return (
            self.objects("Contact")
            .filter(is_active=True, **natural)
            .order_by("-effective_from", "pk")
            .first()
        )

    def link_recipients(self, channel, row) -> None:
        model = self.link_model("ChannelRecipient")
        if model is None:
            return
        for kind in ("to", "cc"):
            for position, (_name, addr) in enumerate(
                parse_recipients(row.get(f"recipients_{kind}", ""))
            ):
                contact = self.contact_by(email=addr)
                if contact is None:
                    self.skipped.append(f"{row['seed_key']}: 연락처 {addr} 없음")
                    continue
                model._default_manager.using(self.using).get_or_create(
                    channel=channel, contact=contact, kind=kind, defaults={"position": position}
                )

    def link_mentions(self, route, text: str) -> None:
        model = self.link_model("RouteMention")
        if model is None:
            return
        for position, handle in enumerate(mention_handles(text)):
            contact = self.contact_by(mention=handle)
            if contact is None:
                self.skipped.append(f"{route.seed_key}: 멘션 {handle} 연락처 없음")
                continue
            model._default_manager.using(self.using).get_or_create(
                route=route, contact=contact, defaults={"position": position}
            )

    def overlaps(self, data) -> bool:
        same_key = self.objects("Route").filter(
            is_active=True,
            partner=data["partner"],
            site=data["site"],
            **{name: data[name] for name in ROUTE_KEY},
        )
        return any(
            windows_overlap(
                data["effective_from"], data["effective_until"], r.effective_from, r.effective_until
            )
            for r in same_key
        )

    def report(self) -> None:
        if self.stdout is None:
            return
        made = ", ".join(f"{name} {count}개" for name, count in sorted(self.created.items()))
        self.stdout.write(f"  partners: 새로 만든 행: {made or '없음'}\n")
        for line in self.skipped:
            self.stdout.write(f"  partners: 건너뜀 - {line}\n")


def load(apps, *, using: str = "default", stdout=None) -> dict[str, int]:
    """Create what is missing from seed 001; return {model name: rows created}."""
    loader = _Loader(apps, using, stdout)
    loader.run()
    loader.report()
    return dict(loader.created)
