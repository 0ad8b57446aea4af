"""Issue 15: channel To/Cc and route @mentions become rows pointing at contacts.

- every ``"이름 <주소>"`` of a channel's text becomes a ``ChannelRecipient`` to the contact with
  that address (created, with the display name as its role, when no contact has it);
- every ``@handle`` of a route's ``mentions`` becomes a ``RouteMention``; the handles the first
  copy of seed 001 misspelled (``@owner8``, ``@owner9``) are read as the updated seed spells
  them (``@owner4``, ``@owner7``), in the seeded routes' procedure text too, and the seeded
  contacts of the misspelled handles are retired (inactive);
- the operators' seeded contacts get the seed's start date (table 1: 운영사별 담당자 25.5.1부터)
  when they have none.

Every row written here also gets a history row ("+", no user): the change is on record.
"""

import datetime as dt

from django.db import migrations
from django.utils import timezone

from partners.seed_data import MISSPELLED_HANDLES, PARTNER_CONTACTS_FROM
from partners.seed_loader import mention_handles, parse_recipients

REASON = "issue 15: 수신·참조·멘션을 연락처 행으로 전환"


def _history(apps, model_name, obj, using, changed=False):
    history = apps.get_model("partners", f"Historical{model_name}")
    values = {
        f.attname: getattr(obj, f.attname)
        for f in obj._meta.concrete_fields
        if f.attname in {h.attname for h in history._meta.concrete_fields}
    }
    history._default_manager.using(using).create(
        **values,
        history_date=timezone.now(),
        history_type="~" if changed else "+",
        history_change_reason=REASON,
    )


def forwards(apps, schema_editor):
    using = schema_editor.connection.alias
    Contact = apps.get_model("partners", "Contact")
    Channel = apps.get_model("partners", "Channel")
    Route = apps.get_model("partners", "Route")
    ChannelRecipient = apps.get_model("partners", "ChannelRecipient")
    RouteMention = apps.get_model("partners", "RouteMention")
    contacts = Contact._default_manager.using(using)

    start = dt.date.fromisoformat(PARTNER_CONTACTS_FROM)
    for contact in contacts.filter(
        seed_key__startswith="contact.", partner__isnull=False, effective_from__isnull=True
    ):
        contact.effective_from = start
        contact.save(update_fields=["effective_from"])
        _history(apps, "Contact", contact, using, changed=True)
    for wrong in MISSPELLED_HANDLES:
        for contact in contacts.filter(mention=wrong, seed_key__startswith="contact."):
            contact.is_active = False
            contact.save(update_fields=["is_active"])
            _history(apps, "Contact", contact, using, changed=True)

    def contact_for(**natural):
        return contacts.filter(is_active=True, **natural).order_by("pk").first()

    for channel in Channel._default_manager.using(using).all():
        for kind in ("to", "cc"):
            text = getattr(channel, f"recipients_{kind}")
            for position, (name, addr) in enumerate(parse_recipients(text)):
                contact = contact_for(email=addr)
                if contact is None:
                    contact = contacts.create(
                        partner_id=channel.partner_id, label=name or "담당자", name=name, email=addr
                    )
                    _history(apps, "Contact", contact, using)
                link, made = ChannelRecipient._default_manager.using(using).get_or_create(
                    channel=channel, contact=contact, kind=kind, defaults={"position": position}
                )
                if made:
                    _history(apps, "ChannelRecipient", link, using)

    for route in Route._default_manager.using(using).all():
        handles = [MISSPELLED_HANDLES.get(h, h) for h in mention_handles(route.mentions)]
        if route.seed_key:
            fixed = route.procedure
            for wrong, right in MISSPELLED_HANDLES.items():
                fixed = fixed.replace(wrong, right)
            if fixed != route.procedure:
                route.procedure = fixed
                route.save(update_fields=["procedure"])
                _history(apps, "Route", route, using, changed=True)
        for position, handle in enumerate(dict.fromkeys(handles)):
            contact = contact_for(mention=handle)
            if contact is None:
                contact = contacts.create(label="담당자 (아지트)", mention=handle)
                _history(apps, "Contact", contact, using)
            link, made = RouteMention._default_manager.using(using).get_or_create(
                route=route, contact=contact, defaults={"position": position}
            )
            if made:
                _history(apps, "RouteMention", link, using)


class Migration(migrations.Migration):
    dependencies = [("partners", "0004_contacts_as_rows")]
    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
