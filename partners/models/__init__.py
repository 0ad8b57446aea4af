"""Partners (운영사), their sites, channels, contacts and the route table of seed 001.

A *route* answers "for this kind of request, at this operator / kind of site, where do we send
it, how, and who may do it?" (seed 001 tables 2-7). Routes are data so leads can keep them
current in the admin; the rules that keep the table consistent (no two active routes for the
same question, e-mail channels with recipients...) live in ``clean()`` and in
``partners.services`` so the admin and code paths share them, with DB constraints behind them.

Stable codes are English (``DOMAIN.md`` shared vocabulary); labels and messages are Korean.

The models live in ``choices``, ``sites``, ``channels`` and ``routes`` (issue 14.9); every
name stays importable from ``partners.models``.
"""

from __future__ import annotations

from .channels import (  # noqa: F401
    Channel,
    ChannelRecipient,
    Contact,
    RecipientKind,
)
from .choices import (  # noqa: F401
    ALL_AGENT_ROLE_CODES,
    LEAD_ROLE_CODES,
    PLACEHOLDER_DOMAIN_SUFFIX,
    ROLE_SCOPE_CODES,
    ChannelKind,
    Integration,
    LotInfoTopic,
    RequestKind,
    RoleScope,
    SiteKind,
    parse_recipients,
    validate_email_address,
    validate_placeholder_email,
    validate_recipient_list,
)
from .routes import (  # noqa: F401
    _EARLIEST,
    ROUTE_KEY_FIELDS,
    ROUTE_KEY_TAKEN,
    Route,
    RouteMention,
    _route_key_expressions,
)
from .sites import (  # noqa: F401
    Partner,
    SeedKeyed,
    Site,
    SiteKindOption,
    _unique_seed_key,
    site_kind_problem,
)
