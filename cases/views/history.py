"""Moved to :mod:`kmcs_site.history` (the audit trail reads every app's models); kept so that old
imports still work."""

from kmcs_site.history import (  # noqa: F401
    CHANGE_TYPES,
    EMPTY,
    HIDDEN,
    AuditedModel,
    Change,
    HistoryFilters,
    HistoryRow,
    audited_model,
    audited_models,
    display_value,
    history_fetcher,
    history_page_keys,
    history_rows,
    is_user_fk,
    mask_text,
    model_choices,
    user_labels_for,
)
