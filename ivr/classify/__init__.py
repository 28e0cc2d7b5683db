"""Transcript classification: request type and category guesses, emergency words."""
from ivr.classify.classifier import Classification, Classifier, Guess
from ivr.classify.emergency import (
    EmergencyDetector,
    EmergencyRule,
    EmergencyTrigger,
    default_emergency_rules,
    emergency_rules_from_dicts,
    load_emergency_rules,
)
from ivr.classify.errors import ClassifyError, NotReadyError, RuleError
from ivr.classify.rules import (
    REQUEST_TYPES,
    Rule,
    default_rules,
    load_rules,
    rules_from_dicts,
    rules_to_dicts,
)
from ivr.classify.segmenter import Segmenter

__all__ = [
    "REQUEST_TYPES", "Classification", "Classifier", "ClassifyError", "EmergencyDetector", "EmergencyRule",
    "EmergencyTrigger", "Guess", "NotReadyError", "Rule", "RuleError", "Segmenter", "default_emergency_rules",
    "default_rules", "emergency_rules_from_dicts", "load_emergency_rules", "load_rules", "rules_from_dicts",
    "rules_to_dicts",
]
