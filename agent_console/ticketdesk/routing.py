"""Which department the form suggests, and what the dispatch records about it.

The catalogue answers for the chosen category (and district); with no category, or one the catalogue
does not cover, the classifier's guess on the ticket text picks a catalogue rule instead. At 派单 the agent's choice is compared
with the suggestion: the same departments record the rule (catalogue rule id, or classifier plus
the rule it led to), different ones record a manual override with what had been suggested.
"""
from __future__ import annotations

from tickets.catalogue import CatalogueError, normalize_category, shown

SOURCE_LABELS = {"catalogue": "派单目录", "classifier": "智能分类", "manual": "人工指定"}
MAX_TEXT = 2000


def category_path(text: str | None) -> str | None:
    """The form's category as a catalogue path, or None (blank or free text that is no path)."""
    if not (text or "").strip():
        return None
    try:
        return normalize_category(text)
    except CatalogueError:
        return None


def classifier_label(services: dict, text: str | None) -> str | None:
    classifier = services.get("classifier")
    if not text or classifier is None or not getattr(classifier, "ready", False):
        return None
    result = classifier.classify(text[:MAX_TEXT])
    return result.best_category.label if result.best_category else None


async def suggestion_for(services: dict, catalogue, category: str | None, district: str | None,
                         content: str | None):
    """The catalogue's rule for the category; without one (no category, or one the catalogue does not
    cover), the rule the classifier's guess on the text leads to."""
    path = category_path(category)
    found = await catalogue.suggest(path, district, None) if path else None
    if found is not None:
        return found, None
    label = classifier_label(services, content)
    return (await catalogue.suggest(None, district, label) if label else None), label


def routing_of(suggestion, lead: str, co: list[str], guessed: str | None) -> dict:
    """The dispatch event's `routing`: the rule used, or a manual override naming what was suggested."""
    if suggestion is not None and suggestion.lead == lead and sorted(suggestion.co) == sorted(co):
        routing = {"source": suggestion.source, "rule_id": suggestion.rule_id, "category": suggestion.category}
        if suggestion.source == "classifier":
            routing["classifier_label"] = guessed
        return routing
    routing = {"source": "manual"}
    if suggestion is not None:
        routing.update(suggested_rule_id=suggestion.rule_id, suggested_lead=suggestion.lead,
                       suggested_source=suggestion.source)
    return routing


def suggestion_json(suggestion, names: dict[str, str]) -> dict | None:
    if suggestion is None:
        return None
    return {"rule_id": suggestion.rule_id, "category": suggestion.category, "category_shown": shown(suggestion.category),
            "district": suggestion.district, "source": suggestion.source,
            "source_label": SOURCE_LABELS[suggestion.source],
            "lead": {"code": suggestion.lead, "name": names.get(suggestion.lead, suggestion.lead)},
            "co": [{"code": c, "name": names.get(c, c)} for c in suggestion.co]}
