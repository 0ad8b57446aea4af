"""Korean labels for codes in templates: ``{% load kmcs_labels %}``.

``{{ rule|due_rule_label }}`` (business_days:5 -> 영업일 5일 이내),
``{{ case.outcome|outcome_label:case.playbook }}``, ``{{ figures|figure_rows }}``.
"""

from django import template

from cases import labels

register = template.Library()


@register.filter
def due_rule_label(rule):
    return labels.due_rule_label(rule)


@register.filter
def outcome_label(code, playbook=""):
    return labels.outcome_label(playbook or "", code)


@register.filter
def figure_rows(figures):
    return labels.figure_rows(figures if isinstance(figures, dict) else None)
